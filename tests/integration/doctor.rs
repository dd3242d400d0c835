//! `rinotify doctor`: limits, usage, filesystem checks, exit status (kernel tests).
//!
//! Limits are lowered only inside a private user namespace (`unshare -Ur`, as
//! faults.rs does), and filesystems are mounted only inside a private mount namespace
//! (`unshare -m`): nothing global changes, and nothing is left behind if a test dies.
//! Each run ends by itself under the harness's hard deadline.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::live::Live;
use crate::util::{self, Outcome, Run};

const GROUP: &str = "rinotify-doctor";

/// `PROGRAM ARGS` in `dir` (argv[0] the program's name), to its end.
fn run_in(dir: &Path, program: &OsStr, args: &[&OsStr]) -> Outcome {
    let mut run = Run::new(program, dir);
    run.argv0 = program.into();
    run.args = args.iter().map(|a| a.to_os_string()).collect();
    let o = util::execute(&run);
    assert!(o.problems.is_empty(), "{}", util::dump("doctor", &o));
    if let Some(mark) = util::crash_marks(&o.stderr) {
        panic!("doctor crashed ({mark:?})\n{}", util::dump("doctor", &o));
    }
    o
}

/// `rinotify doctor ARGS` in `dir`.
fn doctor(dir: &Path, args: &[&str]) -> Outcome {
    let ours = util::ours();
    let mut all: Vec<&OsStr> = vec![OsStr::new("doctor")];
    all.extend(args.iter().map(OsStr::new));
    run_in(dir, ours.as_os_str(), &all)
}

/// `PREFIX… sh -c SCRIPT sh ARGS…`, where SCRIPT ends with `exec "$@"` on the doctor:
/// `"$@"` is `rinotify doctor ARGS`.
fn wrapped(dir: &Path, prefix: &[&str], script: &str, args: &[&str]) -> Outcome {
    let ours = util::ours();
    let mut all: Vec<&OsStr> = prefix[1..].iter().map(OsStr::new).collect();
    all.extend(["sh", "-c", script, "sh"].map(OsStr::new));
    all.push(ours.as_os_str());
    all.push(OsStr::new("doctor"));
    all.extend(args.iter().map(OsStr::new));
    run_in(dir, OsStr::new(prefix[0]), &all)
}

fn stdout(o: &Outcome) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The one JSON document of a `--json` run.
#[track_caller]
fn parsed(o: &Outcome) -> Value {
    let text = stdout(o);
    assert_eq!(text.matches('\n').count(), 1, "one line expected:\n{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Whether `script` succeeds here (run in `dir`); prints why a test is skipped if not.
fn can(dir: &Path, script: &str) -> bool {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipped: this machine cannot run `{script}`");
    }
    ok
}

fn sysctl(name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/sys/fs/inotify/{name}"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Every documented key, with the type it has.
#[track_caller]
fn assert_documented_keys(v: &Value) {
    let obj = |v: &Value, keys: &[&str]| {
        for k in keys {
            assert!(v.get(k).is_some(), "key {k} missing in {v}");
        }
    };
    obj(
        v,
        &[
            "user",
            "kernel",
            "user_namespace",
            "limits",
            "settings",
            "usage",
            "free",
            "instances",
            "paths",
            "ok",
        ],
    );
    obj(&v["user"], &["uid", "name"]);
    obj(
        &v["limits"],
        &[
            "max_user_watches",
            "max_user_instances",
            "max_queued_events",
        ],
    );
    for s in v["settings"].as_array().unwrap() {
        obj(s, &["key", "value", "used", "free"]);
    }
    obj(
        &v["usage"],
        &["watches", "instances", "unreadable_processes", "holders"],
    );
    for h in v["usage"]["holders"].as_array().unwrap() {
        obj(h, &["pid", "command", "instances", "watches"]);
    }
    obj(&v["free"], &["watches", "instances"]);
    obj(&v["instances"], &["fits", "raise"]);
    for p in v["paths"].as_array().unwrap() {
        obj(
            p,
            &[
                "path",
                "exists",
                "directories",
                "skipped",
                "needed_watches",
                "free_watches",
                "fits",
                "filesystem",
                "mount_point",
                "remote",
                "works",
                "warnings",
                "problems",
                "fanotify",
                "raise",
            ],
        );
        obj(&p["fanotify"], &["available", "reason"]);
        if !p["raise"].is_null() {
            obj(&p["raise"], &["sysctl", "file"]);
        }
    }
    assert!(v["ok"].is_boolean());
}

/// The limits printed are /proc's, and an `inotifywait -m -r` of this test holding an
/// instance with K watches is among the holders, with K watches.
#[test]
fn limits_and_a_holder() {
    let dir = util::fresh_dir(GROUP, "holder");
    util::setup(&dir, "mkdir -p t/a/b t/c t/d");
    const K: u64 = 5;
    let live = Live::start("inotifywait", &["-m", "-r", "t"], &dir);
    live.wait_stderr("Watches established.");
    let pid = live.child.id();

    let o = doctor(&dir, &["--json"]);
    let v = parsed(&o);
    assert_documented_keys(&v);
    if v["user_namespace"] == false {
        assert_eq!(v["limits"]["max_user_watches"], sysctl("max_user_watches"));
        assert_eq!(
            v["limits"]["max_user_instances"],
            sysctl("max_user_instances")
        );
    }
    assert_eq!(
        v["limits"]["max_queued_events"],
        sysctl("max_queued_events")
    );
    let holders = v["usage"]["holders"].as_array().unwrap();
    let ours = holders
        .iter()
        .find(|h| h["pid"] == pid)
        .unwrap_or_else(|| panic!("pid {pid} not among the holders: {v}"));
    assert_eq!(ours["watches"], K, "{ours}");
    assert_eq!(ours["instances"], 1, "{ours}");
    assert_eq!(ours["command"], "rinotify", "comm is the executable's name");
    assert!(v["usage"]["watches"].as_u64().unwrap() >= K);
    // Most watches first.
    let counts: Vec<u64> = holders
        .iter()
        .map(|h| h["watches"].as_u64().unwrap())
        .collect();
    assert!(counts.is_sorted_by(|a, b| a >= b), "{counts:?}");
    assert_eq!(v["paths"], Value::Array(Vec::new()));

    let text = stdout(&doctor(&dir, &[]));
    let watches = format!(
        "  watches      {} (fs.inotify.max_user_watches): ",
        sysctl("max_user_watches")
    );
    assert!(text.contains(&watches), "{text}");
    assert!(
        text.contains("(fs.inotify.max_queued_events), per instance, not per user"),
        "{text}"
    );
    drop(live);
    util::wipe(&dir);
}

/// A tree of D directories needs D watches: symlinks below are not followed, a symlink
/// given as the PATH is, a file needs one; exit 0 when it fits.
#[test]
fn directories_of_a_tree() {
    let dir = util::fresh_dir(GROUP, "tree");
    util::setup(
        &dir,
        "mkdir -p t/a/b/c t/d t/e/f other/x/y && touch t/file t/a/g && \
         ln -s ../other t/link && ln -s t top",
    );
    const D: u64 = 7;
    for path in ["t", "top", "t/"] {
        let o = doctor(&dir, &["--json", path]);
        let v = parsed(&o);
        let p = &v["paths"][0];
        assert_eq!(p["path"], path);
        assert_eq!(p["directories"], D, "{path}: {p}");
        assert_eq!(p["needed_watches"], D, "{path}: {p}");
        assert_eq!(p["skipped"], 0);
        assert_eq!(p["fits"], true);
        assert_eq!(p["raise"], Value::Null);
        assert_eq!(o.status, Some(0), "{}", util::dump("doctor", &o));
    }
    let v = parsed(&doctor(&dir, &["--json", "t/file"]));
    assert_eq!(v["paths"][0]["directories"], 0);
    assert_eq!(v["paths"][0]["needed_watches"], 1);

    let o = doctor(&dir, &["t"]);
    let text = stdout(&o);
    assert!(text.contains("\npath t\n"), "{text}");
    assert!(text.contains(&format!("  directories  {D}\n")), "{text}");
    assert!(
        text.contains(&format!("  watches      ok: -r needs {D}, ")),
        "{text}"
    );
    assert!(text.ends_with("\nok: everything needed fits\n"), "{text}");
    util::wipe(&dir);
}

/// `max_inotify_watches` lowered below what the tree needs (in a private user
/// namespace): exit 1, with the sysctl command and the sysctl.d line; raised above it:
/// exit 0. No instance left: exit 1 with the instances' commands.
#[test]
fn limits_too_low_in_a_user_namespace() {
    let dir = util::fresh_dir(GROUP, "limits");
    if !can(
        &dir,
        "unshare -Ur sh -c 'echo 7 > /proc/sys/user/max_inotify_watches'",
    ) {
        return;
    }
    // 20 directories.
    util::setup(
        &dir,
        "mkdir t && cd t && for i in $(seq 1 19); do mkdir d$i; done",
    );
    let limited = |limit: u32, json: bool| {
        let args: &[&str] = if json { &["--json", "t"] } else { &["t"] };
        wrapped(
            &dir,
            &["unshare", "-Ur"],
            &format!(r#"echo {limit} > /proc/sys/user/max_inotify_watches || exit 99; exec "$@""#),
            args,
        )
    };
    let o = limited(7, false);
    assert_eq!(o.status, Some(1), "{}", util::dump("doctor", &o));
    let text = stdout(&o);
    for want in [
        "               7 (user.max_inotify_watches): 0 in use, 7 free\n",
        "  watches      problem: -r needs 20, only 7 free\n",
        "  raise now    sudo sysctl user.max_inotify_watches=8192\n",
        "  and at boot  echo user.max_inotify_watches=8192 | sudo tee -a /etc/sysctl.d/90-inotify.conf\n",
        "\nproblem: 1 problem\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }

    let o = limited(7, true);
    assert_eq!(o.status, Some(1));
    let v = parsed(&o);
    assert_documented_keys(&v);
    assert_eq!(v["user_namespace"], true);
    assert_eq!(v["limits"]["max_user_watches"], 7);
    assert_eq!(v["ok"], false);
    let p = &v["paths"][0];
    assert_eq!(p["fits"], false);
    assert_eq!(p["needed_watches"], 20);
    assert_eq!(p["free_watches"], 7);
    assert_eq!(
        p["raise"]["sysctl"],
        "sudo sysctl user.max_inotify_watches=8192"
    );
    assert_eq!(
        p["raise"]["file"],
        "echo user.max_inotify_watches=8192 | sudo tee -a /etc/sysctl.d/90-inotify.conf"
    );

    let o = limited(20, true);
    assert_eq!(o.status, Some(0), "{}", util::dump("doctor", &o));
    let v = parsed(&o);
    assert_eq!(v["paths"][0]["fits"], true);
    assert_eq!(v["paths"][0]["raise"], Value::Null);
    assert_eq!(v["ok"], true);

    // No instance left: a new watcher would fail with EMFILE.
    let o = wrapped(
        &dir,
        &["unshare", "-Ur"],
        r#"echo 0 > /proc/sys/user/max_inotify_instances || exit 99; exec "$@""#,
        &[],
    );
    assert_eq!(o.status, Some(1), "{}", util::dump("doctor", &o));
    let text = stdout(&o);
    for want in [
        "  new watcher  problem: no instance free: a new watcher fails (Too many open files)\n",
        "  raise now    sudo sysctl user.max_inotify_instances=128\n",
        "  and at boot  echo user.max_inotify_instances=128 | sudo tee -a /etc/sysctl.d/90-inotify.conf\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    util::wipe(&dir);
}

/// `rinotify doctor --json PATH` run after `setup` inside a private mount namespace
/// (`unshare -m`, real root kept): the mount goes with the namespace.
fn in_mount_namespace(dir: &Path, setup: &str, path: &str) -> Outcome {
    wrapped(
        dir,
        &["unshare", "-m"],
        &format!("{setup} || exit 99; exec \"$@\""),
        &["--json", path],
    )
}

/// tmpfs and a loop-mounted ext4 are local (no warning, fanotify `-S` available as
/// root); /proc and /sys are problems (exit 1).
#[test]
fn filesystem_types() {
    let dir = util::fresh_dir(GROUP, "fstypes");
    if can(
        &dir,
        "mkdir -p m && unshare -m sh -c 'mount -t tmpfs none m'",
    ) {
        let o = in_mount_namespace(&dir, "mount -t tmpfs none m && mkdir -p m/a/b", "m");
        assert_eq!(o.status, Some(0), "{}", util::dump("doctor", &o));
        let v = parsed(&o);
        let p = &v["paths"][0];
        assert_eq!(p["filesystem"], "tmpfs", "{p}");
        assert_eq!(p["mount_point"], dir.join("m").to_str().unwrap(), "{p}");
        assert_eq!(p["directories"], 3);
        assert_eq!(p["warnings"], Value::Array(Vec::new()));
        assert_eq!(p["remote"], false);
        assert_eq!(p["works"], true);
        if v["user"]["uid"] == 0 {
            assert_eq!(p["fanotify"]["available"], true, "{p}");
            assert_eq!(p["fanotify"]["reason"], Value::Null);
        }
    }
    if util::which("mkfs.ext4").is_some()
        && can(
            &dir,
            "rm -f img && truncate -s 8M img && mkfs.ext4 -q -F img && mkdir -p e && \
             unshare -m sh -c 'mount -o loop img e'",
        )
    {
        let o = in_mount_namespace(&dir, "mount -o loop img e", "e");
        assert_eq!(o.status, Some(0), "{}", util::dump("doctor", &o));
        let p = &parsed(&o)["paths"][0];
        assert_eq!(p["filesystem"], "ext4", "{p}");
        // The top and lost+found.
        assert_eq!(p["directories"], 2, "{p}");
        assert_eq!(p["warnings"], Value::Array(Vec::new()));
        assert_eq!(p["fanotify"]["available"], true, "{p}");
    }
    for (path, fstype) in [("/proc", "proc"), ("/sys", "sysfs")] {
        let o = doctor(&dir, &["--json", path]);
        assert_eq!(o.status, Some(1), "{path}: {}", util::dump("doctor", &o));
        let v = parsed(&o);
        let p = &v["paths"][0];
        assert_eq!(p["filesystem"], fstype, "{p}");
        assert_eq!(p["works"], false, "{p}");
        assert_eq!(v["ok"], false);
        let problems = p["problems"].to_string();
        assert!(problems.contains("inotify reports nothing here"), "{p}");
    }
    let text = stdout(&doctor(&dir, &["/proc"]));
    assert!(
        text.contains(
            "  inotify      problem: inotify reports nothing here: the kernel changes these \
             files without events\n"
        ),
        "{text}"
    );
    util::wipe(&dir);
}

/// A missing PATH: exit 1 and a clear line; a non-UTF-8 name: lossy text plus the exact
/// bytes in `path_base64`.
#[test]
fn missing_and_odd_paths() {
    let dir = util::fresh_dir(GROUP, "odd");
    let odd = OsStr::from_bytes(b"caf\xe9");
    std::fs::create_dir_all(dir.join(odd).join("sub")).unwrap();

    let o = doctor(&dir, &["nope"]);
    assert_eq!(o.status, Some(1), "{}", util::dump("doctor", &o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "\npath nope\n  exists       problem: cannot be reached: No such file or directory\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("\nproblem: 1 problem\n"), "{text}");

    let ours = util::ours();
    let args: Vec<&OsStr> = vec![
        OsStr::new("doctor"),
        OsStr::new("--json"),
        odd,
        OsStr::new("nope"),
    ];
    let o = run_in(&dir, ours.as_os_str(), &args);
    assert_eq!(o.status, Some(1));
    let v = parsed(&o);
    assert_documented_keys(&v);
    let p = &v["paths"][0];
    assert_eq!(p["path"], "caf\u{fffd}");
    assert_eq!(p["path_base64"], "Y2Fm6Q==");
    assert_eq!(p["exists"], true);
    assert_eq!(p["directories"], 2);
    assert_eq!(p["problems"], Value::Array(Vec::new()));
    let missing = &v["paths"][1];
    assert_eq!(missing["exists"], false);
    assert_eq!(missing["fits"], false);
    assert_eq!(missing["filesystem"], Value::Null);
    assert_eq!(
        missing["problems"][0],
        "cannot be reached: No such file or directory"
    );
    assert_eq!(v["ok"], false);
    util::wipe(&dir);
}

/// As an unprivileged user: fanotify `-S` needs privilege (not a failure: exit 0), and
/// a directory that user cannot list is counted as skipped.
#[test]
fn unprivileged_user() {
    let dir = util::fresh_dir(GROUP, "unprivileged");
    const SETPRIV: &[&str] = &[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    if !can(
        &dir,
        "setpriv --reuid=65534 --regid=65534 --clear-groups true",
    ) {
        return;
    }
    util::setup(
        &dir,
        "mkdir -p t/a/b t/closed/inner && chmod 755 . t t/a t/a/b && chmod 000 t/closed",
    );
    let o = wrapped(&dir, SETPRIV, r#"exec "$@""#, &["--json", "t"]);
    assert_eq!(o.status, Some(0), "{}", util::dump("doctor", &o));
    let v = parsed(&o);
    assert_eq!(v["user"]["uid"], 65534);
    let p = &v["paths"][0];
    assert_eq!(p["directories"], 3, "{p}");
    assert_eq!(p["skipped"], 1, "{p}");
    assert_eq!(
        p["warnings"][0], "1 directory cannot be listed: -r skips it",
        "{p}"
    );
    assert_eq!(p["fanotify"]["available"], false, "{p}");
    assert_eq!(p["fanotify"]["reason"], "needs root (CAP_SYS_ADMIN)", "{p}");

    let text = stdout(&wrapped(&dir, SETPRIV, r#"exec "$@""#, &["t"]));
    assert!(
        text.contains("  fanotify -S  unavailable: needs root (CAP_SYS_ADMIN)\n"),
        "{text}"
    );
    util::wipe(&dir);
}

/// `--help` documents the command (exit 0); an unknown option is clap's message and
/// exit 1, never clap's 2 (a timeout here).
#[test]
fn help_and_usage_errors() {
    let dir = util::fresh_dir(GROUP, "usage");
    let o = doctor(&dir, &["--help"]);
    assert_eq!(o.status, Some(0));
    let text = stdout(&o);
    for want in [
        "--json",
        "[PATH]...",
        "Exit status",
        "max_user_watches",
        "-S",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    let o = doctor(&dir, &["--bogus"]);
    assert_eq!(o.status, Some(1), "{}", util::dump("doctor", &o));
    assert!(o.stdout.is_empty());
    let err = o.stderr_text();
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
    util::wipe(&dir);
}
