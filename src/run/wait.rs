//! The inotifywait driver: runtime checks in the reference's order, daemon/outfile/syslog
//! plumbing, banners, and the one-shot or monitor loop with its exit codes.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use nix::errno::Errno;

use super::{report_init_error, report_watch_error};
use crate::cli::wait::WaitConfig;
use crate::config::PathList;
use crate::event::bits;
use crate::format::{Formatter, Layout, Template};
use crate::output::{Diag, Sink, eprintln_bytes, strerror};
use crate::watcher::{Notice, Options, ReadError, Wait, Watcher};

/// Said on stderr when the kernel queue overflowed (the reference says nothing).
pub const OVERFLOW_WARNING: &[u8] =
    b"rinotify: the kernel event queue overflowed: events were lost; watched directories rescanned";

/// Runs inotifywait with a parsed configuration; returns the exit status.
pub fn run(c: WaitConfig) -> i32 {
    crate::timefmt::init();
    let user_mask = c.set.mask();
    let mut kernel_mask = user_mask;
    if c.monitor && c.set.recursive {
        kernel_mask |= bits::CREATE | bits::MOVED_TO | bits::MOVED_FROM;
    }
    if c.set.no_deref {
        kernel_mask |= bits::DONT_FOLLOW;
    }
    let mut diag = if c.syslog {
        Diag::syslog(c"inotifywait")
    } else {
        Diag::stderr()
    };
    let opts = Options {
        mask: kernel_mask,
        recursive: c.set.recursive,
        track: c.monitor && c.set.recursive,
        scan_new: !c.set.no_dir_scan,
        burst_pause: super::BURST_PAUSE_WAIT,
        filter: None,
    };
    let mut watcher = match Watcher::new(opts) {
        Ok(w) => w,
        Err(e) => {
            report_init_error(&diag, e);
            return 1;
        }
    };
    match c.set.regex.compile() {
        Ok(f) => watcher.set_filter(f),
        Err(m) => {
            eprintln_bytes(m.as_bytes());
            return 1;
        }
    }
    let layout = match &c.format {
        Some(f) => match Template::parse(f, !c.no_newline) {
            Ok(t) => Layout::Template(t, c.timefmt.clone()),
            Err(_) => {
                eprintln_bytes(b"Something is wrong with your format string.");
                return 1;
            }
        },
        None if c.csv => Layout::Csv,
        None => Layout::Default,
    };
    let paths = PathList::build(c.set.fromfile.as_deref(), &c.set.operands);
    if paths.watch.is_empty() {
        eprintln_bytes(b"No files specified to watch!");
        return 1;
    }
    let mut sink = Sink::stdout();
    if let Some(out) = &c.outfile {
        let target = if c.daemon {
            match std::fs::canonicalize(OsStr::from_bytes(out)) {
                Ok(p) => p.into_os_string().into_encoded_bytes(),
                Err(e) => {
                    let errno = Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO));
                    let mut m = strerror(errno).into_bytes();
                    m.extend_from_slice(b": ");
                    m.extend_from_slice(out);
                    eprintln_bytes(&m);
                    return 1;
                }
            }
        } else {
            out.clone()
        };
        if c.daemon {
            if let Err(e) = nix::unistd::daemon(false, false) {
                eprintln_bytes(format!("Failed to daemonize: {}", strerror(e)).as_bytes());
                return 1;
            }
            diag = Diag::syslog(c"inotifywait");
        }
        match open_append(&target) {
            Some(fd) => sink = Sink::to_fd(fd),
            None => {
                let mut m = b"Failed to open output file ".to_vec();
                m.extend_from_slice(out);
                diag.line(&m);
                return 1;
            }
        }
    }
    if c.quiet == 0 {
        if c.set.recursive {
            diag.line(b"Setting up watches.  Beware: since -r was given, this may take a while!");
        } else {
            diag.line(b"Setting up watches.");
        }
    }
    for path in &paths.watch {
        if let Err(e) = watcher.add_top(path, &paths.exclude) {
            report_watch_error(&diag, "Couldn't watch", &e.path, e.errno);
            return 1;
        }
    }
    if c.quiet == 0 {
        diag.line(b"Watches established.");
    }
    if c.set.timeout < 0 {
        eprintln_bytes(b"Negative timeout specified - abort!");
        return 1;
    }
    let timeout = (c.set.timeout > 0).then(|| Duration::from_secs(c.set.timeout.unsigned_abs()));
    let mut fmt = Formatter::new(layout);
    let print = c.quiet < 2;
    loop {
        match watcher.wait(timeout, None) {
            Ok(Wait::Ready) => {}
            Ok(Wait::TimedOut | Wait::Extra) => return 2,
            Err(e) => {
                report_read_error(&diag, e);
                return 1;
            }
        }
        while let Some(ev) = watcher.next_event() {
            if print && ev.mask & user_mask != 0 {
                fmt.render(&ev, &mut sink.buf);
            }
            if !c.monitor {
                let status = if ev.mask & kernel_mask != 0 { 0 } else { 1 };
                let _ = sink.flush();
                return status;
            }
            if sink.maybe_flush().is_err() {
                return 1;
            }
        }
        while let Some(n) = watcher.take_notice() {
            match n {
                Notice::WatchingNewDir(p) if c.quiet == 0 => {
                    let mut m = b"Watching new directory ".to_vec();
                    m.extend_from_slice(&p);
                    diag.line(&m);
                }
                Notice::WatchingNewDir(_) => {}
                Notice::NewDirFailed(p, e) => {
                    report_watch_error(&diag, "Couldn't watch new directory", &p, e)
                }
                Notice::Overflow => diag.line(OVERFLOW_WARNING),
            }
        }
        if sink.flush().is_err() {
            return 1;
        }
    }
}

fn report_read_error(diag: &Diag, e: ReadError) {
    match e {
        ReadError::Eof => {
            diag.line(b"Inotify reported end-of-file.  Possibly too many events occurred at once.")
        }
        ReadError::Os(e) => diag.line(strerror(e).as_bytes()),
    }
}

/// Opens `path` for appending (created 0600 before umask); the raw fd, or None.
fn open_append(path: &[u8]) -> Option<i32> {
    let c = CString::new(path).ok()?;
    // SAFETY: c is a valid NUL-terminated path.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC,
            0o600,
        )
    };
    (fd >= 0).then_some(fd)
}
