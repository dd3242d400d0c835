//! The inotifywait driver: runtime checks in the reference's order, daemon/outfile/syslog
//! plumbing, banners, systemd readiness (`READY=1` at `Watches established.`,
//! `STOPPING=1` at the end), and the one-shot or monitor loop with its exit codes.

use std::ffi::OsStr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;

use super::write_error;
use crate::config::wait::Wait as Config;
use crate::error::{
    EXIT_FAILURE, EXIT_OK, EXIT_TIMEOUT, Error, new_dir_failed, waiting_for, watch_failed,
};
use crate::format::Formatter;
use crate::notify::Notify;
use crate::output::{Diag, Sink};
use crate::watcher::{Notice, Options, Wait, Watcher};

/// Said on stderr when the kernel queue overflowed (the reference says nothing).
pub const OVERFLOW_WARNING: &[u8] =
    b"rinotify: the kernel event queue overflowed: events were lost; watched directories rescanned";

/// Runs inotifywait with a checked configuration; returns the exit status. `tool` names
/// the program in write-error lines.
pub fn run(tool: &str, c: Config) -> i32 {
    let mut diag = if c.syslog {
        Diag::syslog(c"inotifywait")
    } else {
        Diag::stderr()
    };
    let mut notify = Notify::new(c.common.ready_fd);
    let status = match monitor(tool, &c, &mut diag, &mut notify) {
        Ok(status) => status,
        Err(e) => e.report(&diag),
    };
    notify.stopping();
    status
}

/// The signals that end inotifywait by their default disposition, routed (when left at
/// the default) through `STOPPING=1` once ready: the process still dies of them.
const FATAL_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGPIPE];

fn monitor(tool: &str, c: &Config, diag: &mut Diag, notify: &mut Notify) -> Result<i32, Error> {
    for w in &c.warnings {
        crate::output::eprintln_bytes(w);
    }
    crate::timefmt::init();
    let user_mask = c.common.mask;
    let kernel_mask = c.kernel_mask();
    let opts = Options {
        mask: kernel_mask,
        recursive: c.common.recursive,
        track: c.monitor && c.common.recursive,
        scan_new: !c.common.no_dir_scan,
        burst_pause: super::BURST_PAUSE_WAIT,
        retry: c.common.retry,
        prune: c.common.prune.clone(),
        filter: None,
    };
    // The reference initialises inotify before checking the regex, template and paths.
    let kernel = c.common.kernel;
    let mut watcher = Watcher::open(kernel, opts).map_err(|e| Error::Init(kernel, e))?;
    let plan = c.plan()?;
    watcher.set_filter(plan.filter);
    for w in &plan.warnings {
        crate::output::eprintln_bytes(w);
    }
    let paths = plan.paths;
    // Held open for the whole run; the sink writes to its raw fd.
    let mut _outfile: Option<OwnedFd> = None;
    let mut sink = Sink::stdout();
    if let Some(out) = &c.outfile {
        let target = if c.daemon {
            match std::fs::canonicalize(OsStr::from_bytes(out)) {
                Ok(p) => p.into_os_string().into_encoded_bytes(),
                Err(e) => {
                    return Err(Error::OutfilePath(out.clone(), crate::sys::errno_of(&e)));
                }
            }
        } else {
            out.clone()
        };
        if c.daemon {
            nix::unistd::daemon(false, false).map_err(Error::Daemon)?;
            *diag = Diag::syslog(c"inotifywait");
        }
        let fd = open_append(&target).ok_or_else(|| Error::OpenOutfile(out.clone()))?;
        sink = Sink::to_fd(fd.as_raw_fd());
        _outfile = Some(fd);
    }
    if c.quiet == 0 {
        if c.common.filesystem {
            diag.line(b"Setting up filesystem watches.");
        } else if c.common.recursive {
            diag.line(b"Setting up watches.  Beware: since -r was given, this may take a while!");
        } else {
            diag.line(b"Setting up watches.");
        }
    }
    let exclude: Vec<Vec<u8>> = paths.exclude.iter().map(|x| c.common.shown(x)).collect();
    for path in &paths.watch {
        if let Err(e) = watcher.add_top(&c.common.shown(path), &exclude) {
            return Err(c.common.watch_error("Couldn't watch", path, e.errno));
        }
    }
    while let Some(n) = watcher.take_notice() {
        say(n, c, diag);
    }
    if c.quiet == 0 {
        diag.line(b"Watches established.");
    }
    // After `-d` forked: the process that stays announces itself.
    notify.ready(watcher.table().len(), &FATAL_SIGNALS);
    if c.common.timeout == crate::config::Timeout::Negative {
        return Err(Error::NegativeTimeout);
    }
    let timeout = c.common.timeout.duration();
    let mut fmt = Formatter::new(plan.layout);
    let print = c.quiet < 2;
    let written = |r: Result<(), Errno>| r.map_err(|e| write_error(tool, e));
    loop {
        match watcher.wait(timeout, None) {
            Ok(Wait::Ready) => fmt.new_read(),
            Ok(Wait::TimedOut | Wait::Extra) => return Ok(EXIT_TIMEOUT),
            Err(e) => return Err(e.into()),
        }
        while let Some(ev) = watcher.next_event() {
            if print && ev.mask & user_mask != 0 {
                fmt.render(&ev, &mut sink.buf);
            }
            if !c.monitor {
                let status = if ev.mask & kernel_mask != 0 {
                    EXIT_OK
                } else {
                    EXIT_FAILURE
                };
                written(sink.flush())?;
                return Ok(status);
            }
            written(sink.maybe_flush())?;
        }
        while let Some(n) = watcher.take_notice() {
            say(n, c, diag);
        }
        written(sink.flush())?;
    }
}

/// Tells the user what the watcher noticed.
fn say(n: Notice, c: &Config, diag: &Diag) {
    let quiet = c.quiet;
    match n {
        Notice::WatchingNewDir(p) if quiet == 0 => {
            diag.line(&[b"Watching new directory ".as_slice(), &p].concat());
        }
        Notice::Waiting(p) if quiet == 0 => diag.line(&waiting_for(&p)),
        Notice::WatchingNewDir(_) | Notice::Waiting(_) => {}
        Notice::NewDirFailed(p, e) => diag.line(&new_dir_failed(&p, e)),
        Notice::WatchFailed(p, e) => {
            for l in watch_failed("Couldn't watch", &p, e, c.common.kernel) {
                diag.line(&l);
            }
        }
        Notice::Overflow => diag.line(OVERFLOW_WARNING),
    }
}

/// Opens `path` for appending (created 0600 before umask).
fn open_append(path: &[u8]) -> Option<OwnedFd> {
    use nix::fcntl::OFlag;
    let c = std::ffi::CString::new(path).ok()?;
    nix::fcntl::open(
        c.as_c_str(),
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_APPEND | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .ok()
}
