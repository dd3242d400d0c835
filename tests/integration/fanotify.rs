//! fanotify mode (`-F`, `-S`, the `fsnotify*` names) against the real kernel, as root:
//! differential scenarios against upstream's 4.25.9 build (`/opt/inotify-tools-4`,
//! built by `.ci/run`; its stdout debug lines `[fid=…]` are dropped before comparing,
//! policy 5), and ours alone where we go further: recursion without loss, renames,
//! `-S` kept to the paths given on a loop-mounted ext4 image, flat fds, unprivileged
//! marks, overflow.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::live::Live;
use crate::scenario::{Sc, differential, run_once, s, w};
use crate::util::{self, fresh_dir};

const GROUP: &str = "rinotify-fanotify";
/// Upstream's latest, built by `.ci/run` with `build-inotify-tools-4.sh`.
const REF4_FSWAIT: &str = "/opt/inotify-tools-4/bin/fsnotifywait";
const REF4_FSWATCH: &str = "/opt/inotify-tools-4/bin/fsnotifywatch";
const REF4_WAIT: &str = "/opt/inotify-tools-4/bin/inotifywait";

/// Upstream's warts we do not reproduce, removed from both outputs: the
/// `[fid=…;name='…'] <path>` debug line on stdout for each new handle (policy 5), and
/// ` (deleted)` glued to the name of an entry gone by the time it resolved the handle
/// (`%f` is the entry's name; whether upstream adds it depends on timing).
fn no_fid_lines(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in b.split_inclusive(|&c| c == b'\n') {
        if l.starts_with(b"[fid=") {
            continue;
        }
        match l.strip_suffix(b" (deleted)\n") {
            Some(head) => {
                out.extend_from_slice(head);
                out.push(b'\n');
            }
            None => out.extend_from_slice(l),
        }
    }
    out
}

/// `fsnotifywait ARGS`, compared with 4.25.9's fsnotifywait.
fn fw<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Sc {
    let mut sc = w(args).argv0("fsnotifywait").norm(no_fid_lines);
    sc.reference = REF4_FSWAIT;
    sc
}

/// Runs ours once as `argv0 ARGS` in `dir`, to completion.
fn ours_as(argv0: &str, args: &[&str], dir: &Path) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    Command::new(util::ours())
        .arg0(argv0)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run ours")
}

/// Whether fanotify with file names works on this kernel for ours (else the tests say
/// why they skip). Probed once per test run.
fn fanotify_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *AVAILABLE.get_or_init(|| {
        let dir = fresh_dir(GROUP, "probe");
        let o = ours_as(
            "fsnotifywait",
            &["-q", "-t", "1", "-e", "create", "."],
            &dir,
        );
        util::wipe(&dir);
        !String::from_utf8_lossy(&o.stderr).contains("Couldn't initialize fanotify")
    });
    if !ok {
        println!("skipped: fanotify with file names is not available on this kernel");
    }
    ok
}

macro_rules! fan_differential {
    ($($name:ident => $sc:expr;)*) => {
        $(
            #[test]
            fn $name() {
                if fanotify_available() {
                    differential(concat!("fan_", stringify!($name)), $sc);
                }
            }
        )*
    };
}

// Single deterministic events (the kernel merges events on one object, so only these
// compare byte for byte; ends after the first event unless -m).
fan_differential! {
    create_file => fw(["-e", "create", "w"]).fx("mkdir w").est().sh("touch w/x");
    create_dir => fw(["-e", "create", "w"]).fx("mkdir w").est().sh("mkdir w/d");
    create_absolute_path => fw(["-e", "create", "{dir}/w/"]).fx("mkdir w").est().sh("touch w/x");
    delete_file => fw(["-e", "delete", "w"]).fx("mkdir w && touch w/x").est().sh("rm w/x");
    delete_dir => fw(["-e", "delete", "w"]).fx("mkdir -p w/d").est().sh("rmdir w/d");
    moved_from => fw(["-e", "moved_from", "w"]).fx("mkdir w && touch w/x").est().sh("mv w/x w/y");
    moved_to => fw(["-e", "moved_to", "w"]).fx("mkdir w && touch w/x").est().sh("mv w/x w/y");
    moved_to_dir => fw(["-e", "moved_to", "w"]).fx("mkdir -p w/d").est().sh("mv w/d w/e");
    attrib => fw(["-e", "attrib", "w"]).fx("mkdir w && touch w/x").est().sh("chmod 600 w/x");
    modify => fw(["-e", "modify", "w"]).fx("mkdir w && touch w/x").est().sh("echo a >> w/x");
    close_write => fw(["-e", "close_write", "w"]).fx("mkdir w && touch w/x").est().sh("echo a >> w/x");
    format_directives => fw(["--format", "%w|%f|%e|%Xe|%,e", "-e", "create", "w"])
        .fx("mkdir w").est().sh("mkdir w/d");
    // (A name needing quotes is left out: upstream then quotes %w too, looking past
    // the end of the directory part for a comma.)
    csv => fw(["-c", "-e", "create", "w"]).fx("mkdir w").est().sh("touch w/x");
    quiet_timeout => fw(["-q", "-t", "1", "-e", "create", "w"]).fx("mkdir w");
    timeout_banners => fw(["-t", "1", "-e", "delete", "w"]).fx("mkdir w");
    monitor_two_events => fw(["-m", "-e", "create", "w"]).fx("mkdir w").est()
        .sh("touch w/a").out("a\n").sh("touch w/b").end("b\n");
    no_such_path => fw(["nonexist"]);
    filesystem_no_such_path => fw(["-S", "nonexist"]);
    inotify_option_under_fsnotify_name => fw(["-I", "-e", "create", "w"]).fx("mkdir w").est()
        .sh("touch w/x");
    inotifywait_dash_f => {
        let mut sc = w(["-F", "-e", "create", "w"]).fx("mkdir w").est().sh("touch w/x")
            .norm(no_fid_lines);
        sc.reference = REF4_WAIT;
        sc
    };
    inotifywait_long_fanotify => {
        let mut sc = w(["--fanotify", "-c", "-e", "moved_to", "w"]).fx("mkdir w && touch w/x")
            .est().sh("mv w/x w/y").norm(no_fid_lines);
        sc.reference = REF4_WAIT;
        sc
    };
    fsnotifywatch_no_such_path => {
        let mut sc = s(["nonexist"]).argv0("fsnotifywatch");
        sc.reference = REF4_FSWATCH;
        sc
    };
    fsnotifywatch_filesystem_no_such_path => {
        let mut sc = s(["-S", "nonexist"]).argv0("fsnotifywatch");
        sc.reference = REF4_FSWATCH;
        sc
    };
    fsnotifywatch_no_events => {
        let mut sc = s(["-t", "1", "w"]).argv0("fsnotifywatch").fx("mkdir w");
        sc.reference = REF4_FSWATCH;
        sc
    };
}

/// A 32 MB ext4 image made by the test and loop-mounted at `mnt`, unmounted in every
/// outcome (upstream's own tests do the same).
struct LoopFs {
    dir: PathBuf,
    mnt: PathBuf,
}

impl LoopFs {
    fn new(name: &str) -> Option<LoopFs> {
        let dir = fresh_dir(GROUP, name);
        let ok = Command::new("sh")
            .arg("-c")
            .arg(
                "truncate -s 32M img && mkfs.ext4 -q -F img && mkdir mnt && \
                 mount -o loop img mnt",
            )
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        let fs = LoopFs {
            mnt: dir.join("mnt"),
            dir,
        };
        if !ok {
            println!("skipped: cannot loop-mount an ext4 image here (needs root and /dev/loop*)");
            return None;
        }
        Some(fs)
    }

    fn sh(&self, script: &str) {
        util::setup(&self.mnt, script);
    }
}

impl Drop for LoopFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
        util::wipe(&self.dir);
    }
}

fn lines_of(out: &str) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for l in out.lines() {
        *m.entry(l).or_insert(0) += 1;
    }
    m
}

fn path(p: &Path) -> String {
    p.to_str().expect("utf-8 temp path").to_string()
}

/// `-S` reports only what happens under the paths given, recursively, at the cost of
/// one mark; directories renamed inside keep their names right, ones moved out fall
/// silent, ones moved back in are heard again. Each line reaches the pipe at once.
#[test]
fn filesystem_mark_is_kept_to_the_paths_given() {
    subtree_case("subtree", &[]);
}

/// The same without `FAN_RENAME` (as before Linux 5.17): a directory move makes `-S`
/// forget what it learned and find it again from the handles.
#[test]
fn filesystem_mark_without_fan_rename() {
    subtree_case("subtree-norename", &[("RINOTIFY_FANOTIFY_NO_RENAME", "1")]);
}

fn subtree_case(name: &str, env: &[(&str, &str)]) {
    if !fanotify_available() {
        return;
    }
    let Some(fs) = LoopFs::new(name) else {
        return;
    };
    fs.sh("mkdir -p a/b other");
    let a = path(&fs.mnt.join("a"));
    let m = path(&fs.mnt);
    let live = Live::start_env(
        "fsnotifywait",
        &["-S", "-m", "-e", "create", "--format", "%w%f", &a],
        &fs.dir,
        env,
    );
    live.wait_stderr("Watches established.\n");
    assert_eq!(util::watch_count(live.child.id()), 1, "one filesystem mark");
    fs.sh("touch other/z a/x");
    live.wait_stdout(&format!("{a}/x\n"));
    fs.sh("touch a/b/y");
    live.wait_stdout(&format!("{a}/b/y\n"));
    fs.sh("mv a/b a/c && touch a/c/q");
    live.wait_stdout(&format!("{a}/c/q\n"));
    fs.sh("mv a/c other/c && touch other/c/out other/in && mv other/c a/back && touch a/back/r");
    live.wait_stdout(&format!("{a}/back/r\n"));
    let (out, err) = live.stop();
    assert_eq!(
        out,
        format!("{a}/x\n{a}/b/y\n{a}/c/q\n{a}/back/r\n"),
        "stderr: {err}"
    );
    assert!(!out.contains(&format!("{m}/other")));
}

/// `-S` on the mount's root: everything on that filesystem, nothing from others.
#[test]
fn filesystem_mark_on_the_mount_root() {
    if !fanotify_available() {
        return;
    }
    let Some(fs) = LoopFs::new("root") else {
        return;
    };
    fs.sh("mkdir -p d/e");
    let m = path(&fs.mnt);
    let live = Live::start(
        "fsnotifywait",
        &["-S", "-q", "-m", "-e", "delete", &m],
        &fs.dir,
    );
    live.wait_watches(1);
    // A file outside the mount (on the filesystem of the test directory).
    std::fs::write(fs.dir.join("outside"), b"x").unwrap();
    std::fs::remove_file(fs.dir.join("outside")).unwrap();
    fs.sh("touch d/e/f && rm d/e/f && touch g && rm g");
    live.wait_stdout(" g\n");
    let (out, _) = live.stop();
    assert_eq!(out, format!("{m}/d/e/ DELETE f\n{m}/ DELETE g\n"));
}

/// 4.25.9 compared on the loop mount: one event each, `-S` and `-F`.
#[test]
fn filesystem_mark_differential_on_loop_mount() {
    if !fanotify_available() {
        return;
    }
    if !util::reference_available(REF4_FSWAIT) {
        println!("skipped: reference not installed");
        return;
    }
    let Some(fs) = LoopFs::new("diff") else {
        return;
    };
    let m = path(&fs.mnt);
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["-S", "-e", "create"],
            "rm -rf *; mkdir -p a",
            "touch a/new",
        ),
        (
            &["-S", "-e", "delete"],
            "rm -rf *; mkdir -p a; touch a/f",
            "rm a/f",
        ),
        (
            &["-S", "-e", "create", "-c"],
            "rm -rf *; mkdir -p a",
            "mkdir a/d",
        ),
        (
            &["-F", "-e", "moved_to"],
            "rm -rf *; mkdir -p a; touch a/f",
            "mv a/f a/g",
        ),
    ];
    for (args, fixture, action) in cases {
        let mut outs = Vec::new();
        for bin in [REF4_FSWAIT.into(), util::ours()] {
            fs.sh(fixture);
            let mut sc = w(args.iter().copied().chain([format!("{m}/a").as_str()]))
                .argv0("fsnotifywait")
                .est();
            sc.steps.push(util::Step::Sh(format!("cd {m} && {action}")));
            let mut o = run_once(GROUP, "loopdiff", &bin, &sc);
            o.stdout = no_fid_lines(&o.stdout);
            outs.push(o);
        }
        if let Some(d) = util::compare(&outs[0], &outs[1]) {
            panic!(
                "{args:?} {action}: ours differs from 4.25.9\n{d}\n{}{}",
                util::dump("reference", &outs[0]),
                util::dump("ours", &outs[1])
            );
        }
    }
}

/// A directory created and filled at once under `-F -r`: every entry exactly once.
#[test]
fn recursive_marks_lose_nothing_in_new_directories() {
    if !fanotify_available() {
        return;
    }
    let _heavy = util::heavy();
    let dir = fresh_dir(GROUP, "noloss");
    std::fs::create_dir(dir.join("w")).unwrap();
    let wp = path(&dir.join("w"));
    let live = Live::start(
        "fsnotifywait",
        &["-m", "-r", "-q", "-e", "create", "--format", "%w%f", "w"],
        &dir,
    );
    live.wait_watches(1);
    for i in 0..200 {
        let d = dir.join(format!("w/a{i}/b/c"));
        std::fs::create_dir_all(&d).unwrap();
        for f in 0..5 {
            std::fs::File::create(d.join(format!("f{f}"))).unwrap();
        }
    }
    std::fs::File::create(dir.join("w/zz_end")).unwrap();
    live.wait_stdout("zz_end\n");
    let pid = live.child.id();
    let marks = util::watch_count(pid);
    let (out, _) = live.stop();
    let c = lines_of(&out);
    for i in 0..200 {
        for p in ["", "/b", "/b/c"] {
            assert_eq!(c.get(format!("{wp}/a{i}{p}").as_str()), Some(&1), "{out}");
        }
        for f in 0..5 {
            let l = format!("{wp}/a{i}/b/c/f{f}");
            assert_eq!(c.get(l.as_str()), Some(&1), "{l} in:\n{out}");
        }
    }
    assert_eq!(out.lines().count(), 200 * 8 + 1);
    assert_eq!(marks, 1 + 600, "a mark per directory");
    util::wipe(&dir);
}

/// `-F -m -r`: renames keep paths right; a deleted directory's mark is dropped.
#[test]
fn recursive_marks_follow_renames_and_deletions() {
    renames_case("renames", &[]);
}

/// The same with the two move events paired by adjacency (no `FAN_RENAME`).
#[test]
fn recursive_marks_follow_renames_without_fan_rename() {
    renames_case("renames-norename", &[("RINOTIFY_FANOTIFY_NO_RENAME", "1")]);
}

fn renames_case(name: &str, env: &[(&str, &str)]) {
    if !fanotify_available() {
        return;
    }
    let dir = fresh_dir(GROUP, name);
    util::setup(&dir, "mkdir -p w/d/e");
    let wp = path(&dir.join("w"));
    let live = Live::start_env(
        "fsnotifywait",
        &["-m", "-r", "-q", "-e", "create,moved_to,delete", "w"],
        &dir,
        env,
    );
    live.wait_watches(3);
    util::setup(&dir, "mv w/d w/x && touch w/x/e/f1");
    live.wait_stdout(" f1\n");
    util::setup(&dir, "rm -r w/x && mkdir w/x && touch w/x/again w/end");
    live.wait_stdout(" end\n");
    let (out, _) = live.stop();
    assert_eq!(
        out,
        format!(
            "{wp}/ MOVED_TO,ISDIR x\n{wp}/x/e/ CREATE f1\n{wp}/x/e/ DELETE f1\n\
             {wp}/x/ DELETE,ISDIR e\n{wp}/ DELETE,ISDIR x\n{wp}/ CREATE,ISDIR x\n\
             {wp}/x/ CREATE again\n{wp}/ CREATE end\n"
        )
    );
    util::wipe(&dir);
}

/// Open fds stay flat whatever the size of the tree (upstream holds two per directory).
#[test]
fn open_fds_do_not_grow_with_the_tree() {
    if !fanotify_available() {
        return;
    }
    let mut seen = Vec::new();
    for n in [1, 300] {
        let dir = fresh_dir(GROUP, &format!("fds{n}"));
        util::setup(
            &dir,
            &format!("mkdir -p w && cd w && for i in $(seq {n}); do mkdir -p d$i/e; done"),
        );
        let live = Live::start("fsnotifywait", &["-m", "-r", "w"], &dir);
        live.wait_stderr("Watches established.\n");
        let pid = live.child.id();
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .count();
        assert_eq!(util::watch_count(pid), 2 * n + 1);
        seen.push(fds);
        drop(live);
        util::wipe(&dir);
    }
    assert_eq!(seen[0], seen[1], "fds for 3 and 601 directories");
}

/// inotifywait's table under fanotify: rows per directory, as inotifywatch's.
#[test]
fn fsnotifywatch_counts_per_directory() {
    if !fanotify_available() {
        return;
    }
    let dir = fresh_dir(GROUP, "table");
    util::setup(&dir, "mkdir -p w/sub");
    let wp = path(&dir.join("w"));
    let live = Live::start("fsnotifywatch", &["-r", "-e", "create,delete", "w"], &dir);
    live.wait_stderr("Finished establishing watches, now collecting statistics.\n");
    util::setup(&dir, "touch w/a w/b w/sub/c && rm w/a");
    let pid = live.child.id();
    live.wait_until("drained", |_| util::drained(pid));
    let (out, err, status) = live.stop_with(libc::SIGINT);
    assert_eq!(status, 0, "{err}");
    let (head, rows) = util::parse_table(&out);
    assert_eq!(head, ["total", "create", "delete", "filename"]);
    let rows: Vec<(Vec<u64>, String)> = rows;
    assert_eq!(
        rows,
        vec![
            (vec![3, 2, 1], format!("{wp}/")),
            (vec![1, 1, 0], format!("{wp}/sub/")),
        ]
    );
    util::wipe(&dir);
}

/// `fsnotifywatch -S` on a loop mount: the subtree's directories only.
#[test]
fn fsnotifywatch_filesystem_table() {
    if !fanotify_available() {
        return;
    }
    let Some(fs) = LoopFs::new("table") else {
        return;
    };
    fs.sh("mkdir -p a/b other");
    let a = path(&fs.mnt.join("a"));
    let live = Live::start("fsnotifywatch", &["-S", "-e", "create", &a], &fs.dir);
    live.wait_stderr("Finished establishing watches, now collecting statistics.\n");
    fs.sh("touch a/1 a/2 a/b/3 other/4");
    let pid = live.child.id();
    live.wait_until("drained", |_| util::drained(pid));
    let (out, err, status) = live.stop_with(libc::SIGINT);
    assert_eq!(status, 0);
    assert!(
        err.starts_with(&format!(
            "Establishing watches...\nSetting up filesystem watch on {a}\n"
        )),
        "{err}"
    );
    let (_, rows) = util::parse_table(&out);
    assert_eq!(
        rows,
        vec![
            (vec![2, 2], format!("{a}/")),
            (vec![1, 1], format!("{a}/b/"))
        ]
    );
}

const CAN_SETPRIV: &str = "setpriv --reuid=54321 --regid=54321 --clear-groups true";

/// Without privileges: `-F` works on what the user may read (Linux 5.13+); `-S` says
/// in one line that it needs CAP_SYS_ADMIN.
#[test]
fn unprivileged_marks_and_filesystem_refusal() {
    if !fanotify_available() {
        return;
    }
    let dir = fresh_dir(GROUP, "unpriv");
    let ok = Command::new("sh")
        .arg("-c")
        .arg(CAN_SETPRIV)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipped: setpriv cannot drop privileges here");
        return;
    }
    util::setup(&dir, "mkdir w && chown 54321:54321 w && chmod 755 .");
    let ours = util::ours();
    let run = |args: &[&str], then: &str| {
        let script = format!(
            "{then_bg} exec setpriv --reuid=54321 --regid=54321 --clear-groups {} wait {}",
            ours.display(),
            args.join(" "),
            then_bg = if then.is_empty() {
                String::new()
            } else {
                format!("( {then} ) &")
            }
        );
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(&dir)
            .output()
            .expect("run")
    };
    // The action waits for the mark to exist (fdinfo of the process), never sleeps.
    let o = run(
        &["-F", "-t", "20", "-e", "create", "w"],
        "for i in $(seq 2000); do grep -qs 'fanotify ino' /proc/$PPID/fdinfo/* && break; \
         : ; done; setpriv --reuid=54321 --regid=54321 --clear-groups touch w/x",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let outp = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert_eq!(outp, format!("{}/ CREATE x\n", path(&dir.join("w"))));
    let o = run(&["-S", "-t", "1", "w"], "");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(
        err,
        "Setting up filesystem watches.\nCouldn't add filesystem watch w: Operation not permitted \
         (-S needs CAP_SYS_ADMIN: run it as root, or use -F)\n"
    );
    util::wipe(&dir);
}

/// The kernel queue overflows while we are stopped: announced on stderr, and, as with
/// inotify, the tree is rescanned, so a directory created meanwhile is marked and what
/// happens in it afterwards is reported.
#[test]
fn overflow_is_announced_and_recovered() {
    if !fanotify_available() {
        return;
    }
    let _heavy = util::heavy();
    let dir = fresh_dir(GROUP, "overflow");
    std::fs::create_dir(dir.join("w")).unwrap();
    let live = Live::start(
        "fsnotifywait",
        &["-m", "-r", "-q", "-e", "create", "--format", "%w%f", "w"],
        &dir,
    );
    live.wait_watches(1);
    live.signal(libc::SIGSTOP);
    let limit = std::fs::read_to_string("/proc/sys/fs/fanotify/max_queued_events")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(16384);
    for i in 0..limit + 100 {
        std::fs::File::create(dir.join(format!("w/f{i}"))).unwrap();
    }
    std::fs::create_dir_all(dir.join("w/during/sub")).unwrap();
    live.signal(libc::SIGCONT);
    live.wait_stderr("overflowed");
    // The rescan marks w/during and w/during/sub (fdinfo), then a file there is heard.
    live.wait_watches(3);
    std::fs::File::create(dir.join("w/during/sub/after")).unwrap();
    live.wait_stdout("w/during/sub/after\n");
    let (_, err) = live.stop();
    assert!(
        err.contains("rinotify: the kernel event queue overflowed"),
        "{err}"
    );
    util::wipe(&dir);
}

/// `-e unmount` cannot be watched with fanotify: upstream's line (its mark fails with
/// EINVAL), with the reason.
#[test]
fn unmount_is_refused_with_the_reason() {
    if !fanotify_available() {
        return;
    }
    let dir = fresh_dir(GROUP, "unmount");
    util::setup(&dir, "mkdir w");
    for (argv0, args, first) in [
        (
            "fsnotifywait",
            &["-e", "unmount", "w"][..],
            "Setting up watches.\nCouldn't watch w",
        ),
        (
            "inotifywait",
            &["-F", "-e", "modify,unmount", "w"][..],
            "Setting up watches.\nCouldn't watch w",
        ),
        (
            "fsnotifywatch",
            &["-e", "unmount", "w"][..],
            "Establishing watches...\nFailed to watch w",
        ),
    ] {
        let o = ours_as(argv0, args, &dir);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            format!(
                "{first}: Invalid argument (fanotify has no unmount event: watch it with inotify (-I))\n"
            )
        );
    }
    util::wipe(&dir);
}

/// A watched directory deleted: `DELETE_SELF` is reported (nothing holds it open), and
/// without `-m` the run ends with 1 when it was not asked for, as with inotify.
#[test]
fn deleted_root_ends_its_watch() {
    if !fanotify_available() {
        return;
    }
    let dir = fresh_dir(GROUP, "rootgone");
    for (args, want_out, want_status) in [
        (&["-m", "-q", "w"][..], "/w/ DELETE_SELF,ISDIR \n", 143),
        (&["-q", "-e", "create", "w"][..], "", 1),
        (&["-q", "w"][..], "/w/ DELETE_SELF,ISDIR \n", 0),
    ] {
        util::setup(&dir, "rm -rf w && mkdir w");
        let live = Live::start("fsnotifywait", args, &dir);
        live.wait_watches(1);
        std::fs::remove_dir(dir.join("w")).unwrap();
        let (out, err, status) = if want_status == 143 {
            live.wait_stdout("DELETE_SELF");
            live.stop_with(libc::SIGTERM)
        } else {
            let mut live = live;
            let st = live.child.wait().expect("wait");
            let (o, e, _) = live.stop_with(0);
            (o, e, st.code().unwrap_or(-1))
        };
        let want = if want_out.is_empty() {
            String::new()
        } else {
            format!("{}{want_out}", path(&dir))
        };
        assert_eq!(
            (out.as_str(), status),
            (want.as_str(), want_status),
            "{args:?}: {err}"
        );
    }
    util::wipe(&dir);
}

/// Runs `argv0 ARGS` (binary `bin`) in `dir` inside a private user namespace after
/// `limit` (a shell line writing a `/proc/sys/user` limit of that namespace only).
fn in_userns(bin: &Path, argv0: &str, args: &str, limit: &str, dir: &Path) -> util::Outcome {
    let o = Command::new("unshare")
        .args(["-Ur", "bash", "-c"])
        .arg(format!(
            "{limit} && exec -a {argv0} {} {args}",
            bin.display()
        ))
        .current_dir(dir)
        .output()
        .expect("run unshare");
    util::Outcome {
        stdout: o.stdout,
        stderr: o.stderr,
        status: o.status.code(),
        ..util::Outcome::default()
    }
}

/// The fanotify limits, lowered in a private user namespace (nothing global changes):
/// upstream's words, byte for byte, against 4.25.9.
#[test]
fn limits_in_upstream_words() {
    if !fanotify_available() {
        return;
    }
    let dir = fresh_dir(GROUP, "limits");
    util::setup(&dir, "mkdir -p lim/a/b/c/d");
    let probe = Command::new("unshare")
        .args([
            "-Ur",
            "sh",
            "-c",
            "echo 3 > /proc/sys/user/max_fanotify_marks",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !probe {
        println!("skipped: this machine cannot run user namespaces with fanotify limits");
        return;
    }
    let cases = [
        (
            "echo 3 > /proc/sys/user/max_fanotify_marks",
            "-r -t 1 lim",
            "Setting up watches.  Beware: since -r was given, this may take a while!\n\
             Failed to watch lim; upper limit on fanotify marks reached!\n\
             Please increase the amount of fanotify marks allowed per user via \
             `/proc/sys/fs/fanotify/max_user_marks'.\n",
        ),
        (
            "echo 0 > /proc/sys/user/max_fanotify_groups",
            "-t 1 lim",
            "Couldn't initialize fanotify: Too many open files\n\
             Try increasing the value of /proc/sys/fs/fanotify/max_user_groups\n",
        ),
    ];
    for (limit, args, want) in cases {
        let ours = in_userns(&util::ours(), "fsnotifywait", args, limit, &dir);
        assert_eq!(
            (String::from_utf8_lossy(&ours.stderr).as_ref(), ours.status),
            (want, Some(1)),
            "{limit}"
        );
        if util::reference_available(REF4_FSWAIT) {
            let theirs = in_userns(Path::new(REF4_FSWAIT), "fsnotifywait", args, limit, &dir);
            if let Some(d) = util::compare(&theirs, &ours) {
                panic!("{limit}: ours differs from 4.25.9\n{d}");
            }
        } else {
            println!("skipped: reference not installed");
        }
    }
    util::wipe(&dir);
}

/// A filesystem that cannot give file handles (procfs, sysfs): one line with the
/// reason, where upstream prints `Encode fid failed…` and then `Couldn't watch X: Success`.
#[test]
fn filesystem_without_file_handles_says_so() {
    if !fanotify_available() {
        return;
    }
    let dir = fresh_dir(GROUP, "nohandles");
    for (argv0, args, banner, verb) in [
        (
            "fsnotifywait",
            &["-t", "1", "/proc/self"][..],
            "Setting up watches.\n",
            "Couldn't watch",
        ),
        (
            "fsnotifywatch",
            &["-t", "1", "/sys/kernel"][..],
            "Establishing watches...\n",
            "Failed to watch",
        ),
    ] {
        let o = ours_as(argv0, args, &dir);
        assert_eq!(o.status.code(), Some(1));
        assert!(o.stdout.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            format!(
                "{banner}{verb} {}: Operation not supported (this filesystem cannot give \
                 fanotify file handles; watch it with inotify (-I))\n",
                args[2]
            )
        );
    }
    util::wipe(&dir);
}

/// Flat under churn: 20 rounds of 500 directories created (each marked: its file is
/// reported) and removed under `-F -m -r`; the resident set does not grow over the
/// second half.
#[test]
fn churn_keeps_memory_flat() {
    if !fanotify_available() {
        return;
    }
    let _heavy = util::heavy();
    let dir = fresh_dir(GROUP, "churn");
    std::fs::create_dir(dir.join("w")).unwrap();
    let live = Live::start(
        "fsnotifywait",
        &["-m", "-r", "-q", "-e", "create", "--format", "%f", "w"],
        &dir,
    );
    live.wait_watches(1);
    let pid = live.child.id();
    let mut half = 0;
    for round in 0..20 {
        let names: Vec<PathBuf> = (0..500)
            .map(|i| dir.join(format!("w/r{round}_{i}")))
            .collect();
        for d in &names {
            std::fs::create_dir(d).unwrap();
        }
        let last = names.last().unwrap();
        std::fs::File::create(last.join("in")).unwrap();
        live.wait_stdout(&format!("r{round}_499\nin\n"));
        for d in &names {
            if d == last {
                std::fs::remove_file(d.join("in")).unwrap();
            }
            std::fs::remove_dir(d).unwrap();
        }
        live.wait_until("drained", |_| util::drained(pid));
        if round == 9 {
            half = util::rss_kb(pid);
        }
    }
    let end = util::rss_kb(pid);
    drop(live);
    util::wipe(&dir);
    assert!(
        end <= half + 512,
        "VmRSS {half} kB after 5,000 directories, {end} kB after 10,000"
    );
}
