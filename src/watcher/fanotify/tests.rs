//! Table tests of the fanotify translation: fanotify events in, inotify records out,
//! without a kernel (handles are made-up keys, paths come from a table).

use super::*;
use crate::watcher::kernel::decode;

const ME: i32 = 4242;
const OTHER: i32 = 7;

/// A made-up handle (leaked: tests only).
fn k(n: u8) -> &'static [u8] {
    Box::leak(vec![n; 12].into_boxed_slice())
}

fn dn(key: u8, name: &'static str) -> Option<(&'static [u8], &'static [u8])> {
    Some((k(key), name.as_bytes()))
}

fn ev(mask: u64) -> FanEvent<'static> {
    FanEvent {
        mask,
        pid: OTHER,
        ..FanEvent::default()
    }
}

type Rec = (i32, u32, u32, String);

fn records(out: &[u8]) -> Vec<Rec> {
    let mut v = Vec::new();
    let mut off = 0;
    while let Some(r) = decode(out, off, out.len()) {
        let name = String::from_utf8_lossy(&out[r.start..r.end]).into_owned();
        v.push((r.wd, r.mask, r.cookie, name));
        off = r.next;
    }
    v
}

fn rec(wd: i32, mask: u32, name: &str) -> Rec {
    (wd, mask, 0, name.into())
}

/// Translates `e` with paths from `paths` (key number → absolute path); returns the
/// records and how many resolutions were asked for.
fn run(t: &mut Translator, e: &FanEvent<'_>, paths: &[(u8, &str)]) -> (Vec<Rec>, usize) {
    let mut asked = 0;
    let mut resolve = |key: &[u8]| {
        asked += 1;
        paths
            .iter()
            .find(|(n, _)| k(*n) == key)
            .map(|(_, p)| p.as_bytes().to_vec())
    };
    let mut out = Vec::new();
    t.translate(e, &mut resolve, &mut out);
    (records(&out), asked)
}

fn inode(mask: u32) -> (Translator, i32, i32) {
    let mut t = Translator::new(mask, ME, false);
    let dir = t.add(k(1).into(), b"/w", true);
    let file = t.add(k(2).into(), b"/w/f", false);
    (t, dir, file)
}

const A: u32 = bits::ALL_EVENTS;

#[test]
fn child_self_and_own_events() {
    let (mut t, dir, file) = inode(A);
    // A child of a marked directory: reported on the directory with its name.
    let e = FanEvent {
        dfid: dn(1, "x"),
        fid: Some(k(9)),
        ..ev(0x20)
    };
    assert_eq!(run(&mut t, &e, &[]).0, vec![rec(dir, bits::OPEN, "x")]);
    // The directory itself (name "."), with FAN_ONDIR.
    let e = FanEvent {
        dfid: dn(1, "."),
        ..ev(0x20 | FAN_ONDIR)
    };
    assert_eq!(
        run(&mut t, &e, &[]).0,
        vec![rec(dir, bits::OPEN | bits::ISDIR, "")]
    );
    // A marked file inside a marked directory: both watches hear it, as with inotify.
    let e = FanEvent {
        dfid: dn(1, "f"),
        fid: Some(k(2)),
        ..ev(0x04)
    };
    assert_eq!(
        run(&mut t, &e, &[]).0,
        vec![rec(file, bits::ATTRIB, ""), rec(dir, bits::ATTRIB, "f")]
    );
    // Our own listings are never reported.
    let e = FanEvent {
        pid: ME,
        dfid: dn(1, "."),
        ..ev(0x20 | FAN_ONDIR)
    };
    assert_eq!(run(&mut t, &e, &[]).0, vec![]);
    // Unknown directory under -F: nothing (and no resolution is tried).
    let e = FanEvent {
        dfid: dn(5, "y"),
        ..ev(0x100)
    };
    assert_eq!(run(&mut t, &e, &[(5, "/elsewhere")]), (vec![], 0));
}

#[test]
fn delete_self_splits_and_ends_the_watch() {
    let (mut t, dir, file) = inode(A);
    let e = FanEvent {
        dfid: dn(1, "f"),
        fid: Some(k(2)),
        ..ev(0x04 | 0x400)
    };
    assert_eq!(
        run(&mut t, &e, &[]).0,
        vec![
            rec(file, bits::ATTRIB | bits::DELETE_SELF, ""),
            rec(dir, bits::ATTRIB, "f"),
            rec(file, bits::IGNORED, ""),
        ]
    );
    assert_eq!(t.len(), 1);
    // The handle is forgotten: a later event on it reports on the directory only.
    let e = FanEvent {
        dfid: dn(1, "f"),
        fid: Some(k(2)),
        ..ev(0x04)
    };
    assert_eq!(run(&mut t, &e, &[]).0, vec![rec(dir, bits::ATTRIB, "f")]);
}

#[test]
fn only_the_events_asked_for() {
    let (mut t, dir, _) = inode(bits::CREATE | bits::DELETE);
    for mask in [0x1, 0x2, 0x4, 0x8, 0x10, 0x20] {
        let e = FanEvent {
            dfid: dn(1, "x"),
            ..ev(mask)
        };
        assert_eq!(run(&mut t, &e, &[]).0, vec![], "mask {mask:#x}");
    }
    let e = FanEvent {
        dfid: dn(1, "x"),
        ..ev(0x100 | 0x20)
    };
    assert_eq!(run(&mut t, &e, &[]).0, vec![rec(dir, bits::CREATE, "x")]);
}

#[test]
fn rename_becomes_a_cookie_pair() {
    let mut t = Translator::new(A, ME, false);
    let a = t.add(k(1).into(), b"/w", true);
    let b = t.add(k(2).into(), b"/w/sub", true);
    let e = FanEvent {
        old: dn(1, "d"),
        new: dn(2, "e"),
        ..ev(FAN_RENAME | FAN_ONDIR)
    };
    let r = run(&mut t, &e, &[]).0;
    assert_eq!(r.len(), 2);
    let c = r[0].2;
    assert_ne!(c, 0);
    assert_eq!(r[0], (a, bits::MOVED_FROM | bits::ISDIR, c, "d".into()));
    assert_eq!(r[1], (b, bits::MOVED_TO | bits::ISDIR, c, "e".into()));
    // From an unwatched directory: only the arrival, with a fresh cookie.
    let e = FanEvent {
        old: dn(9, "z"),
        new: dn(1, "z"),
        ..ev(FAN_RENAME)
    };
    let r = run(&mut t, &e, &[]).0;
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].0, r[0].1, &r[0].3[..]), (a, bits::MOVED_TO, "z"));
    assert!(r[0].2 != 0 && r[0].2 != c);
    // -e moved_to: the departure is not reported at all.
    let mut t = Translator::new(bits::MOVED_TO, ME, false);
    let a = t.add(k(1).into(), b"/w", true);
    let e = FanEvent {
        old: dn(1, "x"),
        new: dn(1, "y"),
        ..ev(FAN_RENAME)
    };
    let r = run(&mut t, &e, &[]).0;
    assert_eq!(
        r.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        vec![(a, bits::MOVED_TO)]
    );
}

#[test]
fn without_fan_rename_adjacent_moves_pair() {
    let mut t = Translator::new(A, ME, false);
    t.rename = false;
    let a = t.add(k(1).into(), b"/w", true);
    let from = FanEvent {
        dfid: dn(1, "x"),
        ..ev(0x40)
    };
    let to = FanEvent {
        dfid: dn(1, "y"),
        ..ev(0x80)
    };
    let f = run(&mut t, &from, &[]).0;
    let g = run(&mut t, &to, &[]).0;
    assert_eq!((f[0].0, f[0].1), (a, bits::MOVED_FROM));
    assert_eq!((g[0].0, g[0].1), (a, bits::MOVED_TO));
    assert_eq!(f[0].2, g[0].2);
    assert_ne!(f[0].2, 0);
    // A lone arrival gets its own cookie.
    let h = run(&mut t, &to, &[]).0;
    assert_ne!(h[0].2, g[0].2);
}

#[test]
fn overflow_is_one_record() {
    let (mut t, _, _) = inode(A);
    let e = ev(FAN_Q_OVERFLOW);
    assert_eq!(run(&mut t, &e, &[]).0, vec![rec(-1, bits::Q_OVERFLOW, "")]);
}

fn filesystem() -> (Translator, i32) {
    let mut t = Translator::new(A, ME, true);
    let root = t.add(k(1).into(), b"/m/a", true);
    (t, root)
}

const TREE: &[(u8, &str)] = &[(1, "/m/a"), (2, "/m/a/b"), (3, "/m/other"), (4, "/m/a/b/c")];

#[test]
fn filesystem_mark_reports_only_under_the_paths_given() {
    let (mut t, root) = filesystem();
    let e = FanEvent {
        dfid: dn(1, "x"),
        ..ev(0x100)
    };
    assert_eq!(
        run(&mut t, &e, TREE),
        (vec![rec(root, bits::CREATE, "x")], 0)
    );
    // A subdirectory is learned once (BIND), then known.
    let e = FanEvent {
        dfid: dn(2, "y"),
        ..ev(0x100)
    };
    let (r, asked) = run(&mut t, &e, TREE);
    assert_eq!(asked, 1);
    let b = r[0].0;
    assert_eq!(r, vec![rec(b, BIND, "/m/a/b/"), rec(b, bits::CREATE, "y")]);
    assert_eq!(run(&mut t, &e, TREE), (vec![rec(b, bits::CREATE, "y")], 0));
    // Outside: dropped, and remembered as outside.
    let e = FanEvent {
        dfid: dn(3, "z"),
        ..ev(0x100)
    };
    assert_eq!(run(&mut t, &e, TREE), (vec![], 1));
    assert_eq!(run(&mut t, &e, TREE), (vec![], 0));
    // Unresolvable (deleted, say): dropped.
    let e = FanEvent {
        dfid: dn(8, "q"),
        ..ev(0x100)
    };
    assert_eq!(run(&mut t, &e, TREE).0, vec![]);
}

#[test]
fn filesystem_mark_follows_directory_renames() {
    let (mut t, root) = filesystem();
    let learn = |t: &mut Translator, key: u8| {
        let e = FanEvent {
            dfid: dn(key, "."),
            ..ev(0x20 | FAN_ONDIR)
        };
        run(t, &e, TREE).0[0].0
    };
    let b = learn(&mut t, 2);
    let c = learn(&mut t, 4);
    // b renamed to bb inside the tree: b and b/c are re-bound under the new name.
    let e = FanEvent {
        old: dn(1, "b"),
        new: dn(1, "bb"),
        ..ev(FAN_RENAME | FAN_ONDIR)
    };
    let mut r = run(&mut t, &e, TREE).0;
    let cookie = r[0].2;
    assert_eq!(
        r.drain(..2).collect::<Vec<_>>(),
        vec![
            (root, bits::MOVED_FROM | bits::ISDIR, cookie, "b".into()),
            (root, bits::MOVED_TO | bits::ISDIR, cookie, "bb".into()),
        ]
    );
    r.sort();
    assert_eq!(
        r,
        vec![rec(b, BIND, "/m/a/bb/"), rec(c, BIND, "/m/a/bb/c/")]
    );
    // Then out of the tree: forgotten.
    let e = FanEvent {
        old: dn(1, "bb"),
        new: dn(3, "bb"),
        ..ev(FAN_RENAME | FAN_ONDIR)
    };
    let mut r = run(&mut t, &e, TREE).0;
    assert_eq!(r.remove(0).1, bits::MOVED_FROM | bits::ISDIR);
    r.sort();
    assert_eq!(r, vec![rec(b, FORGET, ""), rec(c, FORGET, "")]);
    assert_eq!(t.len(), 1);
}

#[test]
fn filesystem_moved_in_directories_are_looked_at_again() {
    let (mut t, _) = filesystem();
    let e = FanEvent {
        dfid: dn(3, "z"),
        ..ev(0x100)
    };
    assert_eq!(run(&mut t, &e, TREE), (vec![], 1));
    // Any directory rename may bring an "outside" directory in.
    let mv = FanEvent {
        old: dn(9, "other"),
        new: dn(1, "other"),
        ..ev(FAN_RENAME | FAN_ONDIR)
    };
    run(&mut t, &mv, TREE);
    let inside: &[(u8, &str)] = &[(1, "/m/a"), (3, "/m/a/other")];
    let (r, asked) = run(&mut t, &e, inside);
    assert_eq!(asked, 1);
    assert_eq!(r[0].1, BIND);
    assert_eq!(r[1].1, bits::CREATE);
}

#[test]
fn filesystem_exclusions_and_bounded_cache() {
    let mut t = Translator::new(A, ME, true).with_cap(3);
    let root = t.add(k(1).into(), b"/m", true);
    t.exclude(b"/m/skip");
    let paths: Vec<(u8, String)> = (10..20).map(|n| (n, format!("/m/d{n}"))).collect();
    let mut table: Vec<(u8, &str)> = paths.iter().map(|(n, p)| (*n, p.as_str())).collect();
    table.push((30, "/m/skip/deep"));
    let e = |key: u8| FanEvent {
        dfid: dn(key, "f"),
        ..ev(0x100)
    };
    assert_eq!(run(&mut t, &e(30), &table).0, vec![]);
    let mut forgotten = Vec::new();
    let mut bound = Vec::new();
    for key in 10..20 {
        for r in run(&mut t, &e(key), &table).0 {
            match r.1 {
                BIND => bound.push(r.0),
                FORGET => forgotten.push(r.0),
                _ => {}
            }
        }
        assert!(t.len() <= 3, "cache grew to {}", t.len());
    }
    assert_eq!(bound.len(), 10);
    // Oldest first, never the pinned root.
    assert_eq!(forgotten, bound[..forgotten.len()].to_vec());
    assert!(!forgotten.contains(&root));
    assert_eq!(
        run(&mut t, &e(1), &table).0,
        vec![rec(root, bits::CREATE, "f")]
    );
}

#[test]
fn parse_reads_info_records() {
    // One event: metadata, a DFID_NAME record (fsid, handle, name) and a FID record.
    let mut b = Vec::new();
    let info = |kind: u8, handle: &[u8], name: &[u8]| {
        let mut v = vec![kind, 0, 0, 0];
        v.extend_from_slice(&[7; 8]);
        v.extend_from_slice(&(handle.len() as u32).to_ne_bytes());
        v.extend_from_slice(&1i32.to_ne_bytes());
        v.extend_from_slice(handle);
        v.extend_from_slice(name);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        let len = v.len() as u16;
        v[2..4].copy_from_slice(&len.to_ne_bytes());
        v
    };
    let i1 = info(INFO_DFID_NAME, &[1, 2, 3, 4], b"name\0");
    let i2 = info(INFO_FID, &[5, 6, 7, 8], b"");
    let total = (META + i1.len() + i2.len()) as u32;
    b.extend_from_slice(&total.to_ne_bytes());
    b.extend_from_slice(&[3, 0]);
    b.extend_from_slice(&(META as u16).to_ne_bytes());
    b.extend_from_slice(&0x100u64.to_ne_bytes());
    b.extend_from_slice(&(-1i32).to_ne_bytes());
    b.extend_from_slice(&99i32.to_ne_bytes());
    b.extend(i1);
    b.extend(i2);
    let (e, next) = parse(&b, 0).expect("one event");
    assert_eq!(next, b.len());
    assert_eq!((e.mask, e.pid), (0x100, 99));
    let want_key = |h: &[u8]| -> Vec<u8> {
        [
            &[7u8; 8][..],
            &(h.len() as u32).to_ne_bytes(),
            &1i32.to_ne_bytes(),
            h,
        ]
        .concat()
    };
    let dfid = e.dfid.expect("dfid");
    assert_eq!(
        (dfid.0, dfid.1),
        (&want_key(&[1, 2, 3, 4])[..], &b"name"[..])
    );
    assert_eq!(e.fid, Some(&want_key(&[5, 6, 7, 8])[..]));
    // Truncated input never panics and never loops.
    for cut in 0..b.len() {
        if let Some((_, n)) = parse(&b[..cut], 0) {
            assert!(n > 0 && n <= cut);
        }
    }
    assert_eq!(parse(&[0u8; 24], 0), None);
}

#[test]
fn unasked_delete_self_still_ends_the_watch() {
    // -e create: DELETE_SELF is on the mark for our bookkeeping only.
    let (mut t, dir, _) = inode(bits::CREATE);
    let e = FanEvent {
        dfid: dn(1, "."),
        ..ev(0x400 | FAN_ONDIR)
    };
    assert_eq!(run(&mut t, &e, &[]).0, vec![rec(dir, bits::IGNORED, "")]);
    assert_eq!(t.len(), 1);
    // -S: a learned directory's deletion forgets it silently.
    let (mut t, _) = filesystem();
    t.mask = bits::CREATE;
    let learn = FanEvent {
        dfid: dn(2, "f"),
        ..ev(0x100)
    };
    let b = run(&mut t, &learn, TREE).0[0].0;
    let gone = FanEvent {
        dfid: dn(2, "."),
        ..ev(0x400 | FAN_ONDIR)
    };
    assert_eq!(run(&mut t, &gone, TREE).0, vec![rec(b, FORGET, "")]);
    assert_eq!(t.len(), 1);
}
