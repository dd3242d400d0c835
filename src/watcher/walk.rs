//! Directory listing for recursive watches: entries by `d_type` through `getdents64`
//! (no `lstat` per entry, and the number of reads is known, so the events our own
//! listing causes can be told apart), `@` exclusion matching by exact text, and the
//! small path helpers the watcher shares.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;

/// Bytes asked of one `getdents64`.
const DENTS: usize = 32 * 1024;

/// A directory's entries in readdir order, each with "is a real directory" (symlinks are
/// never followed), and how many `getdents64` calls it took (each one is an `ACCESS` on
/// the directory).
#[derive(Debug, Default)]
pub struct Listing {
    pub entries: Vec<(Vec<u8>, bool)>,
    pub reads: u32,
}

/// Lists `dir` (a symlink given as `dir` is followed, as `opendir` does); with
/// `dirs_only`, only the directories are returned.
pub fn list(dir: &[u8], dirs_only: bool) -> Result<Listing, Errno> {
    use nix::fcntl::OFlag;
    let c = CString::new(dir).map_err(|_| Errno::EINVAL)?;
    let fd = nix::fcntl::open(
        c.as_c_str(),
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK,
        nix::sys::stat::Mode::empty(),
    )?;
    BUF.with_borrow_mut(|buf| {
        if buf.len() < DENTS {
            buf.resize(DENTS, 0);
        }
        read_all(&fd, buf, dirs_only)
    })
}

thread_local! {
    /// One `getdents64` buffer per thread, reused for every directory listed.
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn read_all(fd: &OwnedFd, buf: &mut [u8], dirs_only: bool) -> Result<Listing, Errno> {
    let mut out = Listing::default();
    loop {
        let n = crate::sys::getdents64(fd.as_raw_fd(), buf)?;
        out.reads += 1;
        if n == 0 {
            return Ok(out);
        }
        parse(
            fd,
            buf.get(..n).unwrap_or_default(),
            dirs_only,
            &mut out.entries,
        )?;
    }
}

/// Appends the entries of one `getdents64` batch.
fn parse(
    fd: &OwnedFd,
    mut b: &[u8],
    dirs_only: bool,
    out: &mut Vec<(Vec<u8>, bool)>,
) -> Result<(), Errno> {
    // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name NUL-terminated.
    while b.len() >= 19 {
        let reclen = u16::from_ne_bytes([b[16], b[17]]) as usize;
        if reclen < 19 || reclen > b.len() {
            return Err(Errno::EIO);
        }
        let dtype = b[18];
        let raw = &b[19..reclen];
        let name = &raw[..raw.iter().position(|&c| c == 0).unwrap_or(raw.len())];
        b = &b[reclen..];
        if name == b"." || name == b".." {
            continue;
        }
        let is_dir = match dtype {
            libc::DT_DIR => true,
            libc::DT_UNKNOWN => match lstat_is_dir(fd, name) {
                Ok(d) => d,
                Err(Errno::ENOENT) => continue,
                Err(e) => return Err(e),
            },
            _ => false,
        };
        if is_dir || !dirs_only {
            out.push((name.to_vec(), is_dir));
        }
    }
    Ok(())
}

/// For filesystems that do not fill `d_type`.
fn lstat_is_dir(fd: &OwnedFd, name: &[u8]) -> Result<bool, Errno> {
    let c = CString::new(name).map_err(|_| Errno::EINVAL)?;
    let st = nix::sys::stat::fstatat(fd, c.as_c_str(), nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)?;
    Ok(st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

/// `lstat` says `path` is a directory (not a symlink to one).
pub fn is_real_dir(path: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    std::fs::symlink_metadata(std::ffi::OsStr::from_bytes(path)).is_ok_and(|m| m.is_dir())
}

/// An `@` exclusion names `child` (without its trailing `/`) when, after dropping one
/// trailing `/`, it is the very same text.
pub fn excluded(child: &[u8], exclusions: &[Vec<u8>]) -> bool {
    exclusions
        .iter()
        .any(|e| e.strip_suffix(b"/").unwrap_or(e) == child)
}

/// `<dir><name>/`, the name a subdirectory is reported under.
pub fn join_dir(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(dir.len() + name.len() + 1);
    p.extend_from_slice(dir);
    p.extend_from_slice(name);
    p.push(b'/');
    p
}

/// `dir` without its trailing `/`: the `%w%f` of the event that announced it.
pub fn unslashed(dir: &[u8]) -> &[u8] {
    dir.strip_suffix(b"/").unwrap_or(dir)
}

/// Errors the reference tolerates below the top of a walk: the directory is skipped.
pub fn tolerated(e: Errno) -> bool {
    matches!(e, Errno::EACCES | Errno::ENOENT | Errno::ELOOP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusion_text() {
        let ex: Vec<Vec<u8>> = ["t/a", "t/b/", "./t/c", "t/d//"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let cases: &[(&str, bool)] = &[
            ("t/a", true),
            ("t/b", true),
            ("t/c", false),
            ("./t/c", true),
            ("t/d", false),
            ("t/d/", true),
            ("t/aa", false),
        ];
        for &(child, want) in cases {
            assert_eq!(excluded(child.as_bytes(), &ex), want, "{child}");
        }
    }

    #[test]
    fn listing_reports_kinds_and_reads() {
        let dir = std::env::temp_dir().join(format!("rinotify-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("file"), b"").unwrap();
        std::os::unix::fs::symlink("sub", dir.join("link")).unwrap();
        for i in 0..600 {
            std::fs::write(
                dir.join(format!("long-name-to-fill-the-buffer-{i:04}")),
                b"",
            )
            .unwrap();
        }
        use std::os::unix::ffi::OsStrExt;
        let p = dir.as_os_str().as_bytes();
        let all = list(p, false).unwrap();
        assert_eq!(all.entries.len(), 603);
        assert!(
            all.reads >= 3,
            "a big directory takes several reads plus the last empty one"
        );
        let dirs = list(p, true).unwrap();
        assert_eq!(dirs.entries, vec![(b"sub".to_vec(), true)]);
        assert_eq!(
            list(b"/nonexistent-rinotify", true).unwrap_err(),
            Errno::ENOENT
        );
        let f = dir.join("file");
        assert_eq!(
            list(f.as_os_str().as_bytes(), true).unwrap_err(),
            Errno::ENOTDIR
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
