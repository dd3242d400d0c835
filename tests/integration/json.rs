//! `--json` and `--ready-fd` (issue 12) against the real kernel, every line read by
//! the strict reader of the contract (`jsonl`: README, man pages): every key, in order,
//! with its type; the same bytes `--format` prints for the same actions; the synthetic
//! flag; names that are not UTF-8 given back exactly through the `*_base64` keys; the
//! options that shape a run; the overflow object; the fanotify backend; the readiness
//! line (written only once every watch exists, then closed, never fatal); and
//! inotifywatch's document against its own text table.
//!
//! Readiness is `--ready-fd`, a banner, watch counts or `util::drained`; every wait has
//! a hard deadline; no process outlives its test.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::jsonl::{Event, now_ns, parse_docs, parse_events};
use crate::live::{Buf, collect_output};
use crate::noloss::overflowable;
use crate::scenario::{Sc, run_once, w};
use crate::util::{self, Outcome, fresh_dir, parse_table, poll_until, watch_count};

const GROUP: &str = "rinotify-json";
/// Hard deadline of every wait.
const STEP: Duration = util::STEP_DEADLINE;
const POLL: Duration = Duration::from_millis(2);
/// The descriptor number `--ready-fd` is given (closed in the child unless a pipe is
/// put there).
const READY_FD: RawFd = 57;
const READY_LINE: &[u8] = b"Watches established.\n";
/// inotifywatch's banner, all on stderr before readiness.
const WATCH_BANNER: &str =
    "Establishing watches...\nFinished establishing watches, now collecting statistics.\n";

/// `--format` records ending in `%0` and a newline (names hold no NUL), split on NUL.
fn records(out: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut recs = Vec::new();
    let mut rest = out;
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == b"\0\n")
            .unwrap_or_else(|| panic!("unterminated record: {}", util::escape(rest)));
        recs.push(rest[..end].split(|&b| b == 0).map(<[u8]>::to_vec).collect());
        rest = &rest[end + 2..];
    }
    recs
}

// ---------------------------------------------------------------------------------
// A running binary with a ready pipe
// ---------------------------------------------------------------------------------

/// What the child finds at [`READY_FD`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pipe {
    /// Nothing: the descriptor is closed.
    Closed,
    /// A pipe the test reads.
    Open,
    /// A pipe already full when the child starts: its write of the ready line blocks
    /// until the test reads, so the test sees the process as it was when it wrote.
    Full,
    /// A pipe whose read end the test closed before the start.
    Orphan,
}

/// Ours, running: stdout and stderr collected by threads, the ready pipe's read end.
struct Proc {
    child: Child,
    out: Buf,
    err: Buf,
    readers: Vec<JoinHandle<()>>,
    ready: Option<std::io::PipeReader>,
    /// Bytes put in the pipe before the start ([`Pipe::Full`]).
    filler: usize,
}

impl Drop for Proc {
    /// A failed assertion must not leave the process running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn set_nonblocking(fd: RawFd, on: bool) {
    // SAFETY: fcntl on a pipe end this test owns.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        let fl = if on {
            fl | libc::O_NONBLOCK
        } else {
            fl & !libc::O_NONBLOCK
        };
        libc::fcntl(fd, libc::F_SETFL, fl);
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Whether `pid` is gone or a zombie.
fn gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

/// Whether `pid` is stopped (SIGSTOP has taken effect).
fn stopped(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('T'))
    })
}

/// Whether `pid` sits in write(2) on [`READY_FD`].
fn blocked_on_ready(pid: u32) -> bool {
    let want = format!("{} {:#x} ", libc::SYS_write, READY_FD);
    std::fs::read_to_string(format!("/proc/{pid}/syscall")).is_ok_and(|s| s.starts_with(&want))
}

impl Proc {
    /// `argv0 [--ready-fd 57] ARGS` in `cwd` (`--ready-fd` when there is a pipe).
    fn start(argv0: &str, args: &[OsString], cwd: &Path, pipe: Pipe) -> Proc {
        let (reader, writer) = match pipe {
            Pipe::Closed => (None, None),
            _ => {
                let (r, w) = std::io::pipe().expect("pipe");
                (Some(r), Some(w))
            }
        };
        let mut filler = 0;
        if let (Pipe::Full, Some(mut w)) = (pipe, writer.as_ref()) {
            set_nonblocking(w.as_raw_fd(), true);
            // Pages first, then bytes: not even one byte of room is left.
            for size in [4096, 1] {
                loop {
                    match w.write(&[b'.'; 4096][..size]) {
                        Ok(n) => filler += n,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("filling the ready pipe: {e}"),
                    }
                }
            }
            set_nonblocking(w.as_raw_fd(), false);
        }
        let reader = if pipe == Pipe::Orphan { None } else { reader };
        let wfd = writer.as_ref().map(AsRawFd::as_raw_fd);
        let mut cmd = Command::new(util::ours());
        cmd.arg0(argv0);
        if pipe != Pipe::Closed {
            cmd.arg("--ready-fd").arg(READY_FD.to_string());
        }
        cmd.args(args)
            .current_dir(cwd)
            .env("LC_ALL", "C")
            // Not UTC: the times must be UTC whatever the local zone.
            .env("TZ", "JST-9")
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        util::default_signals(&mut cmd, Vec::new());
        // SAFETY: only async-signal-safe dup2/fcntl/close between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                match wfd {
                    None => {
                        libc::close(READY_FD);
                    }
                    Some(fd) if fd == READY_FD => {
                        libc::fcntl(fd, libc::F_SETFD, 0);
                    }
                    Some(fd) => {
                        if libc::dup2(fd, READY_FD) < 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                    }
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("spawn ours");
        drop(writer);
        if let Some(r) = &reader {
            set_nonblocking(r.as_raw_fd(), true);
        }
        let (out, err, readers) = collect_output(&mut child);
        Proc {
            child,
            out,
            err,
            readers,
            ready: reader,
            filler,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stdout(&self) -> Vec<u8> {
        self.out.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    fn lines(&self) -> usize {
        self.out
            .lock()
            .unwrap()
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    fn diag(&self) -> String {
        format!(
            "stdout so far:\n{}\nstderr so far:\n{}",
            util::escape(&self.stdout()),
            self.stderr()
        )
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Polls `cond` until it holds; panics at the deadline or if the process ends.
    fn wait_until(&mut self, what: &str, mut cond: impl FnMut(&Proc) -> bool) {
        let deadline = Instant::now() + STEP;
        while !cond(self) {
            if !self.alive() {
                self.join();
                assert!(
                    cond(self),
                    "exited while waiting for {what}\n{}",
                    self.diag()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n{}",
                self.diag()
            );
            std::thread::sleep(POLL);
        }
    }

    fn wait_lines(&mut self, n: usize) {
        self.wait_until(&format!("{n} lines on stdout"), |p| p.lines() >= n);
    }

    /// Waits until every queued event has been read and handled.
    fn drained(&mut self) {
        let pid = self.pid();
        self.wait_until("the queue to be drained", |_| util::drained(pid));
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child, not reaped while it runs.
        unsafe { libc::kill(self.pid() as libc::pid_t, sig) };
    }

    /// SIGSTOP, and waits until it has taken effect.
    fn stop(&mut self) {
        self.signal(libc::SIGSTOP);
        let pid = self.pid();
        self.wait_until("the process to be stopped", |_| stopped(pid));
    }

    /// Reads the ready pipe to end of file (hard deadline) and returns what came after
    /// the filler.
    fn read_ready(&mut self) -> Vec<u8> {
        let r = self.ready.take().expect("a ready pipe");
        read_to_eof(r, self.filler, || self.diag())
    }

    /// The ready line, then end of file.
    fn ready_line(&mut self) {
        let got = self.read_ready();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(READY_LINE),
            "on --ready-fd\n{}",
            self.diag()
        );
    }

    /// Waits until the process blocks writing to the (full) ready pipe.
    fn wait_blocked_on_ready(&mut self) {
        let pid = self.pid();
        self.wait_until("the process to write to --ready-fd", |_| {
            blocked_on_ready(pid)
        });
    }

    fn join(&mut self) {
        let deadline = Instant::now() + STEP;
        while self.readers.iter().any(|h| !h.is_finished()) {
            assert!(
                Instant::now() < deadline,
                "output pipes still open after exit"
            );
            std::thread::sleep(POLL);
        }
        for h in self.readers.drain(..) {
            let _ = h.join();
        }
    }

    /// Sends `sig` (if any), waits for the end (hard deadline): exit code or
    /// 128+signal, stdout, stderr.
    fn finish(mut self, sig: Option<libc::c_int>) -> (i32, Vec<u8>, String) {
        if let Some(s) = sig {
            self.signal(s);
        }
        let deadline = Instant::now() + STEP;
        let st = loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                break st;
            }
            assert!(Instant::now() < deadline, "did not exit\n{}", self.diag());
            std::thread::sleep(POLL);
        };
        self.join();
        let code = st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0));
        (code, self.stdout(), self.stderr())
    }
}

/// Reads a (non-blocking) ready pipe to end of file under a hard deadline; returns
/// what came after the `filler` bytes of dots.
fn read_to_eof(mut r: std::io::PipeReader, filler: usize, diag: impl Fn() -> String) -> Vec<u8> {
    let mut got = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = Instant::now() + STEP;
    loop {
        match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "--ready-fd: no end of file; read {:?} after the filler\n{}",
                    String::from_utf8_lossy(&got[filler.min(got.len())..]),
                    diag()
                );
                std::thread::sleep(POLL);
            }
            Err(e) => panic!("reading the ready pipe: {e}"),
        }
    }
    assert!(got.len() >= filler, "the filler did not come back");
    assert!(got[..filler].iter().all(|&b| b == b'.'));
    got.split_off(filler)
}

/// Kills a daemon left behind by a failed assertion.
struct Daemon(u32);

impl Drop for Daemon {
    fn drop(&mut self) {
        if !gone(self.0) {
            // SAFETY: kill(2) on the daemon this test started.
            unsafe { libc::kill(self.0 as libc::pid_t, libc::SIGKILL) };
        }
    }
}

/// A run of a scenario that must have gone as planned.
fn run(name: &str, sc: &Sc) -> Outcome {
    let o = run_once(GROUP, name, &util::ours(), sc);
    assert!(o.problems.is_empty(), "{}", util::dump(name, &o));
    o
}

// ---------------------------------------------------------------------------------
// inotifywait --json: the fields
// ---------------------------------------------------------------------------------

const FIELD_EVENTS: &str = "create,close_write,moved_from,moved_to,delete_self,ignored";

/// `inotifywait -m ARGS -e FIELD_EVENTS w victim` while a file is made and closed, a
/// directory made, the file renamed and the watched file deleted: (exit, stdout).
fn field_run(name: &str, layout: &[&str]) -> (i32, Vec<u8>) {
    let dir = fresh_dir(GROUP, name);
    std::fs::create_dir(dir.join("w")).unwrap();
    std::fs::write(dir.join("victim"), b"").unwrap();
    let mut args = os(&["-m", "-e", FIELD_EVENTS]);
    args.extend(os(layout));
    args.extend(os(&["w", "victim"]));
    let mut p = Proc::start("inotifywait", &args, &dir, Pipe::Open);
    p.ready_line();
    std::fs::File::create(dir.join("w/a")).unwrap();
    std::fs::create_dir(dir.join("w/d")).unwrap();
    std::fs::rename(dir.join("w/a"), dir.join("w/b")).unwrap();
    std::fs::remove_file(dir.join("victim")).unwrap();
    p.wait_lines(7);
    p.drained();
    let (code, out, err) = p.finish(Some(libc::SIGTERM));
    assert_eq!(err, "Setting up watches.\nWatches established.\n");
    (code, out)
}

/// Every key of an event, in order and typed; `events` is what `%e` prints, `watch`
/// and `name` the bytes of `%w` and `%f` (a second, identical run with `--format`),
/// `dir` exactly when ISDIR, a rename's two halves share a non-zero cookie and every
/// other cookie is 0, `synthetic` false and `backend` "inotify" for kernel events, the
/// time the test's own, never going back.
#[test]
fn event_fields_match_what_format_prints() {
    let since = now_ns();
    let (code, out) = field_run("fields_json", &["--json"]);
    assert_eq!(code, 128 + libc::SIGTERM);
    let evs = parse_events(&out, since);
    let want: [(&str, &str, &str); 7] = [
        ("w/", "a", "CREATE"),
        ("w/", "a", "CLOSE_WRITE,CLOSE"),
        ("w/", "d", "CREATE,ISDIR"),
        ("w/", "a", "MOVED_FROM"),
        ("w/", "b", "MOVED_TO"),
        ("victim", "", "DELETE_SELF"),
        ("victim", "", "IGNORED"),
    ];
    let got: Vec<(String, String, String)> = evs
        .iter()
        .map(|e| {
            (
                String::from_utf8_lossy(&e.watch).into_owned(),
                String::from_utf8_lossy(&e.name).into_owned(),
                e.events(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|&(a, b, c)| (a.into(), b.into(), c.into()))
        .collect();
    assert_eq!(got, want, "{out:?}");
    for e in &evs {
        assert!(!e.synthetic, "{}", e.raw);
        assert_eq!(e.backend, "inotify", "{}", e.raw);
        assert_eq!(
            e.obj["path"],
            format!(
                "{}{}",
                e.obj["watch"].as_str().unwrap(),
                e.obj["name"].as_str().unwrap()
            )
        );
        for k in ["watch_base64", "name_base64", "path_base64"] {
            assert!(!e.obj.contains_key(k), "{k} for a UTF-8 name: {}", e.raw);
        }
    }
    assert_eq!(evs.iter().filter(|e| e.dir).count(), 1);
    assert!(evs[2].dir);
    assert_ne!(evs[3].cookie, 0, "a rename has a cookie");
    assert_eq!(evs[3].cookie, evs[4].cookie, "MOVED_FROM/MOVED_TO share it");
    for i in [0, 1, 2, 5, 6] {
        assert_eq!(evs[i].cookie, 0, "{}", evs[i].raw);
    }
    // The first line on the spec's example, byte for byte but for the time.
    let tail = r#","watch":"w/","name":"a","path":"w/a","events":["CREATE"],"dir":false,"cookie":0,"synthetic":false,"backend":"inotify"}"#;
    assert_eq!(&evs[0].raw[40..], tail, "{}", evs[0].raw);
    assert!(evs[0].raw.starts_with(r#"{"time":""#), "{}", evs[0].raw);

    // The same actions through --format: the same bytes, cookies and flag.
    let (code, fmt) = field_run("fields_format", &["--format", "%w%0%f%0%e%0%c%0%s%0"]);
    assert_eq!(code, 128 + libc::SIGTERM);
    let recs = records(&fmt);
    assert_eq!(recs.len(), evs.len(), "{}", util::escape(&fmt));
    for (r, e) in recs.iter().zip(&evs) {
        assert_eq!(r.len(), 5, "{r:?}");
        assert_eq!(r[0], e.watch, "%w vs watch");
        assert_eq!(r[1], e.name, "%f vs name");
        assert_eq!(r[2], e.events().as_bytes(), "%e vs events");
        let c = u64::from_str_radix(std::str::from_utf8(&r[3]).unwrap(), 16).unwrap();
        assert_eq!(c != 0, e.cookie != 0, "%c vs cookie");
        assert_eq!(r[4], b"0", "%s of a kernel event");
    }
    assert_eq!(recs[3][3], recs[4][3], "%c of a rename's two halves");
}

/// What a new directory held before it was watched is reported by rinotify, not the
/// kernel: those CREATEs (and only those) carry `synthetic: true`, and `%s` prints 1
/// for them, 0 for the kernel's; nothing is reported twice.
#[test]
fn synthetic_flag_marks_the_scan_of_a_new_directory() {
    fn run(name: &str, layout: &[&str]) -> Vec<u8> {
        let dir = fresh_dir(GROUP, name);
        std::fs::create_dir(dir.join("t")).unwrap();
        let mut args = os(&["-m", "-r", "-q", "-e", "create"]);
        args.extend(os(layout));
        args.push("t".into());
        let mut p = Proc::start("inotifywait", &args, &dir, Pipe::Open);
        p.ready_line();
        // Stopped, the watcher cannot add a watch on `new` before a and b exist.
        p.stop();
        std::fs::create_dir(dir.join("t/new")).unwrap();
        std::fs::File::create(dir.join("t/new/a")).unwrap();
        std::fs::File::create(dir.join("t/new/b")).unwrap();
        p.signal(libc::SIGCONT);
        p.wait_lines(3);
        let pid = p.pid();
        p.wait_until("the new directory watched", |_| watch_count(pid) == 2);
        p.drained();
        let (code, out, err) = p.finish(Some(libc::SIGTERM));
        assert_eq!((code, err.as_str()), (128 + libc::SIGTERM, ""));
        out
    }
    let since = now_ns();
    let out = run("synthetic_json", &["--json"]);
    let mut evs = parse_events(&out, since);
    assert_eq!(evs.len(), 3, "{}", String::from_utf8_lossy(&out));
    // The scan's order is the directory's; the kernel's CREATE comes first.
    evs[1..].sort_by(|a, b| a.name.cmp(&b.name));
    let got: Vec<(&[u8], &[u8], String, bool)> = evs
        .iter()
        .map(|e| (&e.watch[..], &e.name[..], e.events(), e.synthetic))
        .collect();
    assert_eq!(
        got,
        [
            (&b"t/"[..], &b"new"[..], "CREATE,ISDIR".to_string(), false),
            (b"t/new/", b"a", "CREATE".into(), true),
            (b"t/new/", b"b", "CREATE".into(), true),
        ]
    );
    for e in &evs {
        assert_eq!(e.cookie, 0);
    }

    let out = run("synthetic_format", &["--format", "%s %w%f"]);
    let text = String::from_utf8(out).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].sort_unstable();
    assert_eq!(lines, ["0 t/new", "1 t/new/a", "1 t/new/b"], "{text}");
}

// ---------------------------------------------------------------------------------
// Odd names
// ---------------------------------------------------------------------------------

/// Names every byte of which must come back: JSON's escapes, controls, non-ASCII,
/// and invalid UTF-8 (a lone 0xff, a truncated sequence, an overlong encoding).
const ODD_NAMES: &[&[u8]] = &[
    b"a b",
    b"q\"uote",
    b"back\\slash",
    b"new\nline",
    b"tab\there",
    b"cr\rhere",
    b"ctl\x01\x1f\x7f",
    b"del\x7f",
    "caf\u{e9} \u{2603} \u{1f600}".as_bytes(),
    b"bad\xff",
    b"trunc\xe2\x82",
    b"over\xc0\xaf",
];
/// A directory whose own name is not UTF-8.
const BAD_DIR: &[u8] = b"dir\xfe";

/// `inotifywait -m -q -e create LAYOUT ok BAD_DIR` while every odd name is created in
/// both: stdout.
fn odd_run(name: &str, layout: &[&str]) -> Vec<u8> {
    let dir = fresh_dir(GROUP, name);
    let bad = dir.join(OsStr::from_bytes(BAD_DIR));
    std::fs::create_dir(dir.join("ok")).unwrap();
    std::fs::create_dir(&bad).unwrap();
    let mut args = os(&["-m", "-q", "-e", "create"]);
    args.extend(os(layout));
    args.push("ok".into());
    args.push(OsString::from_vec(BAD_DIR.to_vec()));
    let mut p = Proc::start("inotifywait", &args, &dir, Pipe::Open);
    p.ready_line();
    for n in ODD_NAMES {
        std::fs::File::create(dir.join("ok").join(OsStr::from_bytes(n))).unwrap();
        std::fs::File::create(bad.join(OsStr::from_bytes(n))).unwrap();
    }
    p.wait_lines(2 * ODD_NAMES.len());
    p.drained();
    let (code, out, err) = p.finish(Some(libc::SIGTERM));
    assert_eq!((code, err.as_str()), (128 + libc::SIGTERM, ""));
    out
}

/// Every odd name, in a UTF-8 directory and in one whose name is not, comes back
/// byte for byte by the consumer rule, equal to what `%w` and `%f` print; a
/// `*_base64` key appears exactly when its field is not UTF-8; the escapes are JSON's
/// (`\u00XX` for other controls, DEL included) and non-ASCII is written as is; each
/// event is one line; and jq reads every line to the same values.
#[test]
fn odd_names_round_trip_exactly() {
    let since = now_ns();
    let out = odd_run("odd_json", &["--json"]);
    let evs = parse_events(&out, since);
    let mut bad_watch = BAD_DIR.to_vec();
    bad_watch.push(b'/');
    let want: Vec<(Vec<u8>, Vec<u8>)> = ODD_NAMES
        .iter()
        .flat_map(|n| {
            [
                (b"ok/".to_vec(), n.to_vec()),
                (bad_watch.clone(), n.to_vec()),
            ]
        })
        .collect();
    let got: Vec<(Vec<u8>, Vec<u8>)> = evs
        .iter()
        .map(|e| (e.watch.clone(), e.name.clone()))
        .collect();
    assert_eq!(got, want, "{out:?}");
    for e in &evs {
        let utf8 = |b: &[u8]| std::str::from_utf8(b).is_ok();
        let path = [&e.watch[..], &e.name[..]].concat();
        for (key, bytes) in [("watch", &e.watch), ("name", &e.name), ("path", &path)] {
            assert_eq!(
                e.obj.contains_key(&format!("{key}_base64")),
                !utf8(bytes),
                "{key}_base64 in {}",
                e.raw
            );
        }
        assert_eq!(e.events(), "CREATE");
        assert!(!e.synthetic && !e.dir && e.cookie == 0, "{}", e.raw);
    }
    // The escapes, as written.
    let raw_of = |name: &[u8]| -> &str {
        &evs.iter()
            .find(|e| e.watch == b"ok/" && e.name == name)
            .unwrap()
            .raw
    };
    for (name, written) in [
        (&b"q\"uote"[..], r#""name":"q\"uote","path":"ok/q\"uote""#),
        (b"back\\slash", r#""name":"back\\slash""#),
        (b"new\nline", r#""name":"new\nline""#),
        (b"tab\there", r#""name":"tab\there""#),
        (b"cr\rhere", r#""name":"cr\rhere""#),
        (b"ctl\x01\x1f\x7f", r#""name":"ctl\u0001\u001f\u007f""#),
        (b"del\x7f", r#""name":"del\u007f""#),
        (
            "caf\u{e9} \u{2603} \u{1f600}".as_bytes(),
            "\"name\":\"caf\u{e9} \u{2603} \u{1f600}\"",
        ),
        (b"bad\xff", "\"name\":\"bad\u{fffd}\""),
    ] {
        let raw = raw_of(name);
        assert!(raw.contains(written), "{written} not in {raw}");
    }
    assert!(
        raw_of(b"bad\xff").ends_with(r#","name_base64":"YmFk/w==","path_base64":"b2svYmFk/w=="}"#)
    );

    // The same bytes as --format's %w and %f.
    let fmt = odd_run("odd_format", &["--format", "%w%0%f%0"]);
    let recs: Vec<(Vec<u8>, Vec<u8>)> = records(&fmt)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(recs, got, "%w%f vs JSON");

    jq_reads(&out);
}

/// A line is never cut: a watch of 3,400 bytes and a name of 250 control characters
/// (six bytes each once escaped) make one whole line of some 9,000 bytes, where the
/// text layouts stop at 4,095.
#[test]
fn long_lines_are_whole() {
    let since = now_ns();
    let dir = fresh_dir(GROUP, "long");
    let deep = vec!["d".repeat(200); 17].join("/");
    std::fs::create_dir_all(dir.join(&deep)).unwrap();
    let args = os(&["-q", "--json", "-e", "create", &deep]);
    let mut p = Proc::start("inotifywait", &args, &dir, Pipe::Open);
    p.ready_line();
    let name = vec![1u8; 250];
    std::fs::File::create(dir.join(&deep).join(OsStr::from_bytes(&name))).unwrap();
    let (code, out, _) = p.finish(None);
    assert_eq!(code, 0);
    let evs = parse_events(&out, since);
    assert_eq!(evs.len(), 1);
    assert!(out.len() > 9000, "{} bytes", out.len());
    assert_eq!(evs[0].watch, format!("{deep}/").as_bytes());
    assert_eq!(evs[0].name, name);
}

/// jq (a consumer that is not ours) accepts every line and reads the same values.
fn jq_reads(out: &[u8]) {
    let Some(jq) = util::which("jq") else {
        println!("skipped: jq not installed");
        return;
    };
    let mut child = Command::new(jq)
        .args(["-c", "."])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn jq");
    let mut stdin = child.stdin.take().unwrap();
    let input = out.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let (o, e, readers) = collect_output(&mut child);
    let mut status = None;
    poll_until(
        "jq to exit",
        STEP,
        || {
            status = child.try_wait().ok().flatten();
            status.is_some()
        },
        String::new,
    );
    poll_until(
        "jq's pipes to close",
        STEP,
        || readers.iter().all(|r| r.is_finished()),
        String::new,
    );
    writer.join().unwrap().expect("write to jq");
    let err = String::from_utf8_lossy(&e.lock().unwrap()).into_owned();
    assert!(status.unwrap().success(), "jq refused the output: {err}");
    let jq_out = o.lock().unwrap().clone();
    let ours: Vec<Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let theirs: Vec<Value> = jq_out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("jq's line"))
        .collect();
    assert_eq!(theirs, ours, "jq read other values");
}

// ---------------------------------------------------------------------------------
// The options that shape a run
// ---------------------------------------------------------------------------------

/// `-o FILE`: the events go to the file, stdout stays empty, the banners on stderr.
#[test]
fn outfile_gets_the_events() {
    let since = now_ns();
    let sc = w(["--json", "-o", "out.jsonl", "-e", "create", "w"])
        .fx("mkdir w")
        .est()
        .sh("touch w/x")
        .outfile("out.jsonl");
    let o = run("outfile", &sc);
    assert_eq!(o.status, Some(0));
    assert_eq!(o.stdout, b"");
    assert_eq!(
        o.stderr_text(),
        "Setting up watches.\nWatches established.\n"
    );
    let evs = parse_events(o.outfile.as_deref().unwrap_or_default(), since);
    assert_eq!(evs.len(), 1);
    assert_eq!((&evs[0].raw[40..61]), r#","watch":"w/","name":"#);
    assert_eq!(
        (&evs[0].name[..], evs[0].events()),
        (&b"x"[..], "CREATE".into())
    );
}

/// `-q` drops the banners, `-qq` prints nothing at all; both still end on the event.
#[test]
fn quiet_levels() {
    let since = now_ns();
    let sc = |q: &str| {
        w([q, "--json", "-e", "create", "w"])
            .fx("mkdir w")
            .q(1)
            .sh("touch w/x")
    };
    let o = run("quiet", &sc("-q"));
    assert_eq!((o.status, o.stderr_text()), (Some(0), String::new()));
    let evs = parse_events(&o.stdout, since);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].events(), "CREATE");
    let o = run("quiet2", &sc("-qq"));
    assert_eq!(
        (o.status, &o.stdout[..], &o.stderr[..]),
        (Some(0), &b""[..], &b""[..])
    );
}

/// `--exclude` and `--include` keep filtered events out of the JSON as out of text.
#[test]
fn exclude_and_include_filter_events() {
    for (name, filter) in [
        ("exclude", ["--exclude", "skip"]),
        ("include", ["--include", "keep|zz_end"]),
    ] {
        let since = now_ns();
        let dir = fresh_dir(GROUP, name);
        std::fs::create_dir(dir.join("w")).unwrap();
        let mut args = os(&["-m", "-q", "--json", "-e", "create"]);
        args.extend(os(&filter));
        args.push("w".into());
        let mut p = Proc::start("inotifywait", &args, &dir, Pipe::Open);
        p.ready_line();
        for f in ["skip1", "keep1", "skip2", "keep2", "zz_end"] {
            std::fs::File::create(dir.join("w").join(f)).unwrap();
        }
        p.wait_until("zz_end", |p| {
            String::from_utf8_lossy(&p.stdout()).contains("\"zz_end\"")
        });
        p.drained();
        let (_, out, _) = p.finish(Some(libc::SIGTERM));
        let names: Vec<String> = parse_events(&out, since)
            .iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect();
        assert_eq!(names, ["keep1", "keep2", "zz_end"], "{name}");
    }
}

/// `-t`: exit 2 and nothing on stdout when nothing happens; without `-m`, exit 0 after
/// exactly one line.
#[test]
fn timeout_and_one_shot() {
    let o = run(
        "timeout",
        &w(["--json", "-q", "-t", "1", "-e", "create", "w"]).fx("mkdir w"),
    );
    assert_eq!((o.status, &o.stdout[..]), (Some(2), &b""[..]));
    let since = now_ns();
    let o = run(
        "one_shot",
        &w(["--json", "-t", "5", "-e", "create", "w"])
            .fx("mkdir w")
            .est()
            .sh("touch w/x w/y"),
    );
    assert_eq!(o.status, Some(0));
    let evs = parse_events(&o.stdout, since);
    assert_eq!(evs.len(), 1, "{}", util::dump("one_shot", &o));
    assert_eq!(
        (&evs[0].name[..], evs[0].events()),
        (&b"x"[..], "CREATE".into())
    );
}

/// A watched file deleted, one-shot: `--json` ends with the exit code and the lines of
/// the default output (compared with an identical text run), and its events are the
/// ones the text names: nothing and exit 1 when neither DELETE_SELF nor IGNORED was
/// asked for, else that event and exit 0.
#[test]
fn deleted_watched_file_ends_as_in_text() {
    let cases: [(&[&str], i32, &[&str]); 4] = [
        (&["-e", "modify"], 1, &[]),
        (&["-e", "delete_self"], 0, &["DELETE_SELF"]),
        (&["-e", "ignored"], 0, &["IGNORED"]),
        (&[], 0, &["ATTRIB"]),
    ];
    for (k, (events, status, want)) in cases.into_iter().enumerate() {
        let since = now_ns();
        let sc = |layout: &[&str]| {
            let mut a: Vec<&str> = layout.to_vec();
            a.extend_from_slice(events);
            a.push("f");
            w(a).fx("touch f").est().sh("rm f")
        };
        let text = run(&format!("deleted{k}_text"), &sc(&[]));
        let json = run(&format!("deleted{k}_json"), &sc(&["--json"]));
        assert_eq!(json.status, text.status, "{events:?}");
        assert_eq!(json.status, Some(status), "{events:?}");
        assert_eq!(json.stderr, text.stderr, "{events:?}");
        let lines = String::from_utf8(text.stdout.clone()).unwrap();
        let text_events: Vec<&str> = lines
            .lines()
            .map(|l| l.split(' ').nth(1).unwrap())
            .collect();
        assert_eq!(text_events, want, "{events:?}");
        let evs = parse_events(&json.stdout, since);
        let got: Vec<String> = evs.iter().map(Event::events).collect();
        assert_eq!(got, want, "{events:?}: {}", util::dump("json", &json));
        for e in &evs {
            assert_eq!((&e.watch[..], &e.name[..]), (&b"f"[..], &b""[..]));
        }
    }
}

/// `--json` with `-c` or `--format` is a usage error before any watch; our long
/// options match only spelled out in full.
#[test]
fn rejected_combinations_and_prefixes() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["--json", "-c", "w"],
            "-c and --json cannot both be specified.\n",
        ),
        (
            &["-c", "--json", "w"],
            "-c and --json cannot both be specified.\n",
        ),
        (
            &["--json", "--format", "X", "w"],
            "--format and --json cannot both be specified.\n",
        ),
        (
            &["--format=%w", "--json", "w"],
            "--format and --json cannot both be specified.\n",
        ),
        (
            &["--jso", "w"],
            "inotifywait: unrecognized option '--jso'\n",
        ),
        (
            &["--ready", "3", "w"],
            "inotifywait: unrecognized option '--ready'\n",
        ),
    ];
    for (k, (args, msg)) in cases.into_iter().enumerate() {
        let o = run(
            &format!("reject{k}"),
            &w(args.iter().copied()).fx("mkdir w"),
        );
        assert_eq!(o.status, Some(1), "{args:?}");
        assert_eq!(o.stdout, b"", "{args:?}");
        assert_eq!(o.stderr_text(), msg, "{args:?}");
    }
    let o = run(
        "reject_watch",
        &crate::scenario::s(["--jso", "w"]).fx("mkdir w"),
    );
    assert_eq!(o.status, Some(1));
    assert_eq!(
        o.stderr_text(),
        "inotifywatch: unrecognized option '--jso'\n"
    );
}

// ---------------------------------------------------------------------------------
// Overflow
// ---------------------------------------------------------------------------------

/// `argv0 ARGS` in a fresh `name` directory holding `files/a` and `files/b`, ready,
/// then stopped while `n` ATTRIB events are made so that its queue overflows: chmod on
/// `a` and `b` in turn (no two in a row alike, so the kernel merges none; a chmod
/// costs the kernel far less than a file creation). Running again on return.
fn overflowed(name: &str, argv0: &str, args: &[&str], n: usize) -> Proc {
    use std::os::unix::fs::PermissionsExt;
    let dir = fresh_dir(GROUP, name);
    let files = dir.join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("a"), b"").unwrap();
    std::fs::write(files.join("b"), b"").unwrap();
    let mut p = Proc::start(argv0, &os(args), &dir, Pipe::Open);
    p.ready_line();
    p.stop();
    for i in 0..n {
        let f = files.join(if i % 2 == 0 { "a" } else { "b" });
        let mode = if i / 2 % 2 == 0 { 0o600 } else { 0o644 };
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    p.signal(libc::SIGCONT);
    p
}

/// A queue overflow is one object with empty strings, `["Q_OVERFLOW"]` and the
/// backend.
#[test]
fn overflow_is_one_object() {
    let Some(max) = overflowable() else { return };
    let _heavy = util::heavy();
    let since = now_ns();
    let mut p = overflowed(
        "overflow",
        "inotifywait",
        &["-m", "-q", "--json", "-e", "attrib,q_overflow", "files"],
        max + 4000,
    );
    p.wait_until("Q_OVERFLOW", |p| {
        String::from_utf8_lossy(&p.stdout()).contains("\"Q_OVERFLOW\"")
    });
    p.drained();
    let (_, out, _) = p.finish(Some(libc::SIGTERM));
    let evs = parse_events(&out, since);
    let over: Vec<&Event> = evs.iter().filter(|e| e.events() == "Q_OVERFLOW").collect();
    assert_eq!(over.len(), 1);
    let tail = r#","watch":"","name":"","path":"","events":["Q_OVERFLOW"],"dir":false,"cookie":0,"synthetic":false,"backend":"inotify"}"#;
    assert_eq!(&over[0].raw[40..], tail);
    assert!(evs.len() < max + 4000 + 1, "nothing was lost?");
    assert!(
        evs.iter()
            .all(|e| e.events() == "Q_OVERFLOW" || e.events() == "ATTRIB"),
        "other events"
    );
}

/// inotifywatch's `lost` counts the overflows its stderr warning counts.
#[test]
fn inotifywatch_counts_overflows_as_lost() {
    let Some(max) = overflowable() else { return };
    let _heavy = util::heavy();
    let since = now_ns();
    let mut p = overflowed(
        "watch_overflow",
        "inotifywatch",
        &["--json", "-e", "attrib", "files"],
        max + 4000,
    );
    p.drained();
    let (code, out, err) = p.finish(Some(libc::SIGTERM));
    assert_eq!(code, 0, "{err}");
    let docs = parse_docs(&out, since);
    assert_eq!(docs.len(), 1);
    let said: u64 = err
        .split("overflowed ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no overflow warning: {err}"));
    assert!(said >= 1);
    assert_eq!(docs[0].lost, said, "{err}");
    assert!(docs[0].total < (max + 4000) as u64);
}

// ---------------------------------------------------------------------------------
// fanotify
// ---------------------------------------------------------------------------------

/// `fsnotifywait --json`, `inotifywait -F --json` and `fsnotifywatch --json` name
/// their backend "fanotify" (skipped where fanotify with names is unavailable).
#[test]
fn fanotify_backend_is_named() {
    let since = now_ns();
    for (k, (argv0, extra)) in [("fsnotifywait", &[][..]), ("inotifywait", &["-F"])]
        .into_iter()
        .enumerate()
    {
        let dir = fresh_dir(GROUP, &format!("fanotify{k}"));
        std::fs::create_dir(dir.join("w")).unwrap();
        let mut args = os(extra);
        args.extend(os(&["--json", "-e", "create", "w"]));
        // The pipe is full: the line is written once the mark exists.
        let mut p = Proc::start(argv0, &args, &dir, Pipe::Full);
        let pid = p.pid();
        poll_until(
            "the ready line or the end",
            STEP,
            || blocked_on_ready(pid) || gone(pid),
            || p.diag(),
        );
        if gone(pid) {
            let (code, _, err) = p.finish(None);
            assert!(
                err.contains("Couldn't initialize fanotify"),
                "{code}: {err}"
            );
            println!("skipped: fanotify with file names is not available here");
            return;
        }
        assert_eq!(watch_count(pid), 1, "fanotify marks when ready");
        p.ready_line();
        std::fs::File::create(dir.join("w/x")).unwrap();
        let (code, out, _) = p.finish(None);
        assert_eq!(code, 0);
        let evs = parse_events(&out, since);
        assert_eq!(evs.len(), 1, "{argv0}");
        assert_eq!(evs[0].backend, "fanotify");
        let mut watch = dir.join("w").into_os_string().into_vec();
        watch.push(b'/');
        assert_eq!(
            (&evs[0].watch[..], &evs[0].name[..], evs[0].events()),
            (&watch[..], &b"x"[..], "CREATE".into())
        );
        assert!(!evs[0].synthetic);
    }
    let dir = fresh_dir(GROUP, "fanotify_watch");
    std::fs::create_dir(dir.join("w")).unwrap();
    let mut p = Proc::start(
        "fsnotifywatch",
        &os(&["--json", "-e", "create", "w"]),
        &dir,
        Pipe::Open,
    );
    p.ready_line();
    std::fs::File::create(dir.join("w/x")).unwrap();
    p.drained();
    let (code, out, _) = p.finish(Some(libc::SIGTERM));
    assert_eq!(code, 0);
    let doc = parse_docs(&out, since).pop().unwrap();
    assert_eq!(doc.obj["backend"], "fanotify");
    assert_eq!(doc.total, 1);
}

// ---------------------------------------------------------------------------------
// --ready-fd
// ---------------------------------------------------------------------------------

/// A tree of 1 + 4 + 4×3 = 17 directories under `t`.
fn tree(name: &str) -> std::path::PathBuf {
    let dir = fresh_dir(GROUP, name);
    for a in 0..4 {
        for b in 0..3 {
            std::fs::create_dir_all(dir.join(format!("t/d{a}/s{b}"))).unwrap();
        }
    }
    dir
}

/// The ready line is written once all 17 watches of a `-r` tree exist and the banner
/// is out (the pipe is full, so the write blocks: what the test sees is the state at
/// the write), then the descriptor is closed while the program goes on; with `-q` too.
#[test]
fn ready_line_follows_every_watch() {
    for (name, quiet) in [("ready_r", false), ("ready_rq", true)] {
        let dir = tree(name);
        let mut args = os(&["-m", "-r", "--json", "-e", "create"]);
        if quiet {
            args.push("-q".into());
        }
        args.push("t".into());
        let mut p = Proc::start("inotifywait", &args, &dir, Pipe::Full);
        p.wait_blocked_on_ready();
        assert_eq!(
            watch_count(p.pid()),
            17,
            "watches when the line was written"
        );
        let banner = if quiet {
            ""
        } else {
            "Setting up watches.  Beware: since -r was given, this may take a while!\nWatches established.\n"
        };
        p.wait_until("the banner", |p| p.stderr().len() >= banner.len());
        assert_eq!(p.stderr(), banner);
        assert_eq!(p.lines(), 0);
        p.ready_line();
        assert!(p.alive(), "the fd was closed by the program, which runs on");
        std::fs::File::create(dir.join("t/d3/s2/x")).unwrap();
        p.wait_lines(1);
        let (code, out, err) = p.finish(Some(libc::SIGTERM));
        assert_eq!(code, 128 + libc::SIGTERM);
        assert_eq!(err, banner);
        let evs = parse_events(&out, 0);
        assert_eq!(
            (&evs[0].watch[..], &evs[0].name[..]),
            (&b"t/d3/s2/"[..], &b"x"[..])
        );
    }
}

/// inotifywatch writes the line after its banner, once every watch exists.
#[test]
fn inotifywatch_ready_line_follows_its_banner() {
    let dir = tree("ready_watch");
    let args = os(&["-r", "--json", "t"]);
    let mut p = Proc::start("inotifywatch", &args, &dir, Pipe::Full);
    p.wait_blocked_on_ready();
    assert_eq!(watch_count(p.pid()), 17);
    p.wait_until("the banner", |p| p.stderr().len() >= WATCH_BANNER.len());
    assert_eq!(p.stderr(), WATCH_BANNER);
    p.ready_line();
    assert!(p.alive());
    let (code, out, err) = p.finish(Some(libc::SIGTERM));
    assert_eq!(code, 0);
    assert_eq!(err, format!("{WATCH_BANNER}No events occurred.\n"));
    assert_eq!(parse_docs(&out, 0)[0].rows.len(), 0);
}

/// `-d -o FILE` (which monitors, as `-m`): the ready line comes from the daemon once
/// its watch exists (the process started has exited by then, silent), and the daemon
/// writes the events to the file as JSON; it is ended by the test.
#[test]
fn daemon_writes_the_ready_line_and_its_outfile() {
    let since = now_ns();
    let dir = fresh_dir(GROUP, "daemon");
    std::fs::create_dir(dir.join("w")).unwrap();
    std::fs::write(dir.join("log"), b"").unwrap();
    let wdir = dir.join("w");
    let mut args = os(&["-d", "-o", "log", "--json", "-e", "create"]);
    args.push(wdir.clone().into_os_string());
    let mut p = Proc::start("inotifywait", &args, &dir, Pipe::Full);
    let parent = p.pid();
    let (ready, filler) = (p.ready.take().expect("a ready pipe"), p.filler);
    let (code, out, err) = p.finish(None);
    assert_eq!((code, &out[..], err.as_str()), (0, &b""[..], ""));
    let needle = wdir.clone().into_os_string().into_vec();
    let mut found = None;
    poll_until(
        "the daemon to write to --ready-fd",
        STEP,
        || {
            found = util::pids_mentioning(&needle)
                .into_iter()
                .find(|&d| blocked_on_ready(d));
            found.is_some()
        },
        String::new,
    );
    let daemon = Daemon(found.unwrap());
    assert_ne!(daemon.0, parent);
    assert_eq!(watch_count(daemon.0), 1, "the daemon's watch when it wrote");
    let got = read_to_eof(ready, filler, String::new);
    assert_eq!(String::from_utf8_lossy(&got), "Watches established.\n");
    std::fs::File::create(dir.join("w/x")).unwrap();
    let log = dir.join("log");
    poll_until(
        "the event in the outfile",
        STEP,
        || std::fs::read(&log).is_ok_and(|b| b.ends_with(b"}\n")),
        String::new,
    );
    // SAFETY: kill(2) on the daemon this test started.
    unsafe { libc::kill(daemon.0 as libc::pid_t, libc::SIGTERM) };
    poll_until("the daemon to end", STEP, || gone(daemon.0), String::new);
    let evs = parse_events(&std::fs::read(&log).unwrap(), since);
    assert_eq!(evs.len(), 1);
    let mut watch = wdir.into_os_string().into_vec();
    watch.push(b'/');
    assert_eq!(
        (&evs[0].watch[..], &evs[0].name[..], evs[0].events()),
        (&watch[..], &b"x"[..], "CREATE".into())
    );
}

/// `--ready-fd 1`, the ready line in band with the events: stdout stays open after the
/// line (only a descriptor past the standard streams is closed), so the events
/// (inotifywait) or the table (inotifywatch) follow it as usual.
#[test]
fn ready_fd_on_stdout_keeps_stdout_working() {
    let since = now_ns();
    for argv0 in ["inotifywait", "inotifywatch"] {
        let dir = fresh_dir(GROUP, &format!("ready_stdout_{argv0}"));
        std::fs::create_dir(dir.join("w")).unwrap();
        let mut args = os(&["--ready-fd", "1", "--json", "-e", "create"]);
        if argv0 == "inotifywait" {
            args.extend(os(&["-m", "-q"]));
        }
        args.push("w".into());
        let p = Proc::start(argv0, &args, &dir, Pipe::Closed);
        let pid = p.pid();
        poll_until(
            "the ready line (or the end)",
            STEP,
            || gone(pid) || p.stdout().starts_with(READY_LINE),
            || p.diag(),
        );
        assert!(!gone(pid), "{argv0} refused --ready-fd 1\n{}", p.diag());
        std::fs::File::create(dir.join("w/x")).unwrap();
        poll_until(
            "the event handled",
            STEP,
            || gone(pid) || util::drained(pid),
            || p.diag(),
        );
        assert!(
            !gone(pid) || argv0 == "inotifywatch",
            "{argv0} died on its first event: --ready-fd 1 closed stdout\n{}",
            p.diag()
        );
        let (code, out, err) = p.finish(Some(libc::SIGTERM));
        assert!(!err.contains("write error"), "{argv0}: {err}");
        let rest = out
            .strip_prefix(READY_LINE)
            .unwrap_or_else(|| panic!("{}", util::escape(&out)));
        if argv0 == "inotifywait" {
            assert_eq!(code, 128 + libc::SIGTERM, "{err}");
            assert_eq!(parse_events(rest, since).len(), 1, "{argv0}: {err}");
        } else {
            assert_eq!(code, 0, "{err}");
            assert_eq!(parse_docs(rest, since)[0].total, 1, "{argv0}: {err}");
        }
    }
}

/// `--ready-fd` naming a closed descriptor, or something that is not a number, is a
/// usage error before any watch, for both applets.
#[test]
fn ready_fd_must_be_an_open_descriptor() {
    for argv0 in ["inotifywait", "inotifywatch"] {
        let dir = fresh_dir(GROUP, &format!("ready_bad_{argv0}"));
        for (value, msg) in [
            ("57", "--ready-fd 57: Bad file descriptor\n"),
            ("x", "'x' is not a file descriptor number (--ready-fd).\n"),
        ] {
            let args = os(&["--ready-fd", value, "."]);
            let p = Proc::start(argv0, &args, &dir, Pipe::Closed);
            let (code, out, err) = p.finish(None);
            assert_eq!(
                (code, &out[..], err.as_str()),
                (1, &b""[..], msg),
                "{argv0} {value}"
            );
        }
    }
}

/// A reader that went away before readiness costs nothing: no SIGPIPE, the events
/// still come (and inotifywatch still prints its table).
#[test]
fn ready_reader_gone_is_not_fatal() {
    let since = now_ns();
    for argv0 in ["inotifywait", "inotifywatch"] {
        let dir = fresh_dir(GROUP, &format!("ready_orphan_{argv0}"));
        std::fs::create_dir(dir.join("w")).unwrap();
        let mut args = os(&["--json", "-e", "create"]);
        if argv0 == "inotifywait" {
            args.push("-m".into());
        }
        args.push("w".into());
        let mut p = Proc::start(argv0, &args, &dir, Pipe::Orphan);
        let pid = p.pid();
        let fd = format!("/proc/{pid}/fd/{READY_FD}");
        p.wait_until("the ready fd written and closed", |p| {
            p.stderr().contains("Watches established.")
                || p.stderr().contains("now collecting statistics.")
        });
        p.wait_until("the ready fd closed", |_| {
            std::fs::symlink_metadata(&fd).is_err()
        });
        std::fs::File::create(dir.join("w/x")).unwrap();
        if argv0 == "inotifywait" {
            p.wait_lines(1);
        } else {
            p.drained();
        }
        assert!(p.alive(), "{argv0} died\n{}", p.diag());
        let (code, out, err) = p.finish(Some(libc::SIGTERM));
        if argv0 == "inotifywait" {
            assert_eq!(code, 128 + libc::SIGTERM, "{err}");
            assert_eq!(parse_events(&out, since)[0].events(), "CREATE");
        } else {
            assert_eq!(code, 0, "{err}");
            assert_eq!(parse_docs(&out, since)[0].total, 1);
        }
    }
}

// ---------------------------------------------------------------------------------
// inotifywatch --json
// ---------------------------------------------------------------------------------

/// The tree of the table tests: t, t/a, t/b, t/c (left alone), files t/f1 and t/a/f2.
fn table_dir(name: &str) -> std::path::PathBuf {
    let dir = fresh_dir(GROUP, name);
    for d in ["t/a", "t/b", "t/c"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::write(dir.join("t/f1"), b"1").unwrap();
    std::fs::write(dir.join("t/a/f2"), b"2").unwrap();
    dir
}

/// Known actions, each a fixed set of events.
fn table_actions(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let p = |s: &str| dir.join(s);
    std::fs::OpenOptions::new()
        .append(true)
        .open(p("t/f1"))
        .unwrap()
        .write_all(b"more")
        .unwrap();
    let mut s = String::new();
    std::fs::File::open(p("t/a/f2"))
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    std::fs::set_permissions(p("t/f1"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(p("t/b/new"), b"n").unwrap();
    std::fs::rename(p("t/b/new"), p("t/b/new2")).unwrap();
    std::fs::remove_file(p("t/a/f2")).unwrap();
    std::fs::write(p("t/b/new3"), b"x").unwrap();
    std::fs::write(p("t/b/new4"), b"x").unwrap();
}

/// `inotifywatch -r ARGS t` around [`table_actions`]: (exit, stdout, stderr).
fn table_run(name: &str, extra: &[&str]) -> (i32, Vec<u8>, String) {
    let dir = table_dir(name);
    let mut args = os(&["-r"]);
    args.extend(os(extra));
    args.push("t".into());
    let mut p = Proc::start("inotifywatch", &args, &dir, Pipe::Open);
    p.ready_line();
    table_actions(&dir);
    p.drained();
    p.finish(Some(libc::SIGTERM))
}

/// For each sort and `-z`: the document's rows are the text table's, in its order,
/// with its counts; every row counts every watched event (the `-z` header's columns,
/// in order), zeros included; totals are the sums; nothing lost.
#[test]
fn table_document_matches_the_text_table() {
    let since = now_ns();
    let variants: [&[&str]; 5] = [
        &[],
        &["-a", "total"],
        &["-d", "modify"],
        &["-z"],
        &["-z", "-a", "access"],
    ];
    let mut columns = None;
    for (k, v) in variants.into_iter().enumerate() {
        let (code, text, terr) = table_run(&format!("table{k}_text"), v);
        assert_eq!(code, 0, "{terr}");
        let mut j: Vec<&str> = v.to_vec();
        j.push("--json");
        let (code, json, jerr) = table_run(&format!("table{k}_json"), &j);
        assert_eq!(code, 0, "{jerr}");
        assert_eq!(jerr, terr);
        let docs = parse_docs(&json, since);
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        let text = String::from_utf8(text).unwrap();
        let (head, rows) = parse_table(&text);
        assert_eq!(head[0], "total");
        let diag = format!("{v:?}\n{text}\n{}", String::from_utf8_lossy(&json));
        assert_eq!(doc.rows.len(), rows.len(), "{diag}");
        for ((path, total, events), (cells, name)) in doc.rows.iter().zip(&rows) {
            assert_eq!(String::from_utf8_lossy(path), *name, "{diag}");
            assert_eq!(*total, cells[0], "{diag}");
            for (col, cell) in head[1..head.len() - 1].iter().zip(&cells[1..]) {
                let n = events.iter().find(|(e, _)| e == col).map(|&(_, n)| n);
                assert_eq!(n, Some(*cell), "{name} {col}: {diag}");
            }
            assert_eq!(*total, events.iter().map(|(_, n)| n).sum::<u64>(), "{diag}");
            let keys: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
            let first: Vec<&str> = doc.rows[0].2.iter().map(|(e, _)| e.as_str()).collect();
            assert_eq!(keys, first, "every row has the same keys: {diag}");
        }
        let keys: Vec<String> = doc.totals.iter().map(|(e, _)| e.clone()).collect();
        if v.contains(&"-z") {
            // -z shows every watched event's column: the JSON keys, in that order.
            assert_eq!(keys, head[1..head.len() - 1], "{diag}");
            assert!(rows.iter().any(|(c, n)| n == "t/c/" && c[0] == 0), "{diag}");
            match &columns {
                None => columns = Some(keys.clone()),
                Some(c) => assert_eq!(&keys, c),
            }
        } else {
            assert!(doc.rows.iter().all(|r| r.1 > 0), "{diag}");
        }
        for r in &doc.rows {
            let k: Vec<&String> = r.2.iter().map(|(e, _)| e).collect();
            assert_eq!(k, keys.iter().collect::<Vec<_>>(), "{diag}");
        }
        for (i, (e, n)) in doc.totals.iter().enumerate() {
            let sum: u64 = doc.rows.iter().map(|r| r.2[i].1).sum();
            assert_eq!(*n, sum, "totals.{e}: {diag}");
        }
        assert_eq!(
            doc.total,
            doc.rows.iter().map(|r| r.1).sum::<u64>(),
            "{diag}"
        );
        assert_eq!(
            (doc.lost, doc.obj["backend"].as_str()),
            (0, Some("inotify"))
        );
    }
    assert!(columns.is_some());
}

/// SIGUSR1 prints a document at once, the final one follows: two lines, each a
/// document, counting what had happened by then.
#[test]
fn sigusr1_prints_a_document_then_the_final_one() {
    let since = now_ns();
    let dir = fresh_dir(GROUP, "usr1");
    std::fs::create_dir(dir.join("t")).unwrap();
    let args = os(&["--json", "-e", "create", "t"]);
    let mut p = Proc::start("inotifywatch", &args, &dir, Pipe::Open);
    p.ready_line();
    std::fs::File::create(dir.join("t/x")).unwrap();
    p.drained();
    p.signal(libc::SIGUSR1);
    p.wait_lines(1);
    std::fs::File::create(dir.join("t/y")).unwrap();
    p.drained();
    let (code, out, err) = p.finish(Some(libc::SIGTERM));
    assert_eq!(code, 0, "{err}");
    let docs = parse_docs(&out, since);
    assert_eq!(docs.len(), 2, "{}", String::from_utf8_lossy(&out));
    assert_eq!(
        docs.iter().map(|d| d.totals.clone()).collect::<Vec<_>>(),
        [
            vec![("create".to_string(), 1)],
            vec![("create".to_string(), 2)]
        ]
    );
    assert!(docs[0].obj["time"].as_str() <= docs[1].obj["time"].as_str());
}

/// No events: still a document, with no rows, zero totals for every watched event,
/// and `No events occurred.` on stderr as in text (whose stdout is empty).
#[test]
fn no_events_is_an_empty_document() {
    let since = now_ns();
    let mut outs = Vec::new();
    for json in [false, true] {
        let dir = fresh_dir(GROUP, &format!("empty{}", u8::from(json)));
        std::fs::create_dir(dir.join("t")).unwrap();
        let args = if json {
            os(&["--json", "t"])
        } else {
            os(&["t"])
        };
        let mut p = Proc::start("inotifywatch", &args, &dir, Pipe::Open);
        p.ready_line();
        outs.push(p.finish(Some(libc::SIGTERM)));
    }
    let (json, text) = (outs.pop().unwrap(), outs.pop().unwrap());
    assert_eq!((text.0, &text.1[..]), (0, &b""[..]));
    assert_eq!(json.0, 0);
    assert_eq!(json.2, text.2);
    assert_eq!(json.2, format!("{WATCH_BANNER}No events occurred.\n"));
    let doc = parse_docs(&json.1, since).pop().unwrap();
    assert_eq!(doc.obj["rows"], Value::Array(Vec::new()));
    assert_eq!(doc.total, 0);
    assert!(
        doc.totals.len() >= 12 && doc.totals.iter().all(|(_, n)| *n == 0),
        "{doc:?}"
    );
}

/// `-e modify`: every row (with `-z`, every directory) and the totals count exactly
/// `modify`; a directory whose name is not UTF-8 has `path_base64`.
#[test]
fn one_event_and_non_utf8_rows() {
    let since = now_ns();
    let dir = fresh_dir(GROUP, "modify");
    let bad = dir.join("t").join(OsStr::from_bytes(b"bad\xff"));
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::create_dir_all(dir.join("t/ok")).unwrap();
    std::fs::write(bad.join("f"), b"").unwrap();
    std::fs::write(dir.join("t/g"), b"").unwrap();
    let args = os(&["-r", "-z", "--json", "-e", "modify", "t"]);
    let mut p = Proc::start("inotifywatch", &args, &dir, Pipe::Open);
    p.ready_line();
    // One write(2) each, no truncation: one MODIFY each.
    for f in [bad.join("f"), dir.join("t/g")] {
        let mut f = std::fs::OpenOptions::new().append(true).open(f).unwrap();
        f.write_all(b"changed").unwrap();
    }
    std::fs::File::create(dir.join("t/ok/created")).unwrap();
    p.drained();
    let (code, out, err) = p.finish(Some(libc::SIGTERM));
    assert_eq!(code, 0, "{err}");
    let doc = parse_docs(&out, since).pop().unwrap();
    let mut rows: Vec<(Vec<u8>, u64)> = doc
        .rows
        .iter()
        .map(|(path, total, events)| {
            assert_eq!(events.len(), 1, "{events:?}");
            assert_eq!(events[0].0, "modify");
            assert_eq!(*total, events[0].1);
            (path.clone(), *total)
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            (b"t/".to_vec(), 1),
            (b"t/bad\xff/".to_vec(), 1),
            (b"t/ok/".to_vec(), 0)
        ]
    );
    assert_eq!(doc.totals, [("modify".to_string(), 2)]);
    let raw = String::from_utf8(out).unwrap();
    assert!(
        raw.contains("{\"path\":\"t/bad\u{fffd}/\",\"total\":1,\"events\":{\"modify\":1},\"path_base64\":\"dC9iYWT/Lw==\"}"),
        "{raw}"
    );
    assert_eq!(raw.matches("path_base64").count(), 1, "{raw}");
}
