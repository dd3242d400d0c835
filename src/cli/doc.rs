//! The options of both applets as documentation data (argument, how a shell completes
//! it, description), from which `xtask` generates the man pages and the shell
//! completions; tests tie every row to the getopt tables, so neither can drift.

/// rinotify's version, as `--version` prints it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How an option's argument (or an operand) is completed by a shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A flag: no argument.
    Flag,
    /// A comma-separated list of event names (`-e`).
    Events,
    /// An event name or `total` (inotifywatch's `-a`/`-d`).
    SortKey,
    /// A file to read or write.
    File,
    /// An extended regular expression.
    Regex,
    /// A `--format` template.
    Format,
    /// A strftime(3) format.
    TimeFormat,
    /// A number of seconds.
    Seconds,
    /// An open file descriptor's number.
    Fd,
    /// A `.gitignore`-style glob.
    Glob,
}

/// One option as the man page and the completions present it.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub short: Option<char>,
    pub long: &'static str,
    pub value: Value,
    /// The argument's name in the synopsis (`<event>`); empty for flags.
    pub value_name: &'static str,
    /// One line, for completion menus.
    pub summary: &'static str,
    /// The man page's paragraph (may hold several sentences).
    pub help: &'static str,
    /// Said again each time it is given (`-e`, `-q`).
    pub repeats: bool,
}

const fn opt(
    short: Option<char>,
    long: &'static str,
    value: Value,
    value_name: &'static str,
    summary: &'static str,
    help: &'static str,
) -> Opt {
    Opt {
        short,
        long,
        value,
        value_name,
        summary,
        help,
        repeats: false,
    }
}

const fn repeated(o: Opt) -> Opt {
    Opt { repeats: true, ..o }
}

/// The two applets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applet {
    Wait,
    Watch,
}

/// The events `-e` accepts (and the help text lists), with what they mean.
pub const EVENTS: &[(&str, &str)] = &[
    ("access", "file or directory contents were read"),
    ("modify", "file or directory contents were written"),
    ("attrib", "file or directory attributes changed"),
    (
        "close_write",
        "file or directory closed, after being opened in writable mode",
    ),
    (
        "close_nowrite",
        "file or directory closed, after being opened in read-only mode",
    ),
    (
        "close",
        "file or directory closed, regardless of read/write mode",
    ),
    ("open", "file or directory opened"),
    ("moved_to", "file or directory moved to watched directory"),
    (
        "moved_from",
        "file or directory moved from watched directory",
    ),
    (
        "move",
        "file or directory moved to or from watched directory",
    ),
    ("move_self", "a watched file or directory was moved"),
    (
        "create",
        "file or directory created within watched directory",
    ),
    (
        "delete",
        "file or directory deleted within watched directory",
    ),
    ("delete_self", "file or directory was deleted"),
    (
        "unmount",
        "file system containing file or directory unmounted",
    ),
];

const HELP: Opt = opt(
    Some('h'),
    "help",
    Value::Flag,
    "",
    "Show this help text",
    "Print the help text to standard output and exit with status 1, as inotify-tools does.",
);
const VERSION_OPT: Opt = opt(
    None,
    "version",
    Value::Flag,
    "",
    "Print the version and exit",
    "Print the tool's name and rinotify's version, and exit with status 0. \
     Not in inotify-tools; it must be spelled out in full.",
);
const EVENT: Opt = repeated(opt(
    Some('e'),
    "event",
    Value::Events,
    "event",
    "Listen for specific event(s)",
    "Listen only for the given events: a comma-separated list of the names under EVENTS, \
     in any case; may be given several times. Without it, every event is listened for.",
));
const TIMEOUT_WAIT: Opt = opt(
    Some('t'),
    "timeout",
    Value::Seconds,
    "seconds",
    "Exit after this many seconds without an event",
    "Exit with status 2 when this many seconds pass without an event; with --monitor, the \
     seconds count from the last event. Zero means never. A negative value is an error.",
);
const TIMEOUT_WATCH: Opt = opt(
    Some('t'),
    "timeout",
    Value::Seconds,
    "seconds",
    "Listen only for this many seconds",
    "Listen for this many seconds, then print the table and exit. Without it, or with \
     zero, listen until interrupted (SIGINT or SIGTERM), then print the table.",
);
const RECURSIVE: Opt = opt(
    Some('r'),
    "recursive",
    Value::Flag,
    "",
    "Watch directories recursively",
    "Watch every directory under each directory given, and every directory created or \
     moved in later. With inotify this takes one watch per directory (see CAVEATS). What a \
     new directory already holds when its watch is added is reported too (see \
     --no-dir-scan), and a subtree moved out of the tree stops being watched at once.",
);
const NO_DIR_SCAN: Opt = opt(
    None,
    "no-dir-scan",
    Value::Flag,
    "",
    "Do not report what a new directory already holds",
    "With --recursive, do not scan a newly created directory once its watch exists: files \
     made in it before that are then missed, as inotify-tools misses them. Not in \
     inotify-tools; spelled out in full only.",
);
const PRUNE: Opt = repeated(opt(
    None,
    "prune",
    Value::Glob,
    "glob",
    "Never watch directories matching this .gitignore-style glob",
    "With --recursive, never watch a directory whose path relative to the watched \
     directory (separated by '/', without a leading './') matches glob, written as in \
     .gitignore: a pattern without a '/' matches a directory of that name at any depth \
     (node_modules), a leading or inner '/' anchors it to the watched directory \
     (/target, a/*/cache), '*' and '?' do not match '/', '**' matches any number of \
     directories (**/build, a/**/tmp), [...] is a class, a trailing '/' is allowed and \
     a leading '!' re-includes what an earlier pattern pruned. Such a directory is \
     watched neither at start-up nor when it is created, moved in or renamed to a \
     matching name later, so nothing below it is reported and it costs no watch; its \
     own events in its parent (its creation, say) still are. May be given several \
     times; the last pattern that matches decides. Not in inotify-tools; spelled out \
     in full only.",
));
const PRUNE_FROM: Opt = repeated(opt(
    None,
    "prune-from",
    Value::File,
    "file",
    "Read --prune patterns from a file, one per line",
    "Read --prune patterns from file, one per line, as a .gitignore is written: blank \
     lines and lines starting with '#' are skipped, trailing spaces are ignored. \
     Patterns from files and from --prune count in the order given. Not in \
     inotify-tools; spelled out in full only.",
));
const RETRY: Opt = opt(
    None,
    "retry",
    Value::Flag,
    "",
    "Wait for missing paths; watch again paths that come back",
    "Keep trying, as tail --retry does. A path that does not exist is not an error: it \
     is waited for (its nearest existing parent directory is watched meanwhile, and \
     'Waiting for path to appear.' is said on standard error unless --quiet), then \
     watched, and its arrival reported on itself as CREATE (MOVED_TO when it was moved \
     there; with ISDIR for a directory), followed by what it already holds as CREATE \
     events (its whole tree with --recursive), each once. With --monitor, a watched \
     path that is deleted or moved away is waited for again once its \
     DELETE_SELF, IGNORED or MOVE_SELF is reported, and watched again when something \
     is at that path again. Not in inotify-tools; spelled out in full only.",
);
const NO_DEREF: Opt = opt(
    Some('P'),
    "no-dereference",
    Value::Flag,
    "",
    "Do not follow symlinks",
    "Watch a symbolic link itself rather than what it points to.",
);
const INOTIFY: Opt = opt(
    Some('I'),
    "inotify",
    Value::Flag,
    "",
    "Watch with inotify",
    "Watch with inotify (the default for inotifywait and inotifywatch).",
);
const FANOTIFY: Opt = opt(
    Some('F'),
    "fanotify",
    Value::Flag,
    "",
    "Watch with fanotify",
    "Watch with fanotify, marking each directory (the default for fsnotifywait and \
     fsnotifywatch). Needs Linux 5.9 or later; works unprivileged on recent kernels. No \
     file descriptor is held per watched directory.",
);
const FILESYSTEM: Opt = opt(
    Some('S'),
    "filesystem",
    Value::Flag,
    "",
    "Watch entire filesystem with fanotify",
    "Place one fanotify mark on the whole filesystem of each path and report the events \
     under the paths given, recursively, with no per-directory watch at all. Needs \
     CAP_SYS_ADMIN and a filesystem with file handles (not procfs or sysfs).",
);
const FROMFILE: Opt = opt(
    None,
    "fromfile",
    Value::File,
    "file",
    "Read files to watch from <file> or '-' for stdin",
    "Read the paths to watch from this file, one per line, or from standard input if it is \
     '-'. A line starting with '@' excludes that path from being watched. Empty lines are \
     skipped. May be given once.",
);
const EXCLUDE: Opt = opt(
    None,
    "exclude",
    Value::Regex,
    "pattern",
    "Exclude events on files matching the extended regex",
    "Do not print events on paths matching this POSIX extended regular expression. Under \
     --recursive, a directory created or moved in later whose path matches is not watched \
     either. Only the last --exclude or --excludei counts.",
);
const EXCLUDEI: Opt = opt(
    None,
    "excludei",
    Value::Regex,
    "pattern",
    "Like --exclude but case insensitive",
    "Like --exclude, ignoring case.",
);
const INCLUDE: Opt = opt(
    None,
    "include",
    Value::Regex,
    "pattern",
    "Print only events on files matching the extended regex",
    "Print only events on paths matching this POSIX extended regular expression. New \
     directories are still watched under --recursive (files in them may match). Only the \
     last --include or --includei counts.",
);
const INCLUDEI: Opt = opt(
    None,
    "includei",
    Value::Regex,
    "pattern",
    "Like --include but case insensitive",
    "Like --include, ignoring case.",
);

const MONITOR: Opt = opt(
    Some('m'),
    "monitor",
    Value::Flag,
    "",
    "Keep listening for events forever",
    "Keep listening and printing events until --timeout expires or the program is \
     interrupted. Without it, inotifywait exits after the first event.",
);
const DAEMON: Opt = opt(
    Some('d'),
    "daemon",
    Value::Flag,
    "",
    "Run in the background, logging events to --outfile",
    "Like --monitor, but detach into the background and write events to the file given by \
     --outfile (required). Implies --syslog.",
);
const OUTFILE: Opt = opt(
    Some('o'),
    "outfile",
    Value::File,
    "file",
    "Print events to <file> rather than stdout",
    "Append events to this file instead of writing them to standard output. May be given \
     once.",
);
const SYSLOG: Opt = opt(
    Some('s'),
    "syslog",
    Value::Flag,
    "",
    "Send errors to syslog rather than stderr",
    "Send diagnostics to syslog instead of standard error.",
);
const QUIET: Opt = repeated(opt(
    Some('q'),
    "quiet",
    Value::Flag,
    "",
    "Print less (only print events); twice: print nothing",
    "Do not print the set-up messages (such as 'Watches established.'). Given twice, print \
     nothing at all, not even events.",
));
const FORMAT: Opt = opt(
    None,
    "format",
    Value::Format,
    "fmt",
    "Print using a specified printf-like format string",
    "Print each event with this template instead of the default layout; see FORMAT. A \
     newline is added after each event unless --no-newline is given. Cannot be combined \
     with --csv.",
);
const NO_NEWLINE: Opt = opt(
    None,
    "no-newline",
    Value::Flag,
    "",
    "Don't print a newline after --format",
    "Do not add a newline after each event printed with --format (use %n or %0 in the \
     template instead).",
);
const TIMEFMT: Opt = opt(
    None,
    "timefmt",
    Value::TimeFormat,
    "fmt",
    "strftime-compatible format for %T in --format",
    "The strftime(3) format that %T in --format expands to, in local time (for example \
     '%F %T' or '%s').",
);
const CSV: Opt = opt(
    Some('c'),
    "csv",
    Value::Flag,
    "",
    "Print events in CSV format",
    "Print each event as a CSV row: watched path, events, file name. A field holding a comma, \
     a quote or a line break is quoted, with quotes doubled.",
);
const JSON_WAIT: Opt = opt(
    None,
    "json",
    Value::Flag,
    "",
    "Print each event as one JSON object per line",
    "Print each event as a JSON object on a line of its own (JSON Lines), for programs; \
     see JSON OUTPUT. Cannot be combined with --csv or --format. Not in inotify-tools; \
     spelled out in full only.",
);
const READY_FD: Opt = opt(
    None,
    "ready-fd",
    Value::Fd,
    "fd",
    "Write a line to this fd once every watch exists",
    "Once every watch exists, write the line 'Watches established.' to this file \
     descriptor, open for writing, and close it (1 and 2 stay open: with 1 the line \
     comes first on standard output), so that a program can wait for readiness without \
     reading standard error (also with --quiet; with --daemon, from the process that \
     stays). Not in inotify-tools; spelled out in full only.",
);

const VERBOSE: Opt = opt(
    Some('v'),
    "verbose",
    Value::Flag,
    "",
    "Be verbose",
    "Say how long the program will listen, and report errors on paths that could not be \
     watched.",
);
const ZERO: Opt = opt(
    Some('z'),
    "zero",
    Value::Flag,
    "",
    "Output rows and columns even if they consist only of zeros",
    "In the table, print rows and columns even when all their counts are zero.",
);
const JSON_WATCH: Opt = opt(
    None,
    "json",
    Value::Flag,
    "",
    "Print the table as one JSON document",
    "Print the table (at the end and on each SIGUSR1) as one JSON document on one line \
     instead of text; see JSON OUTPUT. Not in inotify-tools; spelled out in full only.",
);
const ASCENDING: Opt = opt(
    Some('a'),
    "ascending",
    Value::SortKey,
    "event",
    "Sort ascending by a particular event, or 'total'",
    "Sort the table's rows by the count of this event, or by 'total', smallest first. \
     'move' and 'close' are not keys: use their halves.",
);
const DESCENDING: Opt = opt(
    Some('d'),
    "descending",
    Value::SortKey,
    "event",
    "Sort descending by a particular event, or 'total'",
    "Sort the table's rows by the count of this event, or by 'total', largest first (the \
     default is descending by total).",
);

/// inotifywait's (and fsnotifywait's) options, in the order the man page lists them.
pub const WAIT: &[Opt] = &[
    HELP,
    VERSION_OPT,
    EXCLUDE,
    EXCLUDEI,
    INCLUDE,
    INCLUDEI,
    MONITOR,
    DAEMON,
    NO_DEREF,
    RECURSIVE,
    NO_DIR_SCAN,
    PRUNE,
    PRUNE_FROM,
    RETRY,
    INOTIFY,
    FANOTIFY,
    FILESYSTEM,
    FROMFILE,
    OUTFILE,
    SYSLOG,
    QUIET,
    FORMAT,
    NO_NEWLINE,
    TIMEFMT,
    CSV,
    JSON_WAIT,
    READY_FD,
    TIMEOUT_WAIT,
    EVENT,
];

/// inotifywatch's (and fsnotifywatch's) options, in the order the man page lists them.
pub const WATCH: &[Opt] = &[
    HELP,
    VERSION_OPT,
    VERBOSE,
    FROMFILE,
    EXCLUDE,
    EXCLUDEI,
    INCLUDE,
    INCLUDEI,
    ZERO,
    RECURSIVE,
    NO_DIR_SCAN,
    PRUNE,
    PRUNE_FROM,
    RETRY,
    INOTIFY,
    FANOTIFY,
    FILESYSTEM,
    NO_DEREF,
    TIMEOUT_WATCH,
    EVENT,
    ASCENDING,
    DESCENDING,
    JSON_WATCH,
    READY_FD,
];

/// The options of `applet`.
pub fn options(applet: Applet) -> &'static [Opt] {
    match applet {
        Applet::Wait => WAIT,
        Applet::Watch => WATCH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::getopt::Spec;

    /// Options that getopt accepts but that are not documented: `--filename` only says
    /// it no longer exists.
    const UNDOCUMENTED: &[&str] = &["filename"];

    fn check(applet: Applet, spec: &Spec) {
        let docs = options(applet);
        for long in spec.long {
            if UNDOCUMENTED.contains(&long.name) {
                continue;
            }
            let doc = docs
                .iter()
                .find(|o| o.long == long.name)
                .unwrap_or_else(|| panic!("--{} has no documentation row", long.name));
            assert_eq!(
                doc.value != Value::Flag,
                long.has_arg,
                "--{}: argument",
                long.name
            );
            assert_eq!(doc.value_name.is_empty(), !long.has_arg, "--{}", long.name);
            // A short option documented with it is the same option to getopt.
            let short = spec.short.find(long.id).map(|_| long.id);
            assert_eq!(doc.short, short, "--{}: short option", long.name);
            if let Some(s) = short {
                let after = spec.short.split(s).nth(1).unwrap_or("");
                assert_eq!(after.starts_with(':'), long.has_arg, "-{s}");
            }
        }
        for doc in docs {
            let long = doc.long;
            assert!(
                spec.long.iter().any(|l| l.name == long),
                "documented --{long} is not an option"
            );
            assert!(!doc.summary.is_empty() && !doc.help.is_empty(), "--{long}");
        }
        // `-f` is `--filename`'s short form.
        for c in spec.short.chars().filter(|&c| c != ':' && c != 'f') {
            assert!(docs.iter().any(|o| o.short == Some(c)), "-{c} undocumented");
        }
    }

    #[test]
    fn every_wait_option_is_documented_as_getopt_reads_it() {
        check(Applet::Wait, &crate::cli::wait::SPEC);
    }

    #[test]
    fn every_watch_option_is_documented_as_getopt_reads_it() {
        check(Applet::Watch, &crate::cli::watch::SPEC);
    }

    #[test]
    fn events_are_the_help_texts_and_parse() {
        for text in [
            include_str!("../help/wait.txt"),
            include_str!("../help/watch.txt"),
        ] {
            let listed: Vec<&str> = text
                .split("\nEvents:\n")
                .nth(1)
                .unwrap_or("")
                .lines()
                .filter_map(|l| l.strip_prefix('\t')?.split('\t').next())
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect();
            let names: Vec<&str> = EVENTS.iter().map(|(n, _)| *n).collect();
            assert_eq!(listed, names);
        }
        for (name, _) in EVENTS {
            assert!(crate::event::name_to_bits(name).is_some(), "{name}");
        }
    }
}
