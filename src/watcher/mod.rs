//! The watcher: owns the inotify fd and the wd → name table; walks trees, adds watches,
//! follows new and renamed directories, and yields plain [`Event`]s. It knows nothing of
//! the CLI, formats or statistics.

pub mod table;
mod walk;

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use std::os::unix::ffi::OsStrExt;

use inotify::{Inotify, WatchMask};
use nix::errno::Errno;

use crate::ere::Ere;
use crate::event::{Event, bits};
pub use table::WatchTable;

/// Bytes of one `struct inotify_event` header.
const HEADER: usize = 16;
/// Read buffer: enough for hundreds of events per `read`.
const BUF_SIZE: usize = 64 * 1024;

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
    pub filter: Option<Filter>,
}

/// Something the watcher wants the user told (wording belongs to the applet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// About to watch a directory that appeared in the tree (path ends in `/`).
    WatchingNewDir(Vec<u8>),
    /// Watching such a directory failed.
    NewDirFailed(Vec<u8>, Errno),
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

/// Error reading the inotify fd.
#[derive(Debug)]
pub enum ReadError {
    Eof,
    Os(Errno),
}

pub struct Watcher {
    inotify: Inotify,
    opts: Options,
    table: WatchTable,
    buf: Vec<u8>,
    /// Start and end of unread bytes in `buf`.
    pos: usize,
    len: usize,
    /// Offset of the event last handed out, whose bookkeeping is still due.
    due: Option<usize>,
    /// Directory MOVED_FROMs waiting for their MOVED_TO: (cookie, old name).
    pending_moves: Vec<(u32, Box<[u8]>)>,
    notices: VecDeque<Notice>,
    progress: Option<Progress>,
    subject: Vec<u8>,
    scratch: Vec<u8>,
}

impl Watcher {
    /// Initialises inotify.
    pub fn new(opts: Options) -> Result<Watcher, Errno> {
        let inotify = Inotify::init().map_err(|e| errno_of(&e))?;
        Ok(Watcher {
            inotify,
            opts,
            table: WatchTable::new(),
            buf: vec![0; BUF_SIZE],
            pos: 0,
            len: 0,
            due: None,
            pending_moves: Vec::new(),
            notices: VecDeque::new(),
            progress: None,
            subject: Vec::new(),
            scratch: Vec::new(),
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
        let p = std::ffi::OsStr::from_bytes(path);
        let wd = self
            .inotify
            .watches()
            .add(p, WatchMask::from_bits_retain(self.opts.mask))
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
        match walk::list_subdirs(path) {
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
                self.walk_children(&dir, subdirs, exclusions)
                    .map_err(fail)?;
                let wd = self.add_watch(&dir).map_err(fail)?;
                self.table.insert(wd, &dir);
                Ok(())
            }
        }
    }

    /// Watches `dir` (ending in `/`) and its subdirectories, children first.
    /// Errors that the reference tolerates below the top (EACCES, ENOENT, ELOOP) skip a
    /// directory; others are returned.
    fn walk_dir(&mut self, dir: &[u8], exclusions: &[Vec<u8>]) -> Result<(), Errno> {
        if let Some(p) = &mut self.progress
            && !p()
        {
            return Err(Errno::ECANCELED);
        }
        let subdirs = match walk::list_subdirs(dir) {
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

    fn walk_children(
        &mut self,
        dir: &[u8],
        subdirs: Vec<Vec<u8>>,
        exclusions: &[Vec<u8>],
    ) -> Result<(), Errno> {
        for name in subdirs {
            let mut child = Vec::with_capacity(dir.len() + name.len() + 1);
            child.extend_from_slice(dir);
            child.extend_from_slice(&name);
            if walk::excluded(&child, exclusions) {
                continue;
            }
            child.push(b'/');
            self.walk_dir(&child, exclusions)?;
        }
        Ok(())
    }

    /// Watches a directory that appeared inside the tree (no `@` exclusions apply).
    fn add_new_dir(&mut self, dir: &[u8]) {
        if !walk::is_real_dir(&dir[..dir.len() - 1]) {
            return;
        }
        self.notices.push_back(Notice::WatchingNewDir(dir.to_vec()));
        if let Err(e) = self.walk_dir(dir, &[]) {
            self.notices
                .push_back(Notice::NewDirFailed(dir.to_vec(), e));
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
        if self.pos < self.len {
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

    /// One non-blocking read into the buffer; false when nothing was queued.
    fn fill(&mut self) -> Result<bool, ReadError> {
        // SAFETY: buf is writable for its length; the fd is the inotify instance's.
        let n = unsafe {
            libc::read(
                self.inotify.as_raw_fd(),
                self.buf.as_mut_ptr().cast(),
                self.buf.len(),
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
        self.pos = 0;
        self.len = n as usize;
        Ok(true)
    }

    /// Parses the raw event at `off`: (wd, mask, cookie, name range).
    fn raw(&self, off: usize) -> (i32, u32, u32, usize, usize) {
        let b = &self.buf[off..off + HEADER];
        let wd = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        let mask = u32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
        let cookie = u32::from_ne_bytes([b[8], b[9], b[10], b[11]]);
        let nlen = u32::from_ne_bytes([b[12], b[13], b[14], b[15]]) as usize;
        let start = off + HEADER;
        let name = &self.buf[start..start + nlen];
        let end = start + name.iter().position(|&c| c == 0).unwrap_or(nlen);
        (wd, mask, cookie, start, end)
    }

    /// The next buffered event that passes the filter, or None when the buffer is drained.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        self.settle_due();
        loop {
            if self.pos + HEADER > self.len {
                self.pos = self.len;
                return None;
            }
            let off = self.pos;
            let (wd, mask, _, start, end) = self.raw(off);
            let nlen = u32::from_ne_bytes([
                self.buf[off + 12],
                self.buf[off + 13],
                self.buf[off + 14],
                self.buf[off + 15],
            ]) as usize;
            self.pos = off + HEADER + nlen;
            if wd != -1 && !self.table.contains(wd) {
                continue; // a watch we removed; its last events are stale
            }
            if self.moved_out(wd, mask, off) {
                continue;
            }
            if !self.passes(wd, mask, start, end) {
                self.due = Some(off);
                self.settle_due();
                continue;
            }
            self.due = Some(off);
            let (wd, mask, cookie, start, end) = self.raw(off);
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
    fn moved_out(&mut self, wd: i32, mask: u32, off: usize) -> bool {
        if self.pending_moves.is_empty() || wd == -1 {
            return false;
        }
        if mask & bits::MOVED_TO != 0 {
            let (_, _, cookie, _, _) = self.raw(off);
            if self.pending_moves.iter().any(|(c, _)| *c == cookie) {
                return false;
            }
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

    fn passes(&mut self, wd: i32, mask: u32, start: usize, end: usize) -> bool {
        let Some(f) = &self.opts.filter else {
            return true;
        };
        if f.exclude
            && self.opts.recursive
            && mask & bits::ISDIR != 0
            && mask & (bits::CREATE | bits::MOVED_TO) != 0
        {
            return true;
        }
        self.subject.clear();
        if wd != -1 {
            self.subject
                .extend_from_slice(self.table.get(wd).unwrap_or_default());
        }
        self.subject.extend_from_slice(&self.buf[start..end]);
        f.ere.is_match(&self.subject) != f.exclude
    }

    /// Bookkeeping for the event handed out last: done after it was reported, as the
    /// reference does, so the event itself carries the names from before the change.
    fn settle_due(&mut self) {
        let Some(off) = self.due.take() else { return };
        let (wd, mask, cookie, start, end) = self.raw(off);
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
        let mut dir = std::mem::take(&mut self.scratch);
        dir.clear();
        dir.extend_from_slice(parent);
        dir.extend_from_slice(&self.buf[start..end]);
        dir.push(b'/');
        if mask & bits::MOVED_FROM != 0 {
            if self.table.find(&dir).is_some() {
                self.pending_moves.push((cookie, dir.as_slice().into()));
            }
        } else if mask & bits::MOVED_TO != 0 {
            if let Some(i) = self.pending_moves.iter().position(|(c, _)| *c == cookie) {
                let (_, old) = self.pending_moves.remove(i);
                self.table.rename_prefix(&old, &dir);
            } else {
                self.add_new_dir(&dir);
            }
        } else if mask & bits::CREATE != 0 {
            self.add_new_dir(&dir);
        }
        self.scratch = dir;
    }
}

fn tolerated(e: Errno) -> bool {
    matches!(e, Errno::EACCES | Errno::ENOENT | Errno::ELOOP)
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}
