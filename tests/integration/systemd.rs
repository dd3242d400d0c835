//! systemd readiness (`NOTIFY_SOCKET`): each test binds the datagram socket itself (a
//! path in a scenario directory, or a name in the abstract namespace), runs ours with
//! the variable set, and checks when `READY=1` and `STOPPING=1` arrive and from whom:
//! READY only once the watches are in the kernel and the banner is on stderr, STOPPING
//! after every kind of end (one-shot event, timeout, error, signals) with the exit
//! status unchanged; output and status byte for byte those of a run without the
//! variable, or with an unusable one; `-d`; fanotify; the contrib unit file.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::util::{self, STEP_DEADLINE, drained, fresh_dir, watch_count};

const GROUP: &str = "rinotify-systemd";
const READY_1: &str = "READY=1\nSTATUS=Watches established: 1";
const STOPPING: &str = "STOPPING=1";
const WAIT_BANNER: &[u8] = b"Setting up watches.\nWatches established.\n";
const WATCH_BANNER: &[u8] =
    b"Establishing watches...\nFinished establishing watches, now collecting statistics.\n";

/// One datagram as received: its text and the sender's pid (`SCM_CREDENTIALS`; 0 once
/// the sender has been reaped).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Msg {
    text: String,
    pid: i32,
}

/// The supervisor's end: a bound datagram socket that reports senders' credentials.
struct Listener {
    sock: UnixDatagram,
    /// The value for `NOTIFY_SOCKET`.
    env: OsString,
}

impl Listener {
    /// A socket at `<scenario dir>/notify.sock`.
    fn at_path(name: &str) -> Listener {
        let dir = fresh_dir(GROUP, &format!("sock-{name}"));
        let path = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&path).expect("bind notify socket");
        Listener::with(sock, path.into_os_string())
    }

    /// A socket in the abstract namespace, unique to this test process.
    fn abstract_name(name: &str) -> Listener {
        let name = format!("rinotify-test-{}-{name}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract address");
        let sock = UnixDatagram::bind_addr(&addr).expect("bind abstract notify socket");
        Listener::with(sock, format!("@{name}").into())
    }

    fn with(sock: UnixDatagram, env: OsString) -> Listener {
        let one: libc::c_int = 1;
        // SAFETY: setsockopt with a valid int option on a socket we own.
        let r = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PASSCRED,
                (&raw const one).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0, "SO_PASSCRED");
        Listener { sock, env }
    }

    /// The next datagram, waiting at most `STEP_DEADLINE` (a hard timeout).
    fn recv(&self, what: &str) -> Msg {
        self.sock
            .set_read_timeout(Some(STEP_DEADLINE))
            .expect("SO_RCVTIMEO");
        self.recvmsg(0)
            .unwrap_or_else(|| panic!("no {what} within {STEP_DEADLINE:?}"))
    }

    /// Every datagram already queued, without waiting.
    fn pending(&self) -> Vec<Msg> {
        std::iter::from_fn(|| self.recvmsg(libc::MSG_DONTWAIT)).collect()
    }

    fn recvmsg(&self, flags: libc::c_int) -> Option<Msg> {
        let mut buf = [0u8; 4096];
        let mut control = [0u64; 16];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: an all-zero msghdr is valid; every pointer set below outlives the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control);
        // SAFETY: msg describes writable buffers of the sizes given.
        let n = unsafe { libc::recvmsg(self.sock.as_raw_fd(), &raw mut msg, flags) };
        if n < 0 {
            return None;
        }
        let mut pid = -1;
        // SAFETY: the CMSG_* macros walk the control buffer the kernel filled in;
        // ucred is read unaligned from the data of an SCM_CREDENTIALS message.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&raw const msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_CREDENTIALS {
                    let cred: libc::ucred = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                    pid = cred.pid;
                }
                c = libc::CMSG_NXTHDR(&raw const msg, c);
            }
        }
        Some(Msg {
            text: String::from_utf8_lossy(&buf[..n as usize]).into_owned(),
            pid,
        })
    }
}

/// The messages' texts.
fn texts(msgs: &[Msg]) -> Vec<&str> {
    msgs.iter().map(|m| m.text.as_str()).collect()
}

/// Ours, running: stdout and stderr are pipes read without blocking, so that what the
/// process had written by a given moment can be read at that moment.
struct Proc {
    child: Child,
    out: Option<ChildStdout>,
    err: ChildStderr,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
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

fn nonblocking(fd: &impl AsRawFd) {
    // SAFETY: fcntl on a pipe end we own.
    unsafe {
        let fl = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// Appends what can be read now (to end of file if the writers are gone).
fn read_now(r: &mut impl Read, into: &mut Vec<u8>) {
    let mut chunk = [0u8; 8192];
    while let Ok(n) = r.read(&mut chunk) {
        if n == 0 {
            break;
        }
        into.extend_from_slice(&chunk[..n]);
    }
}

/// How a run is started.
struct Spawn<'a> {
    program: PathBuf,
    argv0: &'a str,
    args: Vec<OsString>,
    cwd: &'a Path,
    /// `NOTIFY_SOCKET`'s value; `None`: removed from the environment.
    notify: Option<OsString>,
    /// Signals the process inherits as ignored (all others: default).
    ignored: Vec<libc::c_int>,
}

impl<'a> Spawn<'a> {
    fn ours<S: AsRef<OsStr>>(argv0: &'a str, args: &[S], cwd: &'a Path) -> Spawn<'a> {
        Spawn {
            program: util::ours(),
            argv0,
            args: args.iter().map(|a| a.as_ref().to_owned()).collect(),
            cwd,
            notify: None,
            ignored: Vec::new(),
        }
    }

    fn notify(mut self, value: Option<&OsStr>) -> Self {
        self.notify = value.map(OsStr::to_owned);
        self
    }

    fn start(self) -> Proc {
        let mut cmd = Command::new(&self.program);
        cmd.arg0(self.argv0)
            .args(&self.args)
            .current_dir(self.cwd)
            .env("LC_ALL", "C")
            .env("TZ", "UTC")
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(v) = &self.notify {
            cmd.env("NOTIFY_SOCKET", v);
        }
        util::default_signals(&mut cmd, self.ignored.clone());
        let mut child = cmd.spawn().expect("spawn");
        let out = child.stdout.take().expect("stdout pipe");
        let err = child.stderr.take().expect("stderr pipe");
        nonblocking(&out);
        nonblocking(&err);
        Proc {
            child,
            out: Some(out),
            err,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }
}

impl Proc {
    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Collects what was written so far.
    fn read_now(&mut self) {
        if let Some(out) = self.out.as_mut() {
            read_now(out, &mut self.stdout);
        }
        read_now(&mut self.err, &mut self.stderr);
    }

    /// Polls `cond` until it holds; panics after `STEP_DEADLINE` or if the process ends.
    fn wait_until(&mut self, what: &str, mut cond: impl FnMut(&mut Proc) -> bool) {
        let deadline = Instant::now() + STEP_DEADLINE;
        loop {
            self.read_now();
            if cond(self) {
                return;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                self.read_now();
                assert!(
                    cond(self),
                    "exited ({st}) while waiting for {what}; stderr: {}",
                    String::from_utf8_lossy(&self.stderr)
                );
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Ready without a notify socket: `n` watches in the kernel and, unless `banner` is
    /// empty, the banner on stderr.
    fn wait_established(&mut self, n: usize, banner: &[u8]) {
        let pid = self.pid() as u32;
        self.wait_until("the watches", |p| {
            watch_count(pid) >= n && p.stderr.ends_with(banner)
        });
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child, not reaped yet.
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Waits for the end (hard deadline): status, stdout, stderr.
    fn finish(mut self) -> Ended {
        let deadline = Instant::now() + STEP_DEADLINE;
        let status = loop {
            self.read_now();
            if let Ok(Some(st)) = self.child.try_wait() {
                break st;
            }
            assert!(Instant::now() < deadline, "the process did not exit");
            std::thread::sleep(Duration::from_millis(2));
        };
        self.read_now();
        Ended {
            status: Status::of(status),
            stdout: std::mem::take(&mut self.stdout),
            stderr: std::mem::take(&mut self.stderr),
        }
    }
}

/// An exit code or the signal that ended the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Code(i32),
    Signal(i32),
}

impl Status {
    fn of(st: ExitStatus) -> Status {
        match (st.code(), st.signal()) {
            (Some(c), _) => Status::Code(c),
            (None, Some(s)) => Status::Signal(s),
            (None, None) => panic!("neither code nor signal: {st:?}"),
        }
    }
}

/// What a run produced, compared whole between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ended {
    status: Status,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Waits for READY=1 from `p` and checks what held when it arrived: `stderr` was
/// already written in full (read without blocking, after the datagram) and `watches`
/// were in the kernel.
fn expect_ready(l: &Listener, p: &mut Proc, watches: usize, stderr: &[u8]) -> Msg {
    let m = l.recv("READY=1");
    p.read_now();
    assert_eq!(
        m.text,
        format!("READY=1\nSTATUS=Watches established: {watches}")
    );
    assert_eq!(m.pid, p.pid(), "READY=1 from the process itself");
    util::assert_bytes_eq("stderr when READY=1 arrived", stderr, &p.stderr);
    assert_eq!(watch_count(p.pid() as u32), watches, "watches at READY=1");
    m
}

/// A scenario directory with an empty `w/` to watch.
fn scenario(name: &str) -> PathBuf {
    let dir = fresh_dir(GROUP, name);
    std::fs::create_dir(dir.join("w")).expect("mkdir w");
    dir
}

#[test]
fn ready_after_banner_and_watches_stopping_after_one_shot() {
    let dir = scenario("one-shot");
    std::fs::create_dir(dir.join("w/a")).unwrap();
    let l = Listener::at_path("one-shot");
    let mut p = Spawn::ours("inotifywait", &["-r", "-e", "create", "w"], &dir)
        .notify(Some(&l.env))
        .start();
    expect_ready(
        &l,
        &mut p,
        2,
        b"Setting up watches.  Beware: since -r was given, this may take a while!\nWatches established.\n",
    );
    assert_eq!(p.stdout, b"");
    std::fs::File::create(dir.join("w/a/f")).unwrap();
    let pid = p.pid();
    let end = p.finish();
    assert_eq!(end.status, Status::Code(0));
    util::assert_bytes_eq("stdout", b"w/a/ CREATE f\n", &end.stdout);
    // Sent before the exit, so queued by now; nothing else was sent.
    let rest = l.pending();
    assert_eq!(texts(&rest), [STOPPING]);
    assert!(rest[0].pid == pid || rest[0].pid == 0, "{rest:?}");
}

#[test]
fn quiet_abstract_socket_and_sigterm() {
    let dir = scenario("quiet");
    let l = Listener::abstract_name("quiet");
    let mut p = Spawn::ours("inotifywait", &["-q", "-m", "w"], &dir)
        .notify(Some(&l.env))
        .start();
    expect_ready(&l, &mut p, 1, b"");
    p.signal(libc::SIGTERM);
    let end = p.finish();
    assert_eq!(end.status, Status::Signal(libc::SIGTERM));
    assert_eq!(
        (end.stdout.as_slice(), end.stderr.as_slice()),
        (&b""[..], &b""[..])
    );
    assert_eq!(texts(&l.pending()), [STOPPING]);
}

/// INT, TERM and HUP still end inotifywait by the signal, as without `NOTIFY_SOCKET`
/// and as the reference (which handles none of them), after STOPPING=1.
#[test]
fn signals_end_inotifywait_as_before() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let dir = scenario(&format!("signal-{sig}"));
        let args = ["-m", "-e", "create", "w"];
        let l = Listener::at_path(&format!("signal-{sig}"));
        let mut p = Spawn::ours("inotifywait", &args, &dir)
            .notify(Some(&l.env))
            .start();
        expect_ready(&l, &mut p, 1, WAIT_BANNER);
        p.signal(sig);
        let notified = p.finish();
        assert_eq!(notified.status, Status::Signal(sig));
        assert_eq!(texts(&l.pending()), [STOPPING], "signal {sig}");

        let mut p = Spawn::ours("inotifywait", &args, &dir).start();
        p.wait_established(1, WAIT_BANNER);
        p.signal(sig);
        assert_eq!(p.finish(), notified, "signal {sig}: without NOTIFY_SOCKET");

        if util::reference_available(util::REFERENCE) {
            let mut s = Spawn::ours("inotifywait", &args, &dir).notify(Some(&l.env));
            s.program = util::REFERENCE.into();
            let mut p = s.start();
            p.wait_established(1, WAIT_BANNER);
            p.signal(sig);
            assert_eq!(p.finish(), notified, "signal {sig}: the reference");
            assert_eq!(l.pending(), [], "the reference sends nothing");
        }
    }
}

/// A signal the caller ignores stays ignored: SIGINT does nothing, SIGTERM then ends
/// the run (and sends the only STOPPING=1).
#[test]
fn ignored_signal_stays_ignored() {
    let dir = scenario("ignored");
    let l = Listener::at_path("ignored");
    let mut s = Spawn::ours("inotifywait", &["-m", "w"], &dir).notify(Some(&l.env));
    s.ignored = vec![libc::SIGINT];
    let mut p = s.start();
    expect_ready(&l, &mut p, 1, WAIT_BANNER);
    // Pending together, SIGINT (2) would be delivered before SIGTERM (15).
    p.signal(libc::SIGINT);
    p.signal(libc::SIGTERM);
    assert_eq!(p.finish().status, Status::Signal(libc::SIGTERM));
    assert_eq!(texts(&l.pending()), [STOPPING]);
}

/// An event written to a closed pipe still ends the run by SIGPIPE, after STOPPING=1.
#[test]
fn sigpipe_still_kills_after_stopping() {
    let dir = scenario("sigpipe");
    let run = |notify: Option<&OsStr>, l: Option<&Listener>| {
        let mut p = Spawn::ours("inotifywait", &["-m", "-e", "create", "w"], &dir)
            .notify(notify)
            .start();
        match l {
            Some(l) => drop(expect_ready(l, &mut p, 1, WAIT_BANNER)),
            None => p.wait_established(1, WAIT_BANNER),
        }
        p.out = None;
        std::fs::File::create(dir.join("w/f")).unwrap();
        let end = p.finish();
        std::fs::remove_file(dir.join("w/f")).unwrap();
        end
    };
    let l = Listener::at_path("sigpipe");
    let notified = run(Some(&l.env), Some(&l));
    assert_eq!(notified.status, Status::Signal(libc::SIGPIPE));
    assert_eq!(texts(&l.pending()), [STOPPING]);
    assert_eq!(run(None, None), notified);
}

/// inotifywatch: READY=1 once collecting; SIGINT and SIGTERM still end the collection
/// with the table and status 0, then STOPPING=1; the same bytes as without the variable.
#[test]
fn inotifywatch_ready_and_stopping() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let dir = scenario(&format!("watch-{sig}"));
        let run = |l: Option<&Listener>| {
            let mut p = Spawn::ours("inotifywatch", &["-e", "create", "w"], &dir)
                .notify(l.map(|l| l.env.as_os_str()))
                .start();
            match l {
                Some(l) => drop(expect_ready(l, &mut p, 1, WATCH_BANNER)),
                None => p.wait_established(1, WATCH_BANNER),
            }
            std::fs::File::create(dir.join("w/f")).unwrap();
            let pid = p.pid() as u32;
            p.wait_until("the event to be counted", |_| drained(pid));
            p.signal(sig);
            let end = p.finish();
            std::fs::remove_file(dir.join("w/f")).unwrap();
            end
        };
        let l = Listener::at_path(&format!("watch-{sig}"));
        let notified = run(Some(&l));
        assert_eq!(notified.status, Status::Code(0));
        assert!(
            String::from_utf8_lossy(&notified.stdout).contains("w/"),
            "{notified:?}"
        );
        assert_eq!(texts(&l.pending()), [STOPPING]);
        assert_eq!(run(None), notified, "signal {sig}: without NOTIFY_SOCKET");
    }
}

/// Unusable `NOTIFY_SOCKET` values, each made real in `dir`: the run must not notice.
fn bad_values(dir: &Path) -> Vec<(&'static str, OsString, Option<UnixDatagram>)> {
    let file = dir.join("plain-file");
    std::fs::write(&file, b"").unwrap();
    let stream = dir.join("stream.sock");
    let _ = std::fs::remove_file(&stream);
    // Leaked: kept listening for the whole test, closed at process exit.
    std::mem::forget(UnixListener::bind(&stream).expect("bind stream socket"));
    // A datagram socket nobody reads, its queue filled to the brim: a send would block.
    let full_path = dir.join("full.sock");
    let _ = std::fs::remove_file(&full_path);
    let full = UnixDatagram::bind(&full_path).expect("bind full socket");
    let filler = UnixDatagram::unbound().unwrap();
    filler.connect(&full_path).unwrap();
    filler.set_nonblocking(true).unwrap();
    while filler.send(b"filler").is_ok() {}
    vec![
        ("empty", OsString::new(), None),
        ("missing", dir.join("missing/notify.sock").into(), None),
        ("relative", "notify.sock".into(), None),
        (
            "unbound abstract",
            format!("@rinotify-nobody-{}", std::process::id()).into(),
            None,
        ),
        ("regular file", file.into(), None),
        ("directory", dir.as_os_str().to_owned(), None),
        ("stream socket", stream.into(), None),
        ("full queue", full_path.into(), Some(full)),
        ("too long", format!("/{}", "x".repeat(200)).into(), None),
    ]
}

/// Runs one scenario without the variable, with a listener, and with every unusable
/// value: the bytes and status must be the same; the listener must get exactly
/// `expected` (READY then STOPPING, or nothing when the run ends before readiness).
fn unchanged<S: AsRef<OsStr>>(
    name: &str,
    argv0: &str,
    args: &[S],
    expected: &[&str],
    act: impl Fn(&Path, &mut Proc),
) {
    let dir = scenario(name);
    let run = |notify: Option<&OsStr>| {
        let mut p = Spawn::ours(argv0, args, &dir).notify(notify).start();
        act(&dir, &mut p);
        let end = p.finish();
        // The next run starts from the same empty directory.
        let w = dir.join("w");
        std::fs::remove_dir_all(&w).unwrap();
        std::fs::create_dir(&w).unwrap();
        end
    };
    let base = run(None);
    let l = Listener::at_path(name);
    let with = run(Some(&l.env));
    assert_eq!(with, base, "{name}: with a listener");
    assert_eq!(texts(&l.pending()), expected, "{name}");
    let bad_dir = fresh_dir(GROUP, &format!("bad-{name}"));
    for (what, value, full) in bad_values(&bad_dir) {
        assert_eq!(run(Some(&value)), base, "{name}: NOTIFY_SOCKET {what}");
        if let Some(full) = full {
            full.set_nonblocking(true).unwrap();
            let mut buf = [0u8; 64];
            while let Ok(n) = full.recv(&mut buf) {
                assert_eq!(
                    &buf[..n],
                    b"filler",
                    "{name}: nothing got into the full queue"
                );
            }
        }
    }
}

/// Waits for the banner and the watches, then creates `w/f` (a one-shot run ends).
fn create_after_banner(dir: &Path, p: &mut Proc) {
    p.wait_established(1, WAIT_BANNER);
    std::fs::File::create(dir.join("w/f")).unwrap();
}

#[test]
fn unchanged_one_shot() {
    unchanged(
        "same-one-shot",
        "inotifywait",
        &["-e", "create", "w"],
        &[READY_1, STOPPING],
        create_after_banner,
    );
}

/// Once `banner` is out: creates and deletes `w/f`, waits until the kernel queue is
/// read, then sends `sig`.
fn create_delete_then(dir: &Path, p: &mut Proc, banner: &[u8], sig: libc::c_int) {
    p.wait_established(1, banner);
    std::fs::File::create(dir.join("w/f")).unwrap();
    std::fs::remove_file(dir.join("w/f")).unwrap();
    let pid = p.pid() as u32;
    p.wait_until("the events to be read", |_| drained(pid));
    p.signal(sig);
}

#[test]
fn unchanged_monitor_then_sigterm() {
    unchanged(
        "same-monitor",
        "inotifywait",
        &["-m", "-e", "create,delete", "--format", "%e %w%f", "w"],
        &[READY_1, STOPPING],
        |dir, p| create_delete_then(dir, p, WAIT_BANNER, libc::SIGTERM),
    );
}

#[test]
fn unchanged_timeout() {
    unchanged(
        "same-timeout",
        "inotifywait",
        &["-t", "1", "w"],
        &[READY_1, STOPPING],
        |_, _| {},
    );
}

#[test]
fn unchanged_error_after_ready() {
    // A negative timeout is refused once the watches are established.
    unchanged(
        "same-negative",
        "inotifywait",
        &["-t", "-1", "w"],
        &[READY_1, STOPPING],
        |_, _| {},
    );
}

#[test]
fn unchanged_error_before_ready() {
    unchanged(
        "same-missing",
        "inotifywait",
        &["w/missing"],
        &[],
        |_, _| {},
    );
}

#[test]
fn unchanged_inotifywatch() {
    unchanged(
        "same-watch",
        "inotifywatch",
        &["-e", "create,delete", "w"],
        &[READY_1, STOPPING],
        |dir, p| create_delete_then(dir, p, WATCH_BANNER, libc::SIGINT),
    );
}

#[test]
fn unchanged_inotifywatch_timeout() {
    unchanged(
        "same-watch-timeout",
        "inotifywatch",
        &["-t", "1", "w"],
        &[READY_1, STOPPING],
        |_, _| {},
    );
}

/// Kills a daemon left behind by a failed assertion.
struct Daemon(i32);

impl Drop for Daemon {
    fn drop(&mut self) {
        if !gone(self.0) {
            // SAFETY: kill(2) on the daemon this test started.
            unsafe { libc::kill(self.0, libc::SIGKILL) };
        }
    }
}

/// Whether `pid` is gone or a zombie.
fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

/// `-d`: the process that stays (not the one started, which exits at once) announces
/// itself, works, and says STOPPING=1 when terminated. This is why the unit file must
/// not use `-d` under `Type=notify` with `NotifyAccess=main`.
#[test]
fn daemon_notifies_from_the_process_that_stays() {
    let dir = scenario("daemon");
    // `-d` resolves the outfile first: it must exist.
    std::fs::write(dir.join("out"), b"").unwrap();
    let l = Listener::at_path("daemon");
    // `-d` changes directory to `/`: the watched path is absolute.
    let w = dir.join("w");
    let args = [
        OsStr::new("-d"),
        OsStr::new("-o"),
        OsStr::new("out"),
        OsStr::new("-e"),
        OsStr::new("create"),
        w.as_os_str(),
    ];
    let p = Spawn::ours("inotifywait", &args, &dir)
        .notify(Some(&l.env))
        .start();
    let parent = p.pid();
    let end = p.finish();
    assert_eq!(
        end,
        Ended {
            status: Status::Code(0),
            stdout: Vec::new(),
            stderr: Vec::new()
        }
    );
    let ready = l.recv("READY=1 from the daemon");
    let daemon = Daemon(ready.pid);
    assert_eq!(ready.text, READY_1);
    assert!(
        ready.pid > 0 && ready.pid != parent,
        "{ready:?} (parent {parent})"
    );
    assert_eq!(watch_count(daemon.0 as u32), 1);
    std::fs::File::create(dir.join("w/f")).unwrap();
    let deadline = Instant::now() + STEP_DEADLINE;
    let mut line = w.clone().into_os_string().into_vec();
    line.extend_from_slice(b"/ CREATE f\n");
    while std::fs::read(dir.join("out")).unwrap_or_default() != line {
        assert!(Instant::now() < deadline, "the daemon wrote no event");
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: kill(2) on the daemon this test started.
    unsafe { libc::kill(daemon.0, libc::SIGTERM) };
    assert_eq!(l.recv("STOPPING=1 from the daemon").text, STOPPING);
    let deadline = Instant::now() + STEP_DEADLINE;
    while !gone(daemon.0) {
        assert!(Instant::now() < deadline, "the daemon did not end");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(l.pending(), []);
}

/// The fanotify backend announces readiness at the same point (skipped where
/// fanotify with file names is unavailable).
#[test]
fn fanotify_backend_notifies() {
    let dir = scenario("fanotify");
    let l = Listener::at_path("fanotify");
    let mut p = Spawn::ours("fsnotifywait", &["-e", "create", "w"], &dir)
        .notify(Some(&l.env))
        .start();
    l.sock.set_read_timeout(Some(STEP_DEADLINE)).unwrap();
    let Some(ready) = l.recvmsg(0) else {
        let end = p.finish();
        let err = String::from_utf8_lossy(&end.stderr);
        assert!(
            err.contains("Couldn't initialize fanotify"),
            "no READY=1: {end:?}"
        );
        println!("skipped: fanotify is not available here");
        return;
    };
    p.read_now();
    assert_eq!(ready.text, READY_1);
    assert_eq!(ready.pid, p.pid());
    util::assert_bytes_eq("stderr at READY=1", WAIT_BANNER, &p.stderr);
    assert_eq!(watch_count(p.pid() as u32), 1);
    std::fs::File::create(dir.join("w/f")).unwrap();
    let end = p.finish();
    assert_eq!(end.status, Status::Code(0));
    // fanotify names the directory by its full path.
    let mut line = dir.join("w").into_os_string().into_vec();
    line.extend_from_slice(b"/ CREATE f\n");
    util::assert_bytes_eq("stdout", &line, &end.stdout);
    assert_eq!(texts(&l.pending()), [STOPPING]);

    let mut p = Spawn::ours("fsnotifywatch", &["-e", "create", "w"], &dir)
        .notify(Some(&l.env))
        .start();
    expect_ready(&l, &mut p, 1, WATCH_BANNER);
    p.signal(libc::SIGTERM);
    assert_eq!(p.finish().status, Status::Code(0));
    assert_eq!(texts(&l.pending()), [STOPPING]);
}

/// The unit file's ExecStart with its `Environment=` defaults, run as systemd would
/// (`%f` the watched directory): ours accepts it, announces readiness, logs an event
/// in the configured format, and stops on SIGTERM.
#[test]
fn unit_command_line_runs() {
    let unit = std::fs::read_to_string(unit_path()).expect("read the unit file");
    let dir = scenario("unit");
    let mut env = std::collections::HashMap::new();
    for line in unit.lines() {
        if let Some(kv) = line.strip_prefix("Environment=") {
            let kv = kv.trim_matches('"').replace("%%", "%");
            let (k, v) = kv.split_once('=').expect("KEY=value");
            env.insert(k.to_string(), v.to_string());
        }
    }
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart=");
    let watched = dir.join("w");
    let mut words = exec.split_whitespace();
    let program = words.next().expect("program");
    assert!(program.starts_with('/'), "absolute: {program}");
    let mut args: Vec<OsString> = Vec::new();
    for w in words {
        if let Some(var) = w.strip_prefix("${").and_then(|w| w.strip_suffix('}')) {
            args.push(env[var].clone().into());
        } else if let Some(var) = w.strip_prefix('$') {
            args.extend(env[var].split_whitespace().map(OsString::from));
        } else if w == "%f" {
            args.push(watched.clone().into());
        } else {
            assert!(!w.contains('%') && !w.contains('$'), "unhandled word {w}");
            args.push(w.into());
        }
    }
    let l = Listener::at_path("unit");
    let mut p = Spawn::ours(
        Path::new(program)
            .file_name()
            .and_then(OsStr::to_str)
            .unwrap(),
        &args,
        &dir,
    )
    .notify(Some(&l.env))
    .start();
    expect_ready(
        &l,
        &mut p,
        1,
        b"Setting up watches.  Beware: since -r was given, this may take a while!\nWatches established.\n",
    );
    std::fs::File::create(watched.join("f")).unwrap();
    let mut line = watched.join("f").into_os_string().into_vec();
    line.extend_from_slice(b" CREATE\n");
    p.wait_until("the event line", |p| p.stdout.starts_with(&line));
    p.signal(libc::SIGTERM);
    assert_eq!(p.finish().status, Status::Signal(libc::SIGTERM));
    assert_eq!(texts(&l.pending()), [STOPPING]);
}

fn unit_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/rinotify@.service")
}

/// `systemd-analyze verify` accepts the unit without a word about it, its ExecStart
/// pointed at the binary under test (skipped where systemd-analyze is not installed).
#[test]
fn unit_file_verifies() {
    let Some(analyze) = util::which("systemd-analyze") else {
        println!("skipped: systemd-analyze is not installed");
        return;
    };
    let unit = std::fs::read_to_string(unit_path()).expect("read the unit file");
    let ours = util::ours();
    let text = unit.replace(
        "ExecStart=/usr/local/bin/rinotify ",
        &format!("ExecStart={} ", ours.display()),
    );
    assert_ne!(text, unit, "ExecStart names /usr/local/bin/rinotify");
    let dir = fresh_dir(GROUP, "verify");
    let copy = dir.join("rinotify@.service");
    std::fs::write(&copy, text).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&copy)
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("run systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every complaint about the unit names it (file:line, or the instance `rinotify@i`);
    // other lines come from the machine's own units and are only shown.
    let about_ours: Vec<&str> = said.lines().filter(|l| l.contains("rinotify@")).collect();
    assert!(
        out.status.success() && about_ours.is_empty(),
        "systemd-analyze verify: {}\n{said}",
        out.status
    );
    if !said.is_empty() {
        println!("systemd-analyze verify said, about other units:\n{said}");
    }
}

/// The unit file keeps the promises its comments make.
#[test]
fn unit_file_essentials() {
    let unit = std::fs::read_to_string(unit_path()).expect("read the unit file");
    let keys: Vec<&str> = unit
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .collect();
    for want in [
        "Type=notify",
        "NotifyAccess=main",
        "Restart=on-failure",
        "EnvironmentFile=-/etc/default/rinotify",
        "EnvironmentFile=-/etc/rinotify/%i.env",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "StandardOutput=journal",
    ] {
        assert!(keys.contains(&want), "missing {want}");
    }
    let exec = keys
        .iter()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart=");
    assert!(exec.contains(" -m ") && exec.ends_with(" -- %f"), "{exec}");
    assert!(
        !exec.contains(" -d") && !exec.contains("--daemon"),
        "{exec}"
    );
    assert!(unit.contains("-d/--daemon"), "the -d caveat is documented");
}
