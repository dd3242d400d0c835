//! The `fsnotifywait` binary that `cargo install` puts on PATH: the same program as
//! `rinotify`, dispatched on its own name (fanotify by default, as upstream's).

#![no_main]

rinotify::c_main!();
