//! JSON text for `--json`: strings from raw file-name bytes (escaped, invalid UTF-8
//! shown as U+FFFD and kept exactly in a base64 companion), RFC 3339 UTC timestamps
//! with nanoseconds, and base64. Pure, allocation-free appends into a caller's buffer.

use std::time::{SystemTime, UNIX_EPOCH};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes a JSON string holds as they are: printable ASCII but `"` and `\`.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        t[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    t
};

/// Appends `bytes` as a JSON string (quotes included). Returns false when `bytes` is not
/// valid UTF-8: each invalid sequence was written as U+FFFD, so the string is for
/// display and the exact bytes must travel beside it (see [`base64`]).
pub fn string(bytes: &[u8], out: &mut Vec<u8>) -> bool {
    out.push(b'"');
    let exact = string_body(bytes, out);
    out.push(b'"');
    exact
}

/// [`string`] without the quotes, so that two pieces can make one string.
pub fn string_body(bytes: &[u8], out: &mut Vec<u8>) -> bool {
    // Nearly every name is printable ASCII with nothing to escape: copied as it is.
    if bytes.iter().all(|&b| PLAIN[usize::from(b)]) {
        out.extend_from_slice(bytes);
        return true;
    }
    let mut exact = true;
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                escaped(s.as_bytes(), out);
                break;
            }
            Err(e) => {
                exact = false;
                let (good, bad) = rest.split_at(e.valid_up_to());
                escaped(good, out);
                out.extend_from_slice("\u{fffd}".as_bytes());
                let skip = e.error_len().unwrap_or(bad.len());
                rest = &bad[skip..];
            }
        }
    }
    exact
}

/// Appends valid UTF-8 with `"`, `\` and control characters escaped.
fn escaped(s: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\t' => b"\\t",
            b'\r' => b"\\r",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..0x20 | 0x7f => &[],
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
}

/// Appends `n` in decimal.
pub fn uint(n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends `bytes` in standard base64 (RFC 4648 §4, padded), without quotes.
pub fn base64(bytes: &[u8], out: &mut Vec<u8>) {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let sextet = |k: u32| ABC[((n >> k) & 63) as usize];
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { b'=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { b'=' });
    }
}

/// Appends `,"<key>_base64":"…"` when `bytes` needed it (`exact` is false).
pub fn base64_field(key: &str, bytes: &[u8], exact: bool, out: &mut Vec<u8>) {
    if exact {
        return;
    }
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"_base64\":\"");
    base64(bytes, out);
    out.push(b'"');
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

/// The `YYYY-MM-DDTHH:MM:SS` part of a UTC time `secs` after the epoch.
fn seconds_text(secs: i64) -> [u8; 19] {
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        y.clamp(0, 9999),
        mo,
        d,
        t / 3600,
        t / 60 % 60,
        t % 60
    );
    let mut out = [b'0'; 19];
    let n = text.len().min(19);
    out[..n].copy_from_slice(&text.as_bytes()[..n]);
    out
}

/// Appends `"YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"` (quotes included) for a UTC time.
pub fn rfc3339(secs: i64, nanos: u32, out: &mut Vec<u8>) {
    quoted_time(&seconds_text(secs), nanos, out);
}

/// Appends the quoted time from its `YYYY-MM-DDTHH:MM:SS` part and the nanoseconds.
fn quoted_time(seconds: &[u8; 19], nanos: u32, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(seconds);
    nanos_text(nanos, out);
    out.push(b'"');
}

fn nanos_text(nanos: u32, out: &mut Vec<u8>) {
    out.push(b'.');
    let mut digits = [b'0'; 9];
    let mut n = nanos.min(999_999_999);
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits);
    out.push(b'Z');
}

/// The wall clock: seconds and nanoseconds since the epoch (0 before it).
fn wall() -> (i64, u32) {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(_) => (0, 0),
    }
}

/// Appends the current UTC time, quoted.
pub fn now(out: &mut Vec<u8>) {
    let (secs, nanos) = wall();
    rfc3339(secs, nanos, out);
}

/// The time events are stamped with: the wall clock read once per read from the kernel
/// (every event of one read was read at the same moment, and a burst then costs one
/// clock reading per read, not per event), its date and time of day formatted once a
/// second.
#[derive(Debug, Default)]
pub struct Clock {
    cached: Option<(i64, [u8; 19])>,
    /// The quoted time of the current read, taken at its first event; empty until then.
    stamp: Vec<u8>,
}

impl Clock {
    /// A new read from the kernel: the next [`Clock::read_time`] reads the clock.
    pub fn new_read(&mut self) {
        self.stamp.clear();
    }

    /// Appends the time of the current read, quoted (the clock is read at its first
    /// event).
    pub fn read_time(&mut self, out: &mut Vec<u8>) {
        if self.stamp.is_empty() {
            let (secs, nanos) = wall();
            let text = match self.cached {
                Some((s, t)) if s == secs => t,
                _ => {
                    let t = seconds_text(secs);
                    self.cached = Some((secs, t));
                    t
                }
            };
            quoted_time(&text, nanos, &mut self.stamp);
        }
        out.extend_from_slice(&self.stamp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(bytes: &[u8]) -> (String, bool) {
        let mut out = Vec::new();
        let exact = string(bytes, &mut out);
        (String::from_utf8(out).unwrap(), exact)
    }

    #[test]
    fn strings() {
        let table: &[(&[u8], &str, bool)] = &[
            (b"", r#""""#, true),
            (b"plain name.txt", r#""plain name.txt""#, true),
            (b"a\"b", r#""a\"b""#, true),
            (b"a\\b", r#""a\\b""#, true),
            (b"new\nline", r#""new\nline""#, true),
            (b"t\tr\rb\x08f\x0c", r#""t\tr\rb\bf\f""#, true),
            (b"\x00\x01\x1f\x7f", r#""\u0000\u0001\u001f\u007f""#, true),
            (
                "caf\u{e9} \u{1f600}".as_bytes(),
                "\"caf\u{e9} \u{1f600}\"",
                true,
            ),
            (b"caf\xe9", "\"caf\u{fffd}\"", false),
            (b"\xff\xfe", "\"\u{fffd}\u{fffd}\"", false),
            (b"a\xe2\x82", "\"a\u{fffd}\"", false),
            (b"\xc3\x28x", "\"\u{fffd}(x\"", false),
        ];
        for &(input, want, exact) in table {
            assert_eq!(s(input), (want.to_string(), exact), "{input:?}");
        }
    }

    #[test]
    fn decimal() {
        for n in [0, 7, 10, 4_294_967_295, u64::MAX] {
            let mut out = Vec::new();
            uint(n, &mut out);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }

    #[test]
    fn base64_matches_rfc4648() {
        let table: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
            (b"caf\xe9", "Y2Fm6Q=="),
            (b"\xff\xfe\xfd", "//79"),
        ];
        for &(input, want) in table {
            let mut out = Vec::new();
            base64(input, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{input:?}");
        }
    }

    #[test]
    fn timestamps() {
        let table: &[(i64, u32, &str)] = &[
            (0, 0, "1970-01-01T00:00:00.000000000Z"),
            (951_782_400, 5, "2000-02-29T00:00:00.000000005Z"),
            (1_795_976_891, 123_456_789, "2026-11-29T18:28:11.123456789Z"),
            (4_107_542_399, 999_999_999, "2100-02-28T23:59:59.999999999Z"),
            (253_402_300_799, 1, "9999-12-31T23:59:59.000000001Z"),
            (-1, 0, "1969-12-31T23:59:59.000000000Z"),
        ];
        for &(secs, nanos, want) in table {
            let mut out = Vec::new();
            rfc3339(secs, nanos, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{want}\""));
        }
    }

    #[test]
    fn one_time_per_read() {
        let mut c = Clock::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        c.read_time(&mut a);
        std::thread::sleep(std::time::Duration::from_millis(2));
        c.read_time(&mut b);
        assert_eq!(a, b, "one read, one time");
        c.new_read();
        b.clear();
        c.read_time(&mut b);
        assert!(b > a, "a later read, a later time: {a:?} {b:?}");
    }

    #[test]
    fn now_is_rfc3339() {
        let mut out = Vec::new();
        now(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.len(), 32, "{text}");
        assert!(text.starts_with("\"20") && text.ends_with("Z\""), "{text}");
    }

    /// Standard base64 back to bytes (the tests' own decoder).
    fn unbase64(text: &str) -> Vec<u8> {
        const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let mut acc = 0u32;
        let mut bits = 0;
        for c in text.bytes().filter(|&c| c != b'=') {
            let v = ABC.iter().position(|&a| a == c).unwrap() as u32;
            acc = acc << 6 | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }

    proptest::proptest! {
        /// Any bytes make a JSON string a strict parser accepts; it holds them exactly
        /// when they are UTF-8, and base64 always brings them back.
        #[test]
        fn any_name_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let mut out = Vec::new();
            let exact = string(&bytes, &mut out);
            let parsed: String = serde_json::from_slice(&out).unwrap();
            proptest::prop_assert_eq!(exact, std::str::from_utf8(&bytes).is_ok());
            proptest::prop_assert_eq!(&parsed, &String::from_utf8_lossy(&bytes));
            let mut b64 = Vec::new();
            base64(&bytes, &mut b64);
            proptest::prop_assert_eq!(unbase64(std::str::from_utf8(&b64).unwrap()), bytes);
        }
    }
}
