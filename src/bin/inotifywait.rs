//! The `inotifywait` binary that `cargo install` puts on PATH: the same program as
//! `rinotify`, dispatched on its own name.

#![no_main]

rinotify::c_main!();
