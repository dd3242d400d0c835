//! `%T`: strftime(3) of the local time, through libc so every conversion and locale rule is
//! glibc's own; the text is cached for the current second.

use std::ffi::CString;

/// Renders `--timefmt` for "now", recomputing only when the wall-clock second changes.
#[derive(Debug, Default)]
pub struct Clock {
    second: Option<libc::time_t>,
    text: Vec<u8>,
}

impl Clock {
    /// The strftime text for the current second; empty when strftime produced nothing
    /// (the reference then drops the event line).
    pub fn now(&mut self, fmt: &[u8]) -> &[u8] {
        let t = crate::sys::time_now();
        if self.second != Some(t) {
            self.text = strftime_local(fmt, t);
            self.second = Some(t);
        }
        &self.text
    }
}

/// strftime's buffer in the reference: a text of 4095 bytes or more does not fit (with its
/// NUL) and comes out empty, which drops the event line.
pub const TIMEFMT_CAP: usize = 4095;

/// strftime(fmt, localtime(t)) into a [`TIMEFMT_CAP`]-byte buffer, as the reference does.
pub fn strftime_local(fmt: &[u8], t: libc::time_t) -> Vec<u8> {
    // A NUL inside the format ends it, as it would for the C program.
    let end = fmt.iter().position(|&b| b == 0).unwrap_or(fmt.len());
    let Ok(cfmt) = CString::new(&fmt[..end]) else {
        return Vec::new();
    };
    crate::sys::strftime_local(&cfmt, t, TIMEFMT_CAP)
}

/// Reads `TZ` once, as the C library does on first use of local time.
pub fn init() {
    crate::sys::tzset();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2001-09-09 01:46:40 UTC; the test process has no TZ games, so use %s-free specifiers
        // that do not depend on the zone.
        let t: libc::time_t = 1_000_000_000;
        assert_eq!(strftime_local(b"", t), b"");
        assert_eq!(strftime_local(b"%%", t), b"%");
        assert_eq!(strftime_local(b"x%qy", t), b"x%qy");
        assert_eq!(strftime_local(b"%s", t), b"1000000000");
        assert_eq!(strftime_local(b"%Y", t).len(), 4);
        assert_eq!(strftime_local(&[b'x'; 5000], t), b"");
        assert_eq!(strftime_local(&[b'x'; 4094], t).len(), 4094);
        assert_eq!(strftime_local(&[b'x'; 4095], t), b"");
    }
}
