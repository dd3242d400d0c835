//! Directory renames, decided from the kernel's own sequence and the kernel's answer
//! about identity, never from timing or from what happens to be in the buffer (pure: no
//! syscalls, no clock). For every rename the kernel queues `MOVED_FROM` (old parent),
//! `MOVED_TO` (new parent) and then the moved directory's own `MOVE_SELF`, each only where
//! a watch exists. So:
//! - `MOVED_FROM` of a watched directory: remember (cookie, its wd);
//! - `MOVED_TO`: the directory now at the destination is placed: the caller asks the
//!   kernel for its watch (adding a watch on a watched inode returns its wd) and
//!   [`bind`]s it: a known wd was renamed (its names are rewritten), a new one moved in
//!   from outside. The destination is noted on the cookie's `MOVED_FROM`;
//! - `MOVE_SELF` of a directory still remembered decides: no destination → it left
//!   ([`Effect::Left`]: unwatched unless the kernel says it is still at its name);
//!   placed at the destination already → done; the destination holds another directory
//!   by now → it moved on again (its later events, still queued, place it), left; nothing
//!   there → it moved there and on, rename.
//!
//! Asking the kernel rather than trusting the cookie alone keeps the table true when the
//! queue lags the tree (a name reused by another directory before the events are read).
//! At most one rename is remembered per watched directory, so the state is bounded by
//! the live watches whatever the kernel sends.

use super::table::WatchTable;
use super::walk::join_dir;

/// A directory event, as far as renames care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirEvent<'a> {
    /// `MOVED_FROM|ISDIR` on watch `parent`.
    MovedFrom {
        parent: i32,
        name: &'a [u8],
        cookie: u32,
    },
    /// `MOVED_TO|ISDIR` on watch `parent`.
    MovedTo {
        parent: i32,
        name: &'a [u8],
        cookie: u32,
    },
    /// `MOVE_SELF` on watch `wd`.
    MoveSelf { wd: i32 },
    /// `IGNORED`: the kernel dropped watch `wd`.
    Ignored { wd: i32 },
    /// The queue overflowed: whatever was remembered may never be answered.
    Overflow,
}

/// What the kernel side must do after the table was updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    /// A directory arrived at this name: find its watch (adding one if it has none) and
    /// [`bind`] it. `paired` is the wd the cookie's `MOVED_FROM` named: when the kernel
    /// says that wd is what is there, it is a rename inside the tree, bound without
    /// listing anything.
    Place {
        dest: Vec<u8>,
        paired: Option<i32>,
    },
    /// This watched directory left its place and nothing paired: it left the tree,
    /// unless the kernel says it is still at its name (the `MOVED_FROM` was another
    /// directory's, a name reused before the events were read). If it left, the caller
    /// drops it with [`Renames::drop_subtree`].
    Left(i32),
}

/// A watched directory's `MOVED_FROM`, waiting for its `MOVE_SELF`.
#[derive(Debug, Clone)]
struct Pending {
    cookie: u32,
    wd: i32,
    /// Where its `MOVED_TO` said it went, once seen.
    dest: Option<Box<[u8]>>,
}

/// Directory moves not decided yet.
#[derive(Debug, Default, Clone)]
pub struct Renames {
    /// At most one per wd.
    pending: Vec<Pending>,
}

impl Renames {
    pub fn new() -> Renames {
        Renames::default()
    }

    /// Moves not decided yet.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Applies one event to `table` and says what the kernel side must do.
    pub fn apply(&mut self, table: &mut WatchTable, ev: DirEvent<'_>) -> Effect {
        match ev {
            DirEvent::MovedFrom {
                parent,
                name,
                cookie,
            } => {
                let Some(path) = child(table, parent, name) else {
                    return Effect::None;
                };
                if let Some(wd) = table.find(&path) {
                    // A directory is in flight once: a newer MOVED_FROM replaces an older.
                    self.pending.retain(|m| m.wd != wd);
                    self.pending.push(Pending {
                        cookie,
                        wd,
                        dest: None,
                    });
                }
                Effect::None
            }
            DirEvent::MovedTo {
                parent,
                name,
                cookie,
            } => {
                let Some(dest) = child(table, parent, name) else {
                    return Effect::None;
                };
                let mut paired = None;
                if let Some(m) = self.pending.iter_mut().find(|m| m.cookie == cookie) {
                    m.dest = Some(dest.as_slice().into());
                    paired = Some(m.wd);
                }
                Effect::Place { dest, paired }
            }
            DirEvent::MoveSelf { wd } => {
                let Some(i) = self.pending.iter().position(|m| m.wd == wd) else {
                    return Effect::None;
                };
                let m = self.pending.swap_remove(i);
                let Some(dest) = m.dest else {
                    return Effect::Left(wd); // nothing paired
                };
                if table.get(wd) == Some(&dest[..]) {
                    return Effect::None; // placed there already
                }
                if table.find(&dest).is_some() {
                    // Another directory is there now: this one moved on again (the
                    // events of that move, still queued, will place it).
                    return Effect::Left(wd);
                }
                bind(table, wd, &dest);
                Effect::None
            }
            DirEvent::Ignored { wd } => {
                self.pending.retain(|m| m.wd != wd);
                table.remove(wd);
                Effect::None
            }
            DirEvent::Overflow => {
                self.pending.clear();
                Effect::None
            }
        }
    }
}

impl Renames {
    /// Drops `wd` and every watch below it from the table (and from what is pending);
    /// returns them, for the caller to remove from the kernel.
    pub fn drop_subtree(&mut self, table: &mut WatchTable, wd: i32) -> Vec<i32> {
        let Some(old) = table.get(wd).map(<[u8]>::to_vec) else {
            return Vec::new();
        };
        let gone = table.subtree(&old);
        for &w in &gone {
            table.remove(w);
        }
        self.pending.retain(|m| !gone.contains(&m.wd));
        gone
    }
}

/// The name of directory `name` inside the watch `parent`, if that watch is known.
fn child(table: &WatchTable, parent: i32, name: &[u8]) -> Option<Vec<u8>> {
    table.get(parent).map(|p| join_dir(p, name))
}

/// The directory now at `dest` is watched as `wd`. When the table knew that wd under
/// another name, the directory moved there: it and everything below are renamed. Returns
/// whether the wd was known (false: the caller registers a new watch).
pub fn bind(table: &mut WatchTable, wd: i32, dest: &[u8]) -> bool {
    match table.get(wd) {
        Some(old) if old == dest => true,
        Some(old) => {
            let old = old.to_vec();
            table.rename_prefix(&old, dest);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests;
