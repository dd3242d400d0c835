//! The text the doctor reads from `/proc` and `/etc`, parsed without touching the
//! kernel: fdinfo watch lines, the effective uid of a status file, mountinfo lines
//! (octal escapes, FUSE subtypes) and the mount holding a path, the kernel release, a
//! user name from passwd, and whether a uid map is the initial user namespace's.

/// The inotify watches an inotify fd holds: its fdinfo's `inotify wd:` lines.
pub fn inotify_watches(fdinfo: &[u8]) -> u64 {
    fdinfo
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"inotify wd:"))
        .count() as u64
}

/// The effective uid of a `/proc/PID/status` (the second field of its `Uid:` line).
pub fn effective_uid(status: &[u8]) -> Option<u32> {
    let line = status
        .split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"Uid:"))?;
    let text = std::str::from_utf8(line).ok()?;
    text.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// One line of `/proc/self/mountinfo`: where it is mounted, and the filesystem type
/// (with its FUSE subtype: `fuse.sshfs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub point: Vec<u8>,
    pub fstype: String,
}

/// A mountinfo field with its octal escapes (`\040` space, `\011` tab, `\012` newline,
/// `\134` backslash) decoded.
pub fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while let Some(&b) = field.get(i) {
        let octal = field
            .get(i + 1..i + 4)
            .filter(|d| b == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)) && d[0] <= b'3');
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') << 6 | (d[1] - b'0') << 3 | (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Parses `ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPER`.
pub fn mountinfo_line(line: &[u8]) -> Option<Mount> {
    let fields: Vec<&[u8]> = line
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty())
        .collect();
    let point = fields.get(4)?;
    let dash = fields.iter().skip(6).position(|f| *f == b"-")? + 6;
    let fstype = fields.get(dash + 1)?;
    Some(Mount {
        point: unescape(point),
        fstype: String::from_utf8_lossy(&unescape(fstype)).into_owned(),
    })
}

/// Every mount of a mountinfo text, in its order (later mounts lie on top).
pub fn mountinfo(text: &[u8]) -> Vec<Mount> {
    text.split(|&b| b == b'\n')
        .filter_map(mountinfo_line)
        .collect()
}

/// The mount holding the canonical (absolute, symlink-free) `path`: the one whose mount
/// point is the longest prefix of it on a `/` boundary; of several mounts on the same
/// point, the last (the one on top).
pub fn mount_of<'a>(mounts: &'a [Mount], path: &[u8]) -> Option<&'a Mount> {
    let holds = |point: &[u8]| {
        point == b"/"
            || path
                .strip_prefix(point)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"/"))
    };
    mounts
        .iter()
        .filter(|m| holds(&m.point))
        .fold(None, |best: Option<&Mount>, m| match best {
            Some(b) if b.point.len() > m.point.len() => Some(b),
            _ => Some(m),
        })
}

/// `(major, minor)` of a kernel release such as `6.18.44-fc-v857`.
pub fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.trim().split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    Some((major, minor))
}

/// The name of `uid` in a passwd file (`name:x:uid:…`).
pub fn user_name(passwd: &[u8], uid: u32) -> Option<String> {
    passwd.split(|&b| b == b'\n').find_map(|line| {
        let mut f = line.split(|&b| b == b':');
        let name = f.next()?;
        let id = f.nth(1)?;
        (std::str::from_utf8(id).ok()?.parse() == Ok(uid) && !name.is_empty())
            .then(|| String::from_utf8_lossy(name).into_owned())
    })
}

/// Whether a `/proc/self/uid_map` is the initial user namespace's (`0 0 4294967295`):
/// there `user.max_inotify_*` are the same settings as `fs.inotify.max_user_*`.
pub fn initial_user_namespace(uid_map: &[u8]) -> bool {
    let text = String::from_utf8_lossy(uid_map);
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_ascii_whitespace().collect())
        .filter(|f: &Vec<&str>| !f.is_empty())
        .collect();
    lines == [vec!["0", "0", "4294967295"]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fdinfo_watch_lines() {
        let fdinfo = b"pos:\t0\nflags:\t02004000\nmnt_id:\t15\nino:\t1057\n\
            inotify wd:3 ino:1a2 sdev:800001 mask:fce ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:a201000000000000\n\
            inotify wd:2 ino:1a1 sdev:800001 mask:fce ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:a101000000000000\n\
            inotify wd:1 ino:2 sdev:800001 mask:fce ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:0200000000000000\n";
        assert_eq!(inotify_watches(fdinfo), 3);
        assert_eq!(inotify_watches(b"pos:\t0\nflags:\t02000000\n"), 0);
        assert_eq!(inotify_watches(b""), 0);
        // A fanotify group's marks are not inotify watches.
        assert_eq!(
            inotify_watches(b"fanotify flags:0 event-flags:0\nfanotify sdev:2e mflags:0\n"),
            0
        );
    }

    #[test]
    fn status_effective_uid() {
        let status = b"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\n";
        assert_eq!(effective_uid(status), Some(0));
        assert_eq!(
            effective_uid(b"Uid:\t65534\t65534\t65534\t65534\n"),
            Some(65534)
        );
        assert_eq!(effective_uid(b"Name:\tx\n"), None);
        assert_eq!(effective_uid(b"Uid:\t5\n"), None);
    }

    /// A mountinfo line and the (mount point, fstype) parsed from it.
    type Case<'a> = (&'a [u8], Option<(&'a [u8], &'a str)>);

    #[test]
    fn mountinfo_lines() {
        let table: &[Case] = &[
            (
                b"22 27 0:21 / /proc rw,relatime - proc proc rw",
                Some((b"/proc", "proc")),
            ),
            (
                b"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue",
                Some((b"/mnt2", "ext3")),
            ),
            (
                b"90 27 0:50 / /home/u/My\\040Drive rw,nosuid,nodev - fuse.sshfs u@host:/srv rw,user_id=0",
                Some((b"/home/u/My Drive", "fuse.sshfs")),
            ),
            (
                b"91 27 0:51 / /a\\011b\\012c\\134d rw - tmpfs none rw",
                Some((b"/a\tb\nc\\d", "tmpfs")),
            ),
            (b"91 27 0:51 / /x rw tmpfs none rw", None),
            (b"", None),
            (b"garbage", None),
        ];
        for &(line, want) in table {
            let got = mountinfo_line(line);
            let got = got
                .as_ref()
                .map(|m| (m.point.as_slice(), m.fstype.as_str()));
            assert_eq!(got, want, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn escapes() {
        let table: &[(&[u8], &[u8])] = &[
            (b"plain", b"plain"),
            (b"\\040", b" "),
            (b"a\\040b\\040", b"a b "),
            (b"\\134", b"\\"),
            (b"\\0", b"\\0"),
            (b"\\999", b"\\999"),
            (b"\\400", b"\\400"),
            (b"end\\", b"end\\"),
            (b"\\303\\251", "\u{e9}".as_bytes()),
        ];
        for &(field, want) in table {
            assert_eq!(unescape(field), want, "{}", String::from_utf8_lossy(field));
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let text = b"1 0 0:1 / / rw - ext4 /dev/sda1 rw\n\
            2 1 0:2 / /srv rw - xfs /dev/sdb rw\n\
            3 2 0:3 / /srv/data rw - nfs4 h:/d rw\n\
            4 1 0:4 / /srv/database rw - btrfs /dev/sdc rw\n\
            5 3 0:5 / /srv/data rw - fuse.mergerfs m rw\n\
            6 1 0:6 / /sp\\040ace rw - tmpfs none rw\n";
        let mounts = mountinfo(text);
        assert_eq!(mounts.len(), 6);
        let table: &[(&[u8], &str)] = &[
            (b"/", "ext4"),
            (b"/etc", "ext4"),
            (b"/srv", "xfs"),
            (b"/srv/x", "xfs"),
            (b"/srvx", "ext4"),
            // The mount on top of the same point.
            (b"/srv/data", "fuse.mergerfs"),
            (b"/srv/data/a/b", "fuse.mergerfs"),
            (b"/srv/database/t", "btrfs"),
            (b"/srv/datab", "xfs"),
            (b"/sp ace/f", "tmpfs"),
        ];
        for &(path, want) in table {
            let got = mount_of(&mounts, path).map(|m| m.fstype.as_str());
            assert_eq!(got, Some(want), "{}", String::from_utf8_lossy(path));
        }
        assert_eq!(mount_of(&[], b"/x"), None);
    }

    #[test]
    fn kernel_versions() {
        let table: &[(&str, Option<(u32, u32)>)] = &[
            ("6.18.44-fc-v857", Some((6, 18))),
            ("5.9.0", Some((5, 9))),
            ("5.10-rc1", Some((5, 10))),
            ("4.19.0-18-amd64\n", Some((4, 19))),
            ("6.1+deb", Some((6, 1))),
            ("weird", None),
            ("", None),
        ];
        for &(release, want) in table {
            assert_eq!(kernel_version(release), want, "{release}");
        }
    }

    #[test]
    fn passwd_names() {
        let passwd =
            b"root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n\
            broken\nalice:x:1000:1000::/home/alice:/bin/sh";
        assert_eq!(user_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(user_name(passwd, 65534).as_deref(), Some("nobody"));
        assert_eq!(user_name(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(user_name(passwd, 1001), None);
    }

    #[test]
    fn uid_maps() {
        assert!(initial_user_namespace(
            b"         0          0 4294967295\n"
        ));
        assert!(!initial_user_namespace(
            b"         0          0          1\n"
        ));
        assert!(!initial_user_namespace(
            b"         0     100000      65536\n"
        ));
        assert!(!initial_user_namespace(b""));
    }
}
