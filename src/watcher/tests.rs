//! The read path against a scripted backend (no kernel): the read-ahead cap, internal
//! events never handed out, our own removals' `IGNORED`, and the echoes of a scan.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::event::bits::*;

/// Records handed out by a scripted backend; `endless` fills every read.
#[derive(Default)]
struct Script {
    queue: Vec<u8>,
    endless: bool,
    added: Vec<Vec<u8>>,
    removed: Vec<i32>,
}

struct Fake(Rc<RefCell<Script>>);

fn record(wd: i32, mask: u32, cookie: u32, name: &[u8]) -> Vec<u8> {
    let padded = if name.is_empty() {
        0
    } else {
        (name.len() + 16) & !15
    };
    let mut v = Vec::new();
    v.extend_from_slice(&wd.to_ne_bytes());
    v.extend_from_slice(&mask.to_ne_bytes());
    v.extend_from_slice(&cookie.to_ne_bytes());
    v.extend_from_slice(&(padded as u32).to_ne_bytes());
    v.extend_from_slice(name);
    v.resize(16 + padded, 0);
    v
}

impl Backend for Fake {
    /// One id per path, as the kernel gives one wd per inode.
    fn add(&mut self, path: &[u8], _mask: u32) -> Result<i32, Errno> {
        let mut s = self.0.borrow_mut();
        let i = match s.added.iter().position(|p| p == path) {
            Some(i) => i,
            None => {
                s.added.push(path.to_vec());
                s.added.len() - 1
            }
        };
        Ok(101 + i as i32)
    }
    fn remove(&mut self, id: i32) {
        self.0.borrow_mut().removed.push(id);
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        let mut s = self.0.borrow_mut();
        if s.endless {
            let r = record(1, MODIFY, 0, b"f");
            let n = buf.len() / r.len();
            for chunk in buf.chunks_exact_mut(r.len()).take(n) {
                chunk.copy_from_slice(&r);
            }
            return Ok(n * r.len());
        }
        let n = s.queue.len().min(buf.len());
        buf[..n].copy_from_slice(&s.queue[..n]);
        s.queue.drain(..n);
        Ok(n)
    }
    fn queued(&self) -> usize {
        let s = self.0.borrow();
        if s.endless { 1 << 40 } else { s.queue.len() }
    }
    fn fd(&self) -> RawFd {
        -1
    }
}

fn watcher(mask: u32, track: bool) -> (Watcher, Rc<RefCell<Script>>) {
    let script = Rc::new(RefCell::new(Script::default()));
    let opts = Options {
        mask,
        recursive: track,
        track,
        scan_new: true,
        ..Options::default()
    };
    (
        Watcher::with_backend(opts, Box::new(Fake(Rc::clone(&script)))),
        script,
    )
}

fn events(w: &mut Watcher) -> Vec<(i32, String, String)> {
    let mut out = Vec::new();
    while let Some(e) = w.next_event() {
        let mut m = Vec::new();
        crate::event::render_mask(e.mask, b',', &mut m);
        out.push((
            e.wd,
            String::from_utf8_lossy(&m).into_owned(),
            String::from_utf8_lossy(e.name).into_owned(),
        ));
    }
    out
}

#[test]
fn read_ahead_stops_at_the_cap() {
    let (mut w, script) = watcher(ALL_EVENTS, false);
    script.borrow_mut().endless = true;
    w.drain_queued();
    assert!(
        w.len >= BUFFER_CAP && w.len <= BUFFER_CAP + READ_SIZE,
        "{}",
        w.len
    );
    // The set-up drain does not read past it either.
    for _ in 0..10_000 {
        w.walked_one().unwrap();
    }
    assert!(w.len <= BUFFER_CAP + READ_SIZE, "{}", w.len);
}

#[test]
fn internal_move_self_is_never_handed_out() {
    let (mut w, script) = watcher(CREATE | MOVED_FROM | MOVED_TO, true);
    assert_eq!(w.internal, MOVE_SELF);
    assert_eq!(w.opts.mask & MOVE_SELF, MOVE_SELF);
    w.table.insert(1, b"t/");
    w.table.insert(2, b"t/a/");
    let mut q = record(2, MOVE_SELF | ISDIR, 0, b"");
    q.extend(record(1, CREATE, 0, b"f"));
    script.borrow_mut().queue = q;
    assert!(w.fill().unwrap());
    assert_eq!(events(&mut w), vec![(1, "CREATE".into(), "f".into())]);
    // Asked for, it is handed out.
    let (mut w, script) = watcher(CREATE | MOVED_FROM | MOVE_SELF, true);
    assert_eq!(w.internal, 0);
    w.table.insert(2, b"t/a/");
    script.borrow_mut().queue = record(2, MOVE_SELF | ISDIR, 0, b"");
    assert!(w.fill().unwrap());
    assert_eq!(
        events(&mut w),
        vec![(2, "MOVE_SELF,ISDIR".into(), String::new())]
    );
}

#[test]
fn ignored_of_our_own_removal_spares_a_reused_wd() {
    let (mut w, script) = watcher(ALL_EVENTS, false);
    w.table.insert(5, b"new/");
    w.removed.insert(5);
    let mut q = record(5, IGNORED, 0, b"");
    q.extend(record(5, IGNORED, 0, b""));
    script.borrow_mut().queue = q;
    assert!(w.fill().unwrap());
    // The first IGNORED answers our removal; the second is the new owner's own.
    assert_eq!(events(&mut w), vec![(5, "IGNORED".into(), String::new())]);
    w.settle_due();
    assert!(!w.table.contains(5));
    assert!(w.removed.is_empty());
}

#[test]
fn own_listing_echoes_dropped_theirs_kept_parent_merged() {
    let (mut w, script) = watcher(ALL_EVENTS, false);
    w.table.insert(1, b"t/");
    w.table.insert(2, b"t/n/");
    // Our listing of t/n/ (two getdents64), as the kernel queues it on both watches.
    let mut q = Vec::new();
    for (mask, ours) in [
        (OPEN, true),
        (ACCESS, true),
        (ACCESS, true),
        (CLOSE_NOWRITE, true),
    ] {
        q.extend(record(1, mask | ISDIR, 0, b"n"));
        if ours {
            q.extend(record(2, mask | ISDIR, 0, b""));
        }
    }
    // Another process opens a file inside, and the directory itself.
    q.extend(record(2, OPEN, 0, b"f"));
    q.extend(record(2, OPEN | ISDIR, 0, b""));
    script.borrow_mut().queue = q;
    w.echoes.listed(2, w.opts.mask, 2);
    w.drain_queued();
    w.echoes.until = w.len;
    let got = events(&mut w);
    let want: Vec<(i32, String, String)> = [
        (1, "OPEN,ISDIR", "n"),
        (1, "ACCESS,ISDIR", "n"),
        (1, "CLOSE_NOWRITE,CLOSE,ISDIR", "n"),
        (2, "OPEN", "f"),
        (2, "OPEN,ISDIR", ""),
    ]
    .iter()
    .map(|&(w, m, n)| (w, m.to_string(), n.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn overflow_rescan_yields_to_queued_events_between_slices() {
    let dir = std::env::temp_dir().join(format!("rinotify-rescan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for i in 0..300 {
        std::fs::create_dir_all(dir.join(format!("d{i:03}"))).unwrap();
    }
    let (mut w, script) = watcher(ALL_EVENTS, true);
    use std::os::unix::ffi::OsStrExt;
    w.add_top(dir.as_os_str().as_bytes(), &[]).unwrap();
    assert_eq!(w.table.len(), 301);
    w.start_rescan();
    // An event arrives while the rescan has work left: it is handed out before the
    // rest of the rescan runs.
    let wd = w.table.wds()[0];
    script.borrow_mut().queue = record(wd, MODIFY, 0, b"f");
    assert_eq!(w.wait(Some(Duration::ZERO), None).unwrap(), Wait::Ready);
    assert!(
        !w.rescan.is_empty(),
        "the whole tree was rescanned before the event"
    );
    assert_eq!(events(&mut w).len(), 1);
    // Then the rescan finishes, slice by slice.
    while !w.rescan.is_empty() {
        let _ = w.wait(Some(Duration::ZERO), None).unwrap();
    }
    assert_eq!(w.table.len(), 301);
    std::fs::remove_dir_all(&dir).unwrap();
}
