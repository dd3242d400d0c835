//! Directory listing for recursive watches: subdirectories by `d_type` (no `lstat` per
//! entry), `@` exclusion matching by exact text, and the "is a real directory" test.

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use nix::errno::Errno;

/// The entries of `dir` in readdir order, each with "is a real directory" (symlinks are
/// never followed); with `dirs_only`, only the directories.
pub fn list(dir: &[u8], dirs_only: bool) -> Result<Vec<(Vec<u8>, bool)>, Errno> {
    let rd = std::fs::read_dir(OsStr::from_bytes(dir)).map_err(|e| errno(&e))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| errno(&e))?;
        match entry.file_type() {
            Ok(t) if t.is_dir() || !dirs_only => {
                out.push((entry.file_name().into_vec(), t.is_dir()))
            }
            Ok(_) => {}
            Err(e) if errno(&e) == Errno::ENOENT => {}
            Err(e) => return Err(errno(&e)),
        }
    }
    Ok(out)
}

/// `lstat` says `path` is a directory (not a symlink to one).
pub fn is_real_dir(path: &[u8]) -> bool {
    std::fs::symlink_metadata(OsStr::from_bytes(path)).is_ok_and(|m| m.is_dir())
}

/// An `@` exclusion names `child` (without its trailing `/`) when, after dropping one
/// trailing `/`, it is the very same text.
pub fn excluded(child: &[u8], exclusions: &[Vec<u8>]) -> bool {
    exclusions
        .iter()
        .any(|e| e.strip_suffix(b"/").unwrap_or(e) == child)
}

fn errno(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
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
}
