//! `ere::Ere` against glibc's own `regcomp`/`regexec` as the oracle.
//!
//! The reference compiles `--exclude`/`--include` with `regcomp(REG_EXTENDED)` (plus
//! `REG_ICASE` for the `i` variants) and never calls `setlocale`, so glibc runs in the C
//! locale; `ere.rs` documents C-locale semantics. This target never calls `setlocale`
//! either, so the oracle is the C locale too.
//!
//! Input layout (hand-writable seeds): byte 0 = flags (bit 0: icase), byte 1 = pattern
//! length n, then n pattern bytes, then NUL-separated subjects. The pattern itself and
//! its literal characters are tried as subjects too.
//!
//! Checked:
//! - glibc rejects  => we reject, and not with an "unsupported" error (the CLI then
//!   prints the reference's exact message);
//! - glibc accepts  => we accept or return an "unsupported" error;
//! - both accept    => `is_match` agrees with `regexec` on every subject.
#![no_main]

use std::ffi::CString;

use libfuzzer_sys::fuzz_target;
use rinotify::ere::Ere;

/// glibc's compiled regex; freed on drop.
struct Glibc(libc::regex_t);

impl Glibc {
    fn new(pattern: &[u8], icase: bool) -> Option<Glibc> {
        let c = CString::new(until_nul(pattern)).ok()?;
        let mut flags = libc::REG_EXTENDED | libc::REG_NOSUB;
        if icase {
            flags |= libc::REG_ICASE;
        }
        // SAFETY: zeroed regex_t is a valid out-parameter for regcomp.
        let mut re: libc::regex_t = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointers; `c` is NUL-terminated.
        let rc = unsafe { libc::regcomp(&mut re, c.as_ptr(), flags) };
        (rc == 0).then_some(Glibc(re))
    }

    fn is_match(&self, subject: &[u8]) -> bool {
        let Ok(c) = CString::new(until_nul(subject)) else {
            return false;
        };
        // SAFETY: compiled regex; NUL-terminated subject; no match array (REG_NOSUB).
        unsafe { libc::regexec(&self.0, c.as_ptr(), 0, std::ptr::null_mut(), 0) == 0 }
    }
}

impl Drop for Glibc {
    fn drop(&mut self) {
        // SAFETY: compiled by a successful regcomp, freed once.
        unsafe { libc::regfree(&mut self.0) };
    }
}

fn until_nul(s: &[u8]) -> &[u8] {
    s.split(|&b| b == 0).next().unwrap_or(s)
}

/// A crude estimate of glibc's work: it spells out `x{m,n}` as copies of `x` (the
/// product of the counts of nested intervals), and chains of nullable or optional copies
/// cost it quadratic time and memory (`a{0,10000}`: 0.5 s, 770 MB; `y*{32767}`: 18 s,
/// 8 GB). So each interval counts as the square of its largest count, each `+` as two
/// copies. Patterns above the bound are run through our side only (`a{32767}` and
/// friends are unit tests).
fn glibc_cost(pattern: &[u8]) -> u64 {
    let mut cost: u64 = pattern.len() as u64 + 1;
    let mut i = 0;
    while i < pattern.len() {
        if pattern[i] == b'+' {
            // `x+` is spelled `xx*`: stacked `+` double the tree (`a+` × 22: 2.6 s, 3 GB).
            cost = cost.saturating_mul(2);
        }
        if pattern[i] != b'{' {
            i += 1;
            continue;
        }
        let mut largest = 0u64;
        let mut current = 0u64;
        i += 1;
        while let Some(&b) = pattern.get(i) {
            match b {
                b'0'..=b'9' => current = (current * 10 + u64::from(b - b'0')).min(1 << 20),
                b',' => largest = largest.max(std::mem::take(&mut current)),
                _ => break,
            }
            i += 1;
        }
        let copies = largest.max(current) + 1;
        cost = cost.saturating_mul(copies.saturating_mul(copies));
    }
    cost
}

const MAX_GLIBC_COST: u64 = 50_000_000;

fuzz_target!(|data: &[u8]| {
    let [flags, n, rest @ ..] = data else { return };
    let icase = flags & 1 != 0;
    let n = usize::from(*n).min(rest.len());
    let (pattern, rest) = rest.split_at(n);

    let ours = Ere::new(pattern, icase);
    if glibc_cost(until_nul(pattern)) > MAX_GLIBC_COST {
        // Still exercise our matcher for panics.
        if let Ok(re) = &ours {
            re.is_match(rest);
        }
        return;
    }
    let theirs = Glibc::new(pattern, icase);
    let shown = String::from_utf8_lossy(pattern);
    match (&ours, &theirs) {
        (Err(e), None) => assert!(
            !e.is_unsupported(),
            "glibc rejects {shown:?} (icase={icase}) but we call it unsupported: {e}"
        ),
        (Ok(_), None) => panic!("glibc rejects {shown:?} (icase={icase}), we accept it"),
        (Err(e), Some(_)) => assert!(
            e.is_unsupported(),
            "glibc accepts {shown:?} (icase={icase}), we reject it as invalid: {e}"
        ),
        (Ok(re), Some(g)) => {
            let literal: Vec<u8> = until_nul(pattern)
                .iter()
                .copied()
                .filter(|b| !br"^$.*+?()[]{}|\".contains(b))
                .collect();
            let subjects = rest
                .split(|&b| b == 0)
                .take(6)
                .chain([pattern, &literal[..], b""]);
            for s in subjects {
                assert_eq!(
                    re.is_match(s),
                    g.is_match(s),
                    "pattern {shown:?} (icase={icase}) subject {:?}: ours vs glibc",
                    String::from_utf8_lossy(s)
                );
            }
        }
    }
});
