//! The `inotifywatch` binary that `cargo install` puts on PATH: the same program as
//! `rinotify`, dispatched on its own name.

fn main() {
    rinotify::main_entry()
}
