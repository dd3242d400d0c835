//! Placing watches on whole trees: the initial walk (a lister thread beside the watch
//! adder, or serially when no thread can be had), the walk of a directory moved in, and
//! the rescan after an overflow, done in slices between reads so that sustained load
//! cannot overflow the queue again while it runs.

use std::sync::mpsc::{SyncSender, sync_channel};

use nix::errno::Errno;

use super::rename::bind;
use super::walk::{self, excluded, join_dir, tolerated, unslashed};
use super::{Notice, SetupError, Watcher, retry};
use crate::prune::PruneSet;

/// During a walk, read the kernel queue into memory after this many directories.
const DRAIN_EVERY: u32 = 64;
/// Directories per message from the lister thread.
const LIST_BATCH: usize = 256;
/// Directories rescanned between two reads of the queue.
const RESCAN_SLICE: usize = 64;

type Batch = Result<Vec<Vec<u8>>, Errno>;

impl Watcher {
    /// Watches one top-level path (and, recursively, the directories below it, skipping
    /// those whose name equals an `@` exclusion or that `--prune` names). With
    /// `--retry`, a path that does not exist is waited for instead.
    pub fn add_top(&mut self, path: &[u8], exclusions: &[Vec<u8>]) -> Result<(), SetupError> {
        self.exclusions = exclusions.to_vec();
        match self.place_top(path, exclusions) {
            Ok(_) => Ok(()),
            Err(e) if self.opts.retry && retry::awaitable(e.errno) => {
                self.await_top(path).map_err(|errno| SetupError {
                    path: path.to_vec(),
                    errno,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Watches a top-level path as [`Self::add_top`] says; returns its wd.
    pub(super) fn place_top(
        &mut self,
        path: &[u8],
        exclusions: &[Vec<u8>],
    ) -> Result<i32, SetupError> {
        let fail = |errno| SetupError {
            path: path.to_vec(),
            errno,
        };
        if self.backend.whole_tree() {
            for x in exclusions {
                self.backend.exclude(x);
            }
        }
        let wd = if !self.opts.recursive {
            // Asked before the watch exists: once it does, an event may be on its way
            // and the directory may already be gone (its DELETE_SELF still names it
            // with its `/`).
            let is_dir = walk::is_real_dir(path);
            let wd = self.add_watch(path).map_err(fail)?;
            let mut name = path.to_vec();
            if !name.ends_with(b"/") && is_dir {
                name.push(b'/');
            }
            self.table.insert(wd, &name);
            if self.backend.whole_tree() && is_dir {
                // `-S` learns what is below: `--prune` patterns are relative to this.
                self.tops.push(name);
            }
            wd
        } else {
            match walk::list(path, true) {
                Err(Errno::ENOTDIR) => {
                    let wd = self.add_watch(path).map_err(fail)?;
                    self.table.insert(wd, path);
                    wd
                }
                Err(e) => return Err(fail(e)),
                Ok(listing) => {
                    let mut dir = path.to_vec();
                    if !dir.ends_with(b"/") {
                        dir.push(b'/');
                    }
                    // A top while its tree is walked, so that `--prune` patterns are
                    // taken relative to it.
                    self.tops.push(dir.clone());
                    let wd = self.walk_top(&dir, listing.entries, exclusions);
                    if wd.is_err() {
                        self.tops.pop();
                    }
                    wd.map_err(fail)?
                }
            }
        };
        if self.opts.retry {
            self.roots.insert(wd, path.to_vec());
        }
        Ok(wd)
    }

    /// The walk below a top directory `dir` (ending in `/`), then its own watch.
    fn walk_top(
        &mut self,
        dir: &[u8],
        subdirs: Vec<(Vec<u8>, bool)>,
        exclusions: &[Vec<u8>],
    ) -> Result<i32, Errno> {
        if !self.walk_parallel(dir, subdirs, exclusions)? {
            // No second thread (RLIMIT_NPROC, pids.max): the same walk, serially.
            let again = walk::list(dir, true)?;
            self.walk_children(dir, again.entries, exclusions, false)?;
        }
        let wd = self.add_watch(dir)?;
        self.table.insert(wd, dir);
        Ok(wd)
    }

    /// Counts a directory walked: runs the progress callback and, now and then, reads
    /// the queue into memory (up to the buffer cap; past it the kernel queue overflows
    /// and the overflow path takes over).
    pub(super) fn walked_one(&mut self) -> Result<(), Errno> {
        if let Some(p) = &mut self.progress
            && !p()
        {
            return Err(Errno::ECANCELED);
        }
        self.walked += 1;
        if self.walked.is_multiple_of(DRAIN_EVERY) && self.len < super::BUFFER_CAP {
            let _ = self.read_append();
        }
        Ok(())
    }

    /// Watches `dir` (ending in `/`) and its subdirectories, children first, as the
    /// reference does (so watch order, hence inotifywatch's ties, match). Errors the
    /// reference tolerates below the top (EACCES, ENOENT, ELOOP) skip a directory. With
    /// `prune`, the directory arrived later: subdirectories the exclusion filter
    /// matches are skipped, and each directory is bound where it is now (one we already
    /// watch moved here); the initial walk keeps the first name registered.
    pub(super) fn walk_dir(
        &mut self,
        dir: &[u8],
        exclusions: &[Vec<u8>],
        prune: bool,
    ) -> Result<(), Errno> {
        if let Some(wd) = self.watch_tree(dir, exclusions, prune)?
            && (!prune || !bind(&mut self.table, wd, dir))
        {
            self.table.insert(wd, dir);
        }
        Ok(())
    }

    /// Lists `dir`, walks its subdirectories, then adds its watch; `Ok(None)` when a
    /// tolerated error skipped it. The caller registers the wd.
    fn watch_tree(
        &mut self,
        dir: &[u8],
        exclusions: &[Vec<u8>],
        prune: bool,
    ) -> Result<Option<i32>, Errno> {
        self.walked_one()?;
        let listing = match walk::list(dir, true) {
            Ok(l) => l,
            Err(e) if tolerated(e) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.walk_children(dir, listing.entries, exclusions, prune)?;
        match self.add_watch_back(dir) {
            Ok((wd, back)) => {
                if back {
                    // Still watched while we listed it: our listing echoes on it.
                    self.listed_by_us(wd, listing.reads);
                    self.read_echoes();
                }
                Ok(Some(wd))
            }
            Err(e) if tolerated(e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn walk_children(
        &mut self,
        dir: &[u8],
        subdirs: Vec<(Vec<u8>, bool)>,
        exclusions: &[Vec<u8>],
        prune: bool,
    ) -> Result<(), Errno> {
        for (name, _) in subdirs {
            let child = join_dir(dir, &name);
            let bare = unslashed(&child);
            if excluded(bare, exclusions)
                || self.glob_pruned(bare)
                || (prune && self.filter_prunes(bare))
            {
                continue;
            }
            self.walk_dir(&child, exclusions, prune)?;
        }
        Ok(())
    }

    /// The initial walk on two cores: a lister thread reads directories (depth first,
    /// each directory after its children, the reference's order) while this thread adds
    /// the watches. Returns `Ok(false)` when the thread could not be spawned.
    fn walk_parallel(
        &mut self,
        dir: &[u8],
        subdirs: Vec<(Vec<u8>, bool)>,
        exclusions: &[Vec<u8>],
    ) -> Result<bool, Errno> {
        let (tx, rx) = sync_channel::<Batch>(4);
        let prune = self.opts.prune.clone();
        let skip = Skip {
            exclusions,
            prune: &prune,
            root: dir.len(),
        };
        let skip = &skip;
        std::thread::scope(|scope| {
            let lister = std::thread::Builder::new().spawn_scoped(scope, move || {
                let mut batch = Vec::with_capacity(LIST_BATCH);
                let run = || -> Result<(), Errno> {
                    for (name, _) in subdirs {
                        let child = join_dir(dir, &name);
                        if !skip.skips(&child) {
                            list_post_order(child, skip, &tx, &mut batch)?;
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
            if lister.is_err() {
                return Ok(false);
            }
            // Dropping the receiver on an early return stops the lister at its next send.
            for msg in rx {
                for dir in msg? {
                    self.walked_one()?;
                    match self.add_watch(&dir) {
                        Ok(wd) => {
                            self.table.insert(wd, &dir);
                        }
                        Err(e) if tolerated(e) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(true)
        })
    }

    /// Places a directory that arrived at `dir` (moved in, or renamed while the queue
    /// lagged): its subdirectories first (pruned ones skipped), then the directory itself,
    /// bound by the watch the kernel says it has, so a directory we already watch is
    /// renamed rather than watched twice.
    pub(super) fn walk_new(&mut self, dir: &[u8]) {
        match self.watch_tree(dir, &[], true) {
            Ok(Some(wd)) => {
                if !bind(&mut self.table, wd, dir) {
                    self.notices.push_back(Notice::WatchingNewDir(dir.to_vec()));
                    self.table.insert(wd, dir);
                }
            }
            Ok(None) => {}
            Err(e) => {
                self.notices.push_back(Notice::WatchingNewDir(dir.to_vec()));
                self.notices
                    .push_back(Notice::NewDirFailed(dir.to_vec(), e));
            }
        }
    }

    /// After an overflow: queue the trees for a rescan (done by [`Self::rescan_slice`]).
    pub(super) fn start_rescan(&mut self) {
        self.rescan.clear();
        self.rescan
            .extend(self.tops.iter().rev().map(|t| (t.clone(), -1)));
    }

    /// Rescans a few directories: each one is watched if it is not (new directories the
    /// exclusion filter matches stay unwatched) and its name fixed if a lost rename left
    /// it stale. A directory that appeared while events were lost is reported as the
    /// kernel would have: a synthetic `CREATE,ISDIR` in its parent, then a `CREATE` for
    /// each file it holds (its subdirectories, likewise, as they are rescanned). Changes
    /// lost in directories already watched cannot be told and are not reported.
    pub(super) fn rescan_slice(&mut self) {
        for _ in 0..RESCAN_SLICE {
            let Some((dir, parent)) = self.rescan.pop() else {
                break;
            };
            let Ok(wd) = self.add_watch(&dir) else {
                continue;
            };
            let mut new = false;
            if self.table.contains(wd) {
                if self.table.get(wd) != Some(&dir[..]) {
                    self.table.set(wd, &dir);
                }
            } else if !self.tops.contains(&dir) && self.pruned(unslashed(&dir)) {
                self.unwatch(wd);
                continue;
            } else {
                self.table.insert(wd, &dir);
                // Reported like a new directory's scan, unless --no-dir-scan.
                new = parent >= 0 && !self.tops.contains(&dir) && self.opts.scan_new;
            }
            if new && let Some(name) = unslashed(&dir).rsplit(|&b| b == b'/').next() {
                self.echoes.synthesised(parent, name, true);
            }
            let Ok(listing) = walk::list(&dir, !new) else {
                continue;
            };
            self.listed_by_us(wd, listing.reads);
            for (name, _) in listing.entries.iter().filter(|(_, is_dir)| !is_dir) {
                self.echoes.synthesised(wd, name, false);
            }
            for (name, _) in listing.entries.into_iter().rev().filter(|(_, d)| *d) {
                let child = join_dir(&dir, &name);
                if !excluded(unslashed(&child), &self.exclusions) {
                    self.rescan.push((child, wd));
                }
            }
        }
        // Our listings' echoes are in the queue by now.
        self.read_echoes();
    }
}

/// What the lister thread leaves out of the initial walk: `@` exclusions and
/// directories `--prune` names (relative to the top, whose text is `root` bytes long).
struct Skip<'a> {
    exclusions: &'a [Vec<u8>],
    prune: &'a PruneSet,
    root: usize,
}

impl Skip<'_> {
    fn skips(&self, child: &[u8]) -> bool {
        let bare = unslashed(child);
        excluded(bare, self.exclusions)
            || (!self.prune.is_empty()
                && self.prune.prunes(bare.get(self.root..).unwrap_or_default()))
    }
}

/// Lists `dir` and its subdirectories depth first, sending each directory after its
/// children. Tolerated errors (EACCES, ENOENT, ELOOP) skip a directory; others stop.
fn list_post_order(
    dir: Vec<u8>,
    skip: &Skip<'_>,
    tx: &SyncSender<Batch>,
    batch: &mut Vec<Vec<u8>>,
) -> Result<(), Errno> {
    let listing = match walk::list(&dir, true) {
        Ok(l) => l,
        Err(e) if tolerated(e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for (name, _) in listing.entries {
        let child = join_dir(&dir, &name);
        if !skip.skips(&child) {
            list_post_order(child, skip, tx, batch)?;
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
