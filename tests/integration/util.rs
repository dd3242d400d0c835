//! Test harness: spawns a binary (the reference or ours) with a chosen argv[0] in a
//! scenario directory, waits for readiness without sleeping, runs scripted actions,
//! collects stdout/stderr/exit status/outfile under hard deadlines, and provides a
//! diff-printing assert.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The reference binary.
pub const REFERENCE: &str = "/usr/bin/inotifywait";
/// The reference inotifywatch.
pub const REFERENCE_WATCH: &str = "/usr/bin/inotifywatch";
/// Hard deadline for any single wait (readiness, a step, the final exit).
pub const STEP_DEADLINE: Duration = Duration::from_secs(10);
/// Hard deadline for one whole run.
pub const RUN_DEADLINE: Duration = Duration::from_secs(25);
/// Polling interval of every wait loop.
const POLL: Duration = Duration::from_millis(2);

/// Polls `cond` until it holds; panics with `what` and `diag()` once `deadline` has
/// passed.
pub fn poll_until(
    what: &str,
    deadline: Duration,
    mut cond: impl FnMut() -> bool,
    diag: impl Fn() -> String,
) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}\n{}",
            diag()
        );
        thread::sleep(POLL);
    }
}

/// Path of the binary under test: `$RINOTIFY_UNDER_TEST` if set, else our build.
pub fn ours() -> PathBuf {
    if let Some(p) = std::env::var_os("RINOTIFY_UNDER_TEST") {
        return PathBuf::from(p);
    }
    if let Some(p) = option_env!("CARGO_BIN_EXE_rinotify") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/debug/rinotify")
}

/// Whether a reference binary (`REFERENCE`, `REFERENCE_WATCH`) is installed.
pub fn reference_available(reference: &str) -> bool {
    Path::new(reference).exists()
}

/// When the binary counts as ready and the actions may start.
#[derive(Clone, Debug)]
pub enum Ready {
    /// Start the actions at once (runs that end by themselves, usage errors).
    Immediately,
    /// Wait until stderr contains `Watches established.`.
    Established,
    /// Wait until the process holds at least this many inotify watches (quiet runs).
    Watches(usize),
}

/// One action run after readiness.
#[derive(Clone, Debug)]
pub enum Step {
    /// Run a shell script (`sh -c`) in the scenario directory; it must succeed.
    Sh(String),
    /// Wait until the process holds at least this many inotify watches.
    WaitWatches(usize),
    /// Wait until the collected stdout contains this text.
    WaitStdout(String),
    /// Wait until the collected stderr contains this text.
    WaitStderr(String),
    /// Wait until a file (relative to the scenario dir) contains this text.
    WaitFile(String, String),
    /// Send a signal to the process.
    Signal(i32),
    /// Find a detached process (daemon) whose command line mentions the scenario
    /// directory and wait until it holds at least this many watches.
    DaemonReady(usize),
    /// Wait until the daemon found by `DaemonReady` is gone.
    DaemonExit,
    /// Wait until the stdout filter (`Run::filter`, e.g. `head -n1`) has exited.
    WaitFilterExit,
    /// Wait until the process has read and handled every queued inotify event: its
    /// inotify queues are empty and it sleeps in poll/select (see [`drained`]).
    Drained,
}

/// What is written to the child's stdin.
#[derive(Clone, Debug, Default)]
pub enum Input {
    /// `/dev/null`.
    #[default]
    Null,
    /// These bytes, then EOF.
    Bytes(Vec<u8>),
}

/// Everything needed to run one binary once.
#[derive(Clone, Debug)]
pub struct Run {
    pub program: PathBuf,
    pub argv0: OsString,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    pub stdin: Input,
    pub ready: Ready,
    pub steps: Vec<Step>,
    /// File (relative to `cwd`) whose bytes are collected after the run.
    pub outfile: Option<String>,
    pub env: Vec<(OsString, OsString)>,
    /// Pipe the child's stdout through this command (e.g. `head -n1`); what is
    /// collected as stdout is then the filter's output.
    pub filter: Option<Vec<OsString>>,
}

impl Run {
    pub fn new(program: impl Into<PathBuf>, cwd: impl Into<PathBuf>) -> Self {
        Run {
            program: program.into(),
            argv0: "inotifywait".into(),
            args: Vec::new(),
            cwd: cwd.into(),
            stdin: Input::Null,
            ready: Ready::Immediately,
            steps: Vec::new(),
            outfile: None,
            env: Vec::new(),
            filter: None,
        }
    }
}

/// What one run produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit code, or 128+signal; `None` when the run had to be killed.
    pub status: Option<i32>,
    /// Bytes of the outfile, `None` if absent or not requested.
    pub outfile: Option<Vec<u8>>,
    /// Harness problems (timeouts, failed steps). Non-empty means the run is invalid.
    pub problems: Vec<String>,
}

impl Outcome {
    /// Stderr as lossy text.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

type Buf = Arc<Mutex<Vec<u8>>>;

fn drain(mut src: impl Read + Send + 'static, buf: Buf) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match src.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => buf.lock().unwrap().extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Number of inotify watches and fanotify marks held by `pid` (sum over its fds).
pub fn watch_count(pid: u32) -> usize {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return 0;
    };
    dir.flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .map(|info| {
            info.split(|&b| b == b'\n')
                .filter(|l| {
                    l.starts_with(b"inotify wd:")
                        || l.starts_with(b"fanotify ino:")
                        || l.starts_with(b"fanotify sdev:")
                })
                .count()
        })
        .sum()
}

/// Whether `pid` sleeps in poll/select (its only blocking point while collecting).
fn sleeps_in_poll(pid: u32) -> bool {
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let sleeping = state
        .rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('S'));
    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    sleeping && (wchan.contains("poll") || wchan.contains("select"))
}

/// Bytes queued on every inotify fd of `pid` (duplicated with pidfd_getfd(2), then
/// FIONREAD); `None` if they cannot be inspected.
fn queued_bytes(pid: u32) -> Option<usize> {
    let fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .flatten()
        .filter(|e| {
            std::fs::read_link(e.path()).is_ok_and(|l| {
                l.as_os_str() == "anon_inode:inotify" || l.as_os_str() == "anon_inode:[fanotify]"
            })
        })
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    // SAFETY: plain syscalls on descriptors owned and closed here.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) as i32;
        if pidfd < 0 {
            return None;
        }
        let mut total = Some(0usize);
        for fd in fds {
            let dup = libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) as i32;
            let mut n: libc::c_int = 0;
            if dup < 0 || libc::ioctl(dup, libc::FIONREAD, &mut n) < 0 {
                total = None;
            } else {
                total = total.map(|t| t + n as usize);
            }
            if dup >= 0 {
                libc::close(dup);
            }
        }
        libc::close(pidfd);
        total
    }
}

/// Whether `pid` has consumed everything queued so far: its inotify queues are empty
/// and, checked afterwards, it sleeps in poll/select, i.e. it has also handled what it
/// read (both the reference and ours block only there, on the main thread, which is
/// the one that reads the events). Events are queued by the kernel synchronously with
/// the actions, so after the actions this is a safe sync point before a signal that
/// ends the run.
pub fn drained(pid: u32) -> bool {
    sleeps_in_poll(pid) && queued_bytes(pid) == Some(0) && sleeps_in_poll(pid)
}

fn status_code(st: ExitStatus) -> i32 {
    match (st.code(), st.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        (None, None) => -1,
    }
}

/// Whether `pid` is gone or a zombie.
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Find a live process other than us whose argv contains `needle` and which holds
/// an inotify fd.
fn find_daemon(needle: &[u8], exclude: u32) -> Option<u32> {
    let me = std::process::id();
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me || pid == exclude || process_gone(pid) {
            continue;
        }
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if cmd.split(|&b| b == 0).any(|a| contains(a, needle)) && watch_count(pid) > 0 {
            return Some(pid);
        }
    }
    None
}

struct Live {
    child: Child,
    pid: u32,
    out: Buf,
    err: Buf,
    readers: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
    started: Instant,
    problems: Vec<String>,
}

impl Live {
    fn exited(&mut self) -> bool {
        if self.status.is_none()
            && let Ok(Some(st)) = self.child.try_wait()
        {
            self.status = Some(st);
        }
        self.status.is_some()
    }

    /// Poll `cond` until true, the process exits (if `stop_on_exit`), or the deadline.
    /// Returns whether the condition became true.
    fn wait_for(
        &mut self,
        what: &str,
        stop_on_exit: bool,
        mut cond: impl FnMut(&Self) -> bool,
    ) -> bool {
        let deadline = Instant::now() + STEP_DEADLINE;
        loop {
            if cond(self) {
                return true;
            }
            if stop_on_exit && self.exited() {
                // One last look: output may have arrived just before exit.
                self.join_readers();
                if cond(self) {
                    return true;
                }
                self.problems
                    .push(format!("process exited while waiting for {what}"));
                return false;
            }
            if Instant::now() >= deadline || self.started.elapsed() >= RUN_DEADLINE {
                self.problems.push(format!("timed out waiting for {what}"));
                return false;
            }
            thread::sleep(POLL);
        }
    }

    fn join_readers(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.readers.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            thread::sleep(POLL);
        }
        if self.readers.iter().all(|h| h.is_finished()) {
            for h in self.readers.drain(..) {
                let _ = h.join();
            }
        }
    }

    fn kill(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
            if let Ok(st) = self.child.wait() {
                self.status = Some(st);
            }
        }
    }
}

fn run_sh(script: &str, cwd: &Path) -> Result<(), String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "step `{script}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Spawn, wait for readiness, run the steps, wait for the end; never hangs.
pub fn execute(run: &Run) -> Outcome {
    let mut cmd = Command::new(&run.program);
    cmd.arg0(&run.argv0)
        .args(&run.args)
        .current_dir(&run.cwd)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .stdin(match run.stdin {
            Input::Null => Stdio::null(),
            Input::Bytes(_) => Stdio::piped(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &run.env {
        cmd.env(k, v);
    }
    // Signals ignored by whoever started the test run (e.g. SIGINT for background
    // jobs of a non-interactive shell) would be inherited: give both binaries the
    // same, default dispositions.
    default_signals(&mut cmd, Vec::new());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                problems: vec![format!("cannot spawn {}: {e}", run.program.display())],
                ..Outcome::default()
            };
        }
    };
    let pid = child.id();
    let out: Buf = Arc::default();
    let err: Buf = Arc::default();
    let mut filter: Option<Child> = None;
    let stdout: Box<dyn Read + Send> = match &run.filter {
        None => Box::new(child.stdout.take().unwrap()),
        Some(argv) => {
            let spawned = Command::new(&argv[0])
                .args(&argv[1..])
                .stdin(Stdio::from(child.stdout.take().unwrap()))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn();
            match spawned {
                Ok(mut f) => {
                    let fout = f.stdout.take().unwrap();
                    filter = Some(f);
                    Box::new(fout)
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Outcome {
                        problems: vec![format!("cannot spawn filter {argv:?}: {e}")],
                        ..Outcome::default()
                    };
                }
            }
        }
    };
    let mut readers = vec![
        drain(stdout, out.clone()),
        drain(child.stderr.take().unwrap(), err.clone()),
    ];
    if let (Input::Bytes(bytes), Some(mut stdin)) = (&run.stdin, child.stdin.take()) {
        let bytes = bytes.clone();
        readers.push(thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        }));
    }
    let mut live = Live {
        child,
        pid,
        out,
        err,
        readers,
        status: None,
        started: Instant::now(),
        problems: Vec::new(),
    };

    let ready = match &run.ready {
        Ready::Immediately => true,
        Ready::Established => live.wait_for("`Watches established.` on stderr", true, |l| {
            contains(&l.err.lock().unwrap(), b"Watches established.")
        }),
        Ready::Watches(n) => {
            let n = *n;
            live.wait_for(&format!("{n} watches"), true, |l| watch_count(l.pid) >= n)
        }
    };

    let mut daemon: Option<u32> = None;
    let mut dir_needle = run.cwd.as_os_str().as_bytes().to_vec();
    dir_needle.push(b'/');
    if ready {
        for step in &run.steps {
            let ok = match step {
                Step::Sh(script) => match run_sh(script, &run.cwd) {
                    Ok(()) => true,
                    Err(e) => {
                        live.problems.push(e);
                        false
                    }
                },
                Step::WaitWatches(n) => {
                    let n = *n;
                    live.wait_for(&format!("{n} watches"), true, |l| watch_count(l.pid) >= n)
                }
                Step::WaitStdout(t) => {
                    live.wait_for(&format!("stdout to contain {t:?}"), true, |l| {
                        contains(&l.out.lock().unwrap(), t.as_bytes())
                    })
                }
                Step::WaitStderr(t) => {
                    live.wait_for(&format!("stderr to contain {t:?}"), true, |l| {
                        contains(&l.err.lock().unwrap(), t.as_bytes())
                    })
                }
                Step::WaitFile(f, t) => {
                    let p = run.cwd.join(f);
                    live.wait_for(&format!("{f} to contain {t:?}"), false, |_| {
                        std::fs::read(&p).is_ok_and(|b| contains(&b, t.as_bytes()))
                    })
                }
                Step::Signal(sig) => {
                    if !live.exited() {
                        // SAFETY: plain kill(2) on our own child, which is not reaped yet.
                        unsafe { libc::kill(pid as libc::pid_t, *sig) };
                    }
                    true
                }
                Step::DaemonReady(n) => {
                    let n = *n;
                    let mut found = None;
                    let ok = live.wait_for(&format!("a daemon with {n} watches"), false, |_| {
                        found = find_daemon(&dir_needle, pid).filter(|&d| watch_count(d) >= n);
                        found.is_some()
                    });
                    daemon = found;
                    ok
                }
                Step::Drained => {
                    live.wait_for("the inotify queue to be drained", true, |l| drained(l.pid))
                }
                Step::WaitFilterExit => match filter.as_mut() {
                    Some(f) => live.wait_for("the stdout filter to exit", false, |_| {
                        matches!(f.try_wait(), Ok(Some(_)))
                    }),
                    None => true,
                },
                Step::DaemonExit => match daemon {
                    Some(d) => live.wait_for("the daemon to exit", false, |_| process_gone(d)),
                    None => true,
                },
            };
            if !ok {
                break;
            }
        }
    }

    let remaining = RUN_DEADLINE.saturating_sub(live.started.elapsed());
    let deadline = Instant::now() + remaining.min(STEP_DEADLINE);
    while !live.exited() && Instant::now() < deadline {
        thread::sleep(POLL);
    }
    if !live.exited() {
        live.problems
            .push("timed out waiting for the process to exit; killed".into());
        live.kill();
    }
    if let Some(d) = daemon.filter(|&d| !process_gone(d)) {
        live.problems
            .push(format!("daemon {d} still running; killed"));
        // SAFETY: kill(2) on the daemon this run started.
        unsafe { libc::kill(d as libc::pid_t, libc::SIGKILL) };
    }
    if let Some(mut f) = filter {
        let _ = f.kill();
        let _ = f.wait();
    }
    live.join_readers();
    if !live.readers.is_empty() {
        live.problems
            .push("output pipes still open after exit".into());
    }
    let status = if live.problems.iter().any(|p| p.contains("killed")) {
        None
    } else {
        live.status.map(status_code)
    };
    let outfile = run
        .outfile
        .as_ref()
        .and_then(|f| std::fs::read(run.cwd.join(f)).ok());
    let stdout = live.out.lock().unwrap().clone();
    let stderr = live.err.lock().unwrap().clone();
    Outcome {
        stdout,
        stderr,
        status,
        outfile,
        problems: live.problems,
    }
}

/// Render bytes readably: printable ASCII as is, `\n` as `\n` plus a line break,
/// everything else escaped.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\n' => s.push_str("\\n\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

/// A readable side-by-side rendering of two byte strings, marking differing lines.
pub fn diff(label: &str, expected: &[u8], actual: &[u8]) -> String {
    let mut s = String::new();
    let first = expected
        .iter()
        .zip(actual)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(actual.len()));
    let _ = writeln!(
        s,
        "--- {label} differs (- expected: {} bytes, + actual: {} bytes, first difference at byte {first})",
        expected.len(),
        actual.len()
    );
    let el: Vec<&[u8]> = expected.split_inclusive(|&b| b == b'\n').collect();
    let al: Vec<&[u8]> = actual.split_inclusive(|&b| b == b'\n').collect();
    let show = |x: &[u8]| shorten(escape(x).trim_end_matches('\n'));
    for op in line_diff(&el, &al) {
        let _ = match op {
            Op::Same(l) => writeln!(s, "    {}", show(l)),
            Op::Del(l) => writeln!(s, "  - {}", show(l)),
            Op::Add(l) => writeln!(s, "  + {}", show(l)),
        };
    }
    s
}

enum Op<'a> {
    Same(&'a [u8]),
    Del(&'a [u8]),
    Add(&'a [u8]),
}

/// Line diff by longest common subsequence (outputs here are small; very long
/// inputs fall back to "all removed, all added").
fn line_diff<'a>(a: &[&'a [u8]], b: &[&'a [u8]]) -> Vec<Op<'a>> {
    if a.len() * b.len() > 4_000_000 {
        return a
            .iter()
            .map(|l| Op::Del(l))
            .chain(b.iter().map(|l| Op::Add(l)))
            .collect();
    }
    // lcs[i][j] = LCS length of a[i..] and b[j..]
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push(Op::Same(a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(Op::Del(a[i]));
            i += 1;
        } else {
            ops.push(Op::Add(b[j]));
            j += 1;
        }
    }
    ops
}

/// Assert two byte strings are equal, printing a readable diff otherwise.
#[track_caller]
pub fn assert_bytes_eq(label: &str, expected: &[u8], actual: &[u8]) {
    if expected != actual {
        panic!("{}", diff(label, expected, actual));
    }
}

/// Compare two outcomes field by field; returns a report of all differences.
pub fn compare(expected: &Outcome, actual: &Outcome) -> Option<String> {
    let mut report = String::new();
    if expected.status != actual.status {
        let _ = writeln!(
            report,
            "--- exit status differs: expected {:?}, actual {:?}",
            expected.status, actual.status
        );
    }
    if expected.stdout != actual.stdout {
        report.push_str(&diff("stdout", &expected.stdout, &actual.stdout));
    }
    if expected.stderr != actual.stderr {
        report.push_str(&diff("stderr", &expected.stderr, &actual.stderr));
    }
    if expected.outfile != actual.outfile {
        report.push_str(&diff(
            "outfile",
            expected.outfile.as_deref().unwrap_or(b"<absent>"),
            actual.outfile.as_deref().unwrap_or(b"<absent>"),
        ));
    }
    if report.is_empty() {
        None
    } else {
        Some(report)
    }
}

/// A full, readable dump of an outcome (for failure messages).
pub fn dump(label: &str, o: &Outcome) -> String {
    let mut s = format!("=== {label}: status {:?}\n", o.status);
    for p in &o.problems {
        let _ = writeln!(s, "    problem: {p}");
    }
    let _ = writeln!(s, "  stdout:\n{}", indent(&escape(&o.stdout)));
    let _ = writeln!(s, "  stderr:\n{}", indent(&escape(&o.stderr)));
    if let Some(f) = &o.outfile {
        let _ = writeln!(s, "  outfile:\n{}", indent(&escape(f)));
    }
    s
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    |{}\n", shorten(l)))
        .collect()
}

/// Shorten a very long rendered line (e.g. 4096-byte formats) for display.
fn shorten(l: &str) -> String {
    const MAX: usize = 240;
    if l.len() <= MAX || !l.is_ascii() {
        return l.to_string();
    }
    format!(
        "{}…[{} bytes]…{}",
        &l[..120],
        l.len() - 200,
        &l[l.len() - 80..]
    )
}

/// Fresh, empty directory `<tmp>/<group>/<name>/` (removed first if present).
pub fn fresh_dir(group: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(group).join(name);
    wipe(&dir);
    std::fs::create_dir_all(&dir).expect("create scenario dir");
    dir
}

/// Remove a directory tree, tolerating read-only bits.
pub fn wipe(dir: &Path) {
    unmount_below(dir);
    if dir.exists() {
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+rwx")
            .arg(dir)
            .status();
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Run a setup script in `dir`, panicking on failure.
pub fn setup(dir: &Path, script: &str) {
    if let Err(e) = run_sh(script, dir) {
        panic!("fixture setup failed: {e}");
    }
}

/// Lazily unmount every mount point at or below `dir` (left by a failed scenario).
fn unmount_below(dir: &Path) {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return;
    };
    let prefix = dir.as_os_str().as_bytes();
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|l| l.split(' ').nth(1))
        .filter(|m| {
            let m = m.as_bytes();
            m.starts_with(prefix) && (m.len() == prefix.len() || m[prefix.len()] == b'/')
        })
        .collect();
    points.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for m in points {
        let _ = Command::new("umount").arg("-l").arg(m).status();
    }
}

/// Held by the tests that load the machine (the 200,000-directory churn) and by those
/// that count a burst exactly, so that one never starves the other's process.
pub static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes [`HEAVY`], whatever a failed holder left behind.
pub fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// `/proc/sys/fs/inotify/max_queued_events` (the kernel default when unreadable).
pub fn max_queued_events() -> usize {
    std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(16384)
}

/// A directory holding `inotifywait` and `inotifywatch` symlinks to the reference
/// binaries (`reference`) or to ours, for runs through a wrapper (`sh -c`, `unshare`,
/// `setpriv`) that must find the tool by name on `PATH`: argv[0] is then the plain
/// tool name for both binaries, as getopt's messages and our applet dispatch need.
pub fn tool_dir(reference: bool) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let (wait, watch) = if reference {
        (PathBuf::from(REFERENCE), PathBuf::from(REFERENCE_WATCH))
    } else {
        (ours(), ours())
    };
    // One directory per target, so that runs of different builds never share links.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&wait, &watch).hash(&mut h);
    let dir = std::env::temp_dir()
        .join("rinotify-tools")
        .join(format!("{:016x}", h.finish()));
    std::fs::create_dir_all(&dir).expect("create tool dir");
    for (name, target) in [("inotifywait", wait), ("inotifywatch", watch)] {
        let link = dir.join(name);
        if std::fs::read_link(&link).is_ok_and(|t| t == target) {
            continue;
        }
        // Concurrent tests may race here: make each link atomically.
        let tmp = dir.join(format!(
            ".{name}.{}.{:?}",
            std::process::id(),
            thread::current().id()
        ));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp).expect("symlink tool");
        std::fs::rename(&tmp, &link).expect("rename tool symlink");
    }
    dir
}

/// `PATH` with [`tool_dir`] first.
pub fn tool_path(reference: bool) -> OsString {
    let mut p = tool_dir(reference).into_os_string();
    p.push(":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    p
}

/// Pids of the processes holding an inotify watch on `path`'s inode (every process
/// on the machine is looked at, so a leftover daemon is found whatever its argv).
pub fn watchers_of(path: &Path) -> Vec<u32> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Vec::new();
    };
    // fdinfo prints the kernel's dev_t: major << 20 | minor.
    let dev = meta.dev();
    let kdev = (u64::from(libc::major(dev)) << 20) | u64::from(libc::minor(dev));
    let want_ino = format!("ino:{:x} ", meta.ino());
    let want_dev = format!("sdev:{kdev:x} ");
    let mut pids = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for e in procs.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
            continue;
        };
        let watching = fds.flatten().any(|fd| {
            std::fs::read_to_string(fd.path()).is_ok_and(|info| {
                info.lines().any(|l| {
                    l.starts_with("inotify wd:") && l.contains(&want_ino) && l.contains(&want_dev)
                })
            })
        });
        if watching {
            pids.push(pid);
        }
    }
    pids
}

/// Pids of live processes (not zombies, not this one) whose argv contains `needle`.
pub fn pids_mentioning(needle: &[u8]) -> Vec<u32> {
    let me = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me && !process_gone(pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|a| contains(a, needle)))
        })
        .collect()
}

/// What a crashed Rust program leaves on stderr, if any of it is there.
pub fn crash_marks(stderr: &[u8]) -> Option<&'static str> {
    ["panicked", "RUST_BACKTRACE", "stack backtrace"]
        .into_iter()
        .find(|m| contains(stderr, m.as_bytes()))
}

/// Parses an inotifywatch table into its header columns and rows (cells, name); blank
/// lines (a SIGUSR1 snapshot's separator) are skipped, a name may hold spaces, and a
/// cell that is not a number reads as `u64::MAX`, so no count assertion can pass on it.
pub fn parse_table(out: &str) -> (Vec<String>, Vec<(Vec<u64>, String)>) {
    let mut lines = out.lines().filter(|l| !l.is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let n = header.len().saturating_sub(1);
    let rows = lines
        .map(|l| {
            let mut cells = Vec::new();
            let mut rest = l;
            for _ in 0..n {
                let t = rest.trim_start();
                let end = t.find(' ').unwrap_or(t.len());
                cells.push(t[..end].parse().unwrap_or(u64::MAX));
                rest = &t[end..];
            }
            (cells, rest.trim_start().to_string())
        })
        .collect();
    (header, rows)
}

/// VmRSS of `pid` in kB.
pub fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

/// Starts `cmd` with the terminating signals at their default disposition, but for
/// `ignored`, which it inherits as ignored (whoever started the test run may have
/// ignored some, e.g. SIGINT for background jobs of a non-interactive shell).
pub fn default_signals(cmd: &mut Command, ignored: Vec<libc::c_int>) {
    // SAFETY: only async-signal-safe signal(2) calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            for sig in [
                libc::SIGINT,
                libc::SIGQUIT,
                libc::SIGHUP,
                libc::SIGTERM,
                libc::SIGPIPE,
            ] {
                libc::signal(sig, libc::SIG_DFL);
            }
            for &sig in &ignored {
                libc::signal(sig, libc::SIG_IGN);
            }
            Ok(())
        });
    }
}

/// The first executable called `tool` on the test's PATH.
pub fn which(tool: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
