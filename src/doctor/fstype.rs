//! What a filesystem type means for inotify: local (every change made on this machine
//! is seen), FUSE (what the daemon passes through), remote or shared (changes made
//! elsewhere are never seen), or a kernel pseudo-filesystem (nothing useful is seen).

/// The verdict on a filesystem type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every change made on this machine is reported.
    Local,
    /// FUSE: only changes made through this mount are reported.
    Fuse,
    /// Network or host-shared: changes made on other machines are not seen.
    Remote,
    /// Kernel pseudo-filesystem: contents change without events.
    Dead,
}

/// Network and shared filesystems: their files change on other machines (or on the
/// VM host) without this kernel's knowing.
const REMOTE: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ncpfs",
    "9p",
    "virtiofs",
    "ceph",
    "glusterfs",
    "afs",
    "coda",
    "lustre",
    "gpfs",
    "beegfs",
    "orangefs",
    "pvfs2",
    "ocfs2",
    "gfs2",
    "vboxsf",
    "vmhgfs",
];

/// FUSE daemons that serve files from elsewhere (`fuse.<subtype>`).
const REMOTE_FUSE: &[&str] = &[
    "sshfs",
    "rclone",
    "s3fs",
    "gcsfuse",
    "goofys",
    "glusterfs",
    "ceph-fuse",
    "juicefs",
    "davfs",
    "smbnetfs",
    "vmhgfs-fuse",
];

/// Kernel pseudo-filesystems: files the kernel rewrites without fsnotify events.
const DEAD: &[&str] = &[
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "binfmt_misc",
    "nsfs",
];

/// The verdict on `fstype` as mountinfo spells it (`fuse.sshfs`, `fuseblk`, `nfs4`).
pub fn classify(fstype: &str) -> Verdict {
    if DEAD.contains(&fstype) {
        return Verdict::Dead;
    }
    if REMOTE.contains(&fstype) {
        return Verdict::Remote;
    }
    if let Some(sub) = fstype.strip_prefix("fuse.") {
        return if REMOTE_FUSE.contains(&sub) {
            Verdict::Remote
        } else {
            Verdict::Fuse
        };
    }
    if fstype == "fuse" || fstype == "fuseblk" {
        return Verdict::Fuse;
    }
    Verdict::Local
}

impl Verdict {
    /// Whether changes made elsewhere than this machine go unseen.
    pub fn remote(self) -> bool {
        self == Verdict::Remote
    }

    /// Whether inotify is of any use here.
    pub fn works(self) -> bool {
        self != Verdict::Dead
    }

    /// What it means, for the report (a warning or problem text; `None` when local).
    pub fn note(self) -> Option<&'static str> {
        match self {
            Verdict::Local => None,
            Verdict::Fuse => Some(
                "FUSE: events depend on the daemon; only changes made through this mount are seen",
            ),
            Verdict::Remote => {
                Some("remote or shared filesystem: changes made on other machines are not seen")
            }
            Verdict::Dead => {
                Some("inotify reports nothing here: the kernel changes these files without events")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        use Verdict::*;
        let table: &[(&str, Verdict)] = &[
            ("ext4", Local),
            ("xfs", Local),
            ("btrfs", Local),
            ("tmpfs", Local),
            ("overlay", Local),
            ("zfs", Local),
            ("vfat", Local),
            ("devtmpfs", Local),
            ("something-new", Local),
            ("nfs", Remote),
            ("nfs4", Remote),
            ("cifs", Remote),
            ("smb3", Remote),
            ("smbfs", Remote),
            ("9p", Remote),
            ("virtiofs", Remote),
            ("ceph", Remote),
            ("afs", Remote),
            ("fuse.sshfs", Remote),
            ("fuse.rclone", Remote),
            ("fuse.glusterfs", Remote),
            ("fuse.ceph-fuse", Remote),
            ("fuse.s3fs", Remote),
            ("fuse", Fuse),
            ("fuseblk", Fuse),
            ("fuse.ntfs-3g", Fuse),
            ("fuse.mergerfs", Fuse),
            ("fuse.lxcfs", Fuse),
            ("fuse.", Fuse),
            ("proc", Dead),
            ("sysfs", Dead),
            ("cgroup", Dead),
            ("cgroup2", Dead),
            ("debugfs", Dead),
            ("tracefs", Dead),
            ("securityfs", Dead),
            ("bpf", Dead),
            ("fuseish", Local),
            ("procfs", Local),
        ];
        for &(fstype, want) in table {
            assert_eq!(classify(fstype), want, "{fstype}");
        }
    }

    #[test]
    fn verdict_flags() {
        assert!(Verdict::Remote.remote() && Verdict::Remote.works());
        assert!(!Verdict::Fuse.remote() && Verdict::Fuse.works());
        assert!(!Verdict::Dead.works() && !Verdict::Dead.remote());
        assert!(Verdict::Local.works() && Verdict::Local.note().is_none());
        for v in [Verdict::Fuse, Verdict::Remote, Verdict::Dead] {
            assert!(v.note().is_some(), "{v:?}");
        }
    }
}
