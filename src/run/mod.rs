//! Drivers: one per applet, wiring config → watcher → sink with the reference's banners,
//! one-shot or monitor loops, and exit-status rules.

pub mod wait;
pub mod watch;

use std::time::Duration;

use crate::output::{Diag, strerror};

/// inotifywait's pause between reads while a burst lasts: a line may wait this long
/// behind a burst, never when events trickle in.
pub const BURST_PAUSE_WAIT: Duration = Duration::from_micros(1000);
/// inotifywatch only counts, so it can let the kernel batch more.
pub const BURST_PAUSE_WATCH: Duration = Duration::from_millis(1);
use nix::errno::Errno;

/// The lines the reference prints when watching `path` failed.
pub fn report_watch_error(diag: &Diag, verb: &str, path: &[u8], errno: Errno) {
    if errno == Errno::ENOSPC {
        let mut m = b"Failed to watch ".to_vec();
        m.extend_from_slice(path);
        m.extend_from_slice(b"; upper limit on inotify watches reached!");
        diag.line(&m);
        diag.line(b"Please increase the amount of inotify watches allowed per user via `/proc/sys/fs/inotify/max_user_watches'.");
    } else {
        let mut m = verb.as_bytes().to_vec();
        m.push(b' ');
        m.extend_from_slice(path);
        m.extend_from_slice(b": ");
        m.extend_from_slice(strerror(errno).as_bytes());
        diag.line(&m);
    }
}

/// The lines the reference prints when `inotify_init` failed.
pub fn report_init_error(diag: &Diag, errno: Errno) {
    diag.line(format!("Couldn't initialize inotify: {}", strerror(errno)).as_bytes());
    if errno == Errno::EMFILE {
        diag.line(b"Try increasing the value of /proc/sys/fs/inotify/max_user_instances");
    }
}
