//! rinotify: inotify-tools' `inotifywait`, reimplemented in Rust as a library and a thin
//! binary. Data flows one way: args → config → watcher → events → sink.

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod app;
pub mod byteset;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod ere;
pub mod error;
pub mod event;
pub mod format;
pub mod getopt;
pub mod json;
pub mod notify;
pub mod output;
pub mod prune;
pub mod run;
pub mod stats;
pub mod sys;
pub mod timefmt;
pub mod watcher;
pub mod wdmap;

pub use app::run;

/// The whole program: runs the applet chosen by argv and exits with its status.
///
/// The binaries enter here from a C `main` (`#![no_main]`), so Rust's runtime never sets
/// SIGPIPE to "ignore": the disposition is the one inherited, as for the C tools. By
/// default a closed pipe ends the program by SIGPIPE; when the caller ignores SIGPIPE,
/// the write fails with EPIPE and the program ends quietly (status 1).
pub fn main_entry() -> i32 {
    sys::reserve_std_fds();
    run(std::env::args_os().collect())
}

/// Declares the C `main` of a binary: `rinotify::c_main!();` at the top of a
/// `#![no_main]` crate.
#[macro_export]
macro_rules! c_main {
    () => {
        /// The C entry point: argv is read through `std::env::args_os` (glibc hands it
        /// to std before `main`), and the status is returned to the C runtime.
        #[unsafe(no_mangle)]
        pub extern "C" fn main(
            _argc: std::ffi::c_int,
            _argv: *const *const std::ffi::c_char,
        ) -> std::ffi::c_int {
            $crate::main_entry()
        }
    };
}
