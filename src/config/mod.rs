//! The configuration stage: the checks between options, in the reference's order, and
//! the typed values the drivers wire up (event mask, timeout, compiled filter, output
//! layout, path list). Every user error is found here, before the first watch is added.
//!
//! Two steps, because the reference interleaves its checks with `inotify_init`:
//! `from_args` (pure option checks) runs first; `plan` (regex, template, `--fromfile`,
//! "no files") runs where the reference runs those checks, still before any watch.

pub mod wait;
pub mod watch;

use std::time::{Duration, Instant};

use nix::errno::Errno;

use crate::cli::{PruneArg, RegexOpts, WatchSet};
use crate::error::Error;
use crate::event;
use crate::output::strerror;
use crate::prune::PruneSet;
use crate::watcher::{Filter, Kernel};

/// `-t`, typed: 0 (or no `-t`) waits forever; a negative value is refused once the
/// watches exist, as the reference does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timeout {
    #[default]
    Forever,
    Secs(u64),
    Negative,
}

impl Timeout {
    pub fn from_secs(t: i64) -> Timeout {
        match u64::try_from(t) {
            Ok(0) => Timeout::Forever,
            Ok(s) => Timeout::Secs(s),
            Err(_) => Timeout::Negative,
        }
    }

    /// How long to wait; None for ever.
    pub fn duration(self) -> Option<Duration> {
        match self {
            Timeout::Secs(s) => Some(Duration::from_secs(s)),
            _ => None,
        }
    }

    /// The instant the wait ends, counted from `now`; None for ever, including a
    /// timeout too far away for the clock to hold (`-t 9223372036854775807`).
    pub fn deadline(self, now: Instant) -> Option<Instant> {
        now.checked_add(self.duration()?)
    }
}

/// The checks of our own options shared by both applets, after the reference's own:
/// `--ready-fd`, then the `--prune` patterns and files. The compiled patterns, or the
/// line saying what is wrong.
pub fn own_options(set: &WatchSet) -> Result<PruneSet, Vec<u8>> {
    if let Some(m) = ready_fd_unusable(set) {
        return Err(m);
    }
    prune_set(set)
}

/// `--ready-fd N` names a descriptor that is not open for writing: the line saying so.
/// Checked before anything is opened, so that N cannot be the program's own inotify fd.
fn ready_fd_unusable(set: &WatchSet) -> Option<Vec<u8>> {
    let fd = set.ready_fd?;
    let why = match crate::sys::fd_writable(fd) {
        Ok(true) => return None,
        Ok(false) => "open for reading only".to_string(),
        Err(e) => strerror(e),
    };
    Some(format!("--ready-fd {fd}: {why}").into_bytes())
}

/// The `--prune`/`--prune-from` patterns, compiled, or the line saying which one is bad
/// (a pattern, a file that cannot be read, or a file's line). Read before any watch.
fn prune_set(set: &WatchSet) -> Result<PruneSet, Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let mut prune = PruneSet::new();
    for arg in &set.prune {
        match arg {
            PruneArg::Glob(g) => prune
                .add(g)
                .map_err(|e| [b"--prune '".as_slice(), g, format!("': {e}").as_bytes()].concat())?,
            PruneArg::File(f) => {
                let text = std::fs::read(std::ffi::OsStr::from_bytes(f)).map_err(|e| {
                    let why = strerror(crate::sys::errno_of(&e));
                    [
                        b"--prune-from ".as_slice(),
                        f,
                        format!(": {why}").as_bytes(),
                    ]
                    .concat()
                })?;
                prune.add_lines(&text).map_err(|(line, e)| {
                    [
                        b"--prune-from ".as_slice(),
                        f,
                        format!(", line {line}: '").as_bytes(),
                        &e.pattern,
                        format!("': {e}").as_bytes(),
                    ]
                    .concat()
                })?;
            }
        }
    }
    Ok(prune)
}

/// What both applets watch, typed.
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// The events asked for (all of them when `-e` was not given or worth nothing).
    pub mask: u32,
    pub timeout: Timeout,
    pub recursive: bool,
    pub no_deref: bool,
    pub no_dir_scan: bool,
    /// The kernel interface (`-I`/`-F`/`-S`, or the name's default).
    pub kernel: Kernel,
    /// `-S` was given: the filesystem banners and wording (also after a later `-I`).
    pub filesystem: bool,
    /// `--json`.
    pub json: bool,
    /// `--ready-fd`, checked writable.
    pub ready_fd: Option<i32>,
    /// `--retry`.
    pub retry: bool,
    /// `--prune`/`--prune-from`, compiled.
    pub prune: PruneSet,
    regex: RegexOpts,
    fromfile: Option<Vec<u8>>,
    operands: Vec<Vec<u8>>,
}

impl Common {
    fn from_args(set: WatchSet, prune: PruneSet) -> Common {
        Common {
            mask: set.mask(),
            timeout: Timeout::from_secs(set.timeout),
            recursive: set.recursive,
            no_deref: set.no_deref,
            no_dir_scan: set.no_dir_scan,
            kernel: match (set.fanotify, set.filesystem) {
                (Some(true), true) => Kernel::Filesystem,
                (Some(true), false) => Kernel::Fanotify,
                _ => Kernel::Inotify,
            },
            filesystem: set.filesystem,
            json: set.json,
            ready_fd: set.ready_fd,
            retry: set.retry,
            prune,
            regex: set.regex,
            fromfile: set.fromfile,
            operands: set.operands,
        }
    }

    /// The backend's name in JSON output.
    pub fn backend(&self) -> &'static str {
        match self.kernel {
            Kernel::Inotify => "inotify",
            Kernel::Fanotify | Kernel::Filesystem => "fanotify",
        }
    }

    /// The kernel mask for this watch set: the events asked for, plus `DONT_FOLLOW`
    /// with `-P`.
    pub fn kernel_mask(&self) -> u32 {
        if self.no_deref {
            self.mask | event::bits::DONT_FOLLOW
        } else {
            self.mask
        }
    }

    /// A path as the watcher is given it: as typed under inotify; absolute (symlinks
    /// resolved) under fanotify, whose output names directories by absolute path. A
    /// path that cannot be resolved is kept as typed, so its error names it so.
    pub fn shown(&self, path: &[u8]) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        if self.kernel == Kernel::Inotify {
            return path.to_vec();
        }
        match std::fs::canonicalize(std::ffi::OsStr::from_bytes(path)) {
            Ok(p) => p.into_os_string().into_encoded_bytes(),
            Err(_) => path.to_vec(),
        }
    }

    /// Watching the top-level `path` (as typed) failed: the applet's words (`verb`),
    /// or `-S`'s `Couldn't add filesystem watch`, with the backend's hints.
    pub fn watch_error(&self, verb: &'static str, path: &[u8], errno: Errno) -> Error {
        Error::Watch {
            verb: if self.filesystem {
                "Couldn't add filesystem watch"
            } else {
                verb
            },
            path: path.to_vec(),
            errno,
            kernel: self.kernel,
        }
    }

    /// The regex filter, or the error the reference prints for the pattern.
    pub fn filter(&self) -> Result<Option<Filter>, Error> {
        compile_filter(&self.regex)
    }

    /// The paths, and the line of an unreadable `--fromfile` to print before the watches
    /// are set up. No path at all is an error, whose lines follow that one.
    pub fn paths(&self) -> Result<(PathList, Vec<Vec<u8>>), Error> {
        let mut warnings = Vec::new();
        let paths = PathList::build(self.fromfile.as_deref(), &self.operands, &mut warnings);
        if paths.watch.is_empty() {
            warnings.extend(Error::NoFiles.lines());
            return Err(Error::Usage(warnings));
        }
        Ok((paths, warnings))
    }
}

/// Compiles the active regex option into a filter, or the error: the reference's words
/// for a pattern glibc rejects too, ours naming the pattern and the construct for one
/// glibc accepts but we cannot translate (back-references, say).
pub fn compile_filter(r: &RegexOpts) -> Result<Option<Filter>, Error> {
    let (pat, icase, exclude) = match (&r.exclude, &r.excludei, &r.include, &r.includei) {
        (Some(p), _, _, _) => (p, false, true),
        (_, Some(p), _, _) => (p, true, true),
        (_, _, Some(p), _) => (p, false, false),
        (_, _, _, Some(p)) => (p, true, false),
        _ => return Ok(None),
    };
    let kind = if exclude { "exclude" } else { "include" };
    match crate::ere::Ere::new(pat, icase) {
        Ok(ere) => Ok(Some(Filter { ere, exclude })),
        Err(e) if e.is_unsupported() => Err(Error::Regex(
            [
                format!("Error in `{kind}' regular expression '").as_bytes(),
                pat,
                format!("': {e}.").as_bytes(),
            ]
            .concat(),
        )),
        Err(_) => Err(Error::Regex(
            format!("Error in `{kind}' regular expression.").into_bytes(),
        )),
    }
}

/// The paths to watch and the `@` exclusions, in the reference's order: `--fromfile`
/// lines first, then the operands.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PathList {
    pub watch: Vec<Vec<u8>>,
    pub exclude: Vec<Vec<u8>>,
}

impl PathList {
    fn push(&mut self, entry: &[u8]) {
        if entry.is_empty() || entry == b"@" {
            return;
        }
        match entry.strip_prefix(b"@") {
            Some(rest) => self.exclude.push(rest.to_vec()),
            None => self.watch.push(entry.to_vec()),
        }
    }

    /// Adds the lines of a `--fromfile` file: split at `\n` only (a `\r` stays), empty
    /// lines skipped, lines longer than 4095 bytes split and each piece cut at its first
    /// NUL, as the reference's `fgets` and `strlen` do.
    pub fn add_lines(&mut self, mut data: &[u8]) {
        self.read_lines(&mut data);
    }

    /// [`add_lines`](Self::add_lines) from a reader, holding at most one 4095-byte piece
    /// (so `--fromfile /dev/zero` runs in constant memory, as the reference does); a read
    /// error ends the list as end of file would.
    pub fn read_lines(&mut self, r: &mut impl std::io::BufRead) {
        const PIECE: usize = 4095;
        let mut piece = Vec::with_capacity(PIECE);
        loop {
            let buf = match r.fill_buf() {
                Ok([]) => break,
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let room = PIECE - piece.len();
            let window = &buf[..room.min(buf.len())];
            match window.iter().position(|&b| b == b'\n') {
                Some(p) => {
                    piece.extend_from_slice(&window[..p]);
                    r.consume(p + 1);
                    self.push_piece(&piece);
                    piece.clear();
                }
                None => {
                    let n = window.len();
                    piece.extend_from_slice(window);
                    r.consume(n);
                    if piece.len() == PIECE {
                        self.push_piece(&piece);
                        piece.clear();
                    }
                }
            }
        }
        self.push_piece(&piece);
    }

    fn push_piece(&mut self, piece: &[u8]) {
        let end = piece.iter().position(|&b| b == 0).unwrap_or(piece.len());
        self.push(&piece[..end]);
    }

    /// Builds the list; an unreadable `--fromfile` adds the reference's line to
    /// `warnings` and is skipped.
    pub fn build(
        fromfile: Option<&[u8]>,
        operands: &[Vec<u8>],
        warnings: &mut Vec<Vec<u8>>,
    ) -> PathList {
        use std::os::unix::ffi::OsStrExt;
        let mut list = PathList::default();
        // Only a failed open is reported; a file that cannot be read (a directory, say)
        // simply yields the lines read so far, as the reference's fgets loop does.
        match fromfile {
            None => {}
            Some(b"-") => list.read_lines(&mut std::io::stdin().lock()),
            Some(file) => match std::fs::File::open(std::ffi::OsStr::from_bytes(file)) {
                Ok(f) => list.read_lines(&mut std::io::BufReader::new(f)),
                Err(e) => {
                    let errno = crate::sys::errno_of(&e);
                    let mut m = b"Couldn't open ".to_vec();
                    m.extend_from_slice(file);
                    m.extend_from_slice(b": ");
                    m.extend_from_slice(strerror(errno).as_bytes());
                    warnings.push(m);
                }
            },
        }
        for op in operands {
            list.push(op);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_list() {
        let ops: Vec<Vec<u8>> = ["t", "@t/a", "@", "", "@t/b/", "u"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let l = PathList::build(None, &ops, &mut Vec::new());
        assert_eq!(l.watch, vec![b"t".to_vec(), b"u".to_vec()]);
        assert_eq!(l.exclude, vec![b"t/a".to_vec(), b"t/b/".to_vec()]);
    }

    #[test]
    fn list_file_lines() {
        let mut l = PathList::default();
        let long = vec![b'x'; 5000];
        let mut data = b"a\r\n\n@b\n".to_vec();
        data.extend_from_slice(&long);
        l.add_lines(&data);
        assert_eq!(
            l.watch,
            vec![b"a\r".to_vec(), vec![b'x'; 4095], vec![b'x'; 905]]
        );
        assert_eq!(l.exclude, vec![b"b".to_vec()]);
        // Each fgets piece ends at its first NUL; a piece that starts with one is empty.
        let mut l = PathList::default();
        l.add_lines(b"/tmp/x\0zzz\n\0/tmp/y\n@e\0f\nlast");
        assert_eq!(l.watch, vec![b"/tmp/x".to_vec(), b"last".to_vec()]);
        assert_eq!(l.exclude, vec![b"e".to_vec()]);
        // A long line split at 4095 with a newline right after the piece.
        let mut l = PathList::default();
        let mut data = vec![b'y'; 4095];
        data.extend_from_slice(b"\nz");
        l.add_lines(&data);
        assert_eq!(l.watch, vec![vec![b'y'; 4095], b"z".to_vec()]);
    }

    #[test]
    fn list_file_reading_holds_one_piece() {
        // 64 MiB of NULs with no newline: every piece is empty; nothing accumulates.
        let mut l = PathList::default();
        l.read_lines(&mut std::io::BufReader::new(std::io::Read::take(
            std::io::repeat(0),
            64 << 20,
        )));
        assert_eq!(l, PathList::default());
    }
}
