//! The `rinotify` binary: `rinotify wait …`, or any applet by the name it is invoked under.

fn main() {
    rinotify::main_entry()
}
