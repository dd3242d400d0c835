//! The inotifywatch driver: stderr lifecycle, signals read from a signalfd polled beside
//! the inotify fd (two-step SIGINT abort during setup; INT/TERM/HUP end collection; USR1
//! prints the table so far), the listening deadline, and the final table.

use std::cell::Cell;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use super::{report_init_error, report_watch_error};
use crate::cli::watch::WatchConfig;
use crate::config::PathList;
use crate::event::bits;
use crate::output::{Diag, eprintln_bytes, write_all};
use crate::stats::Stats;
use crate::watcher::{Notice, Options, ReadError, Wait, Watcher};

/// Reads every pending signal from a non-blocking signalfd.
fn pending_signals(fd: RawFd) -> Vec<i32> {
    let mut out = Vec::new();
    let mut buf = [0u8; 128];
    loop {
        // SAFETY: buf is writable for 128 bytes, the size of one signalfd_siginfo.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n != 128 {
            return out;
        }
        out.push(i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]));
    }
}

fn signal_fd(set: &SigSet) -> Option<SignalFd> {
    set.thread_block().ok()?;
    SignalFd::with_flags(set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).ok()
}

/// Runs inotifywatch with a parsed configuration; returns the exit status.
pub fn run(c: WatchConfig) -> i32 {
    let mut setup_set = SigSet::empty();
    setup_set.add(Signal::SIGINT);
    let Some(sigfd) = signal_fd(&setup_set) else {
        eprintln_bytes(b"Couldn't set up signal handling.");
        return 1;
    };
    let mask = c.set.mask();
    let kernel_mask = if c.set.no_deref {
        mask | bits::DONT_FOLLOW
    } else {
        mask
    };
    let diag = Diag::stderr();
    let filter = match c.set.regex.compile() {
        Ok(f) => f,
        Err(m) => {
            eprintln_bytes(m.as_bytes());
            return 1;
        }
    };
    let opts = Options {
        mask: kernel_mask,
        recursive: c.set.recursive,
        track: c.set.recursive,
        scan_new: !c.set.no_dir_scan,
        burst_pause: super::BURST_PAUSE_WATCH,
        filter,
    };
    let mut watcher = match Watcher::new(opts) {
        Ok(w) => w,
        Err(e) => {
            report_init_error(&diag, e);
            return 1;
        }
    };
    let paths = PathList::build(c.set.fromfile.as_deref(), &c.set.operands);
    if paths.watch.is_empty() {
        eprintln_bytes(b"No files specified to watch!");
        return 1;
    }
    eprintln_bytes(b"Establishing watches...");

    // SIGINT while establishing: warn on the first, abort on the second.
    let interrupts = Rc::new(Cell::new(0u32));
    let raw_sigfd = sigfd.as_raw_fd();
    let check_interrupts = {
        let interrupts = Rc::clone(&interrupts);
        move || {
            for _ in pending_signals(raw_sigfd) {
                interrupts.set(interrupts.get() + 1);
                if interrupts.get() == 1 {
                    eprintln_bytes(b"No statistics have been collected because I haven't finished establishing");
                    eprintln_bytes(b"inotify watches yet.  If you are sure you want me to exit, interrupt me again.");
                } else {
                    eprintln_bytes(b"No statistics collected, asked to abort before all watches could be established.");
                    return false;
                }
            }
            true
        }
    };
    let check = check_interrupts.clone();
    watcher.set_progress(Some(Box::new(check_interrupts)));
    for path in &paths.watch {
        let verbose = c.verbose > 0 && c.set.recursive;
        if verbose {
            let mut m = b"Setting up watch(es) on ".to_vec();
            m.extend_from_slice(path);
            eprintln_bytes(&m);
        }
        if let Err(e) = watcher.add_top(path, &paths.exclude) {
            if e.errno != nix::errno::Errno::ECANCELED {
                report_watch_error(&diag, "Failed to watch", &e.path, e.errno);
            }
            return 1;
        }
        if !check() {
            return 1;
        }
        if verbose {
            let mut m = b"OK, ".to_vec();
            m.extend_from_slice(path);
            m.extend_from_slice(b" is now being watched.");
            eprintln_bytes(&m);
        }
    }
    watcher.set_progress(None);
    if c.verbose > 0 {
        eprintln_bytes(format!("Total of {} watches.", watcher.table().len()).as_bytes());
    }
    eprintln_bytes(b"Finished establishing watches, now collecting statistics.");
    if c.set.timeout < 0 {
        eprintln_bytes(b"Negative timeout specified - abort!");
        return 1;
    }
    if c.verbose > 0 && c.set.timeout > 0 {
        eprintln_bytes(format!("Will listen for events for {} seconds.", c.set.timeout).as_bytes());
    }

    // From now on INT, TERM and HUP end the collection and USR1 asks for the table.
    let mut run_set = setup_set;
    for s in [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGUSR1] {
        run_set.add(s);
    }
    if run_set.thread_block().is_err() || sigfd.set_mask(&run_set).is_err() {
        eprintln_bytes(b"Couldn't set up signal handling.");
        return 1;
    }
    let deadline = (c.set.timeout > 0)
        .then(|| Instant::now() + Duration::from_secs(c.set.timeout.unsigned_abs()));
    let mut stats = Stats::new();
    let mut overflows = 0u64;
    'collect: loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            break;
        }
        match watcher.wait(left, Some(sigfd.as_raw_fd())) {
            Ok(Wait::Ready) => absorb(&mut watcher, &mut stats, &mut overflows, &diag),
            Ok(Wait::TimedOut) => break,
            Ok(Wait::Extra) => {
                for sig in pending_signals(sigfd.as_raw_fd()) {
                    if sig == libc::SIGUSR1 {
                        print_table(&mut stats, &watcher, &c, mask);
                        let _ = write_all(1, b"\n");
                    } else {
                        // Count everything the kernel queued before the signal was read.
                        while let Ok(Wait::Ready) = watcher.wait(Some(Duration::ZERO), None) {
                            absorb(&mut watcher, &mut stats, &mut overflows, &diag);
                        }
                        break 'collect;
                    }
                }
            }
            Err(ReadError::Eof) => {
                eprintln_bytes(
                    b"Inotify reported end-of-file.  Possibly too many events occurred at once.",
                );
                return 1;
            }
            Err(ReadError::Os(e)) => {
                eprintln_bytes(crate::output::strerror(e).as_bytes());
                return 1;
            }
        }
    }
    print_table(&mut stats, &watcher, &c, mask);
    if overflows > 0 {
        eprintln_bytes(
            format!("rinotify: the kernel event queue overflowed {overflows} time(s); events were lost and are not counted.")
                .as_bytes(),
        );
    }
    0
}

/// Counts every buffered event and reports what the watcher noticed meanwhile.
fn absorb(watcher: &mut Watcher, stats: &mut Stats, overflows: &mut u64, diag: &Diag) {
    while let Some(ev) = watcher.next_event() {
        stats.record(&ev);
    }
    if stats.needs_sweep() {
        let table = watcher.table();
        stats.sweep(|wd| table.contains(wd));
    }
    while let Some(n) = watcher.take_notice() {
        match n {
            Notice::NewDirFailed(p, e) => {
                report_watch_error(diag, "Couldn't watch new directory", &p, e)
            }
            Notice::Overflow => *overflows += 1,
            Notice::WatchingNewDir(_) => {}
        }
    }
}

/// The table on stdout, or `No events occurred.` on stderr.
fn print_table(stats: &mut Stats, watcher: &Watcher, c: &WatchConfig, mask: u32) {
    if stats.is_empty() {
        eprintln_bytes(b"No events occurred.");
        return;
    }
    let table = watcher.table();
    for (wd, name) in table.iter() {
        stats.sync(wd, name, c.zero);
    }
    let mut out = Vec::new();
    stats.render(mask, c.zero, c.sort, &mut out);
    let _ = write_all(1, &out);
}
