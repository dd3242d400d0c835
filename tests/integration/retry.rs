//! `--retry` against the real kernel: a missing path is waited for (one-shot exits 0 when
//! it appears, by creation or by a move; a deep path appears a level at a time or all at
//! once, its contents each reported once), a root deleted, unmounted or moved away is
//! watched again once it comes back (with the `DELETE_SELF`/`IGNORED`/`MOVE_SELF` lines
//! printed as without `--retry`), for both applets and both backends, and the watches
//! held follow what exists now. Every step waits for the program's own word (stderr's
//! `Waiting for …`, a line on stdout, the watch count), never for time.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::live::Live;
use crate::util::{fresh_dir, ours, watch_count};

const GROUP: &str = "rinotify-retry";

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn waiting(p: &str) -> String {
    format!("Waiting for {p} to appear.")
}

/// How often `line` occurs in `text`, as a whole line.
fn count(text: &str, line: &str) -> usize {
    text.lines().filter(|l| *l == line).count()
}

/// Waits until `needle` occurs `n` times in stderr.
fn wait_stderr_n(live: &Live, needle: &str, n: usize) {
    live.wait_until(&format!("{n} × {needle:?} on stderr"), |l| {
        l.stderr_now().matches(needle).count() >= n
    });
}

/// Waits for the process to exit by itself (hard deadline); its status.
fn wait_exit(live: &mut Live) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(st) = live.child.try_wait().expect("try_wait") {
            return st.code().unwrap_or(-1);
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "did not exit; stdout:\n{}\nstderr:\n{}",
            live.stdout_now(),
            live.stderr_now()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// How many inotify instances `pid` holds.
fn inotify_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_link(e.path()).is_ok_and(|l| l.as_os_str() == "anon_inode:inotify")
        })
        .count()
}

#[test]
fn one_shot_exits_zero_when_a_missing_file_is_created() {
    let dir = fresh_dir(GROUP, "oneshot_create");
    let target = dir.join("later.txt");
    let t = s(&target);
    let mut live = Live::start(
        "inotifywait",
        &["--retry", "-e", "create,moved_to", t],
        &dir,
    );
    live.wait_stderr("Watches established.");
    let err = live.stderr_now();
    let w = err.find(&waiting(t)).expect("says what it waits for");
    assert!(w < err.find("Watches established.").unwrap(), "{err}");
    std::fs::write(&target, b"x").unwrap();
    assert_eq!(wait_exit(&mut live), 0);
    let (out, err) = live.stop();
    assert_eq!(out, format!("{t} CREATE \n"));
    assert_eq!(
        err,
        format!(
            "Setting up watches.\n{}\nWatches established.\n",
            waiting(t)
        )
    );
}

#[test]
fn one_shot_reports_a_move_into_place_as_moved_to() {
    let dir = fresh_dir(GROUP, "oneshot_move");
    std::fs::create_dir(dir.join("staging")).unwrap();
    std::fs::write(dir.join("staging/ready"), b"x").unwrap();
    let target = dir.join("inbox");
    let t = s(&target);
    let mut live = Live::start(
        "inotifywait",
        &["--retry", "-e", "create,moved_to", t],
        &dir,
    );
    live.wait_stderr("Watches established.");
    std::fs::rename(dir.join("staging"), &target).unwrap();
    assert_eq!(wait_exit(&mut live), 0);
    let (out, _) = live.stop();
    assert_eq!(out, format!("{t}/ MOVED_TO,ISDIR \n"));
}

#[test]
fn quiet_says_nothing_and_without_retry_a_missing_path_is_still_an_error() {
    let dir = fresh_dir(GROUP, "quiet");
    let target = dir.join("nope");
    let t = s(&target);
    let o = Command::new(ours())
        .arg("--retry")
        .args(["-q", "-t", "1", t])
        .arg0_wait()
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "timed out waiting");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = Command::new(ours())
        .args(["-t", "1", t])
        .arg0_wait()
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("Setting up watches.\nCouldn't watch {t}: No such file or directory\n")
    );
}

trait Arg0 {
    fn arg0_wait(&mut self) -> &mut Self;
}

impl Arg0 for Command {
    fn arg0_wait(&mut self) -> &mut Self {
        use std::os::unix::process::CommandExt;
        self.arg0("inotifywait")
    }
}

/// Waiting for `a/b/c` with nothing of it there: the anchor moves down level by level,
/// then the tree created meanwhile is reported once, entry by entry, and watched.
#[test]
fn deep_missing_tree_is_reported_once_and_watched() {
    for all_at_once in [false, true] {
        let dir = fresh_dir(GROUP, &format!("deep{all_at_once}"));
        let target = dir.join("a/b/c");
        let t = s(&target);
        let live = Live::start(
            "inotifywait",
            &["-m", "-r", "--retry", "--format", "%w%f %e", t],
            &dir,
        );
        live.wait_stderr("Watches established.");
        if all_at_once {
            // One shell: a, b, c and their contents appear faster than we can follow.
            let st = Command::new("sh")
                .arg("-c")
                .arg("mkdir -p a/b/c/d/e && touch a/b/c/f a/b/c/d/g a/b/c/d/e/h")
                .current_dir(&dir)
                .status()
                .unwrap();
            assert!(st.success());
        } else {
            std::fs::create_dir(dir.join("a")).unwrap();
            std::fs::create_dir(dir.join("a/b")).unwrap();
            std::fs::create_dir(&target).unwrap();
            live.wait_stdout(&format!("{t}/ CREATE,ISDIR\n"));
            std::fs::create_dir_all(target.join("d/e")).unwrap();
            std::fs::write(target.join("f"), b"").unwrap();
            std::fs::write(target.join("d/g"), b"").unwrap();
            std::fs::write(target.join("d/e/h"), b"").unwrap();
        }
        live.wait_stdout(&format!("{t}/d/e/h CREATE\n"));
        // Watched now, the whole tree.
        std::fs::write(target.join("d/e/zz_end"), b"").unwrap();
        live.wait_stdout(&format!("{t}/d/e/zz_end CREATE\n"));
        let (out, _) = live.stop();
        for line in [
            format!("{t}/ CREATE,ISDIR"),
            format!("{t}/d CREATE,ISDIR"),
            format!("{t}/f CREATE"),
            format!("{t}/d/e CREATE,ISDIR"),
            format!("{t}/d/g CREATE"),
            format!("{t}/d/e/h CREATE"),
        ] {
            assert_eq!(count(&out, &line), 1, "{line:?} once in:\n{out}");
        }
        // The root's own arrival comes first; a parent before its children.
        assert!(out.starts_with(&format!("{t}/ CREATE,ISDIR\n")), "{out}");
        let pos = |l: &str| out.find(l).unwrap();
        assert!(pos(&format!("{t}/d CREATE,ISDIR")) < pos(&format!("{t}/d/g CREATE")));
        // Nothing of the levels above it (they are not watched for the user).
        assert!(!out.contains(&format!("{}/a/b ", s(&dir))), "{out}");
    }
}

/// A watched directory deleted and created again, five times: each time the reference's
/// lines (`DELETE_SELF`, `IGNORED`), then it is watched again; the watches held stay
/// the same in number.
#[test]
fn deleted_root_is_watched_again_when_recreated() {
    let dir = fresh_dir(GROUP, "recreate");
    let root = dir.join("root");
    std::fs::create_dir(&root).unwrap();
    let r = s(&root);
    let live = Live::start("inotifywait", &["-m", "--retry", r], &dir);
    live.wait_stderr("Watches established.");
    let pid = live.child.id();
    let before = watch_count(pid);
    for round in 1..=5 {
        std::fs::remove_dir_all(&root).unwrap();
        live.wait_until(&format!("DELETE_SELF #{round}"), |l| {
            count(&l.stdout_now(), &format!("{r}/ DELETE_SELF ")) == round
        });
        wait_stderr_n(&live, &waiting(r), round);
        std::fs::create_dir(&root).unwrap();
        live.wait_until(&format!("CREATE,ISDIR #{round}"), |l| {
            count(&l.stdout_now(), &format!("{r}/ CREATE,ISDIR ")) == round
        });
        let name = format!("f{round}");
        std::fs::write(root.join(&name), b"").unwrap();
        live.wait_stdout(&format!("{r}/ CLOSE_WRITE,CLOSE {name}\n"));
        assert_eq!(watch_count(pid), before, "watches held after round {round}");
        assert_eq!(
            inotify_fds(pid),
            1,
            "the anchors' instance is closed once nothing waits"
        );
    }
    let (out, _) = live.stop();
    assert_eq!(count(&out, &format!("{r}/ DELETE_SELF ")), 5, "{out}");
    // IGNORED is printed only when asked for, as without --retry.
    assert!(!out.contains("IGNORED"), "{out}");
    // In order: the deletion's line, the arrival, then the new directory's events.
    let first_ignored = out.find(&format!("{r}/ DELETE_SELF")).unwrap();
    let first_arrival = out.find(&format!("{r}/ CREATE,ISDIR")).unwrap();
    let first_file = out.find(&format!("{r}/ CREATE f1")).unwrap();
    assert!(
        first_ignored < first_arrival && first_arrival < first_file,
        "{out}"
    );
}

/// `-m -r`: a root moved away is no longer followed (its new place is not the path
/// asked for); a new directory at the path is watched, tree and all.
#[test]
fn moved_away_root_is_dropped_and_its_path_watched_again() {
    let dir = fresh_dir(GROUP, "moved");
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    let r = s(&root);
    let live = Live::start(
        "inotifywait",
        &["-m", "-r", "--retry", "--format", "%w%f %e", r],
        &dir,
    );
    live.wait_stderr("Watches established.");
    let pid = live.child.id();
    assert_eq!(watch_count(pid), 2);
    std::fs::rename(&root, dir.join("old")).unwrap();
    live.wait_stdout(&format!("{r}/ MOVE_SELF\n"));
    wait_stderr_n(&live, &waiting(r), 1);
    // One anchor on the parent; the old tree's watches are gone.
    live.wait_until("old tree unwatched", |_| watch_count(pid) == 1);
    std::fs::write(dir.join("old/sub/ignored"), b"").unwrap();
    std::fs::create_dir_all(root.join("new")).unwrap();
    live.wait_stdout(&format!("{r}/new CREATE,ISDIR\n"));
    std::fs::write(root.join("new/zz_end"), b"").unwrap();
    live.wait_stdout(&format!("{r}/new/zz_end CREATE\n"));
    assert_eq!(watch_count(pid), 2, "root and root/new, no anchor left");
    let (out, _) = live.stop();
    assert!(
        !out.contains("ignored"),
        "the moved tree is not followed:\n{out}"
    );
    assert_eq!(count(&out, &format!("{r}/ CREATE,ISDIR")), 1, "{out}");
}

/// Log rotation: a watched file renamed away and created anew is followed by name.
#[test]
fn rotated_file_is_followed_by_name() {
    let dir = fresh_dir(GROUP, "rotate");
    let log = dir.join("app.log");
    std::fs::write(&log, b"").unwrap();
    let l = s(&log);
    let live = Live::start(
        "inotifywait",
        &["-m", "--retry", "-e", "modify,create,move_self", l],
        &dir,
    );
    live.wait_stderr("Watches established.");
    std::fs::rename(&log, dir.join("app.log.1")).unwrap();
    live.wait_stdout(&format!("{l} MOVE_SELF \n"));
    wait_stderr_n(&live, &waiting(l), 1);
    // Written after the rotation: not ours any more.
    let append = |p: &Path| {
        let st = Command::new("sh")
            .arg("-c")
            .arg("echo x >> \"$1\"")
            .arg("sh")
            .arg(p)
            .status()
            .unwrap();
        assert!(st.success());
    };
    append(&dir.join("app.log.1"));
    std::fs::File::create(&log).unwrap();
    live.wait_stdout(&format!("{l} CREATE \n"));
    append(&log);
    live.wait_stdout(&format!("{l} MODIFY \n"));
    let (out, _) = live.stop();
    assert_eq!(
        out,
        format!("{l} MOVE_SELF \n{l} CREATE \n{l} MODIFY \n"),
        "the old file's write is not reported"
    );
}

/// While waiting for `a/b/c`, `a` goes and comes back: the anchor climbs back up and
/// down again.
#[test]
fn anchor_follows_its_directories_going_and_coming() {
    let dir = fresh_dir(GROUP, "anchor");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    let target = dir.join("a/b/c");
    let t = s(&target);
    let mut live = Live::start("inotifywait", &["--retry", "-e", "create", t], &dir);
    live.wait_stderr("Watches established.");
    let pid = live.child.id();
    assert_eq!(watch_count(pid), 1, "one anchor");
    std::fs::remove_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    live.wait_until("anchor back on a/b", |_| watch_count(pid) == 1);
    std::fs::create_dir(&target).unwrap();
    assert_eq!(wait_exit(&mut live), 0);
    let (out, _) = live.stop();
    assert_eq!(out, format!("{t}/ CREATE,ISDIR \n"));
}

/// inotifywatch counts for a directory that did not exist at start.
#[test]
fn inotifywatch_counts_a_directory_that_appears() {
    let dir = fresh_dir(GROUP, "watch");
    let target = dir.join("later");
    let t = s(&target);
    let live = Live::start("inotifywatch", &["-r", "--retry", "-e", "create", t], &dir);
    live.wait_stderr("Finished establishing watches");
    assert!(live.stderr_now().contains(&waiting(t)));
    std::fs::create_dir_all(target.join("sub")).unwrap();
    for i in 0..3 {
        std::fs::write(target.join(format!("sub/f{i}")), b"").unwrap();
    }
    let pid = live.child.id();
    live.wait_until("both directories watched", |_| watch_count(pid) >= 2);
    let (out, _, code) = live.stop_drained(libc::SIGINT);
    assert_eq!(code, 0);
    let (_, rows) = crate::util::parse_table(&out);
    let rows: HashMap<String, Vec<u64>> = rows.into_iter().map(|(n, p)| (p, n)).collect();
    assert_eq!(
        rows.get(&format!("{t}/sub/")).map(|n| n[0]),
        Some(3),
        "{out}"
    );
    assert!(rows.contains_key(&format!("{t}/")), "{out}");
}

/// Both fanotify backends (`-F` marks, `-S` a filesystem mark): a missing directory is
/// waited for, watched when it appears, and watched again after it is deleted and made
/// again. Skipped where fanotify with names is not available (CI has it, as root).
#[test]
fn fanotify_backends_wait_and_watch_again() {
    for backend in ["-F", "-S"] {
        let dir = fresh_dir(GROUP, &format!("fan{backend}"));
        let root = dir.join("root");
        let r = s(&root);
        let probe = Command::new(ours())
            .arg0_wait()
            .args([backend, "-q", "-t", "1", s(&dir)])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&probe.stderr).contains("fanotify") {
            println!(
                "skipped: fanotify {backend} not available here: {}",
                String::from_utf8_lossy(&probe.stderr)
            );
            continue;
        }
        let live = Live::start(
            "inotifywait",
            &[backend, "-m", "--retry", "-e", "create,delete_self", r],
            &dir,
        );
        live.wait_stderr("Watches established.");
        assert!(
            live.stderr_now().contains(&waiting(r)),
            "{}",
            live.stderr_now()
        );
        for round in 1..=2 {
            std::fs::create_dir(&root).unwrap();
            live.wait_until(&format!("arrival #{round}"), |l| {
                count(&l.stdout_now(), &format!("{r}/ CREATE,ISDIR ")) == round
            });
            let name = format!("f{round}");
            std::fs::write(root.join(&name), b"").unwrap();
            live.wait_stdout(&format!("{r}/ CREATE {name}\n"));
            std::fs::remove_dir_all(&root).unwrap();
            // fanotify says DELETE_SELF,ISDIR (as upstream's fsnotifywait does).
            live.wait_until(&format!("DELETE_SELF #{round}"), |l| {
                l.stdout_now()
                    .lines()
                    .filter(|l| l.starts_with(&format!("{r}/ DELETE_SELF")))
                    .count()
                    == round
            });
            wait_stderr_n(&live, &waiting(r), round + 1);
        }
        let (out, _) = live.stop();
        assert_eq!(
            count(&out, &format!("{r}/ CREATE f1")),
            1,
            "{backend}:\n{out}"
        );
        assert_eq!(
            count(&out, &format!("{r}/ CREATE f2")),
            1,
            "{backend}:\n{out}"
        );
    }
}

/// The arrival is synthetic in `--json`; a tree that arrives is scanned with `--prune`
/// applied (the pruned directory's own creation is its parent's event, nothing below).
#[test]
fn arrival_is_synthetic_in_json_and_pruned_trees_stay_unwatched() {
    let dir = fresh_dir(GROUP, "json_prune");
    let target = dir.join("proj");
    let t = s(&target);
    let live = Live::start(
        "inotifywait",
        &[
            "-m",
            "-r",
            "--retry",
            "--json",
            "--prune",
            "node_modules",
            "-e",
            "create",
            t,
        ],
        &dir,
    );
    live.wait_stderr("Watches established.");
    let st = Command::new("sh")
        .arg("-c")
        .arg("mkdir -p proj/node_modules/dep proj/src && touch proj/node_modules/dep/f proj/src/g")
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    live.wait_stdout("\"name\":\"g\"");
    let pid = live.child.id();
    live.wait_until("proj and proj/src watched", |_| watch_count(pid) == 2);
    std::fs::write(target.join("node_modules/dep/later"), b"").unwrap();
    std::fs::write(target.join("zz_end"), b"").unwrap();
    live.wait_stdout("\"name\":\"zz_end\"");
    let (out, _) = live.stop();
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let first = &events[0];
    assert_eq!(first["path"], format!("{t}/"), "{out}");
    assert_eq!(
        first["events"],
        serde_json::json!(["CREATE", "ISDIR"]),
        "{out}"
    );
    assert_eq!(first["synthetic"], true, "{out}");
    let paths: Vec<&str> = events.iter().filter_map(|e| e["path"].as_str()).collect();
    assert!(
        paths.contains(&format!("{t}/node_modules").as_str()),
        "{out}"
    );
    assert!(paths.contains(&format!("{t}/src/g").as_str()), "{out}");
    assert!(
        !out.contains("dep"),
        "nothing below a pruned directory:\n{out}"
    );
}
