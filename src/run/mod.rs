//! Drivers: one per applet, wiring config → watcher → sink with the reference's banners,
//! one-shot or monitor loops, and exit-status rules.

pub mod wait;
pub mod watch;

use std::time::Duration;

use nix::errno::Errno;

use crate::error::Error;
use crate::watcher::ReadError;

/// inotifywait's pause between reads while a burst lasts: a line may wait this long
/// behind a burst, never when events trickle in.
pub const BURST_PAUSE_WAIT: Duration = Duration::from_micros(1000);
/// inotifywatch only counts, so it can let the kernel batch more.
pub const BURST_PAUSE_WATCH: Duration = Duration::from_millis(1);

/// The error for event output that could not be written.
pub fn write_error(tool: &str, errno: Errno) -> Error {
    Error::Write {
        tool: tool.to_string(),
        errno,
    }
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Error {
        match e {
            ReadError::Eof => Error::ReadEof,
            ReadError::Os(e) => Error::Read(e),
        }
    }
}
