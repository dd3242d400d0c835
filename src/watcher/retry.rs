//! `--retry`: a top-level path that does not exist, yet or any more, is waited for, as
//! `tail --retry` does. Its nearest existing ancestor is watched by an anchor (in an
//! inotify instance of its own, so the anchors never change the masks or the events of
//! the watches the user asked for, whatever the backend); each time an anchor reports
//! something, every path waited for is looked at again: the anchor moves down as the
//! path's directories appear, and once the path exists it is watched as at start-up.
//! Its arrival is reported on the path itself (`CREATE`, or `MOVED_TO` when it was
//! moved there; `ISDIR` for a directory), followed by what it already holds, as a new
//! directory's scan reports it (the whole tree with `-r`), each entry once.
//!
//! A root that goes (its `IGNORED` after `DELETE_SELF` or an unmount, or a `MOVE_SELF`
//! that took it from its path) is dropped with everything below it and waited for again.

use std::collections::{HashMap, HashSet};
use std::os::fd::RawFd;

use nix::errno::Errno;

use super::kernel::{self, Backend, InotifyBackend};
use super::scan::Synth;
use super::walk::{self, unslashed};
use super::{Notice, Watcher};
use crate::event::bits;

/// What an anchor watch reports: whatever can make a path below it appear (or be
/// reachable), or take the anchor itself away.
const ANCHOR_MASK: u32 = bits::CREATE
    | bits::MOVED_TO
    | bits::ATTRIB
    | bits::DELETE_SELF
    | bits::MOVE_SELF
    | bits::ONLYDIR;
/// Anchor records read at once.
const ANCHOR_READ: usize = 16 * 1024;
/// Most arrivals by move remembered between two looks.
const MOVED_IN_MAX: usize = 1024;

/// The paths waited for and their anchors.
#[derive(Default)]
pub(super) struct Awaited {
    /// The anchors' inotify instance, open while something is waited for.
    anchors: Option<InotifyBackend>,
    /// Paths waited for, as given, in the order given.
    paths: Vec<Vec<u8>>,
    /// Anchor wd → the directory it watches.
    dirs: HashMap<i32, Vec<u8>>,
    /// Paths that arrived by a move since the last look (anchor directory + name).
    moved_in: Vec<Vec<u8>>,
}

/// Errors that mean "not there yet": the path, or a directory on the way, is missing.
pub(super) fn awaitable(e: Errno) -> bool {
    matches!(e, Errno::ENOENT | Errno::ENOTDIR)
}

/// The directory above `path` (`.` above a bare name, `/` above `/x`); None above `/`
/// and `.`.
fn parent(path: &[u8]) -> Option<Vec<u8>> {
    let trimmed = {
        let mut p = path;
        while p.len() > 1 && p.ends_with(b"/") {
            p = &p[..p.len() - 1];
        }
        p
    };
    if trimmed == b"/" || trimmed == b"." || trimmed.is_empty() {
        return None;
    }
    match trimmed.iter().rposition(|&b| b == b'/') {
        None => Some(b".".to_vec()),
        Some(0) => Some(b"/".to_vec()),
        Some(i) => Some(trimmed[..i].to_vec()),
    }
}

/// `dir` joined with `name` (no `/` doubled).
fn joined(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn exists(path: &[u8], follow: bool) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::OsStr::from_bytes(path);
    if follow {
        std::fs::metadata(p).is_ok()
    } else {
        std::fs::symlink_metadata(p).is_ok()
    }
}

impl Watcher {
    /// The anchors' fd, while any path is waited for.
    pub(super) fn anchors_fd(&self) -> Option<RawFd> {
        if self.awaited.paths.is_empty() {
            return None;
        }
        self.awaited.anchors.as_ref().map(Backend::fd)
    }

    /// Starts waiting for `path` (a top-level path as given), saying so; it may be
    /// there already, and is then watched at once. Fails only when the anchors'
    /// inotify instance cannot be had.
    pub(super) fn await_top(&mut self, path: &[u8]) -> Result<(), Errno> {
        if self.awaited.anchors.is_none() {
            self.awaited.anchors = Some(InotifyBackend::new()?);
        }
        if !self.awaited.paths.iter().any(|p| p == path) {
            self.awaited.paths.push(path.to_vec());
            self.notices.push_back(Notice::Waiting(path.to_vec()));
        }
        self.look();
        Ok(())
    }

    /// An anchor reported something: notes the arrivals by move, then looks again.
    pub(super) fn anchors_ready(&mut self) {
        let mut buf = vec![0u8; ANCHOR_READ];
        loop {
            let Some(a) = self.awaited.anchors.as_mut() else {
                return;
            };
            let n = match a.read(&mut buf) {
                Ok(n) if n > 0 => n,
                _ => break,
            };
            let mut off = 0;
            while let Some(r) = kernel::decode(&buf, off, n) {
                off = r.next;
                if r.mask & bits::MOVED_TO != 0
                    && self.awaited.moved_in.len() < MOVED_IN_MAX
                    && let Some(dir) = self.awaited.dirs.get(&r.wd)
                {
                    let p = joined(dir, &buf[r.start..r.end]);
                    self.awaited.moved_in.push(p);
                }
            }
        }
        self.look();
    }

    /// Looks at every path waited for: each one that exists now is watched (and its
    /// arrival reported); the others get (or keep) an anchor on their nearest existing
    /// ancestor, placed before looking, so that nothing can appear unseen in between.
    fn look(&mut self) {
        let mut keep = HashSet::new();
        let follow = self.opts.mask & bits::DONT_FOLLOW == 0;
        let mut i = 0;
        while i < self.awaited.paths.len() {
            let path = self.awaited.paths[i].clone();
            let anchor = self.anchor(&path);
            if exists(&path, follow) {
                match self.place_arrived(&path) {
                    Ok(()) => {
                        self.awaited.paths.remove(i);
                        continue;
                    }
                    Err(e) if awaitable(e) => {}
                    Err(e) => self.notices.push_back(Notice::WatchFailed(path.clone(), e)),
                }
            }
            keep.extend(anchor);
            i += 1;
        }
        self.awaited.moved_in.clear();
        let stale: Vec<i32> = self
            .awaited
            .dirs
            .keys()
            .filter(|wd| !keep.contains(*wd))
            .copied()
            .collect();
        for wd in stale {
            self.awaited.dirs.remove(&wd);
            if let Some(a) = self.awaited.anchors.as_mut() {
                a.remove(wd);
            }
        }
        if self.awaited.paths.is_empty() {
            // Nothing waited for: the instance goes too (its fd, and the IGNORED records
            // our removals queued on it, which nobody would read).
            self.awaited = Awaited::default();
        }
    }

    /// Watches the nearest existing directory above `path` with an anchor; its wd.
    fn anchor(&mut self, path: &[u8]) -> Option<i32> {
        let mut dir = parent(path)?;
        loop {
            let a = self.awaited.anchors.as_mut()?;
            match a.add(&dir, ANCHOR_MASK) {
                Ok(wd) => {
                    self.awaited.dirs.insert(wd, dir);
                    return Some(wd);
                }
                Err(_) => dir = parent(&dir)?,
            }
        }
    }

    /// `path`, waited for, exists: watches it as at start-up and reports its arrival,
    /// then (unless `--no-dir-scan`, or the backend watches whole filesystems) what it
    /// already holds: the whole tree with `-r`, its entries without.
    fn place_arrived(&mut self, path: &[u8]) -> Result<(), Errno> {
        let how = if self
            .awaited
            .moved_in
            .iter()
            .any(|p| unslashed(p) == unslashed(path))
        {
            bits::MOVED_TO
        } else {
            bits::CREATE
        };
        let scan = self.opts.scan_new
            && self.opts.mask & bits::CREATE != 0
            && !self.backend.whole_tree()
            && walk::is_real_dir(unslashed(path));
        if !scan {
            let exclusions = self.exclusions.clone();
            let wd = self.place_top(path, &exclusions).map_err(|e| e.errno)?;
            self.arrival(wd, how);
            return Ok(());
        }
        let mut dir = path.to_vec();
        if !dir.ends_with(b"/") {
            dir.push(b'/');
        }
        let wd = self.add_watch(&dir)?;
        self.table.insert(wd, &dir);
        self.roots.insert(wd, path.to_vec());
        if self.opts.recursive {
            self.tops.push(dir.clone());
        }
        self.arrival(wd, how);
        if let Err(e) = self.scan_listing(wd, &dir, self.opts.recursive) {
            self.notices
                .push_back(Notice::WatchFailed(path.to_vec(), e));
        }
        self.read_echoes();
        Ok(())
    }

    /// The arrival of the root watched as `wd`, reported on itself when asked for.
    fn arrival(&mut self, wd: i32, how: u32) {
        if self.opts.mask & how == 0 {
            return;
        }
        let isdir = if self.table.get(wd).is_some_and(|n| n.ends_with(b"/")) {
            bits::ISDIR
        } else {
            0
        };
        self.echoes.synth.push_back(Synth {
            wd,
            mask: how | isdir,
            name: Box::default(),
        });
    }

    /// If `wd` watches a root, it is gone from its path (`ignored`: the kernel dropped
    /// its watch): it and everything below it are unwatched, and it is waited for again.
    pub(super) fn root_gone(&mut self, wd: i32, ignored: bool) {
        let Some(path) = self.roots.remove(&wd) else {
            return;
        };
        if let Some(name) = self.table.get(wd).map(<[u8]>::to_vec) {
            self.tops.retain(|t| *t != name);
            let gone = if name.ends_with(b"/") {
                self.renames.drop_subtree(&mut self.table, wd)
            } else {
                self.table.remove(wd);
                vec![wd]
            };
            for w in gone {
                if !(ignored && w == wd) {
                    self.unwatch(w);
                }
            }
        }
        if let Err(e) = self.await_top(&path) {
            self.notices.push_back(Notice::WatchFailed(path, e));
        }
    }

    /// A `MOVE_SELF` on `wd`: if it watches a root, that root is gone unless the kernel
    /// says it is still what its path names (moved back, say). True when it was a root
    /// and is gone.
    pub(super) fn root_moved(&mut self, wd: i32) -> bool {
        let Some(path) = self.roots.get(&wd).cloned() else {
            return false;
        };
        match self.add_watch(&path) {
            Ok(w) if w == wd => return false,
            Ok(w) => {
                // Something else is there already: watched again by the look below.
                if !self.table.contains(w) {
                    self.unwatch(w);
                }
            }
            Err(_) => {}
        }
        self.root_gone(wd, false);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a", Some(".")),
            ("a/", Some(".")),
            ("a/b", Some("a")),
            ("a/b//", Some("a")),
            ("/a", Some("/")),
            ("/a/b/c", Some("/a/b")),
            ("/", None),
            (".", None),
            ("./x", Some(".")),
            ("../x", Some("..")),
            ("", None),
        ];
        for &(p, want) in cases {
            assert_eq!(
                parent(p.as_bytes()),
                want.map(|w| w.as_bytes().to_vec()),
                "{p}"
            );
        }
        assert_eq!(joined(b"a/", b"b"), b"a/b");
        assert_eq!(joined(b"a", b"b"), b"a/b");
        assert!(awaitable(Errno::ENOENT) && awaitable(Errno::ENOTDIR));
        assert!(!awaitable(Errno::EACCES));
    }
}
