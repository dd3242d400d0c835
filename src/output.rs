//! Where bytes go: the event stream (stdout or an `-o` file), buffered per drained batch,
//! and diagnostics (stderr, or syslog with `-s`/`-d`).

use std::ffi::CString;
use std::os::fd::RawFd;

use nix::errno::Errno;

/// Flush early when a burst keeps the queue from draining.
const FLUSH_AT: usize = 64 * 1024;

/// The event stream: rendered lines accumulate in `buf` and reach the fd in one `write`
/// per drained batch, so a `while read` loop sees each event at once without costing a
/// syscall per event in a burst.
#[derive(Debug)]
pub struct Sink {
    fd: RawFd,
    pub buf: Vec<u8>,
}

impl Sink {
    pub fn stdout() -> Sink {
        Sink::to_fd(libc::STDOUT_FILENO)
    }

    pub fn to_fd(fd: RawFd) -> Sink {
        // Room for a full batch plus one maximal line, touched once now so that memory
        // use does not creep up as bursts first reach deeper into the buffer.
        let mut buf = Vec::with_capacity(FLUSH_AT + 2 * 4096);
        buf.resize(buf.capacity(), 0xff);
        buf.clear();
        Sink { fd, buf }
    }

    /// Flushes if the buffer grew large.
    pub fn maybe_flush(&mut self) -> Result<(), Errno> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()
        } else {
            Ok(())
        }
    }

    pub fn flush(&mut self) -> Result<(), Errno> {
        let r = write_all(self.fd, &self.buf);
        self.buf.clear();
        r
    }
}

pub use crate::sys::{strerror, write_all};

/// Diagnostics: one line at a time to stderr, or to syslog(3) when asked.
#[derive(Debug, Clone, Copy)]
pub struct Diag {
    syslog: bool,
}

impl Diag {
    pub fn stderr() -> Diag {
        Diag { syslog: false }
    }

    /// Opens syslog with `ident` (LOG_PID|LOG_CONS|LOG_NDELAY, facility LOG_DAEMON).
    pub fn syslog(ident: &'static std::ffi::CStr) -> Diag {
        crate::sys::openlog(ident);
        Diag { syslog: true }
    }

    /// Emits one line (`line` has no trailing newline).
    pub fn line(&self, line: &[u8]) {
        if self.syslog {
            let text: Vec<u8> = line.iter().copied().filter(|&b| b != 0).collect();
            if let Ok(c) = CString::new(text) {
                crate::sys::syslog(&c);
            }
        } else {
            eprintln_bytes(line);
        }
    }
}

/// Writes `line` plus a newline to stderr in one write.
pub fn eprintln_bytes(line: &[u8]) {
    let mut v = Vec::with_capacity(line.len() + 1);
    v.extend_from_slice(line);
    v.push(b'\n');
    let _ = write_all(libc::STDERR_FILENO, &v);
}
