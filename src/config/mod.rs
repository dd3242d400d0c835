//! The configuration stage: what the user asked for, as typed values checked before the
//! first watch is added.

use std::io::Read;

use crate::output::{eprintln_bytes, strerror};
use nix::errno::Errno;

/// The paths to watch and the `@` exclusions, in the reference's order: `--fromfile`
/// lines first, then the operands.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PathList {
    pub watch: Vec<Vec<u8>>,
    pub exclude: Vec<Vec<u8>>,
}

impl PathList {
    fn push(&mut self, entry: &[u8]) {
        if entry.is_empty() || entry == b"@" {
            return;
        }
        match entry.strip_prefix(b"@") {
            Some(rest) => self.exclude.push(rest.to_vec()),
            None => self.watch.push(entry.to_vec()),
        }
    }

    /// Adds the lines of a `--fromfile` file: split at `\n` only (a `\r` stays), empty
    /// lines skipped, lines longer than 4095 bytes split as the reference's `fgets` does.
    pub fn add_lines(&mut self, data: &[u8]) {
        for line in data.split(|&b| b == b'\n') {
            for chunk in line.chunks(4095) {
                self.push(chunk);
            }
        }
    }

    /// Builds the list; an unreadable `--fromfile` is reported and skipped.
    pub fn build(fromfile: Option<&[u8]>, operands: &[Vec<u8>]) -> PathList {
        let mut list = PathList::default();
        if let Some(file) = fromfile {
            match read_list_file(file) {
                Ok(data) => list.add_lines(&data),
                Err(e) => {
                    let mut m = b"Couldn't open ".to_vec();
                    m.extend_from_slice(file);
                    m.extend_from_slice(b": ");
                    m.extend_from_slice(strerror(e).as_bytes());
                    eprintln_bytes(&m);
                }
            }
        }
        for op in operands {
            list.push(op);
        }
        list
    }
}

fn read_list_file(file: &[u8]) -> Result<Vec<u8>, Errno> {
    use std::os::unix::ffi::OsStrExt;
    let mut data = Vec::new();
    // Only a failed open is reported; a file that cannot be read (a directory, say)
    // simply yields the lines read so far, as the reference's fgets loop does.
    if file == b"-" {
        let _ = std::io::stdin().lock().read_to_end(&mut data);
    } else {
        let mut f = std::fs::File::open(std::ffi::OsStr::from_bytes(file))
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
        let _ = f.read_to_end(&mut data);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_list() {
        let ops: Vec<Vec<u8>> = ["t", "@t/a", "@", "", "@t/b/", "u"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let l = PathList::build(None, &ops);
        assert_eq!(l.watch, vec![b"t".to_vec(), b"u".to_vec()]);
        assert_eq!(l.exclude, vec![b"t/a".to_vec(), b"t/b/".to_vec()]);
    }

    #[test]
    fn list_file_lines() {
        let mut l = PathList::default();
        let long = vec![b'x'; 5000];
        let mut data = b"a\r\n\n@b\n".to_vec();
        data.extend_from_slice(&long);
        l.add_lines(&data);
        assert_eq!(
            l.watch,
            vec![b"a\r".to_vec(), vec![b'x'; 4095], vec![b'x'; 905]]
        );
        assert_eq!(l.exclude, vec![b"b".to_vec()]);
    }
}
