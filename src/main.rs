//! The `rinotify` binary (also installed as `inotifywait`): restores default SIGPIPE so a
//! closed pipe ends it as it ends the reference, then runs the chosen applet.

fn main() {
    // SAFETY: resetting a signal disposition to its default before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let code = rinotify::run(std::env::args_os().collect());
    std::process::exit(code);
}
