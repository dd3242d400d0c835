//! Every way a run can end early: one enum that knows its words (the reference's, where
//! the reference has a message), its exit status, and where the words go.

use nix::errno::Errno;

use crate::output::{Diag, strerror, write_all};
use crate::watcher::Kernel;

/// Exit status: an event arrived (inotifywait), or the table was printed (inotifywatch).
pub const EXIT_OK: i32 = 0;
/// Exit status: an error, or (inotifywait without `-m`) an event outside the mask such as
/// `IGNORED` ended the wait.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status: inotifywait's `-t` ran out before an event.
pub const EXIT_TIMEOUT: i32 = 2;

/// Where an error's lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// stdout (help and version texts).
    Stdout,
    /// Always stderr, even with `-s` (the reference reports these before syslog is open).
    Stderr,
    /// The diagnostics channel: stderr, or syslog with `-s`/`-d`.
    Diag,
}

/// Why the program stops before its normal end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `--help`: the text on stdout, status 1 (as the reference).
    Help(String),
    /// `--version`: the line on stdout, status 0.
    Version(String),
    /// Usage errors found while parsing: getopt's complaint and/or the reference's
    /// check lines, in order.
    Usage(Vec<Vec<u8>>),
    /// A regex option glibc rejects (the reference's words), or one it accepts that we
    /// cannot translate (our words, naming the pattern).
    Regex(Vec<u8>),
    /// `--format` that does not parse.
    BadFormat,
    /// No path left to watch.
    NoFiles,
    /// `-t` below zero (checked once the watches exist, as the reference does).
    NegativeTimeout,
    /// `inotify_init` (or `fanotify_init`) failed.
    Init(Kernel, Errno),
    /// Adding a watch at start-up failed (`verb` is `Couldn't watch`/`Failed to watch`,
    /// or `Couldn't add filesystem watch` for `-S`).
    Watch {
        verb: &'static str,
        path: Vec<u8>,
        errno: Errno,
        kernel: Kernel,
    },
    /// `-d -o FILE`: resolving FILE failed.
    OutfilePath(Vec<u8>, Errno),
    /// `daemon(3)` failed.
    Daemon(Errno),
    /// `-o FILE` could not be opened.
    OpenOutfile(Vec<u8>),
    /// The kernel ended the event stream.
    ReadEof,
    /// Reading events failed.
    Read(Errno),
    /// Event output (stdout, the `-o` file, inotifywatch's table) could not be written.
    /// EPIPE says nothing: the reader went away.
    Write { tool: String, errno: Errno },
    /// inotifywatch: interrupted twice while establishing watches.
    Aborted,
    /// The signal set-up failed.
    Signals,
}

impl Error {
    /// The exit status.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Version(_) => EXIT_OK,
            _ => EXIT_FAILURE,
        }
    }

    /// Where the lines go.
    pub fn channel(&self) -> Channel {
        match self {
            Error::Help(_) | Error::Version(_) => Channel::Stdout,
            Error::Init(..)
            | Error::Watch { .. }
            | Error::OpenOutfile(_)
            | Error::ReadEof
            | Error::Read(_)
            | Error::Write { .. } => Channel::Diag,
            _ => Channel::Stderr,
        }
    }

    /// The lines, without their newlines (help and version: the whole text, as one).
    pub fn lines(&self) -> Vec<Vec<u8>> {
        let one = |s: &str| vec![s.as_bytes().to_vec()];
        match self {
            Error::Help(t) | Error::Version(t) => vec![t.as_bytes().to_vec()],
            Error::Usage(lines) => lines.clone(),
            Error::Regex(m) => vec![m.clone()],
            Error::BadFormat => one("Something is wrong with your format string."),
            Error::NoFiles => one("No files specified to watch!"),
            Error::NegativeTimeout => one("Negative timeout specified - abort!"),
            Error::Init(Kernel::Inotify, e) => {
                let mut v = one(&format!("Couldn't initialize inotify: {}", strerror(*e)));
                if *e == Errno::EMFILE {
                    v.extend(one(
                        "Try increasing the value of /proc/sys/fs/inotify/max_user_instances",
                    ));
                }
                v
            }
            Error::Init(_, e) => {
                let mut v = one(&format!("Couldn't initialize fanotify: {}", strerror(*e)));
                match *e {
                    Errno::EMFILE => v.extend(one(
                        "Try increasing the value of /proc/sys/fs/fanotify/max_user_groups",
                    )),
                    Errno::EINVAL => v.extend(one(
                        "fanotify support for reporting the events with file names was added in kernel v5.9.",
                    )),
                    Errno::EPERM => v.extend(one("fanotify watch requires admin privileges")),
                    _ => {}
                }
                v
            }
            Error::Watch {
                verb,
                path,
                errno,
                kernel,
            } => watch_failed(verb, path, *errno, *kernel),
            Error::OutfilePath(path, e) => vec![cat(&[strerror(*e).as_bytes(), b": ", path])],
            Error::Daemon(e) => one(&format!("Failed to daemonize: {}", strerror(*e))),
            Error::OpenOutfile(path) => vec![cat(&[b"Failed to open output file ", path])],
            Error::ReadEof => {
                one("Inotify reported end-of-file.  Possibly too many events occurred at once.")
            }
            Error::Read(e) => one(&strerror(*e)),
            Error::Write { errno, .. } if *errno == Errno::EPIPE => Vec::new(),
            Error::Write { tool, errno } => {
                one(&format!("{tool}: write error: {}", strerror(*errno)))
            }
            Error::Aborted => one(
                "No statistics collected, asked to abort before all watches could be established.",
            ),
            Error::Signals => one("Couldn't set up signal handling."),
        }
    }

    /// Writes the lines where they belong and returns the exit status.
    pub fn report(&self, diag: &Diag) -> i32 {
        match self.channel() {
            Channel::Stdout => {
                for l in self.lines() {
                    let _ = write_all(libc::STDOUT_FILENO, &l);
                }
            }
            Channel::Stderr => {
                for l in self.lines() {
                    crate::output::eprintln_bytes(&l);
                }
            }
            Channel::Diag => {
                for l in self.lines() {
                    diag.line(&l);
                }
            }
        }
        self.exit_code()
    }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The lines the reference prints when watching `path` failed: its two-line hint for the
/// watch (or mark) limit, `<verb> <path>: <strerror>` otherwise. Under fanotify, the
/// causes upstream leaves unsaid (privilege, file handles) are named after the strerror.
pub fn watch_failed(verb: &str, path: &[u8], errno: Errno, kernel: Kernel) -> Vec<Vec<u8>> {
    let (backend, resource) = match kernel {
        Kernel::Inotify => ("inotify", "watches"),
        _ => ("fanotify", "marks"),
    };
    if errno == Errno::ENOSPC && kernel != Kernel::Filesystem {
        let limit = format!("; upper limit on {backend} {resource} reached!");
        return vec![
            cat(&[b"Failed to watch ", path, limit.as_bytes()]),
            format!("Please increase the amount of {backend} {resource} allowed per user via `/proc/sys/fs/{backend}/max_user_{resource}'.").into_bytes(),
        ];
    }
    let mut line = cat(&[
        verb.as_bytes(),
        b" ",
        path,
        b": ",
        strerror(errno).as_bytes(),
    ]);
    if let Some(hint) = fanotify_hint(kernel, errno) {
        line.extend_from_slice(b" (");
        line.extend_from_slice(hint.as_bytes());
        line.push(b')');
    }
    vec![line]
}

/// Why a fanotify mark failed, when strerror alone does not say it.
fn fanotify_hint(kernel: Kernel, errno: Errno) -> Option<&'static str> {
    match (kernel, errno) {
        (Kernel::Inotify, _) => None,
        (Kernel::Filesystem, Errno::EPERM) => {
            Some("-S needs CAP_SYS_ADMIN: run it as root, or use -F")
        }
        (_, Errno::EOPNOTSUPP | Errno::EXDEV | Errno::ENODEV | Errno::ESTALE) => {
            Some("this filesystem cannot give fanotify file handles; watch it with inotify (-I)")
        }
        (_, Errno::EINVAL) => Some("fanotify has no unmount event: watch it with inotify (-I)"),
        (Kernel::Filesystem, Errno::ENOSPC) => {
            Some("upper limit on fanotify marks reached: see /proc/sys/fs/fanotify/max_user_marks")
        }
        _ => None,
    }
}

/// The line for a directory that appeared later and could not be watched: the limit is
/// named by its strerror here, as the reference does (no start-up hint).
pub fn new_dir_failed(path: &[u8], errno: Errno) -> Vec<u8> {
    cat(&[
        b"Couldn't watch new directory ",
        path,
        b": ",
        strerror(errno).as_bytes(),
    ])
}

/// `--retry`: the line saying that a path is waited for.
pub fn waiting_for(path: &[u8]) -> Vec<u8> {
    cat(&[b"Waiting for ", path, b" to appear."])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: &Error) -> String {
        e.lines()
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned() + "\n")
            .collect()
    }

    #[test]
    fn words_and_statuses() {
        let cases: Vec<(Error, &str, i32, Channel)> = vec![
            (
                Error::NoFiles,
                "No files specified to watch!\n",
                1,
                Channel::Stderr,
            ),
            (
                Error::Init(Kernel::Inotify, Errno::EMFILE),
                "Couldn't initialize inotify: Too many open files\nTry increasing the value of /proc/sys/fs/inotify/max_user_instances\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Init(Kernel::Inotify, Errno::ENOMEM),
                "Couldn't initialize inotify: Cannot allocate memory\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Watch {
                    verb: "Couldn't watch",
                    path: b"t".to_vec(),
                    errno: Errno::ENOENT,
                    kernel: Kernel::Inotify,
                },
                "Couldn't watch t: No such file or directory\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Watch {
                    verb: "Couldn't watch",
                    path: b"t/".to_vec(),
                    errno: Errno::ENOSPC,
                    kernel: Kernel::Inotify,
                },
                "Failed to watch t/; upper limit on inotify watches reached!\nPlease increase the amount of inotify watches allowed per user via `/proc/sys/fs/inotify/max_user_watches'.\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Watch {
                    verb: "Couldn't watch",
                    path: b"t".to_vec(),
                    errno: Errno::ENOSPC,
                    kernel: Kernel::Fanotify,
                },
                "Failed to watch t; upper limit on fanotify marks reached!\nPlease increase the amount of fanotify marks allowed per user via `/proc/sys/fs/fanotify/max_user_marks'.\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Watch {
                    verb: "Couldn't add filesystem watch",
                    path: b"/srv".to_vec(),
                    errno: Errno::EPERM,
                    kernel: Kernel::Filesystem,
                },
                "Couldn't add filesystem watch /srv: Operation not permitted (-S needs CAP_SYS_ADMIN: run it as root, or use -F)\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Watch {
                    verb: "Couldn't watch",
                    path: b"/net/x".to_vec(),
                    errno: Errno::EOPNOTSUPP,
                    kernel: Kernel::Fanotify,
                },
                "Couldn't watch /net/x: Operation not supported (this filesystem cannot give fanotify file handles; watch it with inotify (-I))\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Init(Kernel::Fanotify, Errno::EPERM),
                "Couldn't initialize fanotify: Operation not permitted\nfanotify watch requires admin privileges\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Init(Kernel::Filesystem, Errno::EMFILE),
                "Couldn't initialize fanotify: Too many open files\nTry increasing the value of /proc/sys/fs/fanotify/max_user_groups\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Write {
                    tool: "inotifywait".into(),
                    errno: Errno::ENOSPC,
                },
                "inotifywait: write error: No space left on device\n",
                1,
                Channel::Diag,
            ),
            (
                Error::Write {
                    tool: "inotifywatch".into(),
                    errno: Errno::EPIPE,
                },
                "",
                1,
                Channel::Diag,
            ),
            (
                Error::OutfilePath(b"/no/f".to_vec(), Errno::ENOENT),
                "No such file or directory: /no/f\n",
                1,
                Channel::Stderr,
            ),
            (
                Error::Version("inotifywait 1\n".into()),
                "inotifywait 1\n\n",
                0,
                Channel::Stdout,
            ),
            (
                Error::NegativeTimeout,
                "Negative timeout specified - abort!\n",
                1,
                Channel::Stderr,
            ),
        ];
        for (e, want, code, ch) in cases {
            assert_eq!(text(&e), want, "{e:?}");
            assert_eq!(e.exit_code(), code, "{e:?}");
            assert_eq!(e.channel(), ch, "{e:?}");
        }
        assert_eq!(
            new_dir_failed(b"t/n/", Errno::ENOSPC),
            b"Couldn't watch new directory t/n/: No space left on device"
        );
    }
}
