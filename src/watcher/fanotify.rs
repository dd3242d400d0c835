//! The fanotify backend (`-F`, `-S`, the `fsnotify*` names): marks, and the translation
//! of fanotify's records (file handles and names) into the inotify records the rest of
//! the watcher reads, so nothing above [`Backend`] knows which kernel interface runs.
//!
//! No fd is held per directory. `-F` marks each directory (or file) by path and keys it
//! by its file handle; `-S` places one filesystem mark per filesystem and learns the
//! directories under the given paths on demand: a handle seen for the first time is
//! resolved to a path (`open_by_handle_at`, then the `/proc/self/fd` link), kept in a
//! bounded cache and announced to the watcher with a [`BIND`] record (evictions with
//! [`FORGET`]). Renames rewrite the cache from `FAN_RENAME` (Linux 5.17+); without it a
//! directory move empties the cache, which refills from the handles. Events caused by
//! this process (its own listings) are dropped by pid. The translation itself
//! ([`Translator`]) is pure and tested without a kernel.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;

use super::kernel::{Backend, ReadError};
use crate::event::bits;

/// Record mask (never sent by the kernel): the watch `wd` is the directory named by the
/// record's name (its table entry is set).
pub const BIND: u32 = 0x0100_0000;
/// Record mask: the watch `wd` is gone from the cache (its table entry is removed).
pub const FORGET: u32 = 0x0800_0000;

pub(crate) const FAN_CLASS_NOTIF: u32 = 0;
pub(crate) const FAN_CLOEXEC: u32 = 1;
pub(crate) const FAN_NONBLOCK: u32 = 2;
pub(crate) const FAN_REPORT_FID: u32 = 0x200;
pub(crate) const FAN_REPORT_DFID_NAME: u32 = 0xc00;
pub(crate) const FAN_MARK_ADD: u32 = 1;
const FAN_MARK_REMOVE: u32 = 2;
const FAN_MARK_DONT_FOLLOW: u32 = 4;
pub(crate) const FAN_MARK_FILESYSTEM: u32 = 0x100;
const FAN_EVENT_ON_CHILD: u64 = 0x0800_0000;
pub(crate) const FAN_ONDIR: u64 = 0x4000_0000;
const FAN_RENAME: u64 = 0x1000_0000;
const FAN_Q_OVERFLOW: u64 = 0x4000;
const INFO_FID: u8 = 1;
const INFO_DFID_NAME: u8 = 2;
const INFO_OLD_DFID_NAME: u8 = 10;
const INFO_NEW_DFID_NAME: u8 = 12;
/// `struct fanotify_event_metadata`.
const META: usize = 24;
/// Events that name an entry of a directory (reported on the parent only).
const DIRENT: u32 = bits::CREATE | bits::DELETE | bits::MOVED_FROM | bits::MOVED_TO;
/// Events of the object itself (never reported on its parent).
const SELF: u32 = bits::DELETE_SELF | bits::MOVE_SELF;
/// Directories `-S` keeps resolved at most (each a path and a handle).
pub const CACHE_CAP: usize = 8192;
/// Raw fanotify bytes read at once.
const RAW_READ: usize = 64 * 1024;

/// A file handle as fanotify reports it, owned: the fsid, then `struct file_handle`
/// (byte count, type, bytes). Events borrow the same bytes from the read buffer.
pub type Key = Box<[u8]>;

/// One fanotify event, its info records parsed (handles and names borrowed from the
/// buffer read).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FanEvent<'a> {
    pub mask: u64,
    pub pid: i32,
    /// The object's own handle (`FAN_REPORT_FID`).
    pub fid: Option<&'a [u8]>,
    /// The directory and the entry's name (`.` for the directory itself).
    pub dfid: Option<(&'a [u8], &'a [u8])>,
    /// `FAN_RENAME`: where from and where to.
    pub old: Option<(&'a [u8], &'a [u8])>,
    pub new: Option<(&'a [u8], &'a [u8])>,
}

/// Parses the event at `off` of `buf`; None when no whole event is left. The second
/// value is the offset of the next event (always past `off`).
pub fn parse(buf: &[u8], off: usize) -> Option<(FanEvent<'_>, usize)> {
    let meta = buf.get(off..off.checked_add(META)?)?;
    let u32_at = |b: &[u8], i: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(b.get(i..i + 4)?.try_into().ok()?))
    };
    let len = u32_at(meta, 0)? as usize;
    let meta_len = u16::from_ne_bytes([meta[6], meta[7]]) as usize;
    if len < META || meta_len < META {
        return None;
    }
    let next = off.checked_add(len)?;
    let ev = buf.get(off..next)?;
    let mut out = FanEvent {
        mask: u64::from_ne_bytes(meta[8..16].try_into().ok()?),
        pid: i32::from_ne_bytes(meta[20..24].try_into().ok()?),
        ..FanEvent::default()
    };
    let mut i = meta_len;
    while i + 4 <= ev.len() {
        let kind = ev[i];
        let ilen = u16::from_ne_bytes([ev[i + 2], ev[i + 3]]) as usize;
        let Some(info) = ev.get(i..i + ilen).filter(|_| ilen >= 20) else {
            break;
        };
        let hbytes = u32_at(info, 12)? as usize;
        let hend = 20usize.checked_add(hbytes)?;
        // fsid, then struct file_handle: contiguous in the record, so borrowed whole.
        let key = info.get(4..hend)?;
        let rest = info.get(hend..).unwrap_or_default();
        let name = &rest[..rest.iter().position(|&c| c == 0).unwrap_or(rest.len())];
        match kind {
            INFO_FID => out.fid = Some(key),
            INFO_DFID_NAME => out.dfid = Some((key, name)),
            INFO_OLD_DFID_NAME => out.old = Some((key, name)),
            INFO_NEW_DFID_NAME => out.new = Some((key, name)),
            _ => {}
        }
        i += ilen;
    }
    Some((out, next))
}

/// Appends one inotify-layout record (name NUL-padded to a multiple of 4).
pub fn push_record(out: &mut Vec<u8>, wd: i32, mask: u32, cookie: u32, name: &[u8]) {
    let padded = if name.is_empty() {
        0
    } else {
        (name.len() + 1).next_multiple_of(4)
    };
    out.extend_from_slice(&wd.to_ne_bytes());
    out.extend_from_slice(&mask.to_ne_bytes());
    out.extend_from_slice(&cookie.to_ne_bytes());
    out.extend_from_slice(&(padded as u32).to_ne_bytes());
    out.extend_from_slice(name);
    out.extend(std::iter::repeat_n(0, padded - name.len()));
}

/// A fast hasher for file handles (FxHash's mix, eight bytes at a time): handles come
/// from the kernel, so SipHash's protection buys nothing, and hashing was the largest
/// user-space cost per event.
#[derive(Default, Clone, Copy)]
pub struct HandleHasher(u64);

impl std::hash::Hasher for HandleHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_ne_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write(&n.to_ne_bytes());
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Fast = std::hash::BuildHasherDefault<HandleHasher>;

/// What a handle is to us.
#[derive(Debug, Clone)]
struct Entry {
    id: i32,
    /// `-S`: the directory's absolute path (no trailing `/`, `/` itself empty).
    path: Box<[u8]>,
    /// A path given on the command line (never evicted).
    pinned: bool,
}

/// `-S`: which directories count, and what was learned about the others.
#[derive(Debug, Default)]
struct Subtree {
    /// Absolute paths given (no trailing `/`; the root directory is empty).
    roots: Vec<Vec<u8>>,
    /// `@` exclusions, absolute.
    excluded: Vec<Vec<u8>>,
    /// Handles resolved to somewhere outside the roots.
    outside: HashSet<Key, Fast>,
    /// Cached handles, oldest first (for eviction).
    order: VecDeque<Key>,
}

fn under(path: &[u8], root: &[u8]) -> bool {
    path.starts_with(root) && (path.len() == root.len() || path[root.len()] == b'/')
}

impl Subtree {
    fn admits(&self, path: &[u8]) -> bool {
        self.roots.iter().any(|r| under(path, r)) && !self.excluded.iter().any(|x| under(path, x))
    }
}

/// The pure half of the backend: handles to watch ids, fanotify events to inotify records.
#[derive(Debug)]
pub struct Translator {
    /// The events asked for (inotify bits).
    pub mask: u32,
    pub own_pid: i32,
    /// `FAN_RENAME` is in use (else `FAN_MOVED_FROM`/`FAN_MOVED_TO`, paired here).
    pub rename: bool,
    ids: HashMap<Key, Entry, Fast>,
    keys: HashMap<i32, Key, Fast>,
    next_id: i32,
    cookie: u32,
    /// Fallback pairing: the cookie of a `MOVED_FROM` just translated.
    last_from: Option<(u32, bool)>,
    subtree: Option<Subtree>,
    cap: usize,
}

impl Translator {
    /// `filesystem`: the `-S` mode (directories learned on demand, under the roots only).
    pub fn new(mask: u32, own_pid: i32, filesystem: bool) -> Translator {
        Translator {
            mask,
            own_pid,
            rename: true,
            ids: HashMap::default(),
            keys: HashMap::default(),
            next_id: 1,
            cookie: 0,
            last_from: None,
            subtree: filesystem.then(Subtree::default),
            cap: CACHE_CAP,
        }
    }

    /// Handles known now (marks with `-F`, cached directories with `-S`).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    #[cfg(test)]
    fn with_cap(mut self, cap: usize) -> Translator {
        self.cap = cap;
        self
    }

    fn new_id(&mut self) -> i32 {
        loop {
            let id = self.next_id;
            self.next_id = if id == i32::MAX { 1 } else { id + 1 };
            if !self.keys.contains_key(&id) {
                return id;
            }
        }
    }

    /// A path given to watch: its handle gets an id (the same one when already known).
    /// `abs` is its absolute path (used by `-S`).
    pub fn add(&mut self, key: Key, abs: &[u8], is_dir: bool) -> i32 {
        if let Some(e) = self.ids.get_mut(&key) {
            e.pinned = true;
            return e.id;
        }
        let id = self.new_id();
        let path: Box<[u8]> = abs.strip_suffix(b"/").unwrap_or(abs).into();
        if let Some(s) = &mut self.subtree {
            // A root watched again (--retry) is kept once.
            if is_dir && !s.roots.iter().any(|r| r[..] == path[..]) {
                s.roots.push(path.to_vec());
            }
            s.outside.clear();
        }
        self.keys.insert(id, key.clone());
        self.ids.insert(
            key,
            Entry {
                id,
                path,
                pinned: true,
            },
        );
        id
    }

    /// `-S`: an `@` exclusion (absolute). The watcher passes the list with every top
    /// path; each exclusion is kept once.
    pub fn exclude(&mut self, abs: &[u8]) {
        if let Some(s) = &mut self.subtree {
            let x = abs.strip_suffix(b"/").unwrap_or(abs);
            if !s.excluded.iter().any(|e| e == x) {
                s.excluded.push(x.to_vec());
            }
        }
    }

    /// Forgets `id` (the watcher removed it); returns its handle.
    pub fn remove(&mut self, id: i32) -> Option<Key> {
        let key = self.keys.remove(&id)?;
        self.ids.remove(&key);
        Some(key)
    }

    fn next_cookie(&mut self) -> u32 {
        self.cookie = self.cookie.wrapping_add(1).max(1);
        self.cookie
    }

    /// The id of directory `key`, learning it under `-S` (`resolve` gives its absolute
    /// path). Announces a new one with a [`BIND`] record.
    fn dir_id(
        &mut self,
        key: &[u8],
        resolve: &mut dyn FnMut(&[u8]) -> Option<Vec<u8>>,
        out: &mut Vec<u8>,
    ) -> Option<i32> {
        if let Some(e) = self.ids.get(key) {
            return Some(e.id);
        }
        let s = self.subtree.as_ref()?;
        if s.outside.contains(key) {
            return None;
        }
        let path = resolve(key);
        let s = self.subtree.as_mut()?;
        let Some(path) = path.filter(|p| s.admits(p)) else {
            if s.outside.len() >= self.cap {
                s.outside.clear();
            }
            s.outside.insert(key.into());
            return None;
        };
        self.evict(out);
        let id = self.new_id();
        push_record(out, id, BIND, 0, &slashed(&path));
        let key: Key = key.into();
        if let Some(s) = &mut self.subtree {
            s.order.push_back(key.clone());
        }
        self.keys.insert(id, key.clone());
        self.ids.insert(
            key,
            Entry {
                id,
                path: path.into(),
                pinned: false,
            },
        );
        Some(id)
    }

    /// Makes room in a full `-S` cache: the oldest learned directories are forgotten.
    fn evict(&mut self, out: &mut Vec<u8>) {
        while self.ids.len() >= self.cap {
            let Some(key) = self.subtree.as_mut().and_then(|s| s.order.pop_front()) else {
                return;
            };
            if let Some(e) = self.ids.get(&key).filter(|e| !e.pinned) {
                let id = e.id;
                self.remove(id);
                push_record(out, id, FORGET, 0, b"");
            }
        }
    }

    /// `-S`, a directory renamed: the cached paths under it follow (or are forgotten when
    /// it left the roots); directories learned as outside may now be inside.
    fn moved_dir(&mut self, from: Option<Vec<u8>>, to: Option<Vec<u8>>, out: &mut Vec<u8>) {
        let Some(s) = &mut self.subtree else {
            return;
        };
        s.outside.clear();
        let Some(from) = from else {
            return;
        };
        let mut changed = Vec::new();
        for (key, e) in &self.ids {
            if !e.pinned && under(&e.path, &from) {
                changed.push((key.clone(), e.id, e.path[from.len()..].to_vec()));
            }
        }
        for (key, id, rest) in changed {
            let new = to.as_ref().map(|t| [t.as_slice(), &rest].concat());
            let admitted = new.filter(|p| self.subtree.as_ref().is_some_and(|s| s.admits(p)));
            match admitted {
                Some(p) => {
                    push_record(out, id, BIND, 0, &slashed(&p));
                    if let Some(e) = self.ids.get_mut(&key) {
                        e.path = p.into();
                    }
                }
                None => {
                    self.remove(id);
                    push_record(out, id, FORGET, 0, b"");
                }
            }
        }
    }

    /// `-S` without `FAN_RENAME`: a directory moved, so every learned path may be wrong.
    fn forget_learned(&mut self, out: &mut Vec<u8>) {
        let Some(s) = &mut self.subtree else {
            return;
        };
        s.outside.clear();
        s.order.clear();
        let learned: Vec<i32> = self
            .ids
            .values()
            .filter(|e| !e.pinned)
            .map(|e| e.id)
            .collect();
        for id in learned {
            self.remove(id);
            push_record(out, id, FORGET, 0, b"");
        }
    }

    /// The path of directory `key` and its child `name`, when known or resolvable
    /// (`-S` only).
    fn child_path(
        &self,
        key: &[u8],
        name: &[u8],
        resolve: &mut dyn FnMut(&[u8]) -> Option<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        self.subtree.as_ref()?;
        let dir = match self.ids.get(key) {
            Some(e) => e.path.to_vec(),
            None => resolve(key)?,
        };
        Some([dir.as_slice(), b"/", name].concat())
    }

    /// Translates one event into inotify records appended to `out`.
    pub fn translate(
        &mut self,
        ev: &FanEvent<'_>,
        resolve: &mut dyn FnMut(&[u8]) -> Option<Vec<u8>>,
        out: &mut Vec<u8>,
    ) {
        if ev.mask & FAN_Q_OVERFLOW != 0 {
            push_record(out, -1, bits::Q_OVERFLOW, 0, b"");
            self.forget_learned(out);
            return;
        }
        if ev.pid == self.own_pid {
            return;
        }
        let isdir = if ev.mask & FAN_ONDIR != 0 {
            bits::ISDIR
        } else {
            0
        };
        let from = self.last_from.take();
        if ev.mask & FAN_RENAME != 0 {
            let (Some((ok, oname)), Some((nk, nname))) = (ev.old, ev.new) else {
                return;
            };
            let cookie = self.next_cookie();
            let paths = (isdir != 0).then(|| {
                (
                    self.child_path(ok, oname, resolve),
                    self.child_path(nk, nname, resolve),
                )
            });
            if self.mask & bits::MOVED_FROM != 0
                && let Some(id) = self.dir_id(ok, resolve, out)
            {
                push_record(out, id, bits::MOVED_FROM | isdir, cookie, oname);
            }
            if self.mask & bits::MOVED_TO != 0
                && let Some(id) = self.dir_id(nk, resolve, out)
            {
                push_record(out, id, bits::MOVED_TO | isdir, cookie, nname);
            }
            if let Some((f, t)) = paths {
                self.moved_dir(f, t, out);
            }
            return;
        }
        let raw = ev.mask as u32;
        let m = raw & self.mask & bits::ALL_EVENTS;
        // Marks also carry DELETE_SELF (and, under -S, the moves) for our own
        // bookkeeping: such an event is acted on without being reported.
        let dir_moved = isdir != 0 && raw & bits::MOVE != 0 && self.subtree.is_some();
        if m == 0 && raw & bits::DELETE_SELF == 0 && !dir_moved {
            return;
        }
        // The object itself: a handle we know (a marked file or directory) or a
        // directory reporting on itself (name ".").
        let dot = ev.dfid.is_some_and(|(_, n)| n == b".");
        let own = if dot {
            ev.dfid.and_then(|(k, _)| self.dir_id(k, resolve, out))
        } else {
            ev.fid.and_then(|k| self.ids.get(k)).map(|e| e.id)
        };
        let parent = match ev.dfid {
            Some((k, name)) if !dot => self.dir_id(k, resolve, out).map(|id| (id, name)),
            _ => None,
        };
        let mut cookie = 0;
        if !self.rename && m & bits::MOVE != 0 {
            // No FAN_RENAME: a MOVED_TO right after a MOVED_FROM is its other half.
            cookie = match from {
                Some((c, d)) if m & bits::MOVED_TO != 0 && d == (isdir != 0) => c,
                _ => self.next_cookie(),
            };
            if m & bits::MOVED_FROM != 0 {
                self.last_from = Some((cookie, isdir != 0));
            }
        }
        if let Some(id) = own {
            let own_bits = m & !DIRENT;
            if own_bits != 0 {
                push_record(out, id, own_bits | isdir, 0, b"");
            }
        }
        if let Some((id, name)) = parent {
            let child_bits = m & !SELF;
            if child_bits != 0 {
                push_record(out, id, child_bits | isdir, cookie, name);
            }
        }
        if !self.rename && dir_moved {
            self.forget_learned(out);
        }
        if raw & bits::DELETE_SELF != 0
            && let Some(id) = own
        {
            let pinned = self
                .keys
                .get(&id)
                .and_then(|k| self.ids.get(k))
                .is_some_and(|e| e.pinned || self.subtree.is_none());
            self.remove(id);
            push_record(out, id, if pinned { bits::IGNORED } else { FORGET }, 0, b"");
        }
    }
}

/// The topmost directory of `path`'s filesystem above it (its mount's root): the fd
/// `open_by_handle_at` needs is held there, never on a watched directory, which an
/// open fd would keep from being deleted (no `DELETE_SELF` until it is closed).
fn mount_top(path: &[u8]) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut p = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(path));
    let meta = std::fs::metadata(&p).ok()?;
    let dev = meta.dev();
    if !meta.is_dir() {
        p.pop();
    }
    while let Some(up) = p.parent() {
        match std::fs::metadata(up) {
            Ok(m) if m.dev() == dev => p = up.to_path_buf(),
            _ => break,
        }
    }
    Some(p)
}

fn slashed(path: &[u8]) -> Vec<u8> {
    [path, b"/"].concat()
}

/// The fanotify [`Backend`].
pub struct FanotifyBackend {
    fd: OwnedFd,
    filesystem: bool,
    no_follow: bool,
    tr: Translator,
    /// One fd per filesystem (`-S`, or `-F` as root): for `open_by_handle_at`.
    mounts: HashMap<[u8; 8], OwnedFd>,
    /// Filesystems marked (`-S`).
    marked: HashSet<[u8; 8]>,
    raw: Vec<u8>,
    /// Translated records not handed out yet: `staged[spos..]`.
    staged: Vec<u8>,
    spos: usize,
    /// Ids removed by the watcher: their `IGNORED` is due.
    ignored: Vec<i32>,
}

impl FanotifyBackend {
    /// A notification group reporting directory handles and names (Linux 5.9+).
    pub fn new(filesystem: bool) -> Result<FanotifyBackend, Errno> {
        let fd = crate::sys::fanotify_init(
            FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_FID | FAN_REPORT_DFID_NAME,
        )?;
        let mut tr = Translator::new(0, std::process::id() as i32, filesystem);
        // For tests on kernels that have FAN_RENAME: behave as before Linux 5.17.
        if std::env::var_os("RINOTIFY_FANOTIFY_NO_RENAME").is_some() {
            tr.rename = false;
        }
        Ok(FanotifyBackend {
            fd,
            filesystem,
            no_follow: false,
            tr,
            mounts: HashMap::new(),
            marked: HashSet::new(),
            raw: Vec::new(),
            staged: Vec::new(),
            spos: 0,
            ignored: Vec::new(),
        })
    }

    /// The kernel mask for a mark: the inotify bits fanotify shares, `FAN_RENAME` in
    /// place of the two move events when the kernel has it.
    fn fan_mask(&self, is_dir: bool) -> u64 {
        // DELETE_SELF always: it tells us a mark (and its handle) is gone, as inotify's
        // IGNORED does whatever the mask.
        let mut m = u64::from(self.tr.mask & (bits::ALL_EVENTS & !bits::UNMOUNT))
            | u64::from(bits::DELETE_SELF);
        if !is_dir && !self.filesystem {
            return m & !u64::from(DIRENT);
        }
        if self.filesystem {
            // The cache follows every directory move, asked for or not.
            m |= u64::from(bits::MOVE);
        }
        if self.tr.rename && m & u64::from(bits::MOVE) != 0 {
            m = (m & !u64::from(bits::MOVE)) | FAN_RENAME;
        }
        m | FAN_ONDIR
            | if self.filesystem {
                0
            } else {
                FAN_EVENT_ON_CHILD
            }
    }

    fn mark(&mut self, flags: u32, is_dir: bool, path: &CString) -> Result<(), Errno> {
        let flags = flags
            | if self.no_follow {
                FAN_MARK_DONT_FOLLOW
            } else {
                0
            };
        loop {
            let mask = self.fan_mask(is_dir);
            let r = crate::sys::fanotify_mark(
                self.fd.as_raw_fd(),
                FAN_MARK_ADD | flags,
                mask,
                None,
                Some(path),
            );
            if r == Err(Errno::EINVAL) && mask & FAN_RENAME != 0 {
                // Before Linux 5.17: no FAN_RENAME; pair the two move events instead.
                self.tr.rename = false;
                continue;
            }
            return r;
        }
    }

    /// Opens the object of `key` (`O_PATH`) through its filesystem's fd; needs
    /// `CAP_DAC_READ_SEARCH`.
    fn open_handle(mounts: &HashMap<[u8; 8], OwnedFd>, key: &[u8]) -> Option<OwnedFd> {
        let (fsid, handle) = key.split_at_checked(8)?;
        let mount = mounts.get(<&[u8; 8]>::try_from(fsid).ok()?)?;
        crate::sys::open_by_handle(mount.as_raw_fd(), handle).ok()
    }

    /// Resolves a directory handle to its absolute path (`-S`). A deleted directory
    /// resolves to nothing.
    fn resolve(mounts: &HashMap<[u8; 8], OwnedFd>, key: &[u8]) -> Option<Vec<u8>> {
        let fd = Self::open_handle(mounts, key)?;
        let link = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
        let p = link.into_os_string().into_encoded_bytes();
        if p.ends_with(b" (deleted)") || !p.starts_with(b"/") {
            return None;
        }
        Some(if p == b"/" { Vec::new() } else { p })
    }

    /// Reads and translates what the kernel has queued; false when nothing was.
    fn refill(&mut self) -> Result<bool, ReadError> {
        self.staged.clear();
        self.spos = 0;
        for id in self.ignored.drain(..) {
            push_record(&mut self.staged, id, bits::IGNORED, 0, b"");
        }
        if self.raw.len() < RAW_READ {
            self.raw.resize(RAW_READ, 0);
        }
        let n = match crate::sys::read(self.fd.as_raw_fd(), &mut self.raw) {
            Ok(0) => return Err(ReadError::Eof),
            Ok(n) => n,
            Err(Errno::EAGAIN | Errno::EINTR) => 0,
            Err(e) => return Err(ReadError::Os(e)),
        };
        let mut off = 0;
        let mounts = &self.mounts;
        let mut resolve = |k: &[u8]| Self::resolve(mounts, k);
        while let Some((ev, next)) = parse(&self.raw[..n], off) {
            self.tr.translate(&ev, &mut resolve, &mut self.staged);
            off = next;
        }
        Ok(!self.staged.is_empty() || n > 0)
    }
}

impl Backend for FanotifyBackend {
    fn add(&mut self, path: &[u8], mask: u32) -> Result<i32, Errno> {
        // Watches are added after `-d` forked: our own events carry this pid.
        self.tr.own_pid = std::process::id() as i32;
        // The watcher gives the same mask on every add.
        self.tr.mask = mask;
        self.no_follow = mask & bits::DONT_FOLLOW != 0;
        if mask & bits::UNMOUNT != 0 {
            // fanotify has no unmount event (upstream's mark fails the same way).
            return Err(Errno::EINVAL);
        }
        let c = CString::new(path).map_err(|_| Errno::EINVAL)?;
        let os = std::ffi::OsStr::from_bytes(path);
        let meta = if self.no_follow {
            std::fs::symlink_metadata(os)
        } else {
            std::fs::metadata(os)
        }
        .map_err(|e| crate::sys::errno_of(&e))?;
        let is_dir = meta.is_dir();
        let fsid = crate::sys::fsid(&c)?;
        let handle = crate::sys::name_to_handle(&c, !self.no_follow)?;
        if self.filesystem {
            if !self.marked.contains(&fsid) {
                self.mark(FAN_MARK_FILESYSTEM, true, &c)?;
                self.marked.insert(fsid);
            }
        } else {
            self.mark(0, is_dir, &c)?;
        }
        if !self.mounts.contains_key(&fsid)
            && let Some(top) = mount_top(path)
            && let Ok(fd) = nix::fcntl::open(
                top.as_path(),
                // open_by_handle_at refuses an O_PATH mount fd (EBADF).
                nix::fcntl::OFlag::O_RDONLY
                    | nix::fcntl::OFlag::O_DIRECTORY
                    | nix::fcntl::OFlag::O_CLOEXEC,
                nix::sys::stat::Mode::empty(),
            )
        {
            self.mounts.insert(fsid, fd);
        }
        let key: Key = [fsid.as_slice(), &handle].concat().into();
        Ok(self.tr.add(key, path, is_dir))
    }

    fn remove(&mut self, id: i32) {
        let Some(key) = self.tr.remove(id) else {
            return;
        };
        self.ignored.push(id);
        if self.filesystem {
            return;
        }
        // Without CAP_DAC_READ_SEARCH the handle cannot be opened: the mark stays until
        // the directory goes, and its events are dropped here (the handle is unknown).
        if let Some(fd) = Self::open_handle(&self.mounts, &key) {
            let _ = crate::sys::fanotify_mark(
                self.fd.as_raw_fd(),
                FAN_MARK_REMOVE,
                self.fan_mask(true),
                Some(fd.as_raw_fd()),
                None,
            );
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        if self.spos >= self.staged.len() && !self.refill()? {
            return Ok(0);
        }
        // Whole records only.
        let mut end = self.spos;
        while let Some(r) = super::kernel::decode(&self.staged, end, self.staged.len()) {
            if r.next - self.spos > buf.len() {
                break;
            }
            end = r.next;
        }
        let n = end - self.spos;
        buf[..n].copy_from_slice(&self.staged[self.spos..end]);
        self.spos = end;
        Ok(n)
    }

    fn queued(&self) -> usize {
        (self.staged.len() - self.spos) + crate::sys::queued_bytes(self.fd.as_raw_fd())
    }

    fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn sees_own(&self) -> bool {
        false
    }

    fn whole_tree(&self) -> bool {
        self.filesystem
    }

    fn exclude(&mut self, abs: &[u8]) {
        self.tr.exclude(abs);
    }
}

#[cfg(test)]
mod tests;
