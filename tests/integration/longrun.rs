//! Long-running guarantees of the watcher against the real kernel: memory stays flat
//! over 200,000 watched-then-removed directories; a file written into a directory
//! that is being renamed (with its parent) is reported exactly once, under one of the
//! names the directory had; a subtree moved out and straight back in is tracked under
//! its new name, and one left outside is unwatched and silent; and the recursive walk
//! works when no second thread can be started.

use std::collections::HashMap;
use std::ffi::CString;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::live::Live;
use crate::util::{drained, fresh_dir, ours, watch_count};

const GROUP: &str = "rinotify-longrun";
/// Hard deadline of every wait loop in this module.
const DEADLINE: Duration = Duration::from_secs(300);
/// First polling interval of a wait loop; it doubles up to [`POLL_MAX`] (reading the
/// fdinfo of 1,000 watches is not free).
const POLL: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(16);

/// Ours with stdout thrown away (the churn prints megabytes nobody reads) and stderr
/// collected; killed on drop, so a failed assertion leaves no process holding watches.
struct Silent {
    child: Child,
    err: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Silent {
    fn start(args: &[&str], cwd: &Path) -> Silent {
        let mut child = Command::new(ours())
            .arg0("inotifywait")
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ours");
        let err = Arc::new(Mutex::new(Vec::new()));
        let mut src = child.stderr.take().unwrap();
        let buf = Arc::clone(&err);
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = src.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        Silent {
            child,
            err,
            reader: Some(reader),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `cond` until it holds; panics after [`DEADLINE`] or if the process exits.
    fn wait_for(&mut self, what: &str, mut cond: impl FnMut(u32) -> bool) {
        let start = Instant::now();
        let pid = self.pid();
        let mut poll = POLL;
        while !cond(pid) {
            if let Ok(Some(st)) = self.child.try_wait() {
                if let Some(r) = self.reader.take() {
                    let _ = r.join();
                }
                panic!(
                    "ours exited ({st}) while waiting for {what}; stderr:\n{}",
                    String::from_utf8_lossy(&self.err.lock().unwrap())
                );
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what} (watch count {}); stderr:\n{}",
                watch_count(pid),
                String::from_utf8_lossy(&self.err.lock().unwrap())
            );
            std::thread::sleep(poll);
            poll = (poll * 2).min(POLL_MAX);
        }
    }

    fn wait_watches_eq(&mut self, n: usize) {
        self.wait_for(&format!("exactly {n} watches"), |pid| watch_count(pid) == n);
    }

    fn wait_drained(&mut self) {
        self.wait_for("the inotify queue to be drained", drained);
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// Number of directories in the tree at `dir` (itself included).
fn live_dirs(dir: &Path) -> usize {
    1 + std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| live_dirs(&e.path()))
        .sum::<usize>()
}

/// Polls `cond` under [`DEADLINE`] (for waits that do not involve the watcher).
fn wait_plain(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(POLL);
    }
}

/// Waits until stdout holds every one of `needles` or, failing that, until ours has
/// read and handled every queued event (so a lost event fails now, not at the
/// deadline); then waits for the queue to be drained, and stops ours. Returns stdout,
/// stderr and the watch count just before the stop.
fn finish(live: Live, needles: &[&str]) -> (String, String, usize) {
    let pid = live.child.id();
    live.wait_until(&format!("{needles:?} on stdout"), |l| {
        let out = l.stdout_now();
        needles.iter().all(|n| out.contains(n)) || drained(pid)
    });
    live.wait_until("the inotify queue to be drained", |_| drained(pid));
    let watches = watch_count(pid);
    let (out, err) = live.stop();
    (out, err, watches)
}

/// 200 rounds of 1,000 directories, each watched (fdinfo) and then removed: the
/// resident set grows by at most 512 KiB over the second 100,000, and at the end only
/// the directory that still exists is watched.
#[test]
fn churn_200k_directories_rss_flat() {
    let _heavy = crate::util::heavy();
    const PER_ROUND: usize = 1000;
    const ROUNDS: usize = 200;
    const MAX_GROWTH_KB: u64 = 512;
    let dir = fresh_dir(GROUP, "churn");
    let w = dir.to_str().unwrap();
    let started = Instant::now();
    let mut p = Silent::start(
        &["-m", "-r", "-q", "-e", "create", "--format", "%w%f", w],
        &dir,
    );
    p.wait_for("the start-up watch", |pid| watch_count(pid) >= 1);
    let base = watch_count(p.pid());
    let mut rss_half = 0;
    for round in 0..ROUNDS {
        let names: Vec<_> = (0..PER_ROUND)
            .map(|i| dir.join(format!("d{round}_{i}")))
            .collect();
        for d in &names {
            std::fs::create_dir(d).unwrap();
        }
        p.wait_watches_eq(base + PER_ROUND);
        for d in &names {
            std::fs::remove_dir(d).unwrap();
        }
        p.wait_watches_eq(base);
        if round + 1 == ROUNDS / 2 {
            p.wait_drained();
            rss_half = crate::util::rss_kb(p.pid());
        }
        if (round + 1) % 25 == 0 {
            eprintln!(
                "churn: {} dirs, VmRSS {} kB, {:.1?}",
                (round + 1) * PER_ROUND,
                crate::util::rss_kb(p.pid()),
                started.elapsed()
            );
        }
    }
    p.wait_drained();
    let rss_end = crate::util::rss_kb(p.pid());
    eprintln!(
        "churn: VmRSS {rss_half} kB after {} dirs, {rss_end} kB after {}; {:.1?} elapsed",
        ROUNDS / 2 * PER_ROUND,
        ROUNDS * PER_ROUND,
        started.elapsed()
    );
    assert!(
        rss_end <= rss_half + MAX_GROWTH_KB,
        "VmRSS grew by {} kB over the second {} directories (limit {MAX_GROWTH_KB} kB)",
        rss_end.saturating_sub(rss_half),
        ROUNDS / 2 * PER_ROUND
    );
    assert_eq!(watch_count(p.pid()), live_dirs(&dir), "watches left over");
}

/// A writer creates files through a directory fd on `t/a/b/c` while `t/a` is renamed
/// back and forth (at least 400 round trips) and, now and then, `b` as well: every
/// file is reported exactly once under one of the names `c` had, the end marker under
/// its final name, and no watch is lost.
#[test]
fn renames_under_a_concurrent_writer_lose_nothing() {
    let max_queued: usize = crate::util::max_queued_events();
    // Even a watcher that read nothing until the end could not overflow its queue: at
    // most a quarter of it for files, half for the renames (a round trip queues at most
    // 2 renames × 3 events, MOVED_FROM, MOVED_TO and MOVE_SELF; twice that every 50th).
    let cap = (max_queued / 4).min(10_000);
    let max_rounds = (max_queued / 2 / 7).max(400);
    for round in 0..3 {
        let dir = fresh_dir(GROUP, &format!("renames{round}"));
        std::fs::create_dir_all(dir.join("t/a/b/c")).unwrap();
        let live = Live::start(
            "inotifywait",
            &["-m", "-r", "-q", "-e", "create", "--format", "%w%f", "t"],
            &dir,
        );
        live.wait_watches(4);

        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicUsize::new(0));
        let c_path = CString::new(dir.join("t/a/b/c").as_os_str().as_bytes()).unwrap();
        let writer = {
            let (stop, made) = (Arc::clone(&stop), Arc::clone(&made));
            std::thread::spawn(move || {
                // SAFETY: plain syscalls on a descriptor opened and closed here.
                unsafe {
                    let dfd = libc::open(
                        c_path.as_ptr(),
                        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
                    );
                    assert!(
                        dfd >= 0,
                        "open t/a/b/c: {}",
                        std::io::Error::last_os_error()
                    );
                    let mut n = 0;
                    while !stop.load(Ordering::Acquire) && n < cap {
                        let name = CString::new(format!("f{n}")).unwrap();
                        let fd = libc::openat(
                            dfd,
                            name.as_ptr(),
                            libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                            0o644 as libc::c_uint,
                        );
                        assert!(fd >= 0, "create f{n}: {}", std::io::Error::last_os_error());
                        libc::close(fd);
                        n += 1;
                        made.store(n, Ordering::Release);
                    }
                    libc::close(dfd);
                    n
                }
            })
        };
        // Make sure the writer is running before the renames start.
        wait_plain("the writer to start", || {
            made.load(Ordering::Acquire) >= 50 || writer.is_finished()
        });
        let before = made.load(Ordering::Acquire);
        let p = |s: &str| dir.join(s);
        let mv = |a: &str, b: &str| std::fs::rename(p(a), p(b)).unwrap();
        // 400 round trips at least, and on (within the queue budget) until the writer
        // has made 100 files meanwhile: on a small machine it may get little CPU while
        // the renames run.
        let mut i = 0;
        while i < 400
            || (i < max_rounds
                && made.load(Ordering::Acquire) - before < 100
                && !writer.is_finished())
        {
            if i % 50 == 0 {
                // Both a directory and a nested one move: c is seen as t/a/b2/c, then
                // t/x/b2/c, then t/x/b/c.
                mv("t/a/b", "t/a/b2");
                mv("t/a", "t/x");
                mv("t/x/b2", "t/x/b");
            } else {
                mv("t/a", "t/x");
            }
            mv("t/x", "t/a");
            i += 1;
        }
        let during = made.load(Ordering::Acquire) - before;
        stop.store(true, Ordering::Release);
        let n = writer.join().unwrap();
        eprintln!("round {round}: {n} files, {during} of them during {i} rename rounds");
        assert!(p("t/a/b/c").is_dir(), "tree not back at t/a/b/c");
        std::fs::File::create(p("t/a/b/c/zz_end")).unwrap();
        let (out, err, watches) = finish(live, &["zz_end\n"]);

        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines.last().copied(),
            Some("t/a/b/c/zz_end"),
            "end marker under a wrong name; stderr:\n{err}"
        );
        let mut seen: HashMap<usize, usize> = HashMap::new();
        let prefixes = ["t/a/b/c/f", "t/x/b/c/f", "t/a/b2/c/f", "t/x/b2/c/f"];
        for l in &lines[..lines.len() - 1] {
            let i = prefixes
                .iter()
                .find_map(|pre| l.strip_prefix(pre))
                .and_then(|rest| rest.parse::<usize>().ok())
                .filter(|&i| i < n)
                .unwrap_or_else(|| panic!("unexpected line {l:?}"));
            *seen.entry(i).or_insert(0) += 1;
        }
        let missing: Vec<usize> = (0..n).filter(|i| !seen.contains_key(i)).collect();
        let twice: Vec<usize> = seen
            .iter()
            .filter(|&(_, &c)| c > 1)
            .map(|(&i, _)| i)
            .collect();
        assert!(
            missing.is_empty() && twice.is_empty(),
            "round {round}: of {n} files, {} missing (first {:?}), {} reported more than once \
             (e.g. {:?}); stderr:\n{err}",
            missing.len(),
            &missing[..missing.len().min(10)],
            twice.len(),
            &twice[..twice.len().min(10)]
        );
        assert_eq!(watches, 4, "watch count after the renames");
    }
}

/// `t/a/b` watched by ours (`-m -r -q -e create --format %w%f t`, all 3 watches in
/// place) beside an unwatched `outside/`.
fn watched_tree_beside_outside(name: &str) -> (std::path::PathBuf, Live) {
    let dir = fresh_dir(GROUP, name);
    std::fs::create_dir_all(dir.join("t/a/b")).unwrap();
    std::fs::create_dir(dir.join("outside")).unwrap();
    let live = Live::start(
        "inotifywait",
        &["-m", "-r", "-q", "-e", "create", "--format", "%w%f", "t"],
        &dir,
    );
    live.wait_watches(3);
    (dir, live)
}

/// `t/a` moved out and straight back in as `t/a2`, with no pause in between, then a
/// file created in `t/a2/b`: reported once under its new path, nothing under
/// `outside` or the old name, and exactly t, t/a2 and t/a2/b are watched.
#[test]
fn moved_out_and_back_in_is_tracked() {
    for round in 0..10 {
        let (dir, live) = watched_tree_beside_outside(&format!("outin{round}"));
        let p = |s: &str| dir.join(s);
        std::fs::rename(p("t/a"), p("outside/a")).unwrap();
        std::fs::rename(p("outside/a"), p("t/a2")).unwrap();
        std::fs::File::create(p("t/a2/b/new")).unwrap();
        std::fs::File::create(p("t/zz")).unwrap();
        let (out, err, watches) = finish(live, &["t/a2/b/new\n", "t/zz\n"]);
        let mut lines: Vec<&str> = out.lines().collect();
        lines.sort_unstable();
        assert_eq!(
            lines,
            ["t/a2/b/new", "t/zz"],
            "round {round}: stdout:\n{out}stderr:\n{err}"
        );
        assert_eq!(watches, 3, "round {round}: watch count");
    }
}

/// `t/a` moved out and left there: once the watcher has unwatched the subtree (the
/// watch count drops to 1), what happens in it is never reported.
#[test]
fn moved_out_subtree_is_unwatched_and_silent() {
    let (dir, live) = watched_tree_beside_outside("out");
    let p = |s: &str| dir.join(s);
    std::fs::rename(p("t/a"), p("outside/a")).unwrap();
    let pid = live.child.id();
    live.wait_until("the moved-out subtree to be unwatched", |_| {
        watch_count(pid) == 1
    });
    std::fs::File::create(p("outside/a/b/x")).unwrap();
    std::fs::File::create(p("outside/a/y")).unwrap();
    std::fs::File::create(p("t/zz")).unwrap();
    let (out, err, watches) = finish(live, &["t/zz\n"]);
    assert_eq!(out, "t/zz\n", "stderr:\n{err}");
    assert_eq!(watches, 1);
}

/// With no second thread to be had (`RLIMIT_NPROC` of 1 for an unprivileged user, as a
/// tight `pids.max` would do), the recursive walk runs on one thread: same lines, same
/// exit status, every directory watched. Needs root to drop to that user; says so and
/// passes vacuously otherwise (CI runs as root).
#[test]
fn recursive_walk_without_a_second_thread() {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("skipped: needs root to run ours as an unprivileged user with RLIMIT_NPROC 1");
        return;
    }
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    assert!(
        have("prlimit") && have("setpriv"),
        "prlimit and setpriv (util-linux) are needed"
    );
    let dir = fresh_dir(GROUP, "nothread");
    for sub in ["a/x", "a/y", "b/x", "b/y", "c/x", "c/y"] {
        std::fs::create_dir_all(dir.join("t").join(sub)).unwrap();
    }
    // The unprivileged user must be able to run the binary and read the tree.
    let bin = dir.join("rinotify");
    std::fs::copy(ours(), &bin).unwrap();
    let chmod = Command::new("chmod")
        .arg("-R")
        .arg("a+rX")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(chmod.success());
    let run = |args: &[&str]| {
        let out = Command::new("prlimit")
            .args([
                "--nproc=1:1",
                "setpriv",
                "--reuid=54321",
                "--regid=54321",
                "--clear-groups",
            ])
            .arg(&bin)
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["wait", "-r", "-t", "1", "t"]);
    assert_eq!(
        (code, err.as_str()),
        (
            Some(2),
            "Setting up watches.  Beware: since -r was given, this may take a while!\n\
             Watches established.\n"
        )
    );
    let (code, err) = run(&["watch", "-r", "-v", "-t", "1", "t"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("Total of 10 watches.\n"), "{err}");
}

/// The table itself, driven through the library against the real kernel: after every
/// round of 1,000 directories made and removed it holds exactly the live watches (the
/// kernel's count too), and what it holds in memory does not grow from round to round.
#[test]
fn table_holds_exactly_the_live_watches() {
    use rinotify::event::bits;
    use rinotify::watcher::{Options, Wait, Watcher};
    let dir = fresh_dir(GROUP, "table");
    let mut w = Watcher::new(Options {
        mask: bits::ALL_EVENTS,
        recursive: true,
        track: true,
        scan_new: true,
        ..Options::default()
    })
    .unwrap();
    let top = dir.as_os_str().as_bytes().to_vec();
    w.add_top(&top, &[]).unwrap();
    let pump = |w: &mut Watcher, want: usize| {
        let start = Instant::now();
        while w.table().len() != want {
            assert!(
                start.elapsed() < DEADLINE,
                "table has {}, want {want}",
                w.table().len()
            );
            if let Ok(Wait::Ready) = w.wait(Some(Duration::from_millis(50)), None) {
                while w.next_event().is_some() {}
            }
        }
    };
    let mut footprints = Vec::new();
    for round in 0..20 {
        for i in 0..1000 {
            std::fs::create_dir(dir.join(format!("d{round}_{i}"))).unwrap();
        }
        pump(&mut w, 1001);
        for i in 0..1000 {
            std::fs::remove_dir(dir.join(format!("d{round}_{i}"))).unwrap();
        }
        pump(&mut w, 1);
        // Whatever is still queued (IGNOREDs) is read before the kernel is asked.
        while let Ok(Wait::Ready) = w.wait(Some(Duration::from_millis(20)), None) {
            while w.next_event().is_some() {}
        }
        assert_eq!(watch_count(std::process::id()), 1, "round {round}");
        footprints.push(w.table().footprint());
    }
    eprintln!("table footprint by round: {footprints:?}");
    let peak_first = footprints[..10].iter().max().copied().unwrap();
    assert!(
        footprints[10..].iter().all(|&f| f <= peak_first),
        "table grew: {footprints:?}"
    );
}
