//! rinotify: inotify-tools' `inotifywait`, reimplemented in Rust as a library and a thin
//! binary. Data flows one way: args → config → watcher → events → sink.

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod app;
pub mod cli;
pub mod ere;
pub mod event;
pub mod format;
pub mod getopt;
pub mod output;
pub mod run;
pub mod timefmt;
pub mod watcher;

pub use app::run;
