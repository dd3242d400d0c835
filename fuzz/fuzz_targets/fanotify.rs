//! `watcher::fanotify::parse` and the `Translator` over arbitrary kernel buffers: walking
//! the events as the backend does must never panic and always make progress, and every
//! record translated must decode as an inotify record the watcher can read. The
//! translator runs in both modes (`-F`, and `-S` with a resolver that makes up paths
//! under or outside the root), with a small cache so eviction is exercised.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rinotify::watcher::fanotify::{Translator, parse};
use rinotify::watcher::kernel::decode;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    filesystem: bool,
    rename: bool,
    mask: u32,
    /// Handles added as watched paths before the events.
    roots: Vec<&'a [u8]>,
    buf: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let mut t = Translator::new(input.mask, 1, input.filesystem);
    t.rename = input.rename;
    for (i, r) in input.roots.iter().take(8).enumerate() {
        t.add((*r).into(), format!("/root{i}").as_bytes(), i % 2 == 0);
    }
    let mut resolve = |k: &[u8]| -> Option<Vec<u8>> {
        match k.first().copied().unwrap_or(0) % 4 {
            0 => None,
            1 => Some(format!("/root0/d{}", k.len()).into_bytes()),
            2 => Some(b"/elsewhere".to_vec()),
            _ => Some(format!("/root0/{}", k.len() % 7).into_bytes()),
        }
    };
    let mut off = 0;
    let mut steps = 0;
    let mut out = Vec::new();
    while let Some((ev, next)) = parse(input.buf, off) {
        assert!(next > off && next <= input.buf.len(), "no progress or past the end");
        t.translate(&ev, &mut resolve, &mut out);
        off = next;
        steps += 1;
        assert!(steps <= input.buf.len() / 24);
    }
    let mut o = 0;
    while let Some(r) = decode(&out, o, out.len()) {
        assert!(r.next > o);
        o = r.next;
    }
    assert_eq!(o, out.len(), "translated records must tile the output");
});
