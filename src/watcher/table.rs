//! The wd ↔ path table: names as reported, prefix rewriting on renames, subtree removal.
//! Pure data, no syscalls, so every case is unit-tested without a kernel.
//!
//! The kernel hands out watch descriptors as small increasing integers, so the table is a
//! vector indexed by wd: a lookup per event is an index, and iterating in wd order is
//! iterating in watch-creation order (what inotifywatch breaks ties by).

/// Where a name lives in the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    chunk: u32,
    off: u32,
    len: u32,
}

/// Names are packed into fixed 64 KiB chunks that are never reallocated (one allocation
/// per ~1,500 directories instead of one per directory, and no copy spikes as the table
/// grows); a slot costs 12 bytes. Renames and removals leave garbage behind, compacted
/// once it outweighs the live names.
const CHUNK: usize = 64 * 1024;

/// Maps watch descriptors to the names events are reported under (directories end in `/`).
#[derive(Debug, Default, Clone)]
pub struct WatchTable {
    chunks: Vec<Vec<u8>>,
    by_wd: Vec<Option<Slot>>,
    live: usize,
    live_bytes: usize,
    garbage: usize,
}

impl WatchTable {
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, wd: i32) -> Option<Slot> {
        usize::try_from(wd)
            .ok()
            .and_then(|i| self.by_wd.get(i).copied().flatten())
    }

    fn bytes(&self, s: Slot) -> &[u8] {
        let (off, len) = (s.off as usize, s.len as usize);
        &self.chunks[s.chunk as usize][off..off + len]
    }

    /// Copies `path` into the arena.
    fn store(&mut self, path: &[u8]) -> Slot {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= path.len());
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK.max(path.len())));
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        let off = c.len();
        c.extend_from_slice(path);
        self.live_bytes += path.len();
        Slot {
            chunk: chunk as u32,
            off: off as u32,
            len: path.len() as u32,
        }
    }

    /// Registers `path` for `wd`. The first name registered for a wd wins (the same inode
    /// watched under two names reports under the first); returns whether it was inserted.
    pub fn insert(&mut self, wd: i32, path: &[u8]) -> bool {
        let Ok(i) = usize::try_from(wd) else {
            return false;
        };
        if self.by_wd.len() <= i {
            self.by_wd.resize(i + 1, None);
        }
        if self.by_wd[i].is_some() {
            return false;
        }
        let slot = self.store(path);
        self.by_wd[i] = Some(slot);
        self.live += 1;
        true
    }

    pub fn get(&self, wd: i32) -> Option<&[u8]> {
        self.slot(wd).map(|s| self.bytes(s))
    }

    pub fn contains(&self, wd: i32) -> bool {
        self.slot(wd).is_some()
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Drops `wd`'s entry, but only while it still maps to `path` (a reused wd keeps its
    /// new owner). Returns whether something was removed.
    pub fn remove_if(&mut self, wd: i32, path: &[u8]) -> bool {
        if self.get(wd) == Some(path) {
            self.remove(wd);
            true
        } else {
            false
        }
    }

    /// Drops `wd`'s entry; returns its name.
    pub fn remove(&mut self, wd: i32) -> Option<Box<[u8]>> {
        let i = usize::try_from(wd).ok()?;
        let slot = self.by_wd.get_mut(i)?.take()?;
        let old: Box<[u8]> = self.bytes(slot).into();
        self.live -= 1;
        self.forget(slot);
        self.maybe_compact();
        Some(old)
    }

    fn forget(&mut self, slot: Slot) {
        self.live_bytes -= slot.len as usize;
        self.garbage += slot.len as usize;
    }

    /// Replaces the name of a live `wd` (after a rescan found it elsewhere).
    pub fn set(&mut self, wd: i32, path: &[u8]) {
        self.remove(wd);
        self.insert(wd, path);
    }

    /// The wd currently reported under exactly `path`.
    pub fn find(&self, path: &[u8]) -> Option<i32> {
        self.iter().find(|&(_, p)| p == path).map(|(wd, _)| wd)
    }

    /// Every wd whose name starts with the directory name `prefix` (itself included).
    pub fn subtree(&self, prefix: &[u8]) -> Vec<i32> {
        self.iter()
            .filter(|(_, p)| p.starts_with(prefix))
            .map(|(wd, _)| wd)
            .collect()
    }

    /// Rewrites every name under directory `from` (ending in `/`) to live under `to`.
    pub fn rename_prefix(&mut self, from: &[u8], to: &[u8]) {
        let mut name = Vec::new();
        for i in 0..self.by_wd.len() {
            let Some(slot) = self.by_wd[i] else { continue };
            if !self.bytes(slot).starts_with(from) {
                continue;
            }
            name.clear();
            name.extend_from_slice(to);
            name.extend_from_slice(&self.bytes(slot)[from.len()..]);
            self.forget(slot);
            self.by_wd[i] = Some(self.store(&name));
        }
        self.maybe_compact();
    }

    /// Rewrites the arena without garbage once garbage outweighs the live names.
    fn maybe_compact(&mut self) {
        if self.garbage < CHUNK || self.garbage < self.live_bytes {
            return;
        }
        let old = std::mem::take(&mut self.chunks);
        self.live_bytes = 0;
        self.garbage = 0;
        for i in 0..self.by_wd.len() {
            if let Some(s) = self.by_wd[i] {
                let (off, len) = (s.off as usize, s.len as usize);
                let slot = self.store(&old[s.chunk as usize][off..off + len]);
                self.by_wd[i] = Some(slot);
            }
        }
    }

    /// Live (wd, name) pairs in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &[u8])> {
        self.by_wd
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i32::try_from(i).ok()?, self.bytes((*s)?))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(i32, &str)]) -> WatchTable {
        let mut t = WatchTable::new();
        for &(wd, p) in entries {
            t.insert(wd, p.as_bytes());
        }
        t
    }

    fn names(t: &WatchTable) -> Vec<(i32, String)> {
        t.iter()
            .map(|(w, p)| (w, String::from_utf8_lossy(p).into_owned()))
            .collect()
    }

    #[test]
    fn first_name_wins() {
        let mut t = table(&[(1, "lnk")]);
        assert!(!t.insert(1, b"real/"));
        assert_eq!(t.get(1), Some(&b"lnk"[..]));
        assert!(!t.insert(-1, b"x"));
        assert_eq!(t.get(-1), None);
    }

    #[test]
    fn rename_rewrites_descendants_only() {
        type Entries = &'static [(i32, &'static str)];
        let cases: &[(Entries, &str, &str, Entries)] = &[
            (
                &[(1, "t/n/x/"), (2, "t/n/"), (3, "t/nn/"), (4, "t/")],
                "t/n/",
                "t/a/n2/",
                &[(1, "t/a/n2/x/"), (2, "t/a/n2/"), (3, "t/nn/"), (4, "t/")],
            ),
            (&[(1, "a/")], "b/", "c/", &[(1, "a/")]),
            (
                &[(1, "d//x/"), (2, "d//")],
                "d//x/",
                "d//y/",
                &[(1, "d//y/"), (2, "d//")],
            ),
        ];
        for (start, from, to, want) in cases {
            let mut t = table(start);
            t.rename_prefix(from.as_bytes(), to.as_bytes());
            let want: Vec<(i32, String)> = want.iter().map(|&(w, p)| (w, p.to_string())).collect();
            assert_eq!(names(&t), want);
        }
    }

    #[test]
    fn subtree_and_removal() {
        let mut t = table(&[
            (1, "t/a/b/c/"),
            (2, "t/a/b/"),
            (3, "t/a/bb/"),
            (4, "t/a/"),
            (5, "t/"),
        ]);
        assert_eq!(t.subtree(b"t/a/b/"), vec![1, 2]);
        assert_eq!(t.subtree(b"t/a/"), vec![1, 2, 3, 4]);
        assert!(!t.remove_if(2, b"t/other/"));
        assert!(t.remove_if(2, b"t/a/b/"));
        assert_eq!(t.find(b"t/a/bb/"), Some(3));
        assert_eq!(t.find(b"t/a/b/"), None);
        assert_eq!(t.len(), 4);
        let wds: Vec<i32> = t.iter().map(|(w, _)| w).collect();
        assert_eq!(wds, vec![1, 3, 4, 5]);
        t.set(3, b"t/moved/");
        assert_eq!(t.get(3), Some(&b"t/moved/"[..]));
        assert_eq!(t.len(), 4);
        assert_eq!(t.remove(99), None);
    }

    #[test]
    fn arena_survives_churn_and_compaction() {
        let mut t = WatchTable::new();
        for wd in 1..=5000 {
            t.insert(wd, format!("tree/d{wd:05}/").as_bytes());
        }
        for round in 0..20 {
            t.rename_prefix(b"tree/", format!("tree{round}/").as_bytes());
            t.rename_prefix(format!("tree{round}/").as_bytes(), b"tree/");
        }
        for wd in (1..=5000).step_by(2) {
            assert!(t.remove(wd).is_some());
        }
        assert_eq!(t.len(), 2500);
        for wd in (2..=5000).step_by(2) {
            assert_eq!(t.get(wd), Some(format!("tree/d{wd:05}/").as_bytes()));
        }
        assert!(
            t.chunks.len() < 10,
            "garbage never compacted: {} chunks",
            t.chunks.len()
        );
        let long = vec![b'x'; CHUNK + 10];
        assert!(t.insert(9999, &long));
        assert_eq!(t.get(9999), Some(&long[..]));
    }
}
