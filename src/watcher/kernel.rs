//! The kernel boundary: a [`Backend`] adds and removes watches and reads raw records in
//! inotify's layout; [`decode`] parses them; [`poll`] waits on the backend's fd. Everything
//! above this file (set-up, scans, renames, the loop) is backend-neutral: a second backend
//! (fanotify, in `fanotify`) implements [`Backend`] and produces the same records.

use std::ffi::OsStr;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;

use inotify::{Inotify, WatchMask};
use nix::errno::Errno;

/// Bytes of one record header (`struct inotify_event`): wd, mask, cookie, name length.
pub const HEADER: usize = 16;

/// Error reading the backend's fd.
#[derive(Debug)]
pub enum ReadError {
    Eof,
    Os(Errno),
}

/// What a watcher needs from the kernel. Ids are watch descriptors for inotify; a
/// backend must return the same id when the same object is added twice.
pub trait Backend {
    /// Watches `path` with `mask`; returns the watch's id.
    fn add(&mut self, path: &[u8], mask: u32) -> Result<i32, Errno>;
    /// Stops watching `id`; an `IGNORED` record for it follows later.
    fn remove(&mut self, id: i32);
    /// Reads queued records into `buf` without blocking; `Ok(0)` when nothing is queued.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ReadError>;
    /// Bytes queued and not read yet (0 when unknown).
    fn queued(&self) -> usize;
    /// The fd that becomes readable when records are queued.
    fn fd(&self) -> RawFd;
    /// Whether events this process causes (listing a new directory) are reported; a
    /// backend that drops them itself says false, and the watcher expects no echoes.
    fn sees_own(&self) -> bool {
        true
    }
    /// Whether one watch covers everything below the paths added (fanotify `-S`): no
    /// walk, no new-directory watches, directories announced by `BIND` records.
    fn whole_tree(&self) -> bool {
        false
    }
    /// An `@` exclusion (absolute) for a [`Backend::whole_tree`] backend.
    fn exclude(&mut self, _abs: &[u8]) {}
}

/// The inotify backend: one fd, one watch descriptor per watched object.
pub struct InotifyBackend {
    inotify: Inotify,
}

impl InotifyBackend {
    pub fn new() -> Result<InotifyBackend, Errno> {
        let inotify = Inotify::init().map_err(|e| crate::sys::errno_of(&e))?;
        Ok(InotifyBackend { inotify })
    }
}

impl Backend for InotifyBackend {
    fn add(&mut self, path: &[u8], mask: u32) -> Result<i32, Errno> {
        let wd = self
            .inotify
            .watches()
            .add(OsStr::from_bytes(path), WatchMask::from_bits_retain(mask))
            .map_err(|e| crate::sys::errno_of(&e))?;
        Ok(wd.get_watch_descriptor_id())
    }

    fn remove(&mut self, id: i32) {
        crate::sys::inotify_rm_watch(self.inotify.as_raw_fd(), id);
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        // The fd is non-blocking, as the crate opens it.
        let n = match crate::sys::read(self.inotify.as_raw_fd(), buf) {
            Ok(n) => n,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(0),
            Err(e) => return Err(ReadError::Os(e)),
        };
        if n == 0 {
            return Err(ReadError::Eof);
        }
        Ok(n)
    }

    fn queued(&self) -> usize {
        crate::sys::queued_bytes(self.inotify.as_raw_fd())
    }

    fn fd(&self) -> RawFd {
        self.inotify.as_raw_fd()
    }
}

/// One record as read: header fields and where its name lies in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    /// The name is `buf[start..end]` (NUL padding cut off).
    pub start: usize,
    pub end: usize,
    /// Offset of the next record.
    pub next: usize,
}

/// Decodes the record at `off` in `buf[..len]`; None when no whole header is left. A
/// `len` past the buffer counts as the buffer's end; a name running past `len` is cut
/// there. `next` is always past `off`, so walking by `next` ends.
pub fn decode(buf: &[u8], off: usize, len: usize) -> Option<Raw> {
    let data = buf.get(..len.min(buf.len()))?;
    let start = off.checked_add(HEADER)?;
    let h: &[u8; HEADER] = data.get(off..start)?.try_into().ok()?;
    let word = |i: usize| [h[i], h[i + 1], h[i + 2], h[i + 3]];
    let nlen = usize::try_from(u32::from_ne_bytes(word(12))).unwrap_or(usize::MAX);
    let next = start.saturating_add(nlen).min(data.len());
    let name = data.get(start..next)?;
    let end = start + name.iter().position(|&c| c == 0).unwrap_or(name.len());
    Some(Raw {
        wd: i32::from_ne_bytes(word(0)),
        mask: u32::from_ne_bytes(word(4)),
        cookie: u32::from_ne_bytes(word(8)),
        start,
        end,
        next,
    })
}

/// What [`poll`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    Events,
    Extra,
    /// The `--retry` anchors' fd (paths awaited may have appeared).
    Anchors,
    Timeout,
}

/// Waits up to `ms` milliseconds (-1: forever) for `fd`, `anchors` or `extra` to become
/// readable; `extra` wins when several are, then `anchors`. EINTR is reported as a
/// timeout of this round.
pub fn poll(
    fd: RawFd,
    anchors: Option<RawFd>,
    extra: Option<RawFd>,
    ms: i32,
) -> Result<Ready, Errno> {
    Ok(match crate::sys::poll_in([Some(fd), anchors, extra], ms)? {
        [_, _, true] => Ready::Extra,
        [_, true, false] => Ready::Anchors,
        [true, false, false] => Ready::Events,
        [false, false, false] => Ready::Timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(wd: i32, mask: u32, cookie: u32, name: &[u8], pad: usize) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&wd.to_ne_bytes());
        v.extend_from_slice(&mask.to_ne_bytes());
        v.extend_from_slice(&cookie.to_ne_bytes());
        v.extend_from_slice(&((name.len() + pad) as u32).to_ne_bytes());
        v.extend_from_slice(name);
        v.extend(std::iter::repeat_n(0, pad));
        v
    }

    #[test]
    fn decode_records_and_truncation() {
        let mut buf = record(3, 0x100, 0, b"abc", 13);
        buf.extend(record(-1, 0x4000, 0, b"", 0));
        buf.extend(record(7, 0x40, 9, b"xy", 2));
        let a = decode(&buf, 0, buf.len()).unwrap();
        assert_eq!(
            (a.wd, a.mask, &buf[a.start..a.end]),
            (3, 0x100, &b"abc"[..])
        );
        let b = decode(&buf, a.next, buf.len()).unwrap();
        assert_eq!((b.wd, b.start, b.end), (-1, b.next, b.next));
        let c = decode(&buf, b.next, buf.len()).unwrap();
        assert_eq!((c.cookie, &buf[c.start..c.end]), (9, &b"xy"[..]));
        assert_eq!(c.next, buf.len());
        assert_eq!(decode(&buf, c.next, buf.len()), None);
        // A name length past the end is cut at the end, never read beyond it.
        let short = record(1, 2, 0, b"n", 100);
        let r = decode(&short, 0, 20).unwrap();
        assert_eq!((r.end, r.next), (17, 20));
        assert_eq!(decode(&short, 0, 10), None);
    }

    #[test]
    fn decode_never_reads_past_the_buffer() {
        // Found by fuzzing: a filled length past the buffer and a long name sliced
        // `buf[start..len]` out of bounds.
        let rec = record(4, 0x2, 0, b"name", 60);
        for len in [rec.len(), rec.len() + 1, 1000, usize::MAX] {
            let r = decode(&rec, 0, len).expect("whole header");
            assert_eq!((r.wd, r.start, r.end, r.next), (4, 16, 20, rec.len()));
        }
        let head = &rec[..18];
        let r = decode(head, 0, 4096).expect("whole header");
        assert_eq!((r.start, r.end, r.next), (16, 18, 18));
        assert_eq!(decode(head, 10, 4096), None);
        assert_eq!(decode(head, usize::MAX - 3, usize::MAX), None);
        assert_eq!(decode(&[], 0, usize::MAX), None);
    }
}
