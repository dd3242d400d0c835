//! `config::PathList::add_lines`: `--fromfile` contents split into watch paths and `@`
//! exclusions. Checks the entries' invariants and compares with a model of the
//! reference's `fgets(buf, 4096)` loop (read up to 4095 bytes or through a newline; the
//! C string ends at its first NUL; drop the newline, skip empty lines and a bare `@`,
//! strip one leading `@` for exclusions).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rinotify::config::PathList;

fn model(data: &[u8]) -> PathList {
    let mut list = PathList::default();
    let mut rest = data;
    while !rest.is_empty() {
        let window = &rest[..rest.len().min(4095)];
        let n = window
            .iter()
            .position(|&b| b == b'\n')
            .map_or(window.len(), |i| i + 1);
        let piece = &rest[..n];
        rest = &rest[n..];
        let mut line = piece.split(|&b| b == 0).next().unwrap_or(piece);
        if let Some(stripped) = line.strip_suffix(b"\n") {
            line = stripped;
        }
        match line {
            b"" | b"@" => {}
            [b'@', tail @ ..] => list.exclude.push(tail.to_vec()),
            _ => list.watch.push(line.to_vec()),
        }
    }
    list
}

fuzz_target!(|data: &[u8]| {
    let mut list = PathList::default();
    list.add_lines(data);
    for e in list.watch.iter().chain(&list.exclude) {
        assert!(!e.is_empty(), "empty entry");
        assert!(e.len() <= 4095, "entry of {} bytes", e.len());
        assert!(!e.contains(&b'\n'), "newline in an entry");
        assert!(!e.contains(&0), "NUL in an entry");
    }
    for w in &list.watch {
        assert_ne!(w[0], b'@', "watch entry starting with the @ marker");
    }
    assert_eq!(list, model(data));
    // Lists accumulate: adding the same data again appends the same entries.
    let mut twice = list.clone();
    twice.add_lines(b"\n");
    twice.add_lines(data);
    assert_eq!(twice.watch.len(), 2 * list.watch.len());
    assert_eq!(twice.exclude.len(), 2 * list.exclude.len());
});
