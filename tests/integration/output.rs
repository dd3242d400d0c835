//! Output discipline of our inotifywait: a burst costs a handful of `write`s, not one per
//! event, while each line still reaches a reader without the process ending.

use crate::live::Live;
use crate::util::fresh_dir;

/// Write syscalls made so far by `pid` (`syscw` in /proc/<pid>/io).
fn write_calls(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("syscw: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// 2,000 files created while the watcher is stopped reach it as one queued burst: their
/// 2,000 lines must leave in far fewer writes (one per drained batch).
#[test]
fn burst_is_written_in_batches() {
    let dir = fresh_dir("rinotify-output", "burst");
    let live = Live::start(
        "inotifywait",
        &["-m", "-q", "-e", "create", "--format", "%f", "."],
        &dir,
    );
    live.wait_watches(1);
    live.signal(libc::SIGSTOP);
    let before = write_calls(live.child.id());
    for i in 0..2000 {
        std::fs::File::create(dir.join(format!("f{i:04}"))).unwrap();
    }
    live.signal(libc::SIGCONT);
    live.wait_stdout("f1999\n");
    let writes = write_calls(live.child.id()) - before;
    let (out, _) = live.stop();
    assert_eq!(out.lines().count(), 2000);
    assert!(writes <= 20, "{writes} writes for 2000 lines");
}

/// A single event is readable at once, while the process keeps running.
#[test]
fn lone_event_is_flushed_at_once() {
    let dir = fresh_dir("rinotify-output", "lone");
    let mut live = Live::start("inotifywait", &["-m", "-q", "."], &dir);
    live.wait_watches(1);
    std::fs::create_dir(dir.join("d")).unwrap();
    live.wait_stdout("./ CREATE,ISDIR d\n");
    assert_eq!(
        live.child.try_wait().ok().flatten(),
        None::<std::process::ExitStatus>
    );
    let (out, _) = live.stop();
    assert_eq!(out, "./ CREATE,ISDIR d\n");
}
