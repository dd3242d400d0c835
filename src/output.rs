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

/// Writes all of `data` to `fd`, retrying on EINTR and short writes.
pub fn write_all(fd: RawFd, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        // SAFETY: data is a valid readable slice.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let e = Errno::last();
            if e == Errno::EINTR {
                continue;
            }
            return Err(e);
        }
        data = &data[n as usize..];
    }
    Ok(())
}

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
        // SAFETY: ident is a 'static NUL-terminated string, as openlog requires.
        unsafe {
            libc::openlog(
                ident.as_ptr(),
                libc::LOG_PID | libc::LOG_CONS | libc::LOG_NDELAY,
                libc::LOG_DAEMON,
            )
        };
        Diag { syslog: true }
    }

    /// Emits one line (`line` has no trailing newline).
    pub fn line(&self, line: &[u8]) {
        if self.syslog {
            let text: Vec<u8> = line.iter().copied().filter(|&b| b != 0).collect();
            if let Ok(c) = CString::new(text) {
                // SAFETY: "%s" with one valid C string argument.
                unsafe { libc::syslog(libc::LOG_INFO, c"%s".as_ptr(), c.as_ptr()) };
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

/// glibc's strerror text for `e` (no "(os error N)" suffix).
pub fn strerror(e: Errno) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; the XSI strerror_r NUL-terminates on success.
    let r = unsafe { libc::strerror_r(e as i32, buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return e.desc().to_string();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
