//! The new-directory scan and its echoes. A directory that appears is watched first, then
//! listed: what it already holds is reported as the `CREATE`s the kernel could not
//! deliver (depth first, parents first). Two kinds of echo follow in the queue and are
//! dropped, both only up to the point the queue was drained after the scan:
//! - the real `CREATE` of an entry already reported (never twice);
//! - the events our own listing caused on the new directory's own watch: one `OPEN`, one
//!   `ACCESS` per `getdents64`, one `CLOSE_NOWRITE` (the reference lists before watching,
//!   so it never sees them). They are counted, not masked: another process's events on
//!   the directory's entries are kept, and so are its events on the directory itself,
//!   except an `OPEN`/`ACCESS`/`CLOSE_NOWRITE` of the directory that the kernel merged
//!   with ours (identical and adjacent in the queue), which cannot be told apart.
//!
//! Dropping our echoes can leave two identical events of the parent's watch adjacent
//! (`t/ ACCESS,ISDIR n` twice); the kernel would have merged them had our events not
//! been queued between, so they are merged here too.

use std::collections::{HashMap, HashSet, VecDeque};

use nix::errno::Errno;

use super::kernel::Raw;
use super::rename::bind;
use super::walk::{self, join_dir, tolerated, unslashed};
use super::{Notice, Watcher};
use crate::event::bits;

/// A `CREATE` the kernel could not deliver, found by listing a new directory.
#[derive(Debug)]
pub struct Synth {
    pub wd: i32,
    pub mask: u32,
    pub name: Box<[u8]>,
}

/// Events our own listing of a directory left on its watch, still to be dropped.
#[derive(Debug, Default, Clone, Copy)]
struct Own {
    open: u32,
    access: u32,
    close: u32,
}

/// What scans left for the reader.
#[derive(Debug, Default)]
pub struct Echoes {
    /// Synthesised creations, served before the rest of the buffer.
    pub synth: VecDeque<Synth>,
    /// (wd, name) of synthesised creations whose real `CREATE` may still be queued.
    created: HashSet<(i32, Box<[u8]>)>,
    own: HashMap<i32, Own>,
    /// Buffer offset before which the echoes above may lie.
    pub until: usize,
    /// Offset of the last record kept, and whether an echo was dropped since.
    last_kept: Option<usize>,
    gap: bool,
}

impl Echoes {
    /// The buffer was emptied: nothing before `until` is left.
    pub fn reset(&mut self) {
        self.created.clear();
        self.own.clear();
        self.until = 0;
        self.last_kept = None;
        self.gap = false;
    }

    /// Our listing of the directory watched as `wd` took `reads` `getdents64` calls.
    pub fn listed(&mut self, wd: i32, kernel_mask: u32, reads: u32) {
        let has = |b: u32| u32::from(kernel_mask & b != 0);
        let o = self.own.entry(wd).or_default();
        o.open += has(bits::OPEN);
        o.access += has(bits::ACCESS) * reads;
        o.close += has(bits::CLOSE_NOWRITE);
    }

    /// A creation reported by a scan.
    pub fn synthesised(&mut self, wd: i32, name: &[u8], is_dir: bool) {
        self.created.insert((wd, name.into()));
        let mask = if is_dir {
            bits::CREATE | bits::ISDIR
        } else {
            bits::CREATE
        };
        self.synth.push_back(Synth {
            wd,
            mask,
            name: name.into(),
        });
    }

    /// Whether the record at `off` is an echo to drop.
    pub fn absorbs(&mut self, buf: &[u8], off: usize, r: &Raw) -> bool {
        if off >= self.until {
            if self.until != 0 {
                self.reset();
            }
            return false;
        }
        let name = &buf[r.start..r.end];
        if r.mask & bits::CREATE != 0 && self.created.remove(&(r.wd, name.into())) {
            return self.dropped();
        }
        if name.is_empty()
            && let Some(o) = self.own.get_mut(&r.wd)
        {
            let count = match r.mask & !bits::ISDIR {
                bits::OPEN => &mut o.open,
                bits::ACCESS => &mut o.access,
                bits::CLOSE_NOWRITE => &mut o.close,
                _ => return self.kept(buf, off, r),
            };
            if *count > 0 && r.mask & bits::ISDIR != 0 {
                *count -= 1;
                return self.dropped();
            }
        }
        self.kept(buf, off, r)
    }

    fn dropped(&mut self) -> bool {
        self.gap = true;
        true
    }

    /// Keeps a record, unless it is identical to the last one kept with only echoes
    /// between (the kernel would have merged the two).
    fn kept(&mut self, buf: &[u8], off: usize, r: &Raw) -> bool {
        if self.gap
            && let Some(prev) = self.last_kept
            && super::kernel::decode(buf, prev, off).is_some_and(|p| {
                (p.wd, p.mask, p.cookie) == (r.wd, r.mask, r.cookie)
                    && buf[p.start..p.end] == buf[r.start..r.end]
            })
        {
            self.gap = false;
            return true;
        }
        self.gap = false;
        self.last_kept = Some(off);
        false
    }
}

impl Watcher {
    /// Watches a directory created inside the tree, then reports what it already holds.
    pub(super) fn scan_new(&mut self, dir: &[u8]) {
        let wd = match self.add_watch(dir) {
            Ok(wd) => wd,
            Err(e) => {
                self.notices.push_back(Notice::WatchingNewDir(dir.to_vec()));
                self.notices
                    .push_back(Notice::NewDirFailed(dir.to_vec(), e));
                return;
            }
        };
        if bind(&mut self.table, wd, dir) {
            return; // already watched: it moved here, or a rescan got there first
        }
        self.notices.push_back(Notice::WatchingNewDir(dir.to_vec()));
        self.table.insert(wd, dir);
        if let Err(e) = self.scan_listing(wd, dir, true) {
            self.notices
                .push_back(Notice::NewDirFailed(dir.to_vec(), e));
        }
        self.read_echoes();
    }

    /// We listed the directory watched as `wd` in `reads` `getdents64` calls: its echoes
    /// are expected, unless the backend never reports what we cause.
    pub(super) fn listed_by_us(&mut self, wd: i32, reads: u32) {
        if self.backend.sees_own() {
            self.echoes.listed(wd, self.opts.mask, reads);
        }
    }

    /// Everything queued up to now may echo our listings: read it all in; echoes are
    /// dropped up to that point.
    pub(super) fn read_echoes(&mut self) {
        self.drain_queued();
        self.echoes.until = self.len;
    }

    /// Lists the directory watched as `wd`, synthesising its entries and, when `deep`,
    /// scanning its subdirectories (each watched before it is listed). Pruned
    /// subdirectories are reported (the filter then hides them) but neither watched nor
    /// entered.
    pub(super) fn scan_listing(&mut self, wd: i32, dir: &[u8], deep: bool) -> Result<(), Errno> {
        let listing = match walk::list(dir, false) {
            Ok(l) => l,
            Err(e) if tolerated(e) => return Ok(()),
            Err(e) => return Err(e),
        };
        self.listed_by_us(wd, listing.reads);
        for (name, is_dir) in listing.entries {
            self.echoes.synthesised(wd, &name, is_dir);
            if !is_dir || !deep {
                continue;
            }
            let child = join_dir(dir, &name);
            if self.pruned(unslashed(&child)) {
                continue;
            }
            let cwd = match self.add_watch(&child) {
                Ok(w) => w,
                Err(e) if tolerated(e) => continue,
                Err(e) => return Err(e),
            };
            if self.table.insert(cwd, &child) {
                self.scan_listing(cwd, &child, true)?;
            }
        }
        Ok(())
    }
}
