//! `rinotify doctor`: what limits, usage and filesystems mean for watching the given paths.
//!
//! [`probe`] reads the machine (`/proc`, the trees, fanotify) into a plain [`Report`];
//! everything else — the parsers ([`parse`]), the filesystem table ([`fstype`]), the
//! verdicts and the suggested limits below, the text and JSON ([`render`]) — is pure
//! and tested without a kernel.

pub mod fstype;
pub mod parse;
mod probe;
pub mod render;

use std::ffi::OsString;

/// Where the persistent setting goes.
pub const SYSCTL_FILE: &str = "/etc/sysctl.d/90-inotify.conf";
/// The least a suggested watch limit is: the kernel's default before Linux 5.11.
pub const WATCHES_FLOOR: u64 = 8192;
/// The least a suggested instance limit is: the kernel's default.
pub const INSTANCES_FLOOR: u64 = 128;
/// The most a limit can be set to (the sysctls are `int`).
const LIMIT_MAX: u64 = i32::MAX as u64;

/// Everything the doctor found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The effective uid whose limits and usage these are.
    pub uid: u32,
    /// Its name in `/etc/passwd`, when there.
    pub user: Option<String>,
    /// The kernel release (`uname -r`).
    pub kernel: String,
    /// The settings that bound this user's watches: `fs.inotify.max_user_watches`, and
    /// in a user namespace other than the initial one also its
    /// `user.max_inotify_watches`.
    pub watch_limits: Vec<Limit>,
    /// Likewise for instances (`max_user_instances`, `user.max_inotify_instances`).
    pub instance_limits: Vec<Limit>,
    /// `fs.inotify.max_queued_events`: per instance, not per user.
    pub max_queued_events: u64,
    pub usage: Usage,
    pub paths: Vec<PathReport>,
}

/// One sysctl bounding this user, its value, and how much of it is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub key: &'static str,
    pub value: u64,
    pub used: u64,
}

impl Limit {
    pub fn free(&self) -> u64 {
        self.value.saturating_sub(self.used)
    }
}

/// This user's inotify instances and watches now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub watches: u64,
    pub instances: u64,
    /// Processes of this user whose fds could not be read (not counted).
    pub unreadable: u64,
    /// The processes holding inotify instances, most watches first.
    pub holders: Vec<Holder>,
}

/// A process holding inotify instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// `/proc/PID/comm`.
    pub command: Vec<u8>,
    pub instances: u64,
    pub watches: u64,
}

/// What a PATH is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// It cannot be reached (`stat` failed): the reason.
    Missing(String),
    /// A directory that cannot be listed: the reason.
    Unreadable(String),
    /// A file (not a directory): one watch.
    File,
    /// A directory tree: the directories `-r` watches (the top included) and those it
    /// skips because they cannot be listed.
    Tree { directories: u64, skipped: u64 },
}

/// One PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathReport {
    /// As given.
    pub path: Vec<u8>,
    pub found: Found,
    /// The mount holding it.
    pub mount: Option<parse::Mount>,
    /// Whether `-S` (fanotify filesystem marks) works here, or why not.
    pub fanotify: Result<(), String>,
}

/// Settings to raise, each to its suggested value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raise {
    pub settings: Vec<(&'static str, u64)>,
}

impl Raise {
    /// The command that raises them now.
    pub fn sysctl(&self) -> String {
        let mut s = String::from("sudo sysctl");
        for (key, n) in &self.settings {
            s.push_str(&format!(" {key}={n}"));
        }
        s
    }

    /// The command that makes it last across reboots (appended: the last line read
    /// wins, so running it again with a larger value is safe).
    pub fn file(&self) -> String {
        let lines: Vec<String> = self
            .settings
            .iter()
            .map(|(key, n)| format!("{key}={n}"))
            .collect();
        let head = match lines.as_slice() {
            [one] => format!("echo {one}"),
            _ => format!("printf '%s\\n' {}", lines.join(" ")),
        };
        format!("{head} | sudo tee -a {SYSCTL_FILE}")
    }
}

/// The value to suggest for a limit now at `current`, with `used` in use, when `needed`
/// more are wanted: (used + needed) × 1.5 — headroom for the tree and the other
/// watchers to grow — rounded up to a power of two (the round numbers the usual guides
/// give: 65536, 524288, 1048576), at least `floor` and always above `current`; at most
/// the kernel's `INT_MAX`.
pub fn choose(used: u64, needed: u64, current: u64, floor: u64) -> u64 {
    let want = used.saturating_add(needed);
    let want = want.saturating_add(want.div_ceil(2));
    let n = want
        .max(floor)
        .max(current.saturating_add(1))
        .checked_next_power_of_two()
        .unwrap_or(LIMIT_MAX);
    n.min(LIMIT_MAX)
}

/// The settings among `limits` with fewer than `needed` free, each with its suggested
/// value; `None` when all suffice.
fn raise(limits: &[Limit], needed: u64, floor: u64) -> Option<Raise> {
    let settings: Vec<(&'static str, u64)> = limits
        .iter()
        .filter(|l| l.free() < needed)
        .map(|l| (l.key, choose(l.used, needed, l.value, floor)))
        .collect();
    (!settings.is_empty()).then_some(Raise { settings })
}

/// The least free of `limits` (0 when none is known).
fn least_free(limits: &[Limit]) -> u64 {
    limits.iter().map(Limit::free).min().unwrap_or(0)
}

/// The lowest of `limits` (the one in force).
fn lowest(limits: &[Limit]) -> u64 {
    limits.iter().map(|l| l.value).min().unwrap_or(0)
}

impl Report {
    pub fn free_watches(&self) -> u64 {
        least_free(&self.watch_limits)
    }

    pub fn free_instances(&self) -> u64 {
        least_free(&self.instance_limits)
    }

    /// `max_user_watches` in force (the lower of the host's and the namespace's).
    pub fn max_user_watches(&self) -> u64 {
        lowest(&self.watch_limits)
    }

    pub fn max_user_instances(&self) -> u64 {
        lowest(&self.instance_limits)
    }

    /// Whether one more watcher can start (its instance fits).
    pub fn instances_fit(&self) -> bool {
        self.free_instances() >= 1
    }

    /// The instance settings to raise, when a new watcher cannot start.
    pub fn instances_raise(&self) -> Option<Raise> {
        raise(&self.instance_limits, 1, INSTANCES_FLOOR)
    }

    /// The watch settings to raise for `path` to fit.
    pub fn watches_raise(&self, path: &PathReport) -> Option<Raise> {
        if path.fits(self.free_watches()) || !path.exists() {
            return None;
        }
        raise(&self.watch_limits, path.needed(), WATCHES_FLOOR)
    }

    /// Whether everything asked fits: exit status 0.
    pub fn ok(&self) -> bool {
        self.instances_fit()
            && self
                .paths
                .iter()
                .all(|p| p.problems(self.free_watches()).is_empty())
    }
}

impl PathReport {
    pub fn exists(&self) -> bool {
        !matches!(self.found, Found::Missing(_))
    }

    pub fn directories(&self) -> u64 {
        match self.found {
            Found::Tree { directories, .. } => directories,
            _ => 0,
        }
    }

    pub fn skipped(&self) -> u64 {
        match self.found {
            Found::Tree { skipped, .. } => skipped,
            _ => 0,
        }
    }

    /// The watches `-r` on it takes.
    pub fn needed(&self) -> u64 {
        match self.found {
            Found::Tree { directories, .. } => directories,
            Found::File => 1,
            Found::Missing(_) | Found::Unreadable(_) => 0,
        }
    }

    /// Whether its watches fit in `free`.
    pub fn fits(&self, free: u64) -> bool {
        matches!(self.found, Found::Tree { .. } | Found::File) && self.needed() <= free
    }

    /// The filesystem verdict (local when the mount is unknown).
    pub fn verdict(&self) -> fstype::Verdict {
        self.mount
            .as_ref()
            .map_or(fstype::Verdict::Local, |m| fstype::classify(&m.fstype))
    }

    /// Why watching it fails.
    pub fn problems(&self, free: u64) -> Vec<String> {
        let mut out = Vec::new();
        match &self.found {
            Found::Missing(e) => out.push(format!("cannot be reached: {e}")),
            Found::Unreadable(e) => out.push(format!("cannot be read: {e}")),
            Found::File | Found::Tree { .. } => {}
        }
        if self.exists() && !self.fits(free) && self.needed() > 0 {
            out.push(format!("-r needs {} watches, {free} free", self.needed()));
        }
        let v = self.verdict();
        if !v.works()
            && let Some(note) = v.note()
        {
            out.push(note.to_string());
        }
        out
    }

    /// What may surprise, though watching works.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let v = self.verdict();
        if v.works()
            && let Some(note) = v.note()
        {
            out.push(note.to_string());
        }
        match self.skipped() {
            0 => {}
            1 => out.push("1 directory cannot be listed: -r skips it".to_string()),
            n => out.push(format!("{n} directories cannot be listed: -r skips them")),
        }
        out
    }
}

/// `rinotify doctor [--json] [PATH…]`: prints the report; 0 when everything needed
/// fits, 1 otherwise (or when `/proc` cannot be read).
pub fn run(json: bool, paths: &[OsString]) -> i32 {
    let report = match probe::gather(paths) {
        Ok(r) => r,
        Err(msg) => {
            crate::output::eprintln_bytes(format!("rinotify doctor: {msg}").as_bytes());
            return 1;
        }
    };
    let out = if json {
        render::json(&report)
    } else {
        render::text(&report)
    };
    if let Err(e) = crate::sys::write_all(libc::STDOUT_FILENO, &out) {
        crate::output::eprintln_bytes(
            format!("rinotify doctor: write error: {}", crate::sys::strerror(e)).as_bytes(),
        );
        return 1;
    }
    if report.ok() { 0 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_limits() {
        // (used, needed, current, floor) → suggestion
        let table: &[(u64, u64, u64, u64, u64)] = &[
            (0, 20, 7, WATCHES_FLOOR, 8192),
            (1234, 200_000, 192_536, WATCHES_FLOOR, 524_288),
            (0, 8192, 8192, WATCHES_FLOOR, 16_384),
            (100_000, 100_000, 192_536, WATCHES_FLOOR, 524_288),
            (600_000, 500_000, 1_000_000, WATCHES_FLOOR, 2_097_152),
            (128, 1, 128, INSTANCES_FLOOR, 256),
            (0, 1, 0, INSTANCES_FLOOR, 128),
            (3, 1, 2, INSTANCES_FLOOR, 128),
            (0, u64::MAX, 7, WATCHES_FLOOR, LIMIT_MAX),
            (2_000_000_000, 1, 2_000_000_000, WATCHES_FLOOR, LIMIT_MAX),
        ];
        for &(used, needed, current, floor, want) in table {
            assert_eq!(
                choose(used, needed, current, floor),
                want,
                "{used} {needed} {current}"
            );
        }
    }

    proptest::proptest! {
        /// A suggestion always makes room (unless at the kernel's maximum), is a power
        /// of two, and never lowers the limit.
        #[test]
        fn suggestion_makes_room(used in 0u64..3_000_000, needed in 0u64..3_000_000,
                                 current in 0u64..3_000_000) {
            let n = choose(used, needed, current, WATCHES_FLOOR);
            proptest::prop_assert!(n > current);
            proptest::prop_assert!(n >= used + needed);
            proptest::prop_assert!(n.is_power_of_two());
        }
    }

    #[test]
    fn raise_commands() {
        let one = Raise {
            settings: vec![("fs.inotify.max_user_watches", 524_288)],
        };
        assert_eq!(
            one.sysctl(),
            "sudo sysctl fs.inotify.max_user_watches=524288"
        );
        assert_eq!(
            one.file(),
            "echo fs.inotify.max_user_watches=524288 | sudo tee -a /etc/sysctl.d/90-inotify.conf"
        );
        let two = Raise {
            settings: vec![
                ("fs.inotify.max_user_watches", 524_288),
                ("user.max_inotify_watches", 8192),
            ],
        };
        assert_eq!(
            two.sysctl(),
            "sudo sysctl fs.inotify.max_user_watches=524288 user.max_inotify_watches=8192"
        );
        assert_eq!(
            two.file(),
            "printf '%s\\n' fs.inotify.max_user_watches=524288 user.max_inotify_watches=8192 \
             | sudo tee -a /etc/sysctl.d/90-inotify.conf"
        );
    }

    fn path(found: Found, fstype: &str) -> PathReport {
        PathReport {
            path: b"/t".to_vec(),
            found,
            mount: Some(parse::Mount {
                point: b"/".to_vec(),
                fstype: fstype.into(),
            }),
            fanotify: Ok(()),
        }
    }

    #[test]
    fn verdicts() {
        let tree = |d, s| Found::Tree {
            directories: d,
            skipped: s,
        };
        let table: &[(PathReport, u64, usize, usize)] = &[
            // (path, free watches, problems, warnings)
            (path(tree(10, 0), "ext4"), 10, 0, 0),
            (path(tree(11, 0), "ext4"), 10, 1, 0),
            (path(tree(3, 2), "ext4"), 10, 0, 1),
            (path(Found::File, "ext4"), 1, 0, 0),
            (path(Found::File, "ext4"), 0, 1, 0),
            (path(tree(1, 0), "nfs4"), 10, 0, 1),
            (path(tree(1, 0), "fuse.ntfs-3g"), 10, 0, 1),
            (path(tree(1, 0), "proc"), 10, 1, 0),
            (
                path(Found::Missing("No such file or directory".into()), "ext4"),
                10,
                1,
                0,
            ),
            (
                path(Found::Unreadable("Permission denied".into()), "ext4"),
                10,
                1,
                0,
            ),
        ];
        for (p, free, problems, warnings) in table {
            assert_eq!(p.problems(*free).len(), *problems, "{p:?} {free}");
            assert_eq!(p.warnings().len(), *warnings, "{p:?}");
        }
    }

    #[test]
    fn report_ok_and_raises() {
        let mut r = Report {
            uid: 0,
            user: None,
            kernel: "6.18.0".into(),
            watch_limits: vec![
                Limit {
                    key: "fs.inotify.max_user_watches",
                    value: 192_536,
                    used: 100,
                },
                Limit {
                    key: "user.max_inotify_watches",
                    value: 7,
                    used: 0,
                },
            ],
            instance_limits: vec![Limit {
                key: "fs.inotify.max_user_instances",
                value: 128,
                used: 3,
            }],
            max_queued_events: 16384,
            usage: Usage::default(),
            paths: vec![path(
                Found::Tree {
                    directories: 20,
                    skipped: 0,
                },
                "tmpfs",
            )],
        };
        assert_eq!(r.free_watches(), 7);
        assert_eq!(r.max_user_watches(), 7);
        assert!(!r.ok());
        assert_eq!(
            r.watches_raise(&r.paths[0]),
            Some(Raise {
                settings: vec![("user.max_inotify_watches", 8192)]
            })
        );
        assert_eq!(r.instances_raise(), None);
        r.watch_limits.pop();
        assert!(r.ok());
        assert_eq!(r.watches_raise(&r.paths[0]), None);
        r.instance_limits[0].used = 128;
        assert!(!r.ok());
        assert_eq!(
            r.instances_raise(),
            Some(Raise {
                settings: vec![("fs.inotify.max_user_instances", 256)]
            })
        );
    }
}
