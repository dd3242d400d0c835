//! A map keyed by watch descriptor whose memory follows the live keys, not the keys
//! ever used. The kernel hands out wds in increasing order (wrapping only at
//! `i32::MAX`), so recent wds sit in a dense window (a vector indexed by `wd - base`:
//! one index per lookup, as cheap as a plain vector) and the few long-lived wds the
//! window has slid past (a top directory watched for months) move to a small hash map.
//! The window slides forward whenever less than half of it is live, so churn (watches
//! made and removed, wds ever increasing) costs nothing lasting.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Fibonacci hashing of an `i32` key (wds are never chosen by a user).
#[derive(Debug, Default, Clone, Copy)]
pub struct WdHasher(u64);

impl Hasher for WdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i32(&mut self, i: i32) {
        self.0 = u64::from(i as u32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Smallest window worth sliding.
const MIN_WINDOW: usize = 64;

#[derive(Debug, Clone)]
pub struct WdMap<T> {
    base: i32,
    dense: Vec<Option<T>>,
    dense_live: usize,
    sparse: HashMap<i32, T, BuildHasherDefault<WdHasher>>,
}

impl<T> Default for WdMap<T> {
    fn default() -> Self {
        WdMap {
            base: 0,
            dense: Vec::new(),
            dense_live: 0,
            sparse: HashMap::default(),
        }
    }
}

impl<T> WdMap<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Index into the window, when `wd` falls inside it.
    fn slot(&self, wd: i32) -> Option<usize> {
        let i = usize::try_from(i64::from(wd) - i64::from(self.base)).ok()?;
        (i < self.dense.len()).then_some(i)
    }

    pub fn get(&self, wd: i32) -> Option<&T> {
        match self.slot(wd) {
            Some(i) => self.dense[i].as_ref(),
            None => self.sparse.get(&wd),
        }
    }

    pub fn get_mut(&mut self, wd: i32) -> Option<&mut T> {
        match self.slot(wd) {
            Some(i) => self.dense[i].as_mut(),
            None => self.sparse.get_mut(&wd),
        }
    }

    pub fn contains_key(&self, wd: i32) -> bool {
        self.get(wd).is_some()
    }

    pub fn len(&self) -> usize {
        self.dense_live + self.sparse.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, wd: i32, value: T) -> Option<T> {
        if let Some(i) = self.slot(wd) {
            let old = self.dense[i].replace(value);
            if old.is_none() {
                self.dense_live += 1;
            }
            return old;
        }
        let end = i64::from(self.base) + self.dense.len() as i64;
        let gap = i64::from(wd) - end;
        if gap < 0 {
            return self.sparse.insert(wd, value); // behind the window (or wrapped)
        }
        if self.dense_live == 0 {
            // An empty window starts over at this wd.
            self.dense.clear();
            self.base = wd;
        } else if gap > (self.dense.len() as i64).max(MIN_WINDOW as i64) {
            // A jump far ahead: the old window's survivors go to the map.
            self.spill(self.dense.len());
            self.base = wd;
        }
        let i = usize::try_from(i64::from(wd) - i64::from(self.base)).unwrap_or(0);
        if self.dense.len() <= i {
            self.dense.resize_with(i + 1, || None);
        }
        self.dense[i] = Some(value);
        self.dense_live += 1;
        None
    }

    /// The value for `wd`, a default one made when absent.
    pub fn get_or_default(&mut self, wd: i32) -> &mut T
    where
        T: Default,
    {
        if !self.contains_key(wd) {
            self.insert(wd, T::default());
        }
        match self.slot(wd) {
            Some(i) => self.dense[i].get_or_insert_with(T::default),
            None => self.sparse.entry(wd).or_default(),
        }
    }

    pub fn remove(&mut self, wd: i32) -> Option<T> {
        match self.slot(wd) {
            Some(i) => {
                let old = self.dense[i].take();
                if old.is_some() {
                    self.dense_live -= 1;
                    self.slide();
                }
                old
            }
            None => {
                let old = self.sparse.remove(&wd);
                let cap = self.sparse.capacity();
                if cap > MIN_WINDOW && self.sparse.len() * 4 < cap {
                    self.sparse.shrink_to(self.sparse.len() * 2);
                }
                old
            }
        }
    }

    /// Moves the live entries of the window's first `n` slots to the map and drops them.
    fn spill(&mut self, n: usize) {
        for (i, v) in self.dense.drain(..n).enumerate() {
            if let Some(v) = v {
                self.dense_live -= 1;
                self.sparse.insert(self.base.wrapping_add(i as i32), v);
            }
        }
        self.base = self.base.wrapping_add(n as i32);
    }

    /// Keeps the window at least half live: trailing holes are cut, and while less than
    /// half is live, its first half is spilled.
    fn slide(&mut self) {
        while self.dense.last().is_some_and(Option::is_none) {
            self.dense.pop();
        }
        while self.dense.len() >= MIN_WINDOW && self.dense_live * 2 < self.dense.len() {
            let lead = self.dense.iter().take_while(|v| v.is_none()).count();
            let n = lead.max(self.dense.len() / 2);
            self.spill(n);
        }
        if self.dense.capacity() > MIN_WINDOW && self.dense.len() * 4 < self.dense.capacity() {
            self.dense.shrink_to(self.dense.len() * 2);
        }
    }

    /// (wd, value) pairs: the window in wd order, then the map in no order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &T)> {
        let base = self.base;
        self.dense
            .iter()
            .enumerate()
            .filter_map(move |(i, v)| Some((base.wrapping_add(i as i32), v.as_ref()?)))
            .chain(self.sparse.iter().map(|(&wd, v)| (wd, v)))
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.dense
            .iter_mut()
            .filter_map(Option::as_mut)
            .chain(self.sparse.values_mut())
    }

    /// Live wds, sorted.
    pub fn keys_sorted(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self.iter().map(|(wd, _)| wd).collect();
        v.sort_unstable();
        v
    }

    /// Bytes reserved for entries.
    pub fn footprint(&self) -> usize {
        self.dense.capacity() * std::mem::size_of::<Option<T>>()
            + self.sparse.capacity() * (std::mem::size_of::<(i32, T)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn long_lived_keys_survive_the_window_sliding_past_them() {
        let mut m = WdMap::new();
        m.insert(1, "top");
        for wd in 2..200_000 {
            m.insert(wd, "churn");
            if wd > 101 {
                m.remove(wd - 100);
            }
        }
        assert_eq!(m.get(1), Some(&"top"));
        assert_eq!(m.len(), 101);
        assert!(m.footprint() < 16 * 1024, "{}", m.footprint());
        let keys = m.keys_sorted();
        assert_eq!(keys[0], 1);
        assert_eq!(keys[1], 199_900);
    }

    #[test]
    fn jumps_and_wraps() {
        let mut m = WdMap::new();
        m.insert(5, 5);
        m.insert(1_000_000, 6);
        m.insert(i32::MAX, 7);
        m.insert(0, 8);
        assert_eq!(m.keys_sorted(), vec![0, 5, 1_000_000, i32::MAX]);
        assert!(m.footprint() < 4096);
        *m.get_or_default(9) += 1;
        *m.get_or_default(9) += 1;
        assert_eq!(m.get(9), Some(&2));
    }

    proptest! {
        /// Same answers as a plain ordered map under any inserts and removals of mostly
        /// increasing keys, with jumps and a few old ones.
        #[test]
        fn behaves_as_a_map(ops in proptest::collection::vec((0u8..4, 0i32..3000), 1..400)) {
            let mut m = WdMap::new();
            let mut model = BTreeMap::new();
            let mut next = 1;
            for (kind, x) in ops {
                match kind {
                    0 | 1 => {
                        next += 1 + x % 7;
                        prop_assert_eq!(m.insert(next, next), model.insert(next, next));
                    }
                    2 => {
                        let k = x % (next + 1);
                        prop_assert_eq!(m.remove(k), model.remove(&k));
                    }
                    _ => {
                        let k = x % 50;
                        prop_assert_eq!(m.insert(k, -k), model.insert(k, -k));
                    }
                }
                prop_assert_eq!(m.len(), model.len());
                prop_assert_eq!(m.keys_sorted(), model.keys().copied().collect::<Vec<_>>());
                for (k, v) in &model {
                    prop_assert_eq!(m.get(*k), Some(v));
                }
            }
        }
    }
}
