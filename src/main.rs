//! The `rinotify` binary: `rinotify wait …`, or any applet by the name it is invoked under.

#![no_main]

rinotify::c_main!();
