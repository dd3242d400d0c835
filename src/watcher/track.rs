//! Following the tree: the bookkeeping due after each event (new directories, renames,
//! moves out, `IGNORED`, overflow), with two safety nets for a queue read late:
//! - a directory that left the tree keeps its watches for a short grace ("detached",
//!   invisible), so one moved straight back in gets them back and no event queued on
//!   them meanwhile is lost;
//! - a directory creation read after its parent was renamed (its name no longer exists)
//!   is kept as an orphan and retried under the parent's new name once the rename is
//!   read (the rename is already queued at that point: orphans last until everything
//!   queued then is processed).

use std::time::{Duration, Instant};

use super::rename::{self, DirEvent, Effect};
use super::{Notice, Watcher, kernel, walk};
use crate::event::bits;

/// How long watches of a directory that left the tree are kept in case it comes back.
pub const DETACH_GRACE: Duration = Duration::from_secs(2);
/// Most orphan creations remembered at once.
const ORPHANS_MAX: usize = 4096;

impl Watcher {
    /// Bookkeeping for the event handed out last: done after it was reported, as the
    /// reference does, so the event itself carries the names from before the change.
    pub(super) fn settle_due(&mut self) {
        let Some(off) = self.due.take() else {
            return;
        };
        let Some(r) = kernel::decode(&self.buf, off, self.len) else {
            return;
        };
        if r.mask & bits::Q_OVERFLOW != 0 {
            self.notices.push_back(Notice::Overflow);
            self.renames.apply(&mut self.table, DirEvent::Overflow);
            self.removed.clear();
            self.orphans.clear();
            for (wd, _) in std::mem::take(&mut self.detached) {
                self.unwatch(wd);
            }
            if self.opts.track {
                self.start_rescan();
            }
            return;
        }
        if r.wd == -1 {
            return;
        }
        if r.mask & bits::IGNORED != 0 {
            self.root_gone(r.wd, true);
            self.renames
                .apply(&mut self.table, DirEvent::Ignored { wd: r.wd });
            return;
        }
        if r.mask & bits::MOVE_SELF != 0 && self.root_moved(r.wd) {
            return;
        }
        if !self.opts.track {
            return;
        }
        let renamed = self.table.renamed();
        let name = self.buf[r.start..r.end].to_vec();
        let dir = r.mask & bits::ISDIR != 0;
        let ev = if r.mask & bits::MOVE_SELF != 0 {
            Some(DirEvent::MoveSelf { wd: r.wd })
        } else if dir && r.mask & bits::MOVED_FROM != 0 {
            Some(DirEvent::MovedFrom {
                parent: r.wd,
                name: &name,
                cookie: r.cookie,
            })
        } else if dir && r.mask & bits::MOVED_TO != 0 {
            Some(DirEvent::MovedTo {
                parent: r.wd,
                name: &name,
                cookie: r.cookie,
            })
        } else if dir && r.mask & bits::CREATE != 0 {
            // Not the rename machine's; a scan can still bind a directory elsewhere, so
            // orphans are retried below all the same.
            if let Some(parent) = self.table.get(r.wd) {
                let path = walk::join_dir(parent, &name);
                if !self.add_new_dir(&path, true) {
                    self.orphan(r.wd, &name, true);
                }
            }
            None
        } else {
            return;
        };
        match ev.map(|ev| self.renames.apply(&mut self.table, ev)) {
            None | Some(Effect::None) => {}
            Some(Effect::Place { dest, paired }) => {
                if !self.place(&dest, paired) {
                    self.orphan(r.wd, &name, false);
                }
            }
            Some(Effect::Left(wd)) => {
                let name = self.table.get(wd).map(<[u8]>::to_vec);
                if !name.is_some_and(|p| self.watched_as(&p, wd)) {
                    let until = Instant::now() + DETACH_GRACE;
                    let gone = self.renames.drop_subtree(&mut self.table, wd);
                    self.detached.extend(gone.into_iter().map(|w| (w, until)));
                }
            }
        }
        if self.table.renamed() != renamed && !self.orphans.is_empty() {
            self.retry_orphans();
        }
    }

    /// A directory arrived at `dest` ([`Effect::Place`]). A rename inside the tree (the
    /// kernel says the paired watch is the one there) is bound without a listing, so it
    /// causes no event of ours; anything else is walked as a new directory.
    /// Returns false when nothing is at `dest` any more.
    fn place(&mut self, dest: &[u8], paired: Option<i32>) -> bool {
        if self.glob_pruned(dest) {
            // Renamed to a name `--prune` names: no longer watched.
            if let Some(w) = paired
                && self.table.contains(w)
            {
                for x in self.renames.drop_subtree(&mut self.table, w) {
                    self.unwatch(x);
                }
            }
            return true;
        }
        if let Some(w) = paired
            && self.table.contains(w)
            && self.watched_as(dest, w)
        {
            rename::bind(&mut self.table, w, dest);
            return true;
        }
        self.add_new_dir(dest, false)
    }

    /// Whether the directory at `path` is the one watched as `wd`, as the kernel says
    /// (adding a watch on a watched directory returns its wd). A watch this makes on
    /// another directory is removed again: that directory's own arrival, still queued or
    /// walked by the caller, places it in the reference's order.
    fn watched_as(&mut self, path: &[u8], wd: i32) -> bool {
        if !walk::is_real_dir(walk::unslashed(path)) {
            return false;
        }
        match self.add_watch(path) {
            Ok(y) if y == wd => true,
            Ok(y) => {
                if !self.table.contains(y) {
                    self.unwatch(y);
                }
                false
            }
            Err(_) => false,
        }
    }

    /// Watches a directory that appeared inside the tree (no `@` exclusions apply; the
    /// exclusion filter prunes). When `created` and scanning is on, what it already
    /// holds is reported. Returns false when there is no directory at `dir` (any more).
    pub(super) fn add_new_dir(&mut self, dir: &[u8], created: bool) -> bool {
        let bare = walk::unslashed(dir);
        if self.pruned(bare) {
            return true;
        }
        if !walk::is_real_dir(bare) {
            return false;
        }
        if created && self.opts.scan_new && self.opts.mask & bits::CREATE != 0 {
            self.scan_new(dir);
        } else {
            self.walk_new(dir);
        }
        true
    }

    /// Remembers a directory creation whose name was gone when read. Everything queued
    /// now is read in, so the rename that explains it is in the buffer; orphans are
    /// forgotten when the buffer is.
    fn orphan(&mut self, parent: i32, name: &[u8], created: bool) {
        if self.orphans.len() >= ORPHANS_MAX {
            self.orphans.remove(0);
        }
        self.orphans.push((parent, name.into(), created));
        self.drain_queued();
    }

    /// Retries the orphans whose parent now has a name where they exist. Those still
    /// missing moved on again: what is queued now explains it, so it is read in too.
    fn retry_orphans(&mut self) {
        let mut i = 0;
        while i < self.orphans.len() {
            let (parent, name, _) = &self.orphans[i];
            let Some(p) = self.table.get(*parent) else {
                self.orphans.swap_remove(i);
                continue;
            };
            let path = walk::join_dir(p, name);
            let created = self.orphans[i].2;
            if walk::is_real_dir(walk::unslashed(&path)) {
                self.orphans.swap_remove(i);
                self.add_new_dir(&path, created);
            } else {
                i += 1;
            }
        }
        if !self.orphans.is_empty() {
            self.drain_queued();
        }
    }

    /// Detached watches whose grace is over are removed; returns when the next one is due.
    pub(super) fn release_detached(&mut self, now: Instant) -> Option<Instant> {
        if self.detached.is_empty() {
            return None;
        }
        let due: Vec<i32> = self
            .detached
            .iter()
            .filter(|&(_, &t)| t <= now)
            .map(|(&wd, _)| wd)
            .collect();
        for wd in due {
            self.detached.remove(&wd);
            self.unwatch(wd);
        }
        if self.detached.capacity() > 64 && self.detached.len() * 4 < self.detached.capacity() {
            self.detached.shrink_to_fit();
        }
        self.detached.values().min().copied()
    }
}
