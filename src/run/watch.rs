//! The inotifywatch driver: stderr lifecycle, signals read from a signalfd polled beside
//! the inotify fd (two-step SIGINT abort during setup; INT/TERM/HUP end collection; USR1
//! prints the table so far), the listening deadline, the final table, and systemd
//! readiness (`READY=1` once collecting, `STOPPING=1` at the end).

use std::cell::Cell;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use super::write_error;
use crate::config::Timeout;
use crate::config::watch::Watch as Config;
use crate::error::{EXIT_OK, Error, new_dir_failed, waiting_for, watch_failed};
use crate::notify::Notify;
use crate::output::{Diag, eprintln_bytes, write_all};
use crate::stats::{JsonTable, Stats};
use crate::watcher::{Kernel, Notice, Options, Wait, Watcher};

fn signal_fd(set: &SigSet) -> Option<SignalFd> {
    set.thread_block().ok()?;
    SignalFd::with_flags(set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).ok()
}

/// Runs inotifywatch with a checked configuration; returns the exit status. `tool` names
/// the program in write-error lines.
pub fn run(tool: &str, c: Config) -> i32 {
    let diag = Diag::stderr();
    let mut notify = Notify::new(c.common.ready_fd);
    let status = match collect(tool, &c, &diag, &mut notify) {
        Ok(status) => status,
        Err(e) => e.report(&diag),
    };
    notify.stopping();
    status
}

fn collect(tool: &str, c: &Config, diag: &Diag, notify: &mut Notify) -> Result<i32, Error> {
    let mut setup_set = SigSet::empty();
    setup_set.add(Signal::SIGINT);
    let sigfd = signal_fd(&setup_set).ok_or(Error::Signals)?;
    // The reference checks the regex before initialising inotify, the paths after.
    let filter = c.common.filter()?;
    let opts = Options {
        mask: c.common.kernel_mask(),
        recursive: c.common.recursive,
        track: c.common.recursive,
        scan_new: !c.common.no_dir_scan,
        burst_pause: super::BURST_PAUSE_WATCH,
        retry: c.common.retry,
        prune: c.common.prune.clone(),
        filter,
    };
    let kernel = c.common.kernel;
    let mut watcher = Watcher::open(kernel, opts).map_err(|e| Error::Init(kernel, e))?;
    let (paths, warnings) = c.common.paths()?;
    for w in &warnings {
        eprintln_bytes(w);
    }
    eprintln_bytes(b"Establishing watches...");

    // SIGINT while establishing: warn on the first, abort on the second.
    let interrupts = Rc::new(Cell::new(0u32));
    let raw_sigfd = sigfd.as_raw_fd();
    let check_interrupts = {
        let interrupts = Rc::clone(&interrupts);
        move || {
            for _ in pending_signals(raw_sigfd) {
                interrupts.set(interrupts.get().saturating_add(1));
                if interrupts.get() == 1 {
                    eprintln_bytes(b"No statistics have been collected because I haven't finished establishing");
                    eprintln_bytes(b"inotify watches yet.  If you are sure you want me to exit, interrupt me again.");
                } else {
                    return false;
                }
            }
            true
        }
    };
    let check = check_interrupts.clone();
    watcher.set_progress(Some(Box::new(check_interrupts)));
    let exclude: Vec<Vec<u8>> = paths.exclude.iter().map(|x| c.common.shown(x)).collect();
    if c.common.filesystem
        && let Some(first) = paths.watch.first()
    {
        let mut m = b"Setting up filesystem watch on ".to_vec();
        m.extend_from_slice(first);
        eprintln_bytes(&m);
    }
    for path in &paths.watch {
        let verbose = c.verbose > 0 && c.common.recursive && !c.common.filesystem;
        if verbose {
            let mut m = b"Setting up watch(es) on ".to_vec();
            m.extend_from_slice(path);
            eprintln_bytes(&m);
        }
        if let Err(e) = watcher.add_top(&c.common.shown(path), &exclude) {
            if e.errno == Errno::ECANCELED {
                return Err(Error::Aborted);
            }
            return Err(c.common.watch_error("Failed to watch", path, e.errno));
        }
        if !check() {
            return Err(Error::Aborted);
        }
        if verbose {
            let mut m = b"OK, ".to_vec();
            m.extend_from_slice(path);
            m.extend_from_slice(b" is now being watched.");
            eprintln_bytes(&m);
        }
    }
    watcher.set_progress(None);
    let mut overflows = 0u64;
    notices(&mut watcher, &mut overflows, diag, kernel);
    if c.verbose > 0 {
        eprintln_bytes(format!("Total of {} watches.", watcher.table().len()).as_bytes());
    }
    // From now on INT, TERM and HUP end the collection and USR1 asks for the table. They
    // are routed to the signalfd before the banner is printed, so a signal sent as soon
    // as the banner is read finds them handled.
    let mut run_set = setup_set;
    for s in [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGUSR1] {
        run_set.add(s);
    }
    if run_set.thread_block().is_err() || sigfd.set_mask(&run_set).is_err() {
        return Err(Error::Signals);
    }
    eprintln_bytes(b"Finished establishing watches, now collecting statistics.");
    // INT, TERM and HUP end the collection through the signalfd, so the table and
    // `STOPPING=1` follow; only SIGPIPE (the table written to a closed pipe) still kills.
    notify.ready(watcher.table().len(), &[libc::SIGPIPE]);
    if c.common.timeout == Timeout::Negative {
        return Err(Error::NegativeTimeout);
    }
    if let (true, Timeout::Secs(t)) = (c.verbose > 0, c.common.timeout) {
        eprintln_bytes(format!("Will listen for events for {t} seconds.").as_bytes());
    }
    let deadline = c.common.timeout.deadline(Instant::now());
    let mut stats = Stats::new();
    'collect: loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            break;
        }
        match watcher.wait(left, Some(sigfd.as_raw_fd()))? {
            Wait::Ready => absorb(&mut watcher, &mut stats, &mut overflows, diag, kernel),
            Wait::TimedOut => break,
            Wait::Extra => {
                for sig in pending_signals(sigfd.as_raw_fd()) {
                    if sig == libc::SIGUSR1 {
                        print_table(&mut stats, &watcher, c, overflows)
                            .and_then(|()| {
                                // The text tables are separated by an empty line.
                                if c.common.json {
                                    Ok(())
                                } else {
                                    write_all(libc::STDOUT_FILENO, b"\n")
                                }
                            })
                            .map_err(|e| write_error(tool, e))?;
                    } else {
                        // Count what the kernel had queued when the signal was read, not
                        // "until the queue is empty", which a writer that never stops
                        // would make last for ever.
                        if watcher.read_queued_now()? {
                            absorb(&mut watcher, &mut stats, &mut overflows, diag, kernel);
                        }
                        break 'collect;
                    }
                }
            }
        }
    }
    print_table(&mut stats, &watcher, c, overflows).map_err(|e| write_error(tool, e))?;
    if overflows > 0 {
        eprintln_bytes(
            format!("rinotify: the kernel event queue overflowed {overflows} time(s); events were lost and are not counted.")
                .as_bytes(),
        );
    }
    Ok(EXIT_OK)
}

/// Reads every pending signal from the non-blocking signalfd `fd` (its
/// `signalfd_siginfo` records are 128 bytes; the signal number is the first field).
fn pending_signals(fd: RawFd) -> Vec<i32> {
    let mut out = Vec::new();
    let mut buf = [0u8; 128];
    while let Ok(128) = crate::sys::read(fd, &mut buf) {
        out.push(i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]));
    }
    out
}

/// Counts every buffered event and reports what the watcher noticed meanwhile.
fn absorb(
    watcher: &mut Watcher,
    stats: &mut Stats,
    overflows: &mut u64,
    diag: &Diag,
    kernel: Kernel,
) {
    while let Some(ev) = watcher.next_event() {
        stats.record(&ev);
    }
    if stats.needs_sweep() {
        let table = watcher.table();
        stats.sweep(|wd| table.contains(wd));
    }
    notices(watcher, overflows, diag, kernel);
}

/// Reports what the watcher noticed (`kernel` words a failed watch); counts the
/// overflows.
fn notices(watcher: &mut Watcher, overflows: &mut u64, diag: &Diag, kernel: Kernel) {
    while let Some(n) = watcher.take_notice() {
        match n {
            Notice::NewDirFailed(p, e) => diag.line(&new_dir_failed(&p, e)),
            Notice::Overflow => *overflows = overflows.saturating_add(1),
            Notice::Waiting(p) => diag.line(&waiting_for(&p)),
            Notice::WatchFailed(p, e) => {
                for l in watch_failed("Failed to watch", &p, e, kernel) {
                    diag.line(&l);
                }
            }
            Notice::WatchingNewDir(_) => {}
        }
    }
}

/// The table on stdout, or `No events occurred.` on stderr (with `--json`, the JSON
/// document with no rows as well).
fn print_table(
    stats: &mut Stats,
    watcher: &Watcher,
    c: &Config,
    overflows: u64,
) -> Result<(), Errno> {
    if stats.is_empty() {
        eprintln_bytes(b"No events occurred.");
        if !c.common.json {
            return Ok(());
        }
    }
    let table = watcher.table();
    for (wd, name) in table.iter() {
        stats.sync(wd, name, c.zero);
    }
    let mut out = Vec::new();
    if c.common.json {
        let t = JsonTable {
            mask: c.common.mask,
            zero: c.zero,
            sort: c.sort,
            lost: overflows,
            backend: c.common.backend(),
        };
        stats.render_json(&t, &mut out);
    } else {
        stats.render(c.common.mask, c.zero, c.sort, &mut out);
    }
    write_all(libc::STDOUT_FILENO, &out)
}
