//! The doctor's [`Report`] as text (aligned rows, `ok` / `warning:` / `problem:`) and as
//! one line of JSON (keys documented in the README, "`rinotify doctor`").

use std::fmt::Write as _;

use super::{Found, Limit, PathReport, Raise, Report};
use crate::json;

/// Holders listed in the text report; the rest are counted.
pub const HOLDERS_SHOWN: usize = 10;

/// Width of the row labels.
const LABEL: usize = 12;

fn row(out: &mut String, label: &str, text: &str) {
    let _ = writeln!(out, "  {label:<LABEL$} {text}");
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `1 process`, `2 processes`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn limit_rows(out: &mut String, label: &str, limits: &[Limit]) {
    for (i, l) in limits.iter().enumerate() {
        let text = format!(
            "{} ({}): {} in use, {} free",
            l.value,
            l.key,
            l.used,
            l.free()
        );
        row(out, if i == 0 { label } else { "" }, &text);
    }
}

fn raise_rows(out: &mut String, raise: &Raise) {
    row(out, "raise now", &raise.sysctl());
    row(out, "and at boot", &raise.file());
}

fn holder_rows(out: &mut String, r: &Report) {
    let holders = &r.usage.holders;
    if holders.is_empty() {
        row(out, "holders", "none");
        return;
    }
    let shown = &holders[..holders.len().min(HOLDERS_SHOWN)];
    let width = |head: &str, f: &dyn Fn(&super::Holder) -> u64| {
        shown
            .iter()
            .map(|h| f(h).to_string().len())
            .chain([head.len()])
            .max()
            .unwrap_or(0)
    };
    let (wp, wi, ww) = (
        width("PID", &|h| u64::from(h.pid)),
        width("INSTANCES", &|h| h.instances),
        width("WATCHES", &|h| h.watches),
    );
    row(
        out,
        "holders",
        &format!(
            "{:>wp$}  {:>wi$}  {:>ww$}  COMMAND",
            "PID", "INSTANCES", "WATCHES"
        ),
    );
    for h in shown {
        row(
            out,
            "",
            &format!(
                "{:>wp$}  {:>wi$}  {:>ww$}  {}",
                h.pid,
                h.instances,
                h.watches,
                lossy(&h.command)
            ),
        );
    }
    if holders.len() > shown.len() {
        row(
            out,
            "",
            &format!("… and {} more", holders.len() - shown.len()),
        );
    }
}

fn path_rows(out: &mut String, r: &Report, p: &PathReport) {
    let free = r.free_watches();
    let _ = writeln!(out, "\npath {}", lossy(&p.path));
    if let Found::Missing(e) = &p.found {
        row(out, "exists", &format!("problem: cannot be reached: {e}"));
        return;
    }
    match &p.mount {
        Some(m) => row(
            out,
            "filesystem",
            &format!("{} on {}", m.fstype, lossy(&m.point)),
        ),
        None => row(out, "filesystem", "unknown (not in /proc/self/mountinfo)"),
    }
    let v = p.verdict();
    let verdict = match v.note() {
        None => "ok: local filesystem".to_string(),
        Some(note) if v.works() => format!("warning: {note}"),
        Some(note) => format!("problem: {note}"),
    };
    row(out, "inotify", &verdict);
    match &p.found {
        Found::Unreadable(e) => row(out, "directories", &format!("problem: cannot be read: {e}")),
        Found::File => row(out, "directories", "none (a file: one watch)"),
        Found::Tree {
            directories,
            skipped: 0,
        } => row(out, "directories", &directories.to_string()),
        Found::Tree {
            directories,
            skipped,
        } => row(
            out,
            "directories",
            &format!(
                "{directories}; warning: {} cannot be listed: -r skips {}",
                plural(*skipped, "directory", "directories"),
                if *skipped == 1 { "it" } else { "them" }
            ),
        ),
        Found::Missing(_) => {}
    }
    if !matches!(p.found, Found::Unreadable(_)) {
        let needed = p.needed();
        if p.fits(free) {
            row(
                out,
                "watches",
                &format!("ok: -r needs {needed}, {free} free"),
            );
        } else {
            row(
                out,
                "watches",
                &format!("problem: -r needs {needed}, only {free} free"),
            );
        }
        if let Some(raise) = r.watches_raise(p) {
            raise_rows(out, &raise);
        }
    }
    match &p.fanotify {
        Ok(()) => row(out, "fanotify -S", "available"),
        Err(why) => row(out, "fanotify -S", &format!("unavailable: {why}")),
    }
}

/// The human-readable report.
pub fn text(r: &Report) -> Vec<u8> {
    let mut out = String::new();
    let who = match &r.user {
        Some(name) => format!("user {name}, uid {}", r.uid),
        None => format!("uid {}", r.uid),
    };
    let _ = writeln!(out, "inotify limits ({who}, kernel {})", r.kernel);
    limit_rows(&mut out, "watches", &r.watch_limits);
    limit_rows(&mut out, "instances", &r.instance_limits);
    row(
        &mut out,
        "queue",
        &format!(
            "{} events (fs.inotify.max_queued_events), per instance, not per user",
            r.max_queued_events
        ),
    );
    if r.instances_fit() {
        row(
            &mut out,
            "new watcher",
            &format!(
                "ok: {} free",
                plural(r.free_instances(), "instance", "instances")
            ),
        );
    } else {
        row(
            &mut out,
            "new watcher",
            "problem: no instance free: a new watcher fails (Too many open files)",
        );
    }
    if let Some(raise) = r.instances_raise() {
        raise_rows(&mut out, &raise);
    }
    holder_rows(&mut out, r);
    if r.usage.unreadable > 0 {
        row(
            &mut out,
            "unreadable",
            &format!(
                "{} of this user: not counted",
                plural(r.usage.unreadable, "process", "processes")
            ),
        );
    }
    for p in &r.paths {
        path_rows(&mut out, r, p);
    }
    let problems = r
        .paths
        .iter()
        .map(|p| p.problems(r.free_watches()).len())
        .sum::<usize>()
        + usize::from(!r.instances_fit());
    out.push('\n');
    if problems == 0 {
        out.push_str("ok: everything needed fits\n");
    } else {
        let _ = writeln!(
            out,
            "problem: {}",
            plural(problems as u64, "problem", "problems")
        );
    }
    out.into_bytes()
}

/// `"key":`
fn key(k: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

/// `"key":N`
fn num(k: &str, n: u64, out: &mut Vec<u8>) {
    key(k, out);
    json::uint(n, out);
}

/// `"key":"text"` (and `"key_base64"` when the bytes are not UTF-8).
fn text_field(k: &str, bytes: &[u8], out: &mut Vec<u8>) {
    key(k, out);
    let exact = json::string(bytes, out);
    json::base64_field(k, bytes, exact, out);
}

fn boolean(k: &str, b: bool, out: &mut Vec<u8>) {
    key(k, out);
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

fn strings(k: &str, items: &[String], out: &mut Vec<u8>) {
    key(k, out);
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json::string(s.as_bytes(), out);
    }
    out.push(b']');
}

fn raise_json(k: &str, raise: Option<Raise>, out: &mut Vec<u8>) {
    key(k, out);
    match raise {
        None => out.extend_from_slice(b"null"),
        Some(r) => {
            out.push(b'{');
            text_field("sysctl", r.sysctl().as_bytes(), out);
            out.push(b',');
            text_field("file", r.file().as_bytes(), out);
            out.push(b'}');
        }
    }
}

fn path_json(r: &Report, p: &PathReport, out: &mut Vec<u8>) {
    let free = r.free_watches();
    out.push(b'{');
    text_field("path", &p.path, out);
    out.push(b',');
    boolean("exists", p.exists(), out);
    out.push(b',');
    num("directories", p.directories(), out);
    out.push(b',');
    num("skipped", p.skipped(), out);
    out.push(b',');
    num("needed_watches", p.needed(), out);
    out.push(b',');
    num("free_watches", free, out);
    out.push(b',');
    boolean("fits", p.fits(free), out);
    out.push(b',');
    match &p.mount {
        Some(m) => {
            text_field("filesystem", m.fstype.as_bytes(), out);
            out.push(b',');
            text_field("mount_point", &m.point, out);
        }
        None => out.extend_from_slice(b"\"filesystem\":null,\"mount_point\":null"),
    }
    out.push(b',');
    let v = p.verdict();
    boolean("remote", v.remote(), out);
    out.push(b',');
    boolean("works", v.works(), out);
    out.push(b',');
    strings("warnings", &p.warnings(), out);
    out.push(b',');
    strings("problems", &p.problems(free), out);
    out.push(b',');
    key("fanotify", out);
    out.push(b'{');
    boolean("available", p.fanotify.is_ok(), out);
    out.push(b',');
    match &p.fanotify {
        Ok(()) => out.extend_from_slice(b"\"reason\":null"),
        Err(why) => text_field("reason", why.as_bytes(), out),
    }
    out.extend_from_slice(b"},");
    raise_json("raise", r.watches_raise(p), out);
    out.push(b'}');
}

/// The report as one line of JSON.
pub fn json(r: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"user\":{");
    num("uid", u64::from(r.uid), &mut out);
    out.push(b',');
    match &r.user {
        Some(name) => text_field("name", name.as_bytes(), &mut out),
        None => out.extend_from_slice(b"\"name\":null"),
    }
    out.extend_from_slice(b"},");
    text_field("kernel", r.kernel.as_bytes(), &mut out);
    out.push(b',');
    boolean("user_namespace", r.watch_limits.len() > 1, &mut out);
    out.extend_from_slice(b",\"limits\":{");
    num("max_user_watches", r.max_user_watches(), &mut out);
    out.push(b',');
    num("max_user_instances", r.max_user_instances(), &mut out);
    out.push(b',');
    num("max_queued_events", r.max_queued_events, &mut out);
    out.extend_from_slice(b"},\"settings\":[");
    for (i, l) in r.watch_limits.iter().chain(&r.instance_limits).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        text_field("key", l.key.as_bytes(), &mut out);
        out.push(b',');
        num("value", l.value, &mut out);
        out.push(b',');
        num("used", l.used, &mut out);
        out.push(b',');
        num("free", l.free(), &mut out);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"usage\":{");
    num("watches", r.usage.watches, &mut out);
    out.push(b',');
    num("instances", r.usage.instances, &mut out);
    out.push(b',');
    num("unreadable_processes", r.usage.unreadable, &mut out);
    out.extend_from_slice(b",\"holders\":[");
    for (i, h) in r.usage.holders.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        num("pid", u64::from(h.pid), &mut out);
        out.push(b',');
        text_field("command", &h.command, &mut out);
        out.push(b',');
        num("instances", h.instances, &mut out);
        out.push(b',');
        num("watches", h.watches, &mut out);
        out.push(b'}');
    }
    out.extend_from_slice(b"]},\"free\":{");
    num("watches", r.free_watches(), &mut out);
    out.push(b',');
    num("instances", r.free_instances(), &mut out);
    out.extend_from_slice(b"},\"instances\":{");
    boolean("fits", r.instances_fit(), &mut out);
    out.push(b',');
    raise_json("raise", r.instances_raise(), &mut out);
    out.extend_from_slice(b"},\"paths\":[");
    for (i, p) in r.paths.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        path_json(r, p, &mut out);
    }
    out.extend_from_slice(b"],");
    boolean("ok", r.ok(), &mut out);
    out.extend_from_slice(b"}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::parse::Mount;
    use super::super::{Holder, Usage};
    use super::*;

    fn mount(point: &str, fstype: &str) -> Option<Mount> {
        Some(Mount {
            point: point.as_bytes().to_vec(),
            fstype: fstype.into(),
        })
    }

    fn fixed() -> Report {
        let holders = (0..12)
            .map(|i| Holder {
                pid: 100 + i,
                command: if i == 1 {
                    b"odd\xffname".to_vec()
                } else {
                    format!("cmd{i}").into_bytes()
                },
                instances: 1,
                watches: u64::from(12_000 - i * 1000),
            })
            .collect();
        Report {
            uid: 0,
            user: Some("root".into()),
            kernel: "6.18.44".into(),
            watch_limits: vec![Limit {
                key: "fs.inotify.max_user_watches",
                value: 100_000,
                used: 78_000,
            }],
            instance_limits: vec![Limit {
                key: "fs.inotify.max_user_instances",
                value: 128,
                used: 12,
            }],
            max_queued_events: 16384,
            usage: Usage {
                watches: 78_000,
                instances: 12,
                unreadable: 2,
                holders,
            },
            paths: vec![
                PathReport {
                    path: b"/srv/data".to_vec(),
                    found: Found::Tree {
                        directories: 12_034,
                        skipped: 0,
                    },
                    mount: mount("/srv", "ext4"),
                    fanotify: Ok(()),
                },
                PathReport {
                    path: b"/home/u/big".to_vec(),
                    found: Found::Tree {
                        directories: 30_000,
                        skipped: 3,
                    },
                    mount: mount("/", "btrfs"),
                    fanotify: Err("needs root (CAP_SYS_ADMIN)".into()),
                },
                PathReport {
                    path: b"/mnt/share".to_vec(),
                    found: Found::Tree {
                        directories: 1,
                        skipped: 0,
                    },
                    mount: mount("/mnt/share", "fuse.sshfs"),
                    fanotify: Err("the filesystem reports a zero fsid".into()),
                },
                PathReport {
                    path: b"/proc".to_vec(),
                    found: Found::Tree {
                        directories: 1,
                        skipped: 1,
                    },
                    mount: mount("/proc", "proc"),
                    fanotify: Err("the filesystem does not support file handles".into()),
                },
                PathReport {
                    path: b"/etc/hosts".to_vec(),
                    found: Found::File,
                    mount: mount("/", "ext4"),
                    fanotify: Ok(()),
                },
                PathReport {
                    path: b"/no\xffpe".to_vec(),
                    found: Found::Missing("No such file or directory".into()),
                    mount: None,
                    fanotify: Err("No such file or directory".into()),
                },
            ],
        }
    }

    #[test]
    fn text_report() {
        let want = "\
inotify limits (user root, uid 0, kernel 6.18.44)
  watches      100000 (fs.inotify.max_user_watches): 78000 in use, 22000 free
  instances    128 (fs.inotify.max_user_instances): 12 in use, 116 free
  queue        16384 events (fs.inotify.max_queued_events), per instance, not per user
  new watcher  ok: 116 instances free
  holders      PID  INSTANCES  WATCHES  COMMAND
               100          1    12000  cmd0
               101          1    11000  odd\u{fffd}name
               102          1    10000  cmd2
               103          1     9000  cmd3
               104          1     8000  cmd4
               105          1     7000  cmd5
               106          1     6000  cmd6
               107          1     5000  cmd7
               108          1     4000  cmd8
               109          1     3000  cmd9
               … and 2 more
  unreadable   2 processes of this user: not counted

path /srv/data
  filesystem   ext4 on /srv
  inotify      ok: local filesystem
  directories  12034
  watches      ok: -r needs 12034, 22000 free
  fanotify -S  available

path /home/u/big
  filesystem   btrfs on /
  inotify      ok: local filesystem
  directories  30000; warning: 3 directories cannot be listed: -r skips them
  watches      problem: -r needs 30000, only 22000 free
  raise now    sudo sysctl fs.inotify.max_user_watches=262144
  and at boot  echo fs.inotify.max_user_watches=262144 | sudo tee -a /etc/sysctl.d/90-inotify.conf
  fanotify -S  unavailable: needs root (CAP_SYS_ADMIN)

path /mnt/share
  filesystem   fuse.sshfs on /mnt/share
  inotify      warning: remote or shared filesystem: changes made on other machines are not seen
  directories  1
  watches      ok: -r needs 1, 22000 free
  fanotify -S  unavailable: the filesystem reports a zero fsid

path /proc
  filesystem   proc on /proc
  inotify      problem: inotify reports nothing here: the kernel changes these files without events
  directories  1; warning: 1 directory cannot be listed: -r skips it
  watches      ok: -r needs 1, 22000 free
  fanotify -S  unavailable: the filesystem does not support file handles

path /etc/hosts
  filesystem   ext4 on /
  inotify      ok: local filesystem
  directories  none (a file: one watch)
  watches      ok: -r needs 1, 22000 free
  fanotify -S  available

path /no\u{fffd}pe
  exists       problem: cannot be reached: No such file or directory

problem: 3 problems
";
        assert_eq!(String::from_utf8(text(&fixed())).unwrap(), want);
    }

    #[test]
    fn text_report_when_all_fits() {
        let mut r = fixed();
        r.paths.truncate(1);
        r.usage.holders.clear();
        r.usage.unreadable = 0;
        let want = "\
inotify limits (user root, uid 0, kernel 6.18.44)
  watches      100000 (fs.inotify.max_user_watches): 78000 in use, 22000 free
  instances    128 (fs.inotify.max_user_instances): 12 in use, 116 free
  queue        16384 events (fs.inotify.max_queued_events), per instance, not per user
  new watcher  ok: 116 instances free
  holders      none

path /srv/data
  filesystem   ext4 on /srv
  inotify      ok: local filesystem
  directories  12034
  watches      ok: -r needs 12034, 22000 free
  fanotify -S  available

ok: everything needed fits
";
        assert_eq!(String::from_utf8(text(&r)).unwrap(), want);
    }

    #[test]
    fn text_report_in_a_user_namespace_out_of_instances() {
        let mut r = fixed();
        r.paths.clear();
        r.usage.holders.truncate(1);
        r.usage.unreadable = 1;
        r.user = None;
        r.uid = 1000;
        r.watch_limits.push(Limit {
            key: "user.max_inotify_watches",
            value: 7,
            used: 0,
        });
        r.instance_limits[0].used = 128;
        let want = "\
inotify limits (uid 1000, kernel 6.18.44)
  watches      100000 (fs.inotify.max_user_watches): 78000 in use, 22000 free
               7 (user.max_inotify_watches): 0 in use, 7 free
  instances    128 (fs.inotify.max_user_instances): 128 in use, 0 free
  queue        16384 events (fs.inotify.max_queued_events), per instance, not per user
  new watcher  problem: no instance free: a new watcher fails (Too many open files)
  raise now    sudo sysctl fs.inotify.max_user_instances=256
  and at boot  echo fs.inotify.max_user_instances=256 | sudo tee -a /etc/sysctl.d/90-inotify.conf
  holders      PID  INSTANCES  WATCHES  COMMAND
               100          1    12000  cmd0
  unreadable   1 process of this user: not counted

problem: 1 problem
";
        assert_eq!(String::from_utf8(text(&r)).unwrap(), want);
    }

    #[test]
    fn json_report() {
        let mut r = fixed();
        r.usage.holders.truncate(2);
        r.paths.swap_remove(0);
        r.paths.truncate(2);
        let got = String::from_utf8(json(&r)).unwrap();
        let want = concat!(
            r#"{"user":{"uid":0,"name":"root"},"kernel":"6.18.44","user_namespace":false,"#,
            r#""limits":{"max_user_watches":100000,"max_user_instances":128,"max_queued_events":16384},"#,
            r#""settings":[{"key":"fs.inotify.max_user_watches","value":100000,"used":78000,"free":22000},"#,
            r#"{"key":"fs.inotify.max_user_instances","value":128,"used":12,"free":116}],"#,
            r#""usage":{"watches":78000,"instances":12,"unreadable_processes":2,"holders":["#,
            r#"{"pid":100,"command":"cmd0","instances":1,"watches":12000},"#,
            "{\"pid\":101,\"command\":\"odd\u{fffd}name\",\"command_base64\":\"b2Rk/25hbWU=\",\"instances\":1,\"watches\":11000}]},",
            r#""free":{"watches":22000,"instances":116},"instances":{"fits":true,"raise":null},"#,
            "\"paths\":[{\"path\":\"/no\u{fffd}pe\",\"path_base64\":\"L25v/3Bl\",\"exists\":false,",
            r#""directories":0,"skipped":0,"needed_watches":0,"free_watches":22000,"fits":false,"#,
            r#""filesystem":null,"mount_point":null,"remote":false,"works":true,"warnings":[],"#,
            r#""problems":["cannot be reached: No such file or directory"],"#,
            r#""fanotify":{"available":false,"reason":"No such file or directory"},"raise":null},"#,
            r#"{"path":"/home/u/big","exists":true,"directories":30000,"skipped":3,"#,
            r#""needed_watches":30000,"free_watches":22000,"fits":false,"filesystem":"btrfs","#,
            r#""mount_point":"/","remote":false,"works":true,"#,
            r#""warnings":["3 directories cannot be listed: -r skips them"],"#,
            r#""problems":["-r needs 30000 watches, 22000 free"],"#,
            r#""fanotify":{"available":false,"reason":"needs root (CAP_SYS_ADMIN)"},"#,
            r#""raise":{"sysctl":"sudo sysctl fs.inotify.max_user_watches=262144","#,
            r#""file":"echo fs.inotify.max_user_watches=262144 | sudo tee -a /etc/sysctl.d/90-inotify.conf"}}],"#,
            r#""ok":false}"#,
            "\n"
        );
        assert_eq!(got, want);
        let v: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(v["paths"][1]["directories"], 30000);
    }
}
