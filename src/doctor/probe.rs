//! Reading the machine for the doctor: the inotify sysctls, this user's instances and
//! watches (`/proc/*/fd` links to `anon_inode:inotify`, their fdinfo), the trees a
//! recursive watch would walk, the mount of each path, and a trial fanotify group and
//! filesystem mark per path (dropped at once).

use std::ffi::{CString, OsString};
use std::fs;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;

use super::parse::{self, Mount};
use super::{Found, Holder, Limit, PathReport, Report, Usage};
use crate::sys;
use crate::watcher::walk;

use crate::watcher::fanotify::{
    FAN_CLASS_NOTIF, FAN_CLOEXEC, FAN_MARK_ADD, FAN_MARK_FILESYSTEM, FAN_NONBLOCK, FAN_ONDIR,
    FAN_REPORT_DFID_NAME, FAN_REPORT_FID,
};
/// fanotify's `FAN_CREATE` is inotify's `IN_CREATE` bit.
const FAN_CREATE: u64 = crate::event::bits::CREATE as u64;

/// The first kernel with `FAN_REPORT_DFID_NAME`, which `-S` needs.
const FANOTIFY_NAMES: (u32, u32) = (5, 9);

const INOTIFY: &str = "/proc/sys/fs/inotify";

/// A number from a sysctl file.
fn sysctl(path: &str) -> Result<u64, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {}", why(&e)))?;
    text.trim()
        .parse()
        .map_err(|_| format!("cannot read {path}: not a number: {:?}", text.trim()))
}

/// glibc's text for an I/O error.
fn why(e: &std::io::Error) -> String {
    sys::strerror(sys::errno_of(e))
}

/// Reads everything for `paths`.
pub fn gather(paths: &[OsString]) -> Result<Report, String> {
    let status = fs::read("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {}", why(&e)))?;
    let uid = parse::effective_uid(&status)
        .ok_or_else(|| "no Uid line in /proc/self/status".to_string())?;
    let initial =
        fs::read("/proc/self/uid_map").map_or(true, |m| parse::initial_user_namespace(&m));
    let scan = scan(uid, !initial);
    let mut watch_limits = vec![Limit {
        key: "fs.inotify.max_user_watches",
        value: sysctl(&format!("{INOTIFY}/max_user_watches"))?,
        used: scan.usage.watches,
    }];
    let mut instance_limits = vec![Limit {
        key: "fs.inotify.max_user_instances",
        value: sysctl(&format!("{INOTIFY}/max_user_instances"))?,
        used: scan.usage.instances,
    }];
    // Outside the initial user namespace, its own limits count too, against what its
    // own processes use (kernels before 4.9 have none).
    if !initial
        && let (Ok(watches), Ok(instances)) = (
            sysctl("/proc/sys/user/max_inotify_watches"),
            sysctl("/proc/sys/user/max_inotify_instances"),
        )
    {
        watch_limits.push(Limit {
            key: "user.max_inotify_watches",
            value: watches,
            used: scan.ns_watches,
        });
        instance_limits.push(Limit {
            key: "user.max_inotify_instances",
            value: instances,
            used: scan.ns_instances,
        });
    }
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "unknown".to_string(), |k| k.trim().to_string());
    let mounts = fs::read("/proc/self/mountinfo")
        .map(|t| parse::mountinfo(&t))
        .unwrap_or_default();
    let version = parse::kernel_version(&kernel);
    let paths = paths
        .iter()
        .map(|p| path_report(Path::new(p), &mounts, version, &kernel))
        .collect();
    Ok(Report {
        uid,
        user: fs::read("/etc/passwd")
            .ok()
            .and_then(|p| parse::user_name(&p, uid)),
        kernel,
        watch_limits,
        instance_limits,
        max_queued_events: sysctl(&format!("{INOTIFY}/max_queued_events"))?,
        usage: scan.usage,
        paths,
    })
}

/// This user's inotify usage, and the part of it in our user namespace.
struct Scan {
    usage: Usage,
    ns_watches: u64,
    ns_instances: u64,
}

/// Whether an I/O error means the process is gone (not that it is unreadable).
fn vanished(e: &std::io::Error) -> bool {
    matches!(sys::errno_of(e), Errno::ENOENT | Errno::ESRCH)
}

/// Every process of effective uid `uid` holding inotify instances. Processes that
/// vanish meanwhile are left out; those whose fds cannot be read are counted.
fn scan(uid: u32, namespaced: bool) -> Scan {
    let mut out = Scan {
        usage: Usage::default(),
        ns_watches: 0,
        ns_instances: 0,
    };
    let own_ns = fs::read_link("/proc/self/ns/user").ok();
    let Ok(procs) = fs::read_dir("/proc") else {
        return out;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        let Some(owner) = fs::read(dir.join("status"))
            .ok()
            .and_then(|s| parse::effective_uid(&s))
        else {
            continue;
        };
        if owner != uid {
            continue;
        }
        let (instances, watches) = match holdings(&dir) {
            Ok(h) => h,
            Err(e) if vanished(&e) => continue,
            Err(_) => {
                out.usage.unreadable += 1;
                continue;
            }
        };
        if instances == 0 {
            continue;
        }
        out.usage.instances += instances;
        out.usage.watches += watches;
        if namespaced && own_ns.is_some() && fs::read_link(dir.join("ns/user")).ok() == own_ns {
            out.ns_instances += instances;
            out.ns_watches += watches;
        }
        let mut command = fs::read(dir.join("comm")).unwrap_or_default();
        if command.last() == Some(&b'\n') {
            command.pop();
        }
        out.usage.holders.push(Holder {
            pid,
            command,
            instances,
            watches,
        });
    }
    out.usage
        .holders
        .sort_by(|a, b| (b.watches, b.instances, a.pid).cmp(&(a.watches, a.instances, b.pid)));
    out
}

/// The inotify instances among a process's fds, and their watches.
fn holdings(dir: &Path) -> std::io::Result<(u64, u64)> {
    let (mut instances, mut watches) = (0, 0);
    for fd in fs::read_dir(dir.join("fd"))?.flatten() {
        let link = match fs::read_link(fd.path()) {
            Ok(l) => l,
            // An fd closed meanwhile is simply not there.
            Err(e) if vanished(&e) => continue,
            // Listing the fds may be allowed where reading their links is not.
            Err(e) => return Err(e),
        };
        if link.as_os_str().as_bytes() != b"anon_inode:inotify" {
            continue;
        }
        instances += 1;
        let info = fs::read(dir.join("fdinfo").join(fd.file_name())).unwrap_or_default();
        watches += parse::inotify_watches(&info);
    }
    Ok((instances, watches))
}

fn path_report(
    path: &Path,
    mounts: &[Mount],
    version: Option<(u32, u32)>,
    kernel: &str,
) -> PathReport {
    let found = found(path);
    let mount = fs::canonicalize(path)
        .ok()
        .and_then(|c| parse::mount_of(mounts, c.as_os_str().as_bytes()).cloned());
    PathReport {
        path: path.as_os_str().as_bytes().to_vec(),
        found,
        mount,
        fanotify: fanotify(path, version, kernel),
    }
}

/// What `path` is, and for a directory how many directories `-r` watches: the walker's
/// rules (a symlink given as the path is followed, symlinks below are not; directories
/// that cannot be listed are skipped).
fn found(path: &Path) -> Found {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return Found::Missing(why(&e)),
    };
    if !meta.is_dir() {
        return Found::File;
    }
    // Listed as the watcher lists (getdents64, d_type, symlinks below never followed).
    let top = path.as_os_str().as_bytes();
    let listing = match walk::list(top, true) {
        Ok(l) => l,
        Err(e) => return Found::Unreadable(sys::strerror(e)),
    };
    let (mut directories, mut skipped) = (1, 0);
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let subdirs = |dir: &[u8], l: walk::Listing, stack: &mut Vec<Vec<u8>>| {
        let mut dir = dir.to_vec();
        if !dir.ends_with(b"/") {
            dir.push(b'/');
        }
        stack.extend(l.entries.iter().map(|(name, _)| walk::join_dir(&dir, name)));
    };
    subdirs(top, listing, &mut stack);
    while let Some(dir) = stack.pop() {
        match walk::list(&dir, true) {
            Ok(l) => {
                directories += 1;
                subdirs(&dir, l, &mut stack);
            }
            Err(Errno::ENOENT) => {} // gone meanwhile
            Err(_) => skipped += 1,
        }
    }
    Found::Tree {
        directories,
        skipped,
    }
}

/// Why fanotify failed with `e`, in words.
pub fn fanotify_reason(e: Errno) -> String {
    match e {
        Errno::EPERM => "needs root (CAP_SYS_ADMIN)".into(),
        Errno::ENODEV => "the filesystem reports a zero fsid".into(),
        Errno::EOPNOTSUPP => "the filesystem does not support file handles".into(),
        Errno::EXDEV => "the path is on a subvolume or mount whose fsid differs from its \
                         filesystem's (a btrfs subvolume?)"
            .into(),
        Errno::ENOSYS => "the kernel has no fanotify (CONFIG_FANOTIFY)".into(),
        Errno::EINVAL => "the kernel refuses the flags -S needs (FAN_REPORT_DFID_NAME, \
                          Linux 5.9)"
            .into(),
        Errno::EMFILE => "too many fanotify groups (fs.fanotify.max_user_groups)".into(),
        Errno::ENOSPC => "too many fanotify marks (fs.fanotify.max_user_marks)".into(),
        e => sys::strerror(e),
    }
}

/// Whether `-S` can watch `path`: a group reporting names, the path's fsid and file
/// handle, and a filesystem mark — the steps `-S` takes, in its order. The group, and
/// the mark with it, is closed on return.
fn fanotify(path: &Path, version: Option<(u32, u32)>, kernel: &str) -> Result<(), String> {
    if version.is_some_and(|v| v < FANOTIFY_NAMES) {
        return Err(format!(
            "kernel {kernel} is older than 5.9 (FAN_REPORT_DFID_NAME)"
        ));
    }
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| sys::strerror(Errno::EINVAL))?;
    let group = sys::fanotify_init(
        FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_FID | FAN_REPORT_DFID_NAME,
    )
    .map_err(fanotify_reason)?;
    sys::fsid(&c).map_err(fanotify_reason)?;
    sys::name_to_handle(&c, true).map_err(fanotify_reason)?;
    sys::fanotify_mark(
        group.as_raw_fd(),
        FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
        FAN_CREATE | FAN_ONDIR,
        None,
        Some(&c),
    )
    .map_err(fanotify_reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fanotify_reasons() {
        let table: &[(Errno, &str)] = &[
            (Errno::EPERM, "needs root (CAP_SYS_ADMIN)"),
            (Errno::ENODEV, "zero fsid"),
            (Errno::EOPNOTSUPP, "file handles"),
            (Errno::EXDEV, "subvolume"),
            (Errno::ENOSYS, "CONFIG_FANOTIFY"),
            (Errno::EINVAL, "5.9"),
            (Errno::ENOENT, "No such file or directory"),
        ];
        for &(e, want) in table {
            let got = fanotify_reason(e);
            assert!(got.contains(want), "{e}: {got}");
        }
    }

    #[test]
    fn counts_a_tree_by_the_walker_rules() {
        let dir = std::env::temp_dir().join(format!("rinotify-doctor-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for d in ["t/a/b", "t/c", "elsewhere/x/y"] {
            fs::create_dir_all(dir.join(d)).unwrap();
        }
        fs::write(dir.join("t/f"), b"").unwrap();
        // Symlinks below the top are not followed.
        std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("t/link")).unwrap();
        // A symlink given as the path is.
        std::os::unix::fs::symlink(dir.join("t"), dir.join("top")).unwrap();
        let tree = Found::Tree {
            directories: 4,
            skipped: 0,
        };
        assert_eq!(found(&dir.join("t")), tree);
        assert_eq!(found(&dir.join("top")), tree);
        assert_eq!(found(&dir.join("t/f")), Found::File);
        assert!(matches!(found(&dir.join("nope")), Found::Missing(_)));
        fs::remove_dir_all(&dir).unwrap();
    }
}
