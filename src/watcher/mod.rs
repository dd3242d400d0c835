//! The watcher: owns the inotify fd and the wd → name table; walks trees, adds watches,
//! follows new and renamed directories, and yields plain [`Event`]s. It knows nothing of
//! the CLI, formats or statistics.
//!
//! Beyond the reference, it does not lose events: a new directory is listed right after
//! its watch exists and what it already holds is reported as the `CREATE`s the kernel
//! could not deliver (never twice: real creations still queued for those entries are
//! dropped); renames are paired by cookie; a directory moved out of the tree is unwatched
//! with its subtree; a queue overflow is announced and the trees rescanned; and the queue
//! is drained into memory while the initial walk runs.

pub mod table;
mod walk;

use std::collections::{HashSet, VecDeque};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use inotify::{Inotify, WatchMask};
use nix::errno::Errno;

use crate::ere::Ere;
use crate::event::{Event, bits};
pub use table::WatchTable;

/// Bytes of one `struct inotify_event` header.
const HEADER: usize = 16;
/// One `read` asks for this much: hundreds of events per wakeup.
const READ_SIZE: usize = 64 * 1024;
/// A read of at least this many bytes (about 16 events) means a burst is under way.
const BURST_BYTES: usize = 16 * (HEADER + 16);

/// What listing a directory causes on its own watch.
const SELF_SCAN_EVENTS: u32 = bits::OPEN | bits::ACCESS | bits::CLOSE_NOWRITE;
/// During the initial walk, drain the kernel queue after this many directories.
const DRAIN_EVERY: u32 = 64;

/// A regex filter on `%w%f`: which events are reported.
#[derive(Debug)]
pub struct Filter {
    pub ere: Ere,
    /// `true` for `--exclude(i)` (matching events are dropped), `false` for `--include(i)`.
    pub exclude: bool,
}

/// How the watcher behaves, decided by the applet.
#[derive(Debug)]
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

/// Error reading the inotify fd.
#[derive(Debug)]
pub enum ReadError {
    Eof,
    Os(Errno),
}

/// Called once per directory during a walk; returning false abandons the setup.
pub type Progress = Box<dyn FnMut() -> bool>;

/// A `CREATE` the kernel could not deliver, found by listing a new directory.
#[derive(Debug)]
struct Synth {
    wd: i32,
    mask: u32,
    name: Box<[u8]>,
}

/// The event handed out last, whose bookkeeping is still due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    None,
    Raw(usize),
    Synth,
}

pub struct Watcher {
    inotify: Inotify,
    opts: Options,
    table: WatchTable,
    /// Raw events read from the kernel; `pos..len` is not processed yet.
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    due: Due,
    /// Synthesised creations, served before the rest of `buf`.
    synth: VecDeque<Synth>,
    current: Option<Synth>,
    /// (wd, name) of synthesised creations whose real event may still be in `buf` before
    /// `dedupe_until`: such a real event is dropped.
    dedupe: HashSet<(i32, Box<[u8]>)>,
    dedupe_until: usize,
    /// Directory MOVED_FROMs waiting for their MOVED_TO: (cookie, old name).
    pending_moves: Vec<(u32, Box<[u8]>)>,
    /// Top-level directories and `@` exclusions, for the rescan after an overflow.
    tops: Vec<Vec<u8>>,
    exclusions: Vec<Vec<u8>>,
    walked: u32,
    /// Bytes brought by the last read (to tell a burst from a trickle).
    last_read: usize,
    notices: VecDeque<Notice>,
    progress: Option<Progress>,
    subject: Vec<u8>,
}

impl Watcher {
    /// Initialises inotify.
    pub fn new(opts: Options) -> Result<Watcher, Errno> {
        let inotify = Inotify::init().map_err(|e| errno_of(&e))?;
        Ok(Watcher {
            inotify,
            opts,
            table: WatchTable::new(),
            buf: Vec::with_capacity(READ_SIZE),
            pos: 0,
            len: 0,
            due: Due::None,
            synth: VecDeque::new(),
            current: None,
            dedupe: HashSet::new(),
            dedupe_until: 0,
            pending_moves: Vec::new(),
            tops: Vec::new(),
            exclusions: Vec::new(),
            walked: 0,
            last_read: 0,
            notices: VecDeque::new(),
            progress: None,
            subject: Vec::new(),
        })
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
        self.add_watch_mask(path, self.opts.mask)
    }

    fn add_watch_mask(&mut self, path: &[u8], mask: u32) -> Result<i32, Errno> {
        let p = std::ffi::OsStr::from_bytes(path);
        let wd = self
            .inotify
            .watches()
            .add(p, WatchMask::from_bits_retain(mask))
            .map_err(|e| errno_of(&e))?;
        Ok(wd.get_watch_descriptor_id())
    }

    /// Watches one top-level path (and, recursively, the directories below it, skipping
    /// those whose name equals an `@` exclusion).
    pub fn add_top(&mut self, path: &[u8], exclusions: &[Vec<u8>]) -> Result<(), SetupError> {
        let fail = |errno| SetupError {
            path: path.to_vec(),
            errno,
        };
        if !self.opts.recursive {
            let wd = self.add_watch(path).map_err(fail)?;
            let mut name = path.to_vec();
            if !name.ends_with(b"/") && walk::is_real_dir(path) {
                name.push(b'/');
            }
            self.table.insert(wd, &name);
            return Ok(());
        }
        match walk::list(path, true) {
            Err(Errno::ENOTDIR) => {
                let wd = self.add_watch(path).map_err(fail)?;
                self.table.insert(wd, path);
                Ok(())
            }
            Err(e) => Err(fail(e)),
            Ok(subdirs) => {
                let mut dir = path.to_vec();
                if !dir.ends_with(b"/") {
                    dir.push(b'/');
                }
                self.walk_parallel(&dir, subdirs, exclusions)
                    .map_err(fail)?;
                let wd = self.add_watch(&dir).map_err(fail)?;
                self.table.insert(wd, &dir);
                self.tops.push(dir);
                self.exclusions = exclusions.to_vec();
                Ok(())
            }
        }
    }

    /// Watches `dir` (ending in `/`) and its subdirectories, children first, as the
    /// reference does (so watch order, hence inotifywatch's ties, match). Errors the
    /// reference tolerates below the top (EACCES, ENOENT, ELOOP) skip a directory.
    fn walk_dir(&mut self, dir: &[u8], exclusions: &[Vec<u8>]) -> Result<(), Errno> {
        if let Some(p) = &mut self.progress
            && !p()
        {
            return Err(Errno::ECANCELED);
        }
        self.walked += 1;
        if self.walked.is_multiple_of(DRAIN_EVERY) {
            // Keep the kernel queue from overflowing while a big tree is walked.
            let _ = self.read_append();
        }
        let subdirs = match walk::list(dir, true) {
            Ok(s) => s,
            Err(e) if tolerated(e) => return Ok(()),
            Err(e) => return Err(e),
        };
        self.walk_children(dir, subdirs, exclusions)?;
        match self.add_watch(dir) {
            Ok(wd) => {
                self.table.insert(wd, dir);
                Ok(())
            }
            Err(e) if tolerated(e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The initial walk on two cores: a lister thread reads directories (depth first,
    /// emitting each directory after its children, as the reference's order) while this
    /// thread adds the watches. Same tolerance and exclusions as [`Self::walk_dir`].
    fn walk_parallel(
        &mut self,
        dir: &[u8],
        subdirs: Vec<(Vec<u8>, bool)>,
        exclusions: &[Vec<u8>],
    ) -> Result<(), Errno> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Vec<u8>>, Errno>>(4);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut batch = Vec::with_capacity(LIST_BATCH);
                let run = || -> Result<(), Errno> {
                    for (name, _) in subdirs {
                        let child = join_dir(dir, &name);
                        if !walk::excluded(&child[..child.len() - 1], exclusions) {
                            list_post_order(child, exclusions, &tx, &mut batch)?;
                        }
                    }
                    Ok(())
                };
                let outcome = run();
                let _ = tx.send(Ok(batch));
                if let Err(e) = outcome {
                    let _ = tx.send(Err(e));
                }
            });
            // Dropping the receiver on an early return stops the lister at its next send.
            for msg in rx {
                for dir in msg? {
                    self.walked += 1;
                    if let Some(p) = &mut self.progress
                        && !p()
                    {
                        return Err(Errno::ECANCELED);
                    }
                    if self.walked.is_multiple_of(DRAIN_EVERY) {
                        let _ = self.read_append();
                    }
                    match self.add_watch(&dir) {
                        Ok(wd) => {
                            self.table.insert(wd, &dir);
                        }
                        Err(e) if tolerated(e) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(())
        })
    }

    fn walk_children(
        &mut self,
        dir: &[u8],
        subdirs: Vec<(Vec<u8>, bool)>,
        exclusions: &[Vec<u8>],
    ) -> Result<(), Errno> {
        for (name, _) in subdirs {
            let child = join_dir(dir, &name);
            if walk::excluded(&child[..child.len() - 1], exclusions) {
                continue;
            }
            self.walk_dir(&child, exclusions)?;
        }
        Ok(())
    }

    /// Watches a directory that appeared inside the tree (no `@` exclusions apply). When
    /// `created` and scanning is on, what it already holds is reported.
    fn add_new_dir(&mut self, dir: &[u8], created: bool) {
        if self.table.find(dir).is_some() || !walk::is_real_dir(&dir[..dir.len() - 1]) {
            return;
        }
        self.notices.push_back(Notice::WatchingNewDir(dir.to_vec()));
        let scan = created && self.opts.scan_new && self.opts.mask & bits::CREATE != 0;
        let result = if scan {
            self.scan_dir(dir)
        } else {
            self.walk_dir(dir, &[])
        };
        if let Err(e) = result {
            self.notices
                .push_back(Notice::NewDirFailed(dir.to_vec(), e));
        }
        if scan {
            // Everything queued up to now may repeat a creation just synthesised: read it
            // all in, and drop such repeats up to that point.
            self.drain_queued();
            self.dedupe_until = self.len;
        }
    }

    /// Watches `dir` first, then lists it: entries present are synthesised as `CREATE`s,
    /// depth first, parents before children.
    fn scan_dir(&mut self, dir: &[u8]) -> Result<(), Errno> {
        // While we list it, the directory's watch leaves out the events our own listing
        // causes on it (the reference lists before watching, so it never sees them; and
        // kept out of the queue, they cannot split the parent's identical ACCESS events,
        // which the kernel then merges as it does for the reference).
        let quiet = self.opts.mask & !SELF_SCAN_EVENTS;
        let wd = self.add_watch_mask(dir, quiet)?;
        self.table.insert(wd, dir);
        let listed = walk::list(dir, false);
        if quiet != self.opts.mask {
            self.add_watch(dir)?;
        }
        let entries = match listed {
            Ok(e) => e,
            Err(e) if tolerated(e) => return Ok(()),
            Err(e) => return Err(e),
        };
        for (name, is_dir) in entries {
            let mask = if is_dir {
                bits::CREATE | bits::ISDIR
            } else {
                bits::CREATE
            };
            self.dedupe.insert((wd, name.clone().into()));
            self.synth.push_back(Synth {
                wd,
                mask,
                name: name.clone().into(),
            });
            if is_dir {
                let child = join_dir(dir, &name);
                match self.scan_dir(&child) {
                    Err(e) if !tolerated(e) => return Err(e),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// After an overflow: watch every directory of the trees that is not watched yet, and
    /// fix names the lost renames left stale.
    fn rescan(&mut self) {
        let tops = self.tops.clone();
        let exclusions = self.exclusions.clone();
        for top in tops {
            self.rescan_dir(&top, &exclusions);
        }
    }

    fn rescan_dir(&mut self, dir: &[u8], exclusions: &[Vec<u8>]) {
        let Ok(wd) = self.add_watch(dir) else { return };
        if self.table.get(wd) != Some(dir) {
            self.table.set(wd, dir);
        }
        let Ok(subdirs) = walk::list(dir, true) else {
            return;
        };
        for (name, _) in subdirs {
            let child = join_dir(dir, &name);
            if !walk::excluded(&child[..child.len() - 1], exclusions) {
                self.rescan_dir(&child, exclusions);
            }
        }
    }

    /// Removes the watches of `dir` and everything below it (moved out of the tree).
    fn drop_subtree(&mut self, dir: &[u8]) {
        for wd in self.table.subtree(dir) {
            self.table.remove(wd);
            // The kernel answers with IN_IGNORED for a wd we no longer know: dropped later.
            // SAFETY: plain syscall on our own inotify fd.
            unsafe { libc::inotify_rm_watch(self.inotify.as_raw_fd(), wd) };
        }
    }

    /// Waits up to `timeout` (None = forever) for events to read, or for `extra` to
    /// become readable.
    pub fn wait(
        &mut self,
        timeout: Option<Duration>,
        extra: Option<RawFd>,
    ) -> Result<Wait, ReadError> {
        self.settle_due();
        if !self.synth.is_empty() || self.pos < self.len {
            return Ok(Wait::Ready);
        }
        if !self.pending_moves.is_empty() {
            // A MOVED_FROM whose MOVED_TO is not queued by now went out of the tree.
            if self.fill()? {
                return Ok(Wait::Ready);
            }
            for (_, dir) in std::mem::take(&mut self.pending_moves) {
                self.drop_subtree(&dir);
            }
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        if self.last_read >= BURST_BYTES && !self.opts.burst_pause.is_zero() {
            self.last_read = 0;
            std::thread::sleep(self.opts.burst_pause);
        }
        loop {
            let ms = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    let ms = left.as_micros().div_ceil(1000);
                    i32::try_from(ms).unwrap_or(i32::MAX)
                }
            };
            let mut pfd = [
                libc::pollfd {
                    fd: self.inotify.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: extra.unwrap_or(-1),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: two valid pollfds (a negative fd is ignored by poll).
            let r = unsafe { libc::poll(pfd.as_mut_ptr(), 2, ms) };
            if r < 0 {
                let e = Errno::last();
                if e == Errno::EINTR {
                    continue;
                }
                return Err(ReadError::Os(e));
            }
            if r == 0 {
                if deadline.is_some_and(|d| Instant::now() < d) {
                    continue;
                }
                return Ok(Wait::TimedOut);
            }
            if pfd[1].revents != 0 {
                return Ok(Wait::Extra);
            }
            if self.fill()? {
                return Ok(Wait::Ready);
            }
        }
    }

    /// Reads what is queued into an empty buffer; false when nothing was queued.
    fn fill(&mut self) -> Result<bool, ReadError> {
        if self.pos >= self.len {
            self.pos = 0;
            self.len = 0;
            self.dedupe_until = 0;
            self.dedupe.clear();
            if self.buf.capacity() > 16 * READ_SIZE {
                self.buf = Vec::with_capacity(READ_SIZE);
            }
        }
        self.read_append()
    }

    /// One non-blocking `read` appended after the unprocessed bytes.
    fn read_append(&mut self) -> Result<bool, ReadError> {
        if self.buf.len() < self.len + READ_SIZE {
            self.buf.resize(self.len + READ_SIZE, 0);
        }
        let spare = &mut self.buf[self.len..];
        // SAFETY: spare is writable for its length; the fd is the inotify instance's.
        let n = unsafe {
            libc::read(
                self.inotify.as_raw_fd(),
                spare.as_mut_ptr().cast(),
                spare.len(),
            )
        };
        if n < 0 {
            let e = Errno::last();
            return match e {
                Errno::EAGAIN | Errno::EINTR => Ok(false),
                e => Err(ReadError::Os(e)),
            };
        }
        if n == 0 {
            return Err(ReadError::Eof);
        }
        self.len += n as usize;
        self.last_read = n as usize;
        Ok(true)
    }

    /// Reads into memory at least everything the kernel had queued at this moment.
    fn drain_queued(&mut self) {
        let mut queued: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int.
        if unsafe { libc::ioctl(self.inotify.as_raw_fd(), libc::FIONREAD, &mut queued) } < 0 {
            return;
        }
        let target = self.len + usize::try_from(queued).unwrap_or(0);
        while self.len < target {
            match self.read_append() {
                Ok(true) => {}
                _ => break,
            }
        }
    }

    /// Parses the raw event at `off`: (wd, mask, cookie, name range, next offset).
    fn raw(&self, off: usize) -> (i32, u32, u32, usize, usize, usize) {
        let b = &self.buf[off..off + HEADER];
        let wd = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        let mask = u32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
        let cookie = u32::from_ne_bytes([b[8], b[9], b[10], b[11]]);
        let nlen = u32::from_ne_bytes([b[12], b[13], b[14], b[15]]) as usize;
        let start = off + HEADER;
        let next = (start + nlen).min(self.len);
        let name = &self.buf[start..next];
        let end = start + name.iter().position(|&c| c == 0).unwrap_or(name.len());
        (wd, mask, cookie, start, end, next)
    }

    /// The next event that passes the filter, or None when everything read is processed.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        self.settle_due();
        loop {
            if let Some(s) = self.synth.pop_front() {
                let pass = passes(
                    &self.opts,
                    &self.table,
                    &mut self.subject,
                    s.wd,
                    s.mask,
                    &s.name,
                );
                self.current = Some(s);
                if !pass {
                    continue;
                }
                self.due = Due::Synth;
                let s = self.current.as_ref()?;
                let watch = self.table.get(s.wd).unwrap_or_default();
                return Some(Event {
                    wd: s.wd,
                    mask: s.mask,
                    cookie: 0,
                    watch,
                    name: &s.name,
                });
            }
            if self.pos + HEADER > self.len {
                self.pos = self.len;
                return None;
            }
            let off = self.pos;
            let (wd, mask, cookie, start, end, next) = self.raw(off);
            self.pos = next;
            if wd != -1 && !self.table.contains(wd) {
                continue; // a watch we removed; its last events are stale
            }
            if !self.dedupe.is_empty() {
                if off >= self.dedupe_until {
                    self.dedupe.clear();
                } else if mask & bits::CREATE != 0 {
                    let key = (wd, Box::<[u8]>::from(&self.buf[start..end]));
                    if self.dedupe.remove(&key) {
                        continue; // already reported by the scan of its new directory
                    }
                }
            }
            if self.moved_out(wd, mask, cookie) {
                continue;
            }
            self.due = Due::Raw(off);
            let name = &self.buf[start..end];
            if !passes(&self.opts, &self.table, &mut self.subject, wd, mask, name) {
                self.settle_due();
                continue;
            }
            let watch = if wd == -1 {
                &[][..]
            } else {
                self.table.get(wd).unwrap_or_default()
            };
            return Some(Event {
                wd,
                mask,
                cookie,
                watch,
                name: &self.buf[start..end],
            });
        }
    }

    /// An event from inside a directory whose MOVED_FROM is still unpaired means the
    /// directory left the tree: drop its watches (and this event).
    fn moved_out(&mut self, wd: i32, mask: u32, cookie: u32) -> bool {
        if self.pending_moves.is_empty() || wd == -1 {
            return false;
        }
        if mask & bits::MOVED_TO != 0 && self.pending_moves.iter().any(|(c, _)| *c == cookie) {
            return false;
        }
        let Some(path) = self.table.get(wd) else {
            return false;
        };
        let Some(i) = self
            .pending_moves
            .iter()
            .position(|(_, d)| path.starts_with(d))
        else {
            return false;
        };
        let (_, dir) = self.pending_moves.remove(i);
        self.drop_subtree(&dir);
        true
    }

    /// Bookkeeping for the event handed out last: done after it was reported, as the
    /// reference does, so the event itself carries the names from before the change.
    fn settle_due(&mut self) {
        let off = match std::mem::replace(&mut self.due, Due::None) {
            Due::Raw(off) => off,
            // A synthesised creation's directory was watched by the scan already.
            Due::Synth | Due::None => return,
        };
        let (wd, mask, cookie, start, end, _) = self.raw(off);
        if mask & bits::Q_OVERFLOW != 0 {
            self.notices.push_back(Notice::Overflow);
            if self.opts.track {
                self.rescan();
            }
            return;
        }
        if wd == -1 {
            return;
        }
        if mask & bits::IGNORED != 0 {
            if let Some(p) = self.table.get(wd).map(<[u8]>::to_vec) {
                self.table.remove_if(wd, &p);
            }
            return;
        }
        if !self.opts.track || mask & bits::ISDIR == 0 {
            return;
        }
        let Some(parent) = self.table.get(wd) else {
            return;
        };
        let dir = join_dir(parent, &self.buf[start..end]);
        if mask & bits::MOVED_FROM != 0 {
            if self.table.find(&dir).is_some() {
                self.pending_moves.push((cookie, dir.into()));
            }
        } else if mask & bits::MOVED_TO != 0 {
            if let Some(i) = self.pending_moves.iter().position(|(c, _)| *c == cookie) {
                let (_, old) = self.pending_moves.remove(i);
                self.table.rename_prefix(&old, &dir);
            } else {
                self.add_new_dir(&dir, false);
            }
        } else if mask & bits::CREATE != 0 {
            self.add_new_dir(&dir, true);
        }
    }
}

/// Whether the filter lets an event through. Its subject is `%w%f`; with `-r`, a new
/// directory's `CREATE`/`MOVED_TO` is never excluded (upstream's latest).
fn passes(
    opts: &Options,
    table: &WatchTable,
    subject: &mut Vec<u8>,
    wd: i32,
    mask: u32,
    name: &[u8],
) -> bool {
    let Some(f) = &opts.filter else { return true };
    if f.exclude
        && opts.recursive
        && mask & bits::ISDIR != 0
        && mask & (bits::CREATE | bits::MOVED_TO) != 0
    {
        return true;
    }
    subject.clear();
    if wd != -1 {
        subject.extend_from_slice(table.get(wd).unwrap_or_default());
    }
    subject.extend_from_slice(name);
    f.ere.is_match(subject) != f.exclude
}

/// Directories per message from the lister thread.
const LIST_BATCH: usize = 256;

/// Lists `dir` and its subdirectories depth first, sending each directory after its
/// children. Tolerated errors (EACCES, ENOENT, ELOOP) skip a directory; others stop.
fn list_post_order(
    dir: Vec<u8>,
    exclusions: &[Vec<u8>],
    tx: &std::sync::mpsc::SyncSender<Result<Vec<Vec<u8>>, Errno>>,
    batch: &mut Vec<Vec<u8>>,
) -> Result<(), Errno> {
    let subdirs = match walk::list(&dir, true) {
        Ok(s) => s,
        Err(e) if tolerated(e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for (name, _) in subdirs {
        let child = join_dir(&dir, &name);
        if !walk::excluded(&child[..child.len() - 1], exclusions) {
            list_post_order(child, exclusions, tx, batch)?;
        }
    }
    batch.push(dir);
    if batch.len() >= LIST_BATCH {
        let full = std::mem::replace(batch, Vec::with_capacity(LIST_BATCH));
        // The receiver is gone when the walk was abandoned: stop listing.
        tx.send(Ok(full)).map_err(|_| Errno::ECANCELED)?;
    }
    Ok(())
}

/// `<dir><name>/`, the name a subdirectory is reported under.
fn join_dir(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(dir.len() + name.len() + 1);
    p.extend_from_slice(dir);
    p.extend_from_slice(name);
    p.push(b'/');
    p
}

fn tolerated(e: Errno) -> bool {
    matches!(e, Errno::EACCES | Errno::ENOENT | Errno::ELOOP)
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}
