//! The watcher: turns a kernel backend's records into plain [`Event`]s, keeping the
//! wd → name table true as directories appear, move and go. It knows nothing of the CLI,
//! formats or statistics. One job per file:
//! - `kernel`: the [`Backend`] boundary and the inotify backend, record decoding, poll;
//! - `fanotify`: the fanotify backend (`-F` marks, `-S` filesystem marks), translating
//!   its records into inotify's, so everything below sees one kind of record;
//! - `table`: wd ↔ name, sized by the live watches;
//! - `walk`: directory listing and path helpers;
//! - `setup`: initial walk, moved-in walk, overflow rescan in slices;
//! - `scan`: the new-directory scan and the echoes it leaves in the queue;
//! - `rename`: the pure rename state machine;
//! - `filter`: which events are reported, which new directories are pruned;
//! - `retry`: `--retry`, paths waited for until they exist, roots watched again;
//! - this file: the read loop, the event path and the bookkeeping after each event.
//!
//! Beyond the reference, it does not lose events (a new directory's contents are
//! reported, renames are decided from the kernel's own `MOVE_SELF`, an overflow is
//! announced and the trees rescanned) and it runs for months: every table follows the
//! live watches and every buffer has a cap.

pub mod fanotify;
mod filter;
pub mod kernel;
mod rename;
mod retry;
mod scan;
mod setup;
pub mod table;
mod track;
pub(crate) mod walk;

use std::collections::{HashMap, HashSet, VecDeque};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use nix::errno::Errno;

use crate::event::{Event, bits};
use crate::prune::PruneSet;
pub use filter::Filter;
pub use kernel::{Backend, InotifyBackend, ReadError};
use rename::Renames;
use scan::{Echoes, Synth};
pub use table::WatchTable;

/// One `read` asks for this much: hundreds of events per wakeup.
const READ_SIZE: usize = 64 * 1024;
/// A read of at least this many bytes (about 16 events) means a burst is under way.
const BURST_BYTES: usize = 16 * (kernel::HEADER + 16);
/// Most bytes read ahead into memory (during set-up, after scans). Past it reading stops,
/// the kernel queue fills, and its overflow is handled as any other.
pub const BUFFER_CAP: usize = 16 << 20;

/// How the watcher behaves, decided by the applet.
#[derive(Debug, Default)]
pub struct Options {
    /// The mask given to the kernel for every watch (already augmented by the caller).
    pub mask: u32,
    /// Walk directories given as paths.
    pub recursive: bool,
    /// Watch new and moved-in directories, follow renames (`-m -r`, inotifywatch `-r`).
    pub track: bool,
    /// Report what a new directory already holds as `CREATE` events (off: the
    /// reference's lossy behaviour).
    pub scan_new: bool,
    /// While a burst lasts (the last read brought many events), wait this long before
    /// the next read so each wakeup carries more events. Idle waits block at once, so a
    /// lone event is never delayed.
    pub burst_pause: Duration,
    pub filter: Option<Filter>,
    /// `--retry`: wait for top-level paths that do not exist, watch again roots that
    /// come back.
    pub retry: bool,
    /// `--prune`: directories below a root never watched (paths relative to the root).
    pub prune: PruneSet,
}

/// Which kernel interface watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernel {
    /// inotify: a watch per directory.
    #[default]
    Inotify,
    /// fanotify inode marks (`-F`): a mark per directory, no fd held for it.
    Fanotify,
    /// fanotify filesystem marks (`-S`): one mark per filesystem, events kept to the
    /// paths given.
    Filesystem,
}

/// Something the watcher wants the user told (wording belongs to the applet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// About to watch a directory that appeared in the tree (path ends in `/`).
    WatchingNewDir(Vec<u8>),
    /// Watching such a directory failed.
    NewDirFailed(Vec<u8>, Errno),
    /// The kernel queue overflowed: events were lost (the trees are being rescanned).
    Overflow,
    /// `--retry`: this top-level path (as given) does not exist; it is waited for.
    Waiting(Vec<u8>),
    /// `--retry`: watching this top-level path, which appeared, failed.
    WatchFailed(Vec<u8>, Errno),
}

/// A failure while placing the initial watches: the top-level path as given and the errno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError {
    pub path: Vec<u8>,
    pub errno: Errno,
}

/// The result of waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Events are buffered; call [`Watcher::next_event`].
    Ready,
    /// The timeout passed with nothing to read.
    TimedOut,
    /// The extra fd given to [`Watcher::wait`] became readable (signals, say).
    Extra,
}

/// Called once per directory during a walk; returning false abandons the setup.
pub type Progress = Box<dyn FnMut() -> bool>;

pub struct Watcher {
    backend: Box<dyn Backend>,
    opts: Options,
    /// Bits added to the kernel mask for bookkeeping only (`MOVE_SELF` when tracking
    /// renames): events carrying nothing else are never handed out.
    internal: u32,
    table: WatchTable,
    /// Records read from the kernel; `pos..len` is not processed yet.
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Offset of the record handed out last, whose bookkeeping is still due.
    due: Option<usize>,
    echoes: Echoes,
    current: Option<Synth>,
    renames: Renames,
    /// `-S` directories `--prune` hides (their events are dropped).
    hidden: HashSet<i32>,
    /// Wds we removed whose `IGNORED` is still to come (so it cannot hit a reused wd).
    removed: HashSet<i32>,
    /// Watches of directories that left the tree, kept in the kernel until the time
    /// given (see `track`): one moved straight back in gets its own watch back.
    detached: HashMap<i32, Instant>,
    /// Directories whose creation or arrival was read after their parent was renamed:
    /// (parent wd, name, created).
    orphans: Vec<(i32, Box<[u8]>, bool)>,
    /// Top-level directories and `@` exclusions, for the rescan after an overflow.
    tops: Vec<Vec<u8>>,
    exclusions: Vec<Vec<u8>>,
    /// Directories still to rescan after an overflow, each with its parent's wd (-1 for
    /// a top).
    rescan: Vec<(Vec<u8>, i32)>,
    walked: u32,
    /// `--retry`: the paths waited for, and the roots watched (wd → path as given).
    awaited: retry::Awaited,
    roots: HashMap<i32, Vec<u8>>,
    /// Bytes brought by the last read (to tell a burst from a trickle).
    last_read: usize,
    notices: VecDeque<Notice>,
    progress: Option<Progress>,
    subject: Vec<u8>,
}

impl Watcher {
    /// Initialises inotify.
    pub fn new(opts: Options) -> Result<Watcher, Errno> {
        Watcher::open(Kernel::Inotify, opts)
    }

    /// Initialises the kernel interface asked for.
    pub fn open(kernel: Kernel, opts: Options) -> Result<Watcher, Errno> {
        let backend: Box<dyn Backend> = match kernel {
            Kernel::Inotify => Box::new(InotifyBackend::new()?),
            Kernel::Fanotify => Box::new(fanotify::FanotifyBackend::new(false)?),
            Kernel::Filesystem => Box::new(fanotify::FanotifyBackend::new(true)?),
        };
        Ok(Watcher::with_backend(opts, backend))
    }

    /// A watcher over any backend.
    pub fn with_backend(mut opts: Options, backend: Box<dyn Backend>) -> Watcher {
        if backend.whole_tree() {
            // One mark covers the trees: nothing to walk, and no creation race to close.
            opts.recursive = false;
            opts.track = false;
            opts.scan_new = false;
        }
        let mut internal = 0;
        // MOVE_SELF tells renames apart (tracking) and roots moved away (--retry).
        let wanted = opts.retry || (opts.track && opts.mask & bits::MOVED_FROM != 0);
        if wanted && opts.mask & bits::MOVE_SELF == 0 {
            internal = bits::MOVE_SELF;
            opts.mask |= internal;
        }
        Watcher {
            backend,
            opts,
            internal,
            table: WatchTable::new(),
            buf: Vec::new(),
            pos: 0,
            len: 0,
            due: None,
            echoes: Echoes::default(),
            current: None,
            renames: Renames::new(),
            removed: HashSet::new(),
            hidden: HashSet::new(),
            detached: HashMap::new(),
            orphans: Vec::new(),
            tops: Vec::new(),
            exclusions: Vec::new(),
            rescan: Vec::new(),
            walked: 0,
            awaited: retry::Awaited::default(),
            roots: HashMap::new(),
            last_read: 0,
            notices: VecDeque::new(),
            progress: None,
            subject: Vec::new(),
        }
    }

    /// Sets the regex filter (compiled after the backend is up, as the reference does).
    pub fn set_filter(&mut self, filter: Option<Filter>) {
        self.opts.filter = filter;
    }

    /// Installs a callback run once per directory walked (None removes it); when it
    /// returns false, setup stops with `ECANCELED`.
    pub fn set_progress(&mut self, progress: Option<Progress>) {
        self.progress = progress;
    }

    pub fn table(&self) -> &WatchTable {
        &self.table
    }

    pub fn take_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    fn add_watch(&mut self, path: &[u8]) -> Result<i32, Errno> {
        self.add_watch_back(path).map(|(wd, _)| wd)
    }

    /// Adds a watch; also says whether it was a detached one (a directory that left the
    /// tree and came back: its watch is ours again, and saw our listing of it).
    fn add_watch_back(&mut self, path: &[u8]) -> Result<(i32, bool), Errno> {
        let wd = self.backend.add(path, self.opts.mask)?;
        Ok((wd, self.detached.remove(&wd).is_some()))
    }

    /// Removes a watch we no longer want; its `IGNORED` will be dropped.
    fn unwatch(&mut self, wd: i32) {
        self.backend.remove(wd);
        self.removed.insert(wd);
    }

    /// A directory that appeared after start-up, announced with `%w%f` = `subject`, is
    /// left unwatched (`--exclude`, `--prune`).
    fn pruned(&self, subject: &[u8]) -> bool {
        self.filter_prunes(subject) || self.glob_pruned(subject)
    }

    /// `--exclude` leaves a directory that appeared after start-up unwatched.
    fn filter_prunes(&self, subject: &[u8]) -> bool {
        self.opts.filter.as_ref().is_some_and(|f| f.prunes(subject))
    }

    /// `--prune`: the directory `dir` (with or without its `/`) matches a pattern, taken
    /// relative to the longest top-level directory it is in.
    fn glob_pruned(&self, dir: &[u8]) -> bool {
        self.below_top(dir)
            .is_some_and(|rel| self.opts.prune.prunes(rel))
    }

    /// `--prune` under `-S`, which learns directories rather than walking them: whether
    /// `dir` is, or is inside, a directory a pattern names.
    fn in_pruned(&self, dir: &[u8]) -> bool {
        let Some(rel) = self.below_top(dir) else {
            return false;
        };
        let ends = rel.iter().enumerate().filter(|&(_, &b)| b == b'/');
        ends.map(|(i, _)| &rel[..i])
            .chain(std::iter::once(rel))
            .any(|p| self.opts.prune.prunes(p))
    }

    /// `dir`'s path relative to the longest top-level directory it is strictly inside,
    /// when `--prune` was given.
    fn below_top<'a>(&self, dir: &'a [u8]) -> Option<&'a [u8]> {
        if self.opts.prune.is_empty() {
            return None;
        }
        let bare = walk::unslashed(dir);
        let top = self
            .tops
            .iter()
            .filter(|t| bare.starts_with(t) && bare.len() > t.len())
            .max_by_key(|t| t.len())?;
        Some(&bare[top.len()..])
    }

    /// Waits up to `timeout` (None = forever) for events to read, or for `extra` to
    /// become readable.
    pub fn wait(
        &mut self,
        timeout: Option<Duration>,
        extra: Option<RawFd>,
    ) -> Result<Wait, ReadError> {
        self.settle_due();
        if !self.echoes.synth.is_empty() || self.pos < self.len {
            return Ok(Wait::Ready);
        }
        let mut wake = self.release_detached(Instant::now());
        while !self.rescan.is_empty() {
            self.rescan_slice();
            if self.pos < self.len || self.fill()? {
                return Ok(Wait::Ready);
            }
        }
        let deadline = timeout.map(|t| Instant::now().checked_add(t));
        if self.last_read >= BURST_BYTES && !self.opts.burst_pause.is_zero() {
            self.last_read = 0;
            std::thread::sleep(self.opts.burst_pause);
        }
        loop {
            let until = |d: Instant| {
                let left = d.saturating_duration_since(Instant::now());
                i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
            };
            let mut ms = match deadline {
                None | Some(None) => -1,
                Some(Some(d)) => until(d),
            };
            if let Some(w) = wake {
                ms = if ms < 0 { until(w) } else { ms.min(until(w)) };
            }
            let anchors = self.anchors_fd();
            match kernel::poll(self.backend.fd(), anchors, extra, ms).map_err(ReadError::Os)? {
                kernel::Ready::Extra => return Ok(Wait::Extra),
                kernel::Ready::Anchors => {
                    self.anchors_ready();
                    if !self.echoes.synth.is_empty() || self.fill()? {
                        return Ok(Wait::Ready);
                    }
                }
                kernel::Ready::Events => {
                    if self.fill()? {
                        return Ok(Wait::Ready);
                    }
                }
                kernel::Ready::Timeout => {
                    wake = self.release_detached(Instant::now());
                    if let Some(Some(d)) = deadline
                        && Instant::now() >= d
                    {
                        return Ok(Wait::TimedOut);
                    }
                }
            }
        }
    }

    /// Reads what is queued into an empty buffer; false when nothing was queued.
    fn fill(&mut self) -> Result<bool, ReadError> {
        if self.pos >= self.len {
            self.pos = 0;
            self.len = 0;
            self.echoes.reset();
            self.orphans.clear();
            if self.buf.capacity() > 16 * READ_SIZE {
                self.buf = Vec::new();
            }
        }
        self.read_append()
    }

    /// One non-blocking read appended after the unprocessed bytes.
    fn read_append(&mut self) -> Result<bool, ReadError> {
        if self.buf.len() < self.len + READ_SIZE {
            self.buf.resize(self.len + READ_SIZE, 0);
        }
        let n = self.backend.read(&mut self.buf[self.len..])?;
        self.len += n;
        if n > 0 {
            self.last_read = n;
        }
        Ok(n > 0)
    }

    /// Reads everything the kernel has queued at this moment (up to the cap), without
    /// waiting: for a last count before exiting, which ends even while a writer keeps
    /// the queue from ever being empty. True when events are ready to be taken.
    pub fn read_queued_now(&mut self) -> Result<bool, ReadError> {
        if self.fill()? {
            self.drain_queued();
        }
        Ok(self.pos < self.len || !self.echoes.synth.is_empty())
    }

    /// Reads into memory everything the kernel had queued at this moment (up to the cap).
    fn drain_queued(&mut self) {
        let target = (self.len + self.backend.queued()).min(BUFFER_CAP.max(self.len));
        while self.len < target {
            match self.read_append() {
                Ok(true) => {}
                _ => break,
            }
        }
    }

    /// The next event that passes the filter, or None when everything read is processed.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        self.settle_due();
        loop {
            if let Some(s) = self.echoes.synth.pop_front() {
                let watch = self.table.get(s.wd).unwrap_or_default();
                let pass =
                    filter::admits(self.opts.filter.as_ref(), &mut self.subject, watch, &s.name);
                self.current = Some(s);
                if !pass {
                    continue;
                }
                let s = self.current.as_ref()?;
                return Some(Event {
                    wd: s.wd,
                    mask: s.mask,
                    cookie: 0,
                    watch: self.table.get(s.wd).unwrap_or_default(),
                    name: &s.name,
                    synthetic: true,
                });
            }
            let off = self.pos;
            let Some(r) = kernel::decode(&self.buf, off, self.len) else {
                self.pos = self.len;
                return None;
            };
            self.pos = r.next;
            if r.mask & bits::IGNORED != 0
                && (self.removed.remove(&r.wd) || self.detached.remove(&r.wd).is_some())
            {
                continue; // the answer to our own removal, or a detached watch's end
            }
            if r.mask & (fanotify::BIND | fanotify::FORGET) != 0 {
                if r.mask & fanotify::BIND != 0 {
                    let path = &self.buf[r.start..r.end];
                    if !self.table.insert(r.wd, path) {
                        self.table.set(r.wd, path);
                    }
                    if self.in_pruned(path) {
                        self.hidden.insert(r.wd);
                    } else {
                        self.hidden.remove(&r.wd);
                    }
                } else {
                    self.table.remove(r.wd);
                    self.hidden.remove(&r.wd);
                }
                continue;
            }
            if self.echoes.absorbs(&self.buf, off, &r) {
                continue;
            }
            let hidden = !self.hidden.is_empty() && self.hidden.contains(&r.wd);
            if r.wd != -1 && (!self.table.contains(r.wd) || hidden) {
                continue; // a watch we removed; its last events are stale
            }
            self.due = Some(off);
            // Q_OVERFLOW's wd -1 is in no table: its watch name is empty.
            let watch = self.table.get(r.wd).unwrap_or_default();
            let internal_only =
                r.mask & self.internal != 0 && r.mask & !(self.internal | bits::ISDIR) == 0;
            let pass = !internal_only
                && filter::admits(
                    self.opts.filter.as_ref(),
                    &mut self.subject,
                    watch,
                    &self.buf[r.start..r.end],
                );
            if !pass {
                self.settle_due();
                continue;
            }
            return Some(Event {
                wd: r.wd,
                mask: r.mask,
                cookie: r.cookie,
                watch: self.table.get(r.wd).unwrap_or_default(),
                name: &self.buf[r.start..r.end],
                synthetic: false,
            });
        }
    }
}

#[cfg(test)]
mod tests;
