//! `watcher::kernel::decode` over arbitrary buffers, start offsets and valid lengths,
//! walking the records the way the watcher does (`off = raw.next`). It must never panic,
//! never point outside `buf[..len]`, and always make progress.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rinotify::watcher::kernel::{HEADER, decode};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Start offset (any value, including past the end).
    off: u16,
    /// Filled length of the buffer; may exceed the buffer itself.
    len: u16,
    /// Use the whole buffer as the filled length instead of `len`.
    whole: bool,
    buf: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let buf = input.buf;
    let len = if input.whole {
        buf.len()
    } else {
        usize::from(input.len)
    };
    let mut off = usize::from(input.off);
    // Also probe offsets near usize::MAX once: checked arithmetic only.
    assert!(decode(buf, usize::MAX - 3, len).is_none());
    let mut steps = 0usize;
    while let Some(raw) = decode(buf, off, len) {
        let limit = len.min(buf.len());
        assert!(off + HEADER <= limit, "a header must fit: {raw:?}");
        assert_eq!(raw.start, off + HEADER);
        assert!(raw.start <= raw.end && raw.end <= raw.next, "{raw:?}");
        assert!(raw.next <= limit, "next past the data: {raw:?}");
        assert!(raw.next > off, "no progress: {raw:?}");
        assert!(!buf[raw.start..raw.end].contains(&0), "NUL inside the name");
        let h = &buf[off..off + HEADER];
        let word = |i: usize| [h[i], h[i + 1], h[i + 2], h[i + 3]];
        assert_eq!(raw.wd, i32::from_ne_bytes(word(0)));
        assert_eq!(raw.mask, u32::from_ne_bytes(word(4)));
        assert_eq!(raw.cookie, u32::from_ne_bytes(word(8)));
        let nlen = u32::from_ne_bytes(word(12)) as usize;
        assert_eq!(raw.next, (raw.start + nlen).min(limit), "{raw:?}");
        off = raw.next;
        steps += 1;
        assert!(steps <= buf.len() / HEADER, "more records than headers fit");
    }
});
