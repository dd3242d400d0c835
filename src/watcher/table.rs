//! The wd ↔ path table: names as reported, prefix rewriting on renames, subtree removal.
//! Pure data, no syscalls, so every case is unit-tested without a kernel.

use std::collections::HashMap;

/// Maps watch descriptors to the names events are reported under (directories end in `/`).
#[derive(Debug, Default, Clone)]
pub struct WatchTable {
    by_wd: HashMap<i32, Box<[u8]>>,
    /// Creation order of live wds, for callers that need it (inotifywatch ties).
    order: Vec<i32>,
}

impl WatchTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `path` for `wd`. The first name registered for a wd wins (the same inode
    /// watched under two names reports under the first); returns whether it was inserted.
    pub fn insert(&mut self, wd: i32, path: &[u8]) -> bool {
        if self.by_wd.contains_key(&wd) {
            return false;
        }
        self.by_wd.insert(wd, path.into());
        self.order.push(wd);
        true
    }

    pub fn get(&self, wd: i32) -> Option<&[u8]> {
        self.by_wd.get(&wd).map(|p| &**p)
    }

    pub fn contains(&self, wd: i32) -> bool {
        self.by_wd.contains_key(&wd)
    }

    pub fn len(&self) -> usize {
        self.by_wd.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_wd.is_empty()
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

    pub fn remove(&mut self, wd: i32) -> Option<Box<[u8]>> {
        let old = self.by_wd.remove(&wd);
        if old.is_some() {
            self.order.retain(|&w| w != wd);
        }
        old
    }

    /// The wd currently reported under exactly `path`.
    pub fn find(&self, path: &[u8]) -> Option<i32> {
        self.order
            .iter()
            .copied()
            .find(|wd| self.get(*wd) == Some(path))
    }

    /// Every wd whose name starts with the directory name `prefix` (itself included).
    pub fn subtree(&self, prefix: &[u8]) -> Vec<i32> {
        self.order
            .iter()
            .copied()
            .filter(|wd| self.get(*wd).is_some_and(|p| p.starts_with(prefix)))
            .collect()
    }

    /// Rewrites every name under directory `from` (ending in `/`) to live under `to`.
    pub fn rename_prefix(&mut self, from: &[u8], to: &[u8]) {
        for p in self.by_wd.values_mut() {
            if p.starts_with(from) {
                let mut n = Vec::with_capacity(to.len() + p.len() - from.len());
                n.extend_from_slice(to);
                n.extend_from_slice(&p[from.len()..]);
                *p = n.into();
            }
        }
    }

    /// Live wds in creation order.
    pub fn wds(&self) -> &[i32] {
        &self.order
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
        t.wds()
            .iter()
            .map(|&w| {
                (
                    w,
                    String::from_utf8_lossy(t.get(w).unwrap_or_default()).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn first_name_wins() {
        let mut t = table(&[(1, "lnk")]);
        assert!(!t.insert(1, b"real/"));
        assert_eq!(t.get(1), Some(&b"lnk"[..]));
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
        assert_eq!(t.wds(), &[1, 3, 4, 5]);
    }
}
