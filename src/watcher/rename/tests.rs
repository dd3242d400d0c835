//! The rename state machine: table-driven cases, then a model of the kernel (a directory
//! tree, watches, and the events it queues for mkdir/rename/rmdir) run under random
//! operation sequences and random read points, checked against the real tree.

use std::collections::{HashMap, VecDeque};

use proptest::prelude::*;

use super::*;
use crate::watcher::table::fixture::{names, table};

fn from(parent: i32, name: &'static str, cookie: u32) -> DirEvent<'static> {
    DirEvent::MovedFrom {
        parent,
        name: name.as_bytes(),
        cookie,
    }
}

fn to(parent: i32, name: &'static str, cookie: u32) -> DirEvent<'static> {
    DirEvent::MovedTo {
        parent,
        name: name.as_bytes(),
        cookie,
    }
}

fn self_(wd: i32) -> DirEvent<'static> {
    DirEvent::MoveSelf { wd }
}

fn place(p: &str, paired: Option<i32>) -> Effect {
    Effect::Place {
        dest: p.as_bytes().to_vec(),
        paired,
    }
}

/// Each case: events, the effects they ask for, the wd the kernel says is at each placed
/// name now (a wd the table does not know: moved in), and the table at the end.
#[test]
fn sequences() {
    type Case = (
        &'static str,
        Vec<DirEvent<'static>>,
        Vec<Effect>,
        &'static [(&'static str, i32)],
        &'static [(i32, &'static str)],
    );
    let start: &[(i32, &str)] = &[(1, "t/a/b/"), (2, "t/a/"), (3, "t/"), (4, "t/c/")];
    let cases: Vec<Case> = vec![
        (
            "renamed inside the tree: MOVED_TO places it, MOVE_SELF is answered already",
            vec![from(3, "a", 7), to(4, "x", 7), self_(2)],
            vec![Effect::None, place("t/c/x/", Some(2)), Effect::None],
            &[("t/c/x/", 2)],
            &[(1, "t/c/x/b/"), (2, "t/c/x/"), (3, "t/"), (4, "t/c/")],
        ),
        (
            "moved out: MOVE_SELF with nothing paired",
            vec![from(3, "a", 7), self_(2)],
            vec![Effect::None, Effect::Left(2)],
            &[],
            &[(3, "t/"), (4, "t/c/")],
        ),
        (
            "other events between the pair change nothing",
            vec![from(3, "a", 7), self_(4), to(3, "z", 7), self_(2)],
            vec![
                Effect::None,
                Effect::None,
                place("t/z/", Some(2)),
                Effect::None,
            ],
            &[("t/z/", 2)],
            &[(1, "t/z/b/"), (2, "t/z/"), (3, "t/"), (4, "t/c/")],
        ),
        (
            "moved in from outside",
            vec![to(3, "new", 9)],
            vec![place("t/new/", None)],
            &[("t/new/", 5)],
            &[
                (1, "t/a/b/"),
                (2, "t/a/"),
                (3, "t/"),
                (4, "t/c/"),
                (5, "t/new/"),
            ],
        ),
        (
            "a file's MOVE_SELF, or an unwatched directory's MOVED_FROM, is not a move out",
            vec![from(3, "nodir", 5), self_(4)],
            vec![Effect::None, Effect::None],
            &[],
            &[(1, "t/a/b/"), (2, "t/a/"), (3, "t/"), (4, "t/c/")],
        ),
        (
            "two renames of one directory in a row, read late: bound to where it is now",
            vec![
                from(3, "a", 1),
                to(3, "b", 1),
                self_(2),
                from(3, "b", 2),
                to(3, "c2", 2),
                self_(2),
            ],
            vec![
                Effect::None,
                place("t/b/", Some(2)),
                Effect::None,
                Effect::None,
                place("t/c2/", Some(2)),
                Effect::None,
            ],
            &[("t/c2/", 2)],
            &[(1, "t/c2/b/"), (2, "t/c2/"), (3, "t/"), (4, "t/c/")],
        ),
        (
            "moved out and straight back in under a new name",
            vec![from(3, "a", 1), self_(2), to(3, "back", 2), self_(2)],
            vec![
                Effect::None,
                Effect::Left(2),
                place("t/back/", None),
                Effect::None,
            ],
            &[("t/back/", 6)],
            &[(3, "t/"), (4, "t/c/"), (6, "t/back/")],
        ),
        (
            "nested: a subdirectory renamed, then its parent moved out",
            vec![
                from(2, "b", 1),
                to(3, "b2", 1),
                self_(1),
                from(3, "a", 2),
                self_(2),
            ],
            vec![
                Effect::None,
                place("t/b2/", Some(1)),
                Effect::None,
                Effect::None,
                Effect::Left(2),
            ],
            &[("t/b2/", 1)],
            &[(1, "t/b2/"), (3, "t/"), (4, "t/c/")],
        ),
        (
            "the name was reused before the events were read: the kernel decides",
            vec![from(3, "a", 1), to(3, "z", 1)],
            vec![Effect::None, place("t/z/", Some(2))],
            &[("t/z/", 7)],
            &[
                (1, "t/a/b/"),
                (2, "t/a/"),
                (3, "t/"),
                (4, "t/c/"),
                (7, "t/z/"),
            ],
        ),
        (
            "IGNORED forgets a pending move",
            vec![from(3, "a", 1), DirEvent::Ignored { wd: 2 }, self_(2)],
            vec![Effect::None, Effect::None, Effect::None],
            &[],
            &[(1, "t/a/b/"), (3, "t/"), (4, "t/c/")],
        ),
        (
            "overflow forgets everything pending",
            vec![from(3, "a", 1), DirEvent::Overflow, self_(2)],
            vec![Effect::None, Effect::None, Effect::None],
            &[],
            &[(1, "t/a/b/"), (2, "t/a/"), (3, "t/"), (4, "t/c/")],
        ),
    ];
    for (what, events, effects, kernel, want) in cases {
        let mut t = table(start);
        let mut r = Renames::new();
        let mut got = Vec::new();
        for e in events {
            let effect = r.apply(&mut t, e);
            if let Effect::Place { dest, .. } = &effect {
                let dest_str = std::str::from_utf8(dest).unwrap();
                if let Some(&(_, wd)) = kernel.iter().find(|(d, _)| *d == dest_str)
                    && !bind(&mut t, wd, dest)
                {
                    t.insert(wd, dest);
                }
            }
            if let Effect::Left(w) = &effect {
                // The kernel (not modelled here) says it is gone from its name.
                r.drop_subtree(&mut t, *w);
            }
            got.push(effect);
        }
        assert_eq!(got, effects, "{what}");
        let want: Vec<(i32, String)> = want.iter().map(|&(w, p)| (w, p.to_string())).collect();
        assert_eq!(names(&t), want, "{what}");
        assert!(r.len() <= t.len(), "{what}");
    }
}

// ---- A model of the kernel -------------------------------------------------------------

/// A fresh name for every mkdir and rename. A name reused by another directory while
/// the queue lags is the one case the kernel's sequence cannot disambiguate (a
/// `MOVED_FROM` read late names a path the table may have bound to the newcomer); the
/// README documents it, and the rescan of an overflow or the next move fixes such a name.
fn fresh(k: &mut Kernel) -> &'static str {
    k.names += 1;
    Box::leak(format!("n{}", k.names).into_boxed_str())
}

#[derive(Debug, Clone)]
struct Node {
    /// None: a top-level directory outside the watched tree (or the root itself).
    parent: Option<usize>,
    name: &'static str,
    alive: bool,
}

#[derive(Debug, Clone)]
enum Kind {
    Create(&'static str),
    MovedFrom(&'static str, u32),
    MovedTo(&'static str, u32),
    MoveSelf,
    DeleteSelf,
    Delete,
    Ignored,
}

#[derive(Default)]
struct Kernel {
    nodes: Vec<Node>,
    watch_of: HashMap<usize, i32>,
    inode_of: HashMap<i32, usize>,
    next_wd: i32,
    next_cookie: u32,
    queue: VecDeque<(i32, Kind)>,
    names: usize,
}

impl Kernel {
    fn new() -> Kernel {
        let mut k = Kernel {
            next_wd: 1,
            ..Kernel::default()
        };
        k.nodes.push(Node {
            parent: None,
            name: "r",
            alive: true,
        });
        k
    }

    fn emit(&mut self, inode: Option<usize>, kind: Kind) {
        if let Some(&wd) = inode.and_then(|i| self.watch_of.get(&i)) {
            self.queue.push_back((wd, kind));
        }
    }

    fn child(&self, parent: Option<usize>, name: &str) -> Option<usize> {
        (0..self.nodes.len()).find(|&i| {
            i != 0
                && self.nodes[i].alive
                && self.nodes[i].parent == parent
                && self.nodes[i].name == name
        })
    }

    fn inside(&self, mut i: usize, ancestor: usize) -> bool {
        loop {
            if i == ancestor {
                return true;
            }
            match self.nodes[i].parent {
                Some(p) => i = p,
                None => return false,
            }
        }
    }

    /// The path of an inode in the watched tree, or None when it is outside.
    fn path(&self, i: usize) -> Option<String> {
        if i == 0 {
            return Some("r/".into());
        }
        let p = self.path(self.nodes[i].parent?)?;
        Some(format!("{p}{}/", self.nodes[i].name))
    }

    fn resolve(&self, path: &[u8]) -> Option<usize> {
        let s = std::str::from_utf8(path).ok()?.strip_prefix("r/")?;
        let mut i = 0;
        for c in s.split('/').filter(|c| !c.is_empty()) {
            i = self.child(Some(i), c)?;
        }
        Some(i)
    }

    fn add(&mut self, i: usize) -> i32 {
        if let Some(&wd) = self.watch_of.get(&i) {
            return wd;
        }
        let wd = self.next_wd;
        self.next_wd += 1;
        self.watch_of.insert(i, wd);
        self.inode_of.insert(wd, i);
        wd
    }

    fn rm(&mut self, wd: i32) {
        if let Some(i) = self.inode_of.remove(&wd) {
            self.watch_of.remove(&i);
            self.queue.push_back((wd, Kind::Ignored));
        }
    }

    fn mkdir(&mut self, parent: Option<usize>, name: &'static str) {
        if parent.is_some_and(|p| !self.nodes[p].alive) || self.child(parent, name).is_some() {
            return;
        }
        self.nodes.push(Node {
            parent,
            name,
            alive: true,
        });
        self.emit(parent, Kind::Create(name));
    }

    fn rename(&mut self, src: usize, parent: Option<usize>, name: &'static str) {
        if src == 0
            || !self.nodes[src].alive
            || parent.is_some_and(|p| !self.nodes[p].alive || self.inside(p, src))
            || self.child(parent, name).is_some()
        {
            return;
        }
        self.next_cookie += 1;
        let c = self.next_cookie;
        let (old_parent, old_name) = (self.nodes[src].parent, self.nodes[src].name);
        self.nodes[src].parent = parent;
        self.nodes[src].name = name;
        self.emit(old_parent, Kind::MovedFrom(old_name, c));
        self.emit(parent, Kind::MovedTo(name, c));
        self.emit(Some(src), Kind::MoveSelf);
    }

    fn rmdir(&mut self, i: usize) {
        let busy =
            (0..self.nodes.len()).any(|j| self.nodes[j].alive && self.nodes[j].parent == Some(i));
        if i == 0 || !self.nodes[i].alive || busy {
            return;
        }
        self.nodes[i].alive = false;
        self.emit(Some(i), Kind::DeleteSelf);
        if let Some(wd) = self.watch_of.get(&i).copied() {
            self.rm(wd);
        }
        let (parent, name) = (self.nodes[i].parent, self.nodes[i].name);
        let _ = name;
        self.emit(parent, Kind::Delete);
    }
}

/// Our side, as the watcher does it: the table, the rename machine, watches of
/// directories that left the tree kept until the queue is caught up (the grace), and
/// creations read after their parent moved, retried when the rename is read.
struct Ours {
    table: WatchTable,
    renames: Renames,
    detached: std::collections::HashSet<i32>,
    /// (parent wd, name, events queued after it was recorded: once those are read it is
    /// forgotten, as the watcher forgets orphans with the buffer they were read into).
    orphans: Vec<(i32, &'static str, usize)>,
}

impl Ours {
    fn new() -> Ours {
        Ours {
            table: WatchTable::new(),
            renames: Renames::new(),
            detached: Default::default(),
            orphans: Vec::new(),
        }
    }

    fn add(&mut self, k: &mut Kernel, i: usize) -> i32 {
        let wd = k.add(i);
        self.detached.remove(&wd);
        wd
    }

    /// Places the directory now at `path`: children first, then the directory itself,
    /// each bound by the watch the kernel says it has.
    fn walk(&mut self, k: &mut Kernel, path: &[u8]) -> bool {
        let Some(i) = k.resolve(path) else {
            return false;
        };
        let kids: Vec<usize> = (0..k.nodes.len())
            .filter(|&j| k.nodes[j].alive && k.nodes[j].parent == Some(i))
            .collect();
        for j in kids {
            self.walk(k, &join_dir(path, k.nodes[j].name.as_bytes()));
        }
        let wd = self.add(k, i);
        if !bind(&mut self.table, wd, path) {
            self.table.insert(wd, path);
        }
        true
    }

    fn step(&mut self, k: &mut Kernel) {
        let Some((wd, kind)) = k.queue.pop_front() else {
            return;
        };
        self.orphans.retain(|o| o.2 > 0);
        for o in &mut self.orphans {
            o.2 -= 1;
        }
        let renamed = self.table.renamed();
        self.event(k, wd, kind);
        if self.table.renamed() != renamed {
            let orphans = std::mem::take(&mut self.orphans);
            for (parent, name, _) in orphans {
                let Some(path) = self.table.get(parent).map(|p| join_dir(p, name.as_bytes()))
                else {
                    continue;
                };
                if !self.walk(k, &path) {
                    // Still not there: moved on again; what is queued now explains it.
                    self.orphans.push((parent, name, k.queue.len()));
                }
            }
        }
        if k.queue.is_empty() {
            // Caught up: the grace of detached watches is over.
            for w in std::mem::take(&mut self.detached) {
                k.rm(w);
            }
            self.orphans.clear();
        }
    }

    fn event(&mut self, k: &mut Kernel, wd: i32, kind: Kind) {
        if matches!(kind, Kind::Ignored) && self.detached.remove(&wd) {
            return;
        }
        if !self.table.contains(wd) {
            return; // a watch we dropped: its last events are stale
        }
        let ev = match kind.clone() {
            Kind::Create(name) => {
                let path = join_dir(self.table.get(wd).unwrap(), name.as_bytes());
                if !self.walk(k, &path) {
                    self.orphans.push((wd, name, k.queue.len()));
                }
                return;
            }
            Kind::MovedFrom(name, cookie) => DirEvent::MovedFrom {
                parent: wd,
                name: name.as_bytes(),
                cookie,
            },
            Kind::MovedTo(name, cookie) => DirEvent::MovedTo {
                parent: wd,
                name: name.as_bytes(),
                cookie,
            },
            Kind::MoveSelf => DirEvent::MoveSelf { wd },
            Kind::Ignored => DirEvent::Ignored { wd },
            Kind::DeleteSelf | Kind::Delete => return,
        };
        match self.renames.apply(&mut self.table, ev) {
            Effect::None => {}
            Effect::Place { dest, paired } => {
                // As the watcher: a rename inside the tree when the kernel says the
                // paired watch is what is there; otherwise a walk; nothing there (the
                // parent moved since): an orphan.
                let there = k.resolve(&dest).and_then(|i| k.watch_of.get(&i).copied());
                match paired {
                    Some(w) if there == Some(w) && self.table.contains(w) => {
                        bind(&mut self.table, w, &dest);
                    }
                    _ => {
                        if !self.walk(k, &dest)
                            && let Kind::MovedTo(name, _) = kind
                        {
                            self.orphans.push((wd, name, k.queue.len()));
                        }
                    }
                }
            }
            Effect::Left(w) => {
                let at = self
                    .table
                    .get(w)
                    .and_then(|p| k.resolve(p))
                    .and_then(|i| k.watch_of.get(&i).copied());
                if at != Some(w) {
                    let gone = self.renames.drop_subtree(&mut self.table, w);
                    self.detached.extend(gone);
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Mkdir(usize),
    Rename(usize, usize),
    Rmdir(usize),
    Read(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..40usize).prop_map(Op::Mkdir),
        3 => (0..40usize, 0..40usize).prop_map(|(s, p)| Op::Rename(s, p)),
        1 => (0..40usize).prop_map(Op::Rmdir),
        2 => (0..6usize).prop_map(Op::Read),
    ]
}

/// Picks a parent: index 0 of the choice is "outside the tree", others alive nodes.
fn pick_parent(k: &Kernel, choice: usize) -> Option<Option<usize>> {
    let alive: Vec<usize> = (0..k.nodes.len()).filter(|&i| k.nodes[i].alive).collect();
    match choice % (alive.len() + 1) {
        0 => Some(None),
        n => Some(Some(alive[n - 1])),
    }
}

/// Runs `ops` against the kernel model and checks the invariants once the queue is
/// drained; with `trace`, prints every step (for debugging a shrunk case).
fn run(ops: Vec<Op>, trace: bool) -> Result<(), TestCaseError> {
    let mut k = Kernel::new();
    let mut ours = Ours::new();
    ours.walk(&mut k, b"r/");
    let show = |k: &Kernel, ours: &Ours, what: String| {
        if trace {
            let tree: Vec<_> = (0..k.nodes.len())
                .filter(|&i| k.nodes[i].alive)
                .map(|i| (i, k.path(i), k.watch_of.get(&i).copied()))
                .collect();
            eprintln!("{what}\n  tree {tree:?}\n  table {:?}", names(&ours.table));
        }
    };
    let alive =
        |k: &Kernel| -> Vec<usize> { (1..k.nodes.len()).filter(|&i| k.nodes[i].alive).collect() };
    for op in ops {
        match op {
            Op::Mkdir(p) => {
                if let Some(parent) = pick_parent(&k, p) {
                    let name = fresh(&mut k);
                    k.mkdir(parent, name);
                }
            }
            Op::Rename(s, p) => {
                let alive = alive(&k);
                if !alive.is_empty() {
                    let src = alive[s % alive.len()];
                    if let Some(parent) = pick_parent(&k, p) {
                        let name = fresh(&mut k);
                        k.rename(src, parent, name);
                    }
                }
            }
            Op::Rmdir(i) => {
                let alive = alive(&k);
                if !alive.is_empty() {
                    k.rmdir(alive[i % alive.len()]);
                }
            }
            Op::Read(n) => {
                for _ in 0..n {
                    let e = k.queue.front().cloned();
                    ours.step(&mut k);
                    show(&k, &ours, format!("read {e:?}"));
                }
            }
        }
        show(&k, &ours, format!("op {op:?} queue {:?}", k.queue));
        prop_assert!(ours.renames.len() <= ours.table.len());
    }
    while let Some(e) = k.queue.front().cloned() {
        ours.step(&mut k);
        show(&k, &ours, format!("read {e:?}"));
    }
    let mut kernel_wds: Vec<i32> = k.inode_of.keys().copied().collect();
    kernel_wds.sort_unstable();
    prop_assert_eq!(ours.table.wds(), kernel_wds);
    for (&i, &wd) in &k.watch_of {
        let real = k.path(i);
        prop_assert!(real.is_some(), "watched outside the tree: inode {}", i);
        prop_assert_eq!(ours.table.get(wd), real.as_deref().map(str::as_bytes));
    }
    for i in 0..k.nodes.len() {
        if k.nodes[i].alive && k.path(i).is_some() {
            prop_assert!(k.watch_of.contains_key(&i), "not watched: {:?}", k.path(i));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the order of mkdir, rename (inside, out, in) and rmdir, and wherever the
    /// reads fall, once the queue is drained: the table holds exactly the kernel's
    /// watches (nothing leaks), every watched directory is inside the tree under its real
    /// name (nothing moved out stays watched, no stale name), and every directory of the
    /// tree is watched (nothing lost).
    #[test]
    fn table_follows_the_tree(ops in proptest::collection::vec(op(), 1..80)) {
        run(ops, false)?;
    }
}
