//! inotifywatch against the real kernel where the reference cannot be the oracle: exact
//! counts under a burst, overflow reporting, SIGUSR1 snapshots, synthesised creations.

use crate::live::Live;
use crate::util::{fresh_dir, parse_table};

fn cell(header: &[String], row: &(Vec<u64>, String), col: &str) -> u64 {
    let i = header
        .iter()
        .position(|h| h == col)
        .unwrap_or_else(|| panic!("no column {col}"));
    row.0[i]
}

/// 100,000 × open/append/close over 64 files: 300,000 events, every one counted.
///
/// The writes are made by a shell of their own, not by this test process: a child that
/// another test forks while one of our files is open holds it open until it execs, so
/// that file's CLOSE_WRITE comes late and the kernel merges two MODIFYs.
#[test]
fn burst_is_counted_exactly() {
    let _heavy = crate::util::heavy();
    let dir = fresh_dir("rinotify-watch-live", "burst");
    let live = Live::start("inotifywatch", &["."], &dir);
    live.wait_stderr("Finished establishing watches, now collecting statistics.\n");
    let burst = std::process::Command::new("sh")
        .arg("-c")
        .arg("i=0; while [ $i -lt 100000 ]; do printf x >> f$((i % 64)); i=$((i+1)); done")
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(burst.success());
    // Everything queued before the signal is read counts.
    std::fs::File::create(dir.join("zz_end")).unwrap();
    let (out, err, code) = live.stop_with(libc::SIGINT);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = parse_table(&out);
    assert_eq!(rows.len(), 1, "{out}");
    let r = &rows[0];
    assert_eq!(r.1, "./");
    // 64 creations (CREATE + first OPEN etc.) plus the end marker's 4 events.
    assert_eq!(cell(&h, r, "modify"), 100_000, "{out}");
    assert_eq!(cell(&h, r, "close_write"), 100_001, "{out}");
    assert_eq!(cell(&h, r, "open"), 100_001, "{out}");
    assert_eq!(cell(&h, r, "create"), 65, "{out}");
    assert_eq!(cell(&h, r, "total"), 300_000 + 65 + 2, "{out}");
    assert!(!err.contains("overflow"), "{err}");
}

/// A queue overflow still ends with the table, and stderr says events were lost.
#[test]
fn overflow_is_reported_at_exit() {
    let dir = fresh_dir("rinotify-watch-live", "overflow");
    let live = Live::start("inotifywatch", &["-e", "create", "."], &dir);
    live.wait_stderr("Finished establishing");
    live.signal(libc::SIGSTOP);
    let max: usize = crate::util::max_queued_events();
    for i in 0..max + 2000 {
        std::fs::File::create(dir.join(format!("f{i}"))).unwrap();
    }
    live.signal(libc::SIGCONT);
    std::fs::File::create(dir.join("zz_after")).unwrap();
    let (out, err, code) = live.stop_with(libc::SIGTERM);
    assert_eq!(code, 0);
    assert!(out.starts_with("total  create  filename\n"), "{out}");
    assert!(
        err.contains("overflowed 1 time(s); events were lost"),
        "{err}"
    );
}

/// SIGUSR1 prints the table so far plus an empty line, and collection goes on.
#[test]
fn usr1_prints_a_snapshot_and_continues() {
    let dir = fresh_dir("rinotify-watch-live", "usr1");
    let live = Live::start("inotifywatch", &["-e", "create", "."], &dir);
    live.wait_stderr("Finished establishing");
    live.signal(libc::SIGUSR1);
    live.wait_stderr("No events occurred.\n");
    live.wait_until("the blank line", |l| l.stdout_now() == "\n");
    std::fs::File::create(dir.join("a")).unwrap();
    // No way to know when the event was read but to ask again until it shows.
    live.wait_until("a snapshot with the creation", |l| {
        if !l.stdout_now().contains("1      1       ./") {
            l.signal(libc::SIGUSR1);
            std::thread::sleep(std::time::Duration::from_millis(20));
            false
        } else {
            true
        }
    });
    let (out, _, code) = live.stop_with(libc::SIGHUP);
    assert_eq!(code, 0);
    let snapshots = out.trim_start_matches('\n');
    assert!(
        snapshots.starts_with("total  create  filename\n1      1       ./\n\n"),
        "{out:?}"
    );
    assert!(
        out.ends_with("total  create  filename\n1      1       ./\n"),
        "{out:?}"
    );
}

/// Creations the kernel could not report (inside a directory made before its watch)
/// are counted too, once each.
#[test]
fn synthesised_creations_are_counted() {
    let dir = fresh_dir("rinotify-watch-live", "synth");
    let live = Live::start("inotifywatch", &["-r", "-e", "create", "."], &dir);
    live.wait_stderr("Finished establishing");
    std::fs::create_dir_all(dir.join("a/b/c")).unwrap();
    std::fs::File::create(dir.join("a/b/c/f")).unwrap();
    let pid = live.child.id();
    live.wait_until("4 watches", |_| crate::util::watch_count(pid) >= 4);
    std::fs::File::create(dir.join("a/b/c/g")).unwrap();
    std::fs::File::create(dir.join("zz")).unwrap();
    // Snapshot until both late creations are in.
    live.wait_until("all creations counted", |l| {
        let s = l.stdout_now();
        if s.contains("2      2       ./a/b/c/") && s.contains("2      2       ./\n") {
            true
        } else {
            l.signal(libc::SIGUSR1);
            std::thread::sleep(std::time::Duration::from_millis(20));
            false
        }
    });
    let (out, _, _) = live.stop_with(libc::SIGINT);
    let last = out.rsplit("\n\n").next().unwrap();
    assert_eq!(
        last,
        "total  create  filename\n2      2       ./\n2      2       ./a/b/c/\n1      1       ./a/\n1      1       ./a/b/\n"
    );
}
