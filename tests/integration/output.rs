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

/// Runs `script` under `sh -c` in `dir` with our tools first on PATH; stderr is read
/// line by line into the returned channel.
fn sh_ours(
    dir: &std::path::Path,
    script: &str,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", crate::util::tool_path(false))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// Waits (10 s at most) for the process to end; its status.
fn ends_within(child: &mut std::process::Child) -> std::process::ExitStatus {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if std::time::Instant::now() > until {
            let _ = child.kill();
            panic!("still running 10 s after its output failed");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Event output sent to a closed stdout is an error said on stderr, not silence: the fd
/// is reserved (read-only /dev/null), so the write fails with EBADF instead of landing
/// in whatever file the program opened next.
#[test]
fn closed_stdout_is_a_write_error() {
    let dir = fresh_dir("rinotify-output", "closed");
    let (mut child, rx) = sh_ours(&dir, "exec inotifywait -m . >&-");
    let timeout = std::time::Duration::from_secs(10);
    assert_eq!(rx.recv_timeout(timeout).unwrap(), "Setting up watches.");
    assert_eq!(rx.recv_timeout(timeout).unwrap(), "Watches established.");
    std::fs::File::create(dir.join("f")).unwrap();
    assert_eq!(
        rx.recv_timeout(timeout).unwrap(),
        "inotifywait: write error: Bad file descriptor"
    );
    assert_eq!(ends_within(&mut child).code(), Some(1));
}

/// With SIGPIPE ignored by the caller (kept, as a C program keeps it), a reader that went
/// away ends the program quietly with status 1; with SIGPIPE at its default, the signal
/// ends it (status 141 in the shell), as it ends the reference.
#[test]
fn closed_pipe_ends_quietly() {
    for (trap, status) in [("", 141), ("trap '' PIPE; ", 1)] {
        let dir = fresh_dir("rinotify-output", &format!("pipe{status}"));
        let script = format!(
            "{trap}(inotifywait -m -q .; echo \"status $?\" >&2) | (read -r l; echo \"got $l\" >&2)"
        );
        let (mut child, rx) = sh_ours(&dir, &script);
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while crate::util::watchers_of(&dir).is_empty() {
            assert!(std::time::Instant::now() < until, "never watching");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::fs::File::create(dir.join("a")).unwrap();
        let timeout = std::time::Duration::from_secs(10);
        assert_eq!(rx.recv_timeout(timeout).unwrap(), "got ./ CREATE a");
        // More events until the writer finds the reader gone.
        let mut line = None;
        for i in 0..2000 {
            std::fs::File::create(dir.join(format!("b{i}"))).unwrap();
            if let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(5)) {
                line = Some(l);
                break;
            }
        }
        assert_eq!(line, Some(format!("status {status}")), "{trap:?}");
        assert_eq!(ends_within(&mut child).code(), Some(0));
        let rest: Vec<String> = rx.try_iter().collect();
        assert!(rest.is_empty(), "{trap:?}: said {rest:?}");
    }
}
