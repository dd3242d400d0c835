//! `prune::PruneSet` over arbitrary pattern texts and paths: it must never panic, and
//! the answers must hold these invariants:
//! - the root (empty path) is never pruned;
//! - a file that `add_lines` accepts gives the same set as `add` of each of its lines;
//!   a file it rejects names a line of the text and leaves the set unchanged;
//! - a set of negations only prunes nothing;
//! - a last `!/**` re-includes everything, a last `/**` prunes every non-empty path;
//! - a path's bytes, each escaped with `\`, form a pattern that matches exactly it
//!   (anchored with a leading `/`) or any path ending in its last component.
//!
//! Input layout: the pattern text (one pattern per line, as in a `--prune-from` file),
//! then a NUL, then NUL-separated paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rinotify::prune::PruneSet;

/// `\` before every byte.
fn escaped(s: &[u8]) -> Vec<u8> {
    s.iter().flat_map(|&b| [b'\\', b]).collect()
}

fn well_formed(path: &[u8]) -> bool {
    !path.is_empty() && path.split(|&b| b == b'/').all(|c| !c.is_empty())
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let text = parts.next().unwrap_or_default();
    let paths: Vec<&[u8]> = parts.take(8).chain([&b""[..], b"a", b"a/b"]).collect();

    // Both sets start with one pattern, so that `add_lines` has something to keep.
    let first = b"/\\\xff";
    // Line by line, skipping what `add` rejects (blank lines and comments included).
    let mut by_add = PruneSet::new();
    let _ = by_add.add(first);
    let mut negations = PruneSet::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let before = by_add.len();
        match by_add.add(line) {
            Ok(()) => assert_eq!(by_add.len(), before + 1),
            Err(e) => {
                assert_eq!(by_add.len(), before, "a rejected pattern was added");
                assert_eq!(e.pattern, line);
                assert!(!e.to_string().is_empty());
            }
        }
        let _ = negations.add(&[&b"!"[..], line].concat());
    }

    // The whole text at once.
    let mut by_lines = PruneSet::new();
    let _ = by_lines.add(first);
    match by_lines.add_lines(text) {
        Ok(()) => {
            assert_eq!(by_lines.len(), by_add.len());
            for path in &paths {
                assert_eq!(by_lines.prunes(path), by_add.prunes(path));
            }
        }
        Err((line, e)) => {
            assert_eq!(by_lines.len(), 1, "a rejected file was partly added");
            let lines = text.split(|&b| b == b'\n').count();
            assert!((1..=lines).contains(&line), "line {line} of {lines}");
            assert!(!e.reason.is_empty());
        }
    }

    let mut all = by_add.clone();
    let mut none = by_add.clone();
    let included = all.add(b"!/**").is_ok();
    let pruned = none.add(b"/**").is_ok();
    for path in &paths {
        let answer = by_add.prunes(path);
        assert!(!path.is_empty() || !answer, "the root was pruned");
        assert!(!negations.prunes(path), "only negations, yet pruned");
        if included {
            assert!(!all.prunes(path), "pruned after a last !/**");
        }
        if pruned {
            assert_eq!(none.prunes(path), !path.is_empty(), "after a last /**");
        }
    }

    // Each check compiles two sets: a few paths are enough.
    for path in paths.iter().filter(|p| well_formed(p)).take(3) {
        let mut exact = PruneSet::new();
        let components: Vec<Vec<u8>> = path.split(|&b| b == b'/').map(escaped).collect();
        if exact
            .add(&[&b"/"[..], &components.join(&b'/')].concat())
            .is_ok()
        {
            assert!(exact.prunes(path));
            assert!(!exact.prunes(&[path, &b"/x"[..]].concat()));
            assert!(!exact.prunes(&[&b"x/"[..], path].concat()));
        }
        let mut last = PruneSet::new();
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
        if last.add(&escaped(name)).is_ok() {
            assert!(last.prunes(path));
            assert!(last.prunes(&[&b"x/"[..], path].concat()));
            assert!(!last.prunes(&[path, &b"/x"[..]].concat()) || name == b"x");
        }
    }
});
