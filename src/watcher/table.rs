//! The wd ↔ path table: names as reported, prefix rewriting on renames, subtree removal.
//! Pure data, no syscalls, so every case is unit- and property-tested without a kernel.
//!
//! Sized by what is watched now: the kernel hands out wds cyclically (a vector indexed by
//! wd would grow with every watch ever made), so entries live in a [`WdMap`] (a sliding
//! dense window plus a map for old survivors), and names live in an arena whose garbage
//! is compacted.
//! Creation order is wd order (the kernel's wds only increase until they wrap at
//! `i32::MAX`), which [`WatchTable::wds`] gives for inotifywatch's ties.

use crate::wdmap::WdMap;

/// Where a name lives in the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    chunk: u32,
    off: u32,
    len: u32,
}

/// Names are packed into 64 KiB chunks that are never reallocated (one allocation per
/// ~1,500 directories, no copy spikes as the table grows); a slot costs 12 bytes.
/// Renames and removals leave garbage, compacted once it outweighs the live names.
const CHUNK: usize = 64 * 1024;

/// Maps watch descriptors to the names events are reported under (directories end in `/`).
#[derive(Debug, Default, Clone)]
pub struct WatchTable {
    chunks: Vec<Vec<u8>>,
    by_wd: WdMap<Slot>,
    live_bytes: usize,
    garbage: usize,
    renamed: u64,
}

impl WatchTable {
    pub fn new() -> Self {
        Self::default()
    }

    fn bytes(&self, s: Slot) -> &[u8] {
        let (off, len) = (s.off as usize, s.len as usize);
        &self.chunks[s.chunk as usize][off..off + len]
    }

    /// Copies `path` into the arena.
    fn store(chunks: &mut Vec<Vec<u8>>, path: &[u8]) -> Slot {
        let fits = chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= path.len());
        if !fits {
            chunks.push(Vec::with_capacity(CHUNK.max(path.len())));
        }
        let chunk = chunks.len() - 1;
        let c = &mut chunks[chunk];
        let off = c.len();
        c.extend_from_slice(path);
        Slot {
            chunk: chunk as u32,
            off: off as u32,
            len: path.len() as u32,
        }
    }

    /// Registers `path` for `wd`. The first name registered for a wd wins (the same inode
    /// watched under two names reports under the first); returns whether it was inserted.
    pub fn insert(&mut self, wd: i32, path: &[u8]) -> bool {
        if wd < 0 || self.by_wd.contains_key(wd) {
            return false;
        }
        let slot = Self::store(&mut self.chunks, path);
        self.live_bytes += path.len();
        self.by_wd.insert(wd, slot);
        true
    }

    pub fn get(&self, wd: i32) -> Option<&[u8]> {
        self.by_wd.get(wd).map(|&s| self.bytes(s))
    }

    pub fn contains(&self, wd: i32) -> bool {
        self.by_wd.contains_key(wd)
    }

    pub fn len(&self) -> usize {
        self.by_wd.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_wd.is_empty()
    }

    /// Bytes held (entries and names), for tests and soaks that check it stays flat.
    pub fn footprint(&self) -> usize {
        self.by_wd.footprint() + self.chunks.iter().map(Vec::capacity).sum::<usize>()
    }

    /// Drops `wd`'s entry; returns its name.
    pub fn remove(&mut self, wd: i32) -> Option<Box<[u8]>> {
        let slot = self.by_wd.remove(wd)?;
        let old: Box<[u8]> = self.bytes(slot).into();
        self.live_bytes -= slot.len as usize;
        self.garbage += slot.len as usize;
        self.maybe_compact();
        Some(old)
    }

    /// Replaces the name of a live `wd` (after a rescan found it elsewhere).
    pub fn set(&mut self, wd: i32, path: &[u8]) {
        self.remove(wd);
        self.insert(wd, path);
    }

    /// The wd currently reported under exactly `path` (a scan of the live entries).
    pub fn find(&self, path: &[u8]) -> Option<i32> {
        self.iter().find(|&(_, p)| p == path).map(|(wd, _)| wd)
    }

    /// Every wd whose name starts with the directory name `prefix` (itself included), in
    /// wd order.
    pub fn subtree(&self, prefix: &[u8]) -> Vec<i32> {
        let mut v: Vec<i32> = self
            .iter()
            .filter(|(_, p)| p.starts_with(prefix))
            .map(|(wd, _)| wd)
            .collect();
        v.sort_unstable();
        v
    }

    /// Rewrites every name under directory `from` (ending in `/`) to live under `to`.
    pub fn rename_prefix(&mut self, from: &[u8], to: &[u8]) {
        let mut name = Vec::new();
        let chunks = &mut self.chunks;
        for slot in self.by_wd.values_mut() {
            let (off, len) = (slot.off as usize, slot.len as usize);
            let old = &chunks[slot.chunk as usize][off..off + len];
            if !old.starts_with(from) {
                continue;
            }
            name.clear();
            name.extend_from_slice(to);
            name.extend_from_slice(&old[from.len()..]);
            self.garbage += len;
            self.live_bytes = self.live_bytes - len + name.len();
            *slot = Self::store(chunks, &name);
            self.renamed += 1;
        }
        self.maybe_compact();
    }

    /// Rewrites the arena without garbage once garbage outweighs the live names.
    fn maybe_compact(&mut self) {
        if self.garbage < CHUNK || self.garbage < self.live_bytes {
            return;
        }
        let old = std::mem::take(&mut self.chunks);
        self.garbage = 0;
        for slot in self.by_wd.values_mut() {
            let (off, len) = (slot.off as usize, slot.len as usize);
            *slot = Self::store(&mut self.chunks, &old[slot.chunk as usize][off..off + len]);
        }
    }

    /// How many names prefix renames have rewritten so far (a change means some names
    /// moved).
    pub fn renamed(&self) -> u64 {
        self.renamed
    }

    /// Live (wd, name) pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &[u8])> {
        self.by_wd.iter().map(|(wd, &s)| (wd, self.bytes(s)))
    }

    /// Live wds in creation (wd) order.
    pub fn wds(&self) -> Vec<i32> {
        self.by_wd.keys_sorted()
    }
}

/// Table-driven tests build tables from, and compare them as, (wd, name) lists.
#[cfg(test)]
pub mod fixture {
    use super::WatchTable;

    pub fn table(entries: &[(i32, &str)]) -> WatchTable {
        let mut t = WatchTable::new();
        for &(wd, p) in entries {
            t.insert(wd, p.as_bytes());
        }
        t
    }

    /// (wd, name) in wd order.
    pub fn names(t: &WatchTable) -> Vec<(i32, String)> {
        t.wds()
            .into_iter()
            .filter_map(|w| Some((w, String::from_utf8_lossy(t.get(w)?).into_owned())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{names, table};
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

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
        assert!(t.remove(2).is_some());
        assert_eq!(t.find(b"t/a/bb/"), Some(3));
        assert_eq!(t.find(b"t/a/b/"), None);
        assert_eq!(t.len(), 4);
        assert_eq!(t.wds(), vec![1, 3, 4, 5]);
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

    /// Wds handed out cyclically, as the kernel does: after 1,000,000 watches made and
    /// removed, the table holds and costs what 100 live watches need.
    #[test]
    fn footprint_follows_live_watches_not_history() {
        let mut t = WatchTable::new();
        let mut live = std::collections::VecDeque::new();
        let mut peak_after_warmup = 0;
        for (next, step) in (1..).zip(0..1_000_000) {
            t.insert(next, format!("root/dir-{next}/").as_bytes());
            live.push_back(next);
            if live.len() > 100 {
                let wd = live.pop_front().unwrap();
                assert!(t.remove(wd).is_some());
            }
            // The arena fills and compacts in cycles: take the peak of the first 100,000
            // steps; the next 900,000 must never exceed it.
            if step < 100_000 {
                peak_after_warmup = peak_after_warmup.max(t.footprint());
            } else {
                assert!(t.footprint() <= peak_after_warmup, "grew at step {step}");
            }
        }
        assert_eq!(t.len(), 100);
        assert!(t.footprint() < 200 * 1024, "{} bytes", t.footprint());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(i32, u8, u8),
        Remove(i32),
        Rename(u8, u8),
        Set(i32, u8),
    }

    fn path(a: u8, b: u8) -> Vec<u8> {
        // A small alphabet so prefixes collide often; "r/a/" is a prefix of "r/a/b/".
        let mut p = format!("r/{}/", (b'a' + a % 4) as char).into_bytes();
        if !b.is_multiple_of(3) {
            p.extend_from_slice(format!("{}/", (b'a' + b % 5) as char).as_bytes());
        }
        p
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..40i32, any::<u8>(), any::<u8>()).prop_map(|(w, a, b)| Op::Insert(w, a, b)),
            (0..40i32).prop_map(Op::Remove),
            (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Rename(a, b)),
            (0..40i32, any::<u8>()).prop_map(|(w, a)| Op::Set(w, a)),
        ]
    }

    proptest! {
        /// The table behaves as a plain ordered map from wd to name under any sequence of
        /// inserts, removals, prefix renames and name changes.
        #[test]
        fn table_matches_a_plain_map(ops in proptest::collection::vec(op(), 1..200)) {
            let mut t = WatchTable::new();
            let mut m: BTreeMap<i32, Vec<u8>> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(w, a, b) => {
                        let p = path(a, b);
                        let fresh = !m.contains_key(&w);
                        prop_assert_eq!(t.insert(w, &p), fresh);
                        m.entry(w).or_insert(p);
                    }
                    Op::Remove(w) => {
                        prop_assert_eq!(t.remove(w).map(|b| b.to_vec()), m.remove(&w));
                    }
                    Op::Rename(a, b) => {
                        let (from, to) = (path(a, 0), path(b, 1));
                        t.rename_prefix(&from, &to);
                        for v in m.values_mut() {
                            if v.starts_with(&from) {
                                let rest = v[from.len()..].to_vec();
                                *v = [to.clone(), rest].concat();
                            }
                        }
                    }
                    Op::Set(w, a) => {
                        if m.contains_key(&w) {
                            t.set(w, &path(a, 2));
                            m.insert(w, path(a, 2));
                        }
                    }
                }
                prop_assert_eq!(t.len(), m.len());
                let got: BTreeMap<i32, Vec<u8>> =
                    t.iter().map(|(w, p)| (w, p.to_vec())).collect();
                prop_assert_eq!(&got, &m);
                prop_assert_eq!(t.wds(), m.keys().copied().collect::<Vec<_>>());
                for p in m.values() {
                    let found = t.find(p);
                    prop_assert!(found.is_some_and(|w| m.get(&w) == Some(p)));
                }
            }
        }
    }
}
