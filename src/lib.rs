//! rinotify: inotify-tools' `inotifywait`, reimplemented in Rust as a library and a thin
//! binary. Data flows one way: args → config → watcher → events → sink.

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod app;
pub mod cli;
pub mod config;
pub mod ere;
pub mod event;
pub mod format;
pub mod getopt;
pub mod output;
pub mod run;
pub mod stats;
pub mod timefmt;
pub mod watcher;
pub mod wdmap;

pub use app::run;

/// The whole program: restores default SIGPIPE (so a closed pipe ends us as it ends the
/// reference), runs the applet chosen by argv, and exits with its status.
pub fn main_entry() -> ! {
    // SAFETY: resetting a signal disposition to its default before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let code = run(std::env::args_os().collect());
    std::process::exit(code)
}
