//! Sets of bytes, for the two pattern translators (`ere` for `--exclude`/`--include`,
//! `prune` for `--prune`): the set, the POSIX named classes in the C locale, and the
//! regex-crate class (Unicode off) that matches exactly a set's bytes.

/// A set of bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    pub const EMPTY: ByteSet = ByteSet([0; 4]);

    pub fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1u64 << (b & 63);
    }

    pub fn remove(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] &= !(1u64 << (b & 63));
    }

    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1u64 << (b & 63)) != 0
    }

    /// Inserts `lo..=hi` (nothing when `lo > hi`).
    pub fn insert_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.insert(b);
        }
    }

    pub fn insert_where(&mut self, pred: impl Fn(u8) -> bool) {
        for b in 0..=255u8 {
            if pred(b) {
                self.insert(b);
            }
        }
    }

    pub fn complement(&self) -> ByteSet {
        ByteSet([!self.0[0], !self.0[1], !self.0[2], !self.0[3]])
    }

    pub fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
    }
}

/// `[:space:]` (and `\s`): the C locale's white space.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The C-locale members of a `[:name:]` class; None for an unknown name.
pub fn named(name: &[u8]) -> Option<ByteSet> {
    let pred: fn(u8) -> bool = match name {
        b"alpha" => |b| b.is_ascii_alphabetic(),
        b"upper" => |b| b.is_ascii_uppercase(),
        b"lower" => |b| b.is_ascii_lowercase(),
        b"digit" => |b| b.is_ascii_digit(),
        b"xdigit" => |b| b.is_ascii_hexdigit(),
        b"space" => is_space,
        b"print" => |b| (0x20..0x7f).contains(&b),
        b"punct" => |b| b.is_ascii_punctuation(),
        b"graph" => |b| b.is_ascii_graphic(),
        b"cntrl" => |b| b < 0x20 || b == 0x7f,
        b"blank" => |b| b == b' ' || b == b'\t',
        b"alnum" => |b| b.is_ascii_alphanumeric(),
        _ => return None,
    };
    let mut set = ByteSet::EMPTY;
    set.insert_where(pred);
    Some(set)
}

/// Regex-crate syntax (Unicode disabled) for an atom matching exactly the bytes of
/// `set` (one that matches nothing when the set is empty).
pub fn regex_class(set: &ByteSet) -> String {
    let mut ranges: Vec<(u8, u8)> = Vec::new();
    for b in 0..=255u8 {
        if set.contains(b) {
            match ranges.last_mut() {
                Some((_, hi)) if u16::from(*hi) + 1 == u16::from(b) => *hi = b,
                _ => ranges.push((b, b)),
            }
        }
    }
    match ranges.as_slice() {
        [] => r"[^\x00-\xFF]".to_string(),
        [(lo, hi)] if lo == hi => byte_text(*lo),
        _ => {
            let mut s = String::from("[");
            for (lo, hi) in ranges {
                s.push_str(&byte_text(lo));
                if hi != lo {
                    s.push('-');
                    s.push_str(&byte_text(hi));
                }
            }
            s.push(']');
            s
        }
    }
}

fn byte_text(b: u8) -> String {
    if b.is_ascii_alphanumeric() {
        char::from(b).to_string()
    } else {
        format!(r"\x{b:02X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_and_classes() {
        let mut s = ByteSet::EMPTY;
        s.insert_range(b'a', b'c');
        s.insert(b'/');
        s.remove(b'b');
        assert!(s.contains(b'a') && !s.contains(b'b') && s.contains(b'/'));
        assert!(!s.complement().contains(b'a') && s.complement().contains(b'b'));
        assert_eq!(regex_class(&s), r"[\x2Fac]");
        assert_eq!(regex_class(&ByteSet::EMPTY), r"[^\x00-\xFF]");
        let d = named(b"digit").unwrap();
        assert_eq!(regex_class(&d), "[0-9]");
        assert!(named(b"nope").is_none());
        let mut one = ByteSet::EMPTY;
        one.insert(b'.');
        assert_eq!(regex_class(&one), r"\x2E");
    }
}
