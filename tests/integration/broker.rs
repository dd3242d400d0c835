//! Events leaving the machine (issue 12): `inotifywait -m -r --json` piped into
//! `mosquitto_pub -l`, through a real MQTT broker (mosquitto, started here on a free
//! port of 127.0.0.1 with a configuration of its own, never the system's), to
//! `mosquitto_sub`. A burst of 1,000 written files must arrive as exactly 2,000 JSON
//! messages, each one a valid event of the `--json` contract, in order; a name with a
//! newline, a quote, a backslash, a control character and an invalid UTF-8 byte must
//! arrive as one message that gives its exact bytes back. The pipe runs through the
//! test, so inotifywait's own output is checked first and the broker hop against it.
//! Readiness is `--ready-fd`, every wait polls under a hard deadline, and no process
//! outlives its test.
//!
//! Every line is read by the contract's strict reader (`jsonl`). The broker and the
//! subscriber are also used by `examples.rs` for examples/mqtt-publish.sh.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::jsonl::{Event, base64, now_ns, parse_lines};
use crate::live::{Buf, collect};
use crate::util::{default_signals, fresh_dir, heavy, ours, pids_mentioning, poll_until, which};

/// Hard deadline of a whole burst's delivery.
const BURST_DEADLINE: Duration = Duration::from_secs(60);
/// Hard deadline of every other wait.
const STEP: Duration = Duration::from_secs(20);
/// Polling interval of every wait loop.
const POLL: Duration = Duration::from_millis(2);
/// Temp-dir group of these tests.
const GROUP: &str = "rinotify-broker";

fn text(buf: &Buf) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

/// The broker, the subscriber and the publisher, or `None` (and a `skipped:` line)
/// when one is not installed. Debian puts the broker in /usr/sbin.
pub fn mosquitto() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let broker = which("mosquitto").or_else(|| {
        let p = PathBuf::from("/usr/sbin/mosquitto");
        p.exists().then_some(p)
    });
    match (broker, which("mosquitto_sub"), which("mosquitto_pub")) {
        (Some(b), Some(s), Some(p)) => Some((b, s, p)),
        _ => {
            println!("skipped: mosquitto not installed");
            None
        }
    }
}

/// A child process killed (and reaped) when dropped, so that a failed assertion
/// leaves nothing running; its stdout (unless taken) and stderr are collected.
pub struct Proc {
    name: String,
    pub child: Child,
    pub out: Buf,
    pub err: Buf,
    readers: Vec<JoinHandle<()>>,
}

impl Proc {
    /// Starts `cmd` with default signal dispositions; stderr is collected, and stdout
    /// too unless `keep_stdout` (the caller then takes `child.stdout`).
    pub fn spawn(name: &str, cmd: &mut Command, keep_stdout: bool) -> Proc {
        default_signals(cmd, Vec::new());
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let (out, err) = (Buf::default(), Buf::default());
        let mut readers = vec![collect(child.stderr.take().unwrap(), err.clone())];
        if !keep_stdout {
            readers.push(collect(child.stdout.take().unwrap(), out.clone()));
        }
        Proc {
            name: name.to_string(),
            child,
            out,
            err,
            readers,
        }
    }

    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits (under [`STEP`]) for the process to end by itself; returns its status.
    pub fn wait_exit(&mut self, why: &str) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                let start = Instant::now();
                while self.readers.iter().any(|r| !r.is_finished()) && start.elapsed() < STEP {
                    std::thread::sleep(POLL);
                }
                return st;
            }
            assert!(
                start.elapsed() < STEP,
                "{} did not exit ({why}); stderr:\n{}",
                self.name,
                text(&self.err)
            );
            std::thread::sleep(POLL);
        }
    }

    /// Sends `sig` and waits for the exit.
    pub fn stop(&mut self, sig: i32) -> ExitStatus {
        if self.running() {
            // SAFETY: signalling our own child, not reaped yet.
            unsafe { libc::kill(self.child.id() as i32, sig) };
        }
        self.wait_exit(&format!("signal {sig}"))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.running() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A mosquitto broker of this test's own, on a free port of 127.0.0.1, in the
/// foreground as a child; stopped when dropped.
pub struct Broker {
    pub port: u16,
    proc: Proc,
    conf: PathBuf,
    publisher: PathBuf,
    subscriber: PathBuf,
}

impl Broker {
    /// Starts the broker and waits until it accepts connections; `None` when mosquitto
    /// is not installed.
    pub fn start(dir: &Path) -> Option<Broker> {
        let (broker, subscriber, publisher) = mosquitto()?;
        // The free port is found by binding port 0 and letting it go: another process
        // may take it in between, so a broker that cannot listen is retried elsewhere.
        for _attempt in 0..5 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let conf = dir.join(format!("mosquitto-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "listener {port} 127.0.0.1\n\
                     allow_anonymous true\n\
                     persistence false\n\
                     log_dest stderr\n\
                     # The default (1000) drops QoS 1 messages beyond it for a subscriber\n\
                     # that lags: a loaded machine must not lose part of the burst here.\n\
                     max_queued_messages 0\n"
                ),
            )
            .expect("write mosquitto.conf");
            let mut proc = Proc::spawn(
                "mosquitto",
                Command::new(&broker)
                    .arg("-c")
                    .arg(&conf)
                    .stdin(Stdio::null()),
                false,
            );
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let start = Instant::now();
            let listening = loop {
                if !proc.running() {
                    break false;
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    break true;
                }
                assert!(
                    start.elapsed() < STEP,
                    "mosquitto does not accept connections on port {port}:\n{}",
                    text(&proc.err)
                );
                std::thread::sleep(POLL);
            };
            if listening && proc.running() {
                return Some(Broker {
                    port,
                    proc,
                    conf,
                    publisher,
                    subscriber,
                });
            }
            let log = text(&proc.err);
            assert!(
                log.contains("Address already in use"),
                "mosquitto exited at start:\n{log}"
            );
        }
        panic!("no free port for mosquitto after 5 attempts");
    }

    /// The arguments that point a mosquitto client at this broker.
    pub fn client_args(&self) -> [String; 4] {
        [
            "-h".into(),
            "127.0.0.1".into(),
            "-p".into(),
            self.port.to_string(),
        ]
    }

    /// `mosquitto_pub` with this broker's address.
    pub fn publisher(&self) -> Command {
        let mut cmd = Command::new(&self.publisher);
        cmd.args(self.client_args());
        cmd
    }

    /// Publishes one message (QoS 1: the broker has it once this returns).
    pub fn publish(&self, topic: &str, payload: &str) {
        let out = self
            .publisher()
            .args(["-q", "1", "-t", topic, "-m", payload])
            .stdin(Stdio::null())
            .output()
            .expect("run mosquitto_pub");
        assert!(
            out.status.success(),
            "mosquitto_pub -m {payload:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The broker's log so far.
    pub fn log(&self) -> String {
        text(&self.proc.err)
    }

    /// Stops the broker (SIGTERM) and checks that it is gone.
    pub fn stop(mut self) {
        let st = self.proc.stop(libc::SIGTERM);
        assert!(
            st.success() || st.signal() == Some(libc::SIGTERM),
            "mosquitto ended with {st}:\n{}",
            self.log()
        );
        assert_eq!(
            pids_mentioning(self.conf.as_os_str().as_bytes()),
            Vec::<u32>::new(),
            "mosquitto still running"
        );
    }
}

/// The payload prefix of the probes that make sure a subscription is in place.
pub const PROBE: &str = "probe ";

/// A `mosquitto_sub` whose messages (one per line) are collected.
pub struct Subscriber {
    pub proc: Proc,
}

impl Subscriber {
    /// Subscribes to `filter` (QoS 1) and returns once the subscription is in place:
    /// probes are published to `probe_topic` (which `filter` matches) until one shows
    /// up. Probe lines are left out of [`Subscriber::messages`].
    pub fn start(broker: &Broker, filter: &str, probe_topic: &str) -> Subscriber {
        let proc = Proc::spawn(
            "mosquitto_sub",
            Command::new(&broker.subscriber)
                .args(broker.client_args())
                .args(["-q", "1", "-t", filter])
                .stdin(Stdio::null()),
            false,
        );
        let mut sub = Subscriber { proc };
        let start = Instant::now();
        for i in 0.. {
            assert!(
                sub.proc.running() && start.elapsed() < STEP,
                "mosquitto_sub -t {filter} never received a probe on {probe_topic}\n\
                 stderr:\n{}\nbroker:\n{}",
                text(&sub.proc.err),
                broker.log()
            );
            broker.publish(probe_topic, &format!("{PROBE}{i}"));
            // A probe published before the subscription existed is never delivered:
            // give this one a moment, then publish the next.
            let round = Instant::now();
            while round.elapsed() < Duration::from_millis(100) {
                if text(&sub.proc.out).contains(PROBE) {
                    return sub;
                }
                std::thread::sleep(POLL);
            }
        }
        unreachable!()
    }

    /// Every complete line received so far, but the probes.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let out = self.proc.out.lock().unwrap();
        let Some(end) = out.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        out[..end]
            .split(|&b| b == b'\n')
            .filter(|l| !l.starts_with(PROBE.as_bytes()))
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// Every complete line received so far, probes included, as text.
    pub fn raw(&self) -> String {
        text(&self.proc.out)
    }

    /// Ends the subscription: every message published up to now (from any client)
    /// has been received once an end probe published now arrives. Returns the
    /// messages, probes left out.
    pub fn drain(&mut self, broker: &Broker, probe_topic: &str) -> Vec<Vec<u8>> {
        let end = format!("{PROBE}end");
        broker.publish(probe_topic, &end);
        poll_until(
            "the end probe",
            STEP,
            || self.raw().lines().any(|l| l == end),
            || format!("received:\n{}", self.raw()),
        );
        self.proc.stop(libc::SIGTERM);
        self.messages()
    }
}

/// `inotifywait -m -r -q --json --ready-fd 3 ARGS... DIR | mosquitto_pub -l -q 1 -t
/// TOPIC`; returns once the ready line has arrived on fd 3 and the fd has been closed.
/// The pipe goes through the test, which keeps a copy of what inotifywait printed, so
/// that a failure tells which hop lost or reordered an event.
pub struct Pipeline {
    pub watcher: Proc,
    pub publisher: Proc,
    /// What inotifywait printed so far.
    pub printed: Buf,
    relay: JoinHandle<()>,
}

impl Pipeline {
    pub fn start(broker: &Broker, topic: &str, args: &[&str], dir: &Path) -> Pipeline {
        let (ready_r, ready_w) = std::io::pipe().expect("pipe");
        let wfd = ready_w.as_raw_fd();
        let mut cmd = Command::new(ours());
        cmd.arg0("inotifywait")
            .args(["-m", "-r", "-q", "--json", "--ready-fd", "3"])
            .args(args)
            .arg(dir)
            .stdin(Stdio::null())
            // Times are UTC whatever the local zone (a POSIX TZ, no tzdata needed).
            .env("TZ", "RIN-5:30");
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // The pipe is close-on-exec: dup2 makes a copy that is not, unless it
                // is fd 3 already.
                let ok = if wfd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0) == 0
                } else {
                    libc::dup2(wfd, 3) == 3
                };
                if ok {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let mut watcher = Proc::spawn("inotifywait", &mut cmd, true);
        // Only the child holds the write end now: end of file means it closed it.
        drop(ready_w);
        let mut events: ChildStdout = watcher.child.stdout.take().expect("stdout");
        let mut publisher = Proc::spawn(
            "mosquitto_pub",
            broker
                .publisher()
                .args(["-l", "-q", "1", "-t", topic])
                .stdin(Stdio::piped()),
            false,
        );
        let mut input = publisher.child.stdin.take().expect("stdin");
        let printed = Buf::default();
        let copy = printed.clone();
        // Ends at inotifywait's end of output, closing mosquitto_pub's input (or when
        // mosquitto_pub is gone, leaving inotifywait a broken pipe), as `|` would.
        let relay = std::thread::spawn(move || {
            let mut chunk = [0u8; 65536];
            while let Ok(n) = events.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                copy.lock().unwrap().extend_from_slice(&chunk[..n]);
                if input.write_all(&chunk[..n]).is_err() {
                    break;
                }
            }
        });
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut r = ready_r;
            let mut chunk = [0u8; 256];
            while let Ok(n) = r.read(&mut chunk) {
                if n == 0 || tx.send(chunk[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        let mut said = Vec::new();
        let closed = loop {
            let left = STEP.saturating_sub(start.elapsed());
            match rx.recv_timeout(left) {
                Ok(b) => said.extend_from_slice(&b),
                Err(mpsc::RecvTimeoutError::Disconnected) => break true,
                Err(mpsc::RecvTimeoutError::Timeout) => break false,
            }
        };
        assert!(
            closed,
            "--ready-fd 3: after {STEP:?}, {said:?} written and the fd still open\n\
             stderr:\n{}",
            text(&watcher.err)
        );
        assert_eq!(
            String::from_utf8_lossy(&said),
            "Watches established.\n",
            "--ready-fd 3 (inotifywait running: {}); stderr:\n{}",
            watcher.running(),
            text(&watcher.err)
        );
        Pipeline {
            watcher,
            publisher,
            printed,
            relay,
        }
    }

    /// Stops inotifywait; mosquitto_pub then reads to end of file, has every message
    /// acknowledged by the broker and exits 0.
    /// Returns the lines inotifywait printed.
    pub fn stop(self) -> Vec<Vec<u8>> {
        let Pipeline {
            mut watcher,
            mut publisher,
            printed,
            relay,
        } = self;
        watcher.stop(libc::SIGTERM);
        let st = publisher.wait_exit("end of its input");
        assert!(
            st.success(),
            "mosquitto_pub ended with {st}: {}",
            text(&publisher.err)
        );
        assert!(
            text(&watcher.err).is_empty(),
            "inotifywait -q said:\n{}",
            text(&watcher.err)
        );
        // It has ended: closing mosquitto_pub's input is the last thing it does.
        relay.join().expect("relay");
        let printed = printed.lock().unwrap().clone();
        match printed.strip_suffix(b"\n") {
            Some(lines) => lines.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect(),
            None => {
                assert!(printed.is_empty(), "inotifywait's output ends mid-line");
                Vec::new()
            }
        }
    }
}

/// Writes the files `names` (their own name plus a newline as content) in `dir`, in
/// order, from a process of its own. Not from this test process: its threads fork
/// children for other tests all the time, and a child forked while a file is open here
/// holds it until it execs, so the kernel sends that file's CLOSE_WRITE late, after
/// events of later files (the reference inotifywait sees the same order).
pub fn write_files(dir: &Path, names: &[Vec<u8>]) {
    let st = Command::new("sh")
        .arg("-c")
        .arg(r#"for n do printf '%s\n' "$n" > "$n" || exit 1; done"#)
        .arg("sh")
        .args(names.iter().map(|n| std::ffi::OsStr::from_bytes(n)))
        .current_dir(dir)
        .stdin(Stdio::null())
        .status()
        .expect("run sh");
    assert!(st.success(), "writing the files failed: {st}");
}

/// (name, events) of each event, for comparing sequences.
type Brief = (Vec<u8>, Vec<String>);

fn briefs(events: &[Event]) -> Vec<Brief> {
    events
        .iter()
        .map(|e| (e.name.clone(), e.events.clone()))
        .collect()
}

/// Where `a` and `b` first differ (the shorter one's length when one is the other's
/// start).
fn first_difference<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// The items of `v` from `before` ahead of `at` to `after` past it, one indented line
/// each.
fn around<T>(
    v: &[T],
    at: usize,
    (before, after): (usize, usize),
    line: impl Fn(&T) -> String,
) -> String {
    v.iter()
        .skip(at.saturating_sub(before))
        .take(before + after + 1)
        .map(|x| format!("    {}\n", line(x)))
        .collect()
}

/// Panics, showing the first difference, unless `got` is `expected`.
#[track_caller]
fn assert_sequence(what: &str, got: &[Brief], expected: &[Brief]) {
    if got == expected {
        return;
    }
    let at = first_difference(got, expected);
    let show = |v: &[Brief]| {
        around(v, at, (2, 2), |(n, e)| {
            format!("{} {e:?}", String::from_utf8_lossy(n))
        })
    };
    panic!(
        "{what}: {} events, expected {}; first difference at {at}:\nexpected:\n{}got:\n{}",
        got.len(),
        expected.len(),
        show(expected),
        show(got)
    );
}

/// Panics unless the broker delivered exactly the lines inotifywait printed, in order;
/// says whether lines were lost, duplicated, or only reordered.
#[track_caller]
fn assert_delivered(received: &[Vec<u8>], printed: &[Vec<u8>]) {
    if received == printed {
        return;
    }
    let at = first_difference(received, printed);
    let (mut r, mut p) = (received.to_vec(), printed.to_vec());
    r.sort();
    p.sort();
    let kind = if r == p {
        "the same lines, reordered"
    } else {
        "lines lost, added or altered"
    };
    let show = |v: &[Vec<u8>]| around(v, at, (1, 1), |l| String::from_utf8_lossy(l).into_owned());
    panic!(
        "the broker hop: {} messages for {} lines printed ({kind}); first difference at \
         {at}:\nprinted:\n{}received:\n{}",
        received.len(),
        printed.len(),
        show(printed),
        show(received)
    );
}

/// A burst of 1,000 written files crosses the broker as exactly 2,000 messages, one
/// JSON event each, in order: CREATE then CLOSE_WRITE,CLOSE for f0000, f0001, ...
#[test]
fn burst_of_events_crosses_the_broker_intact_and_in_order() {
    let _heavy = heavy();
    let since = now_ns();
    let base = fresh_dir(GROUP, "burst");
    let Some(broker) = Broker::start(&base) else {
        return;
    };
    let dir = base.join("w");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let topic = "rinotify/test-host/events";
    let mut sub = Subscriber::start(&broker, "rinotify/+/events", topic);
    let pipe = Pipeline::start(&broker, topic, &["-e", "create,close_write"], &dir);
    let started = Instant::now();
    const FILES: usize = 1000;
    let names: Vec<String> = (0..FILES).map(|i| format!("f{i:04}")).collect();
    let bytes: Vec<Vec<u8>> = names.iter().map(|n| n.clone().into_bytes()).collect();
    write_files(&dir, &bytes);
    let last = format!("\"name\":\"{}\"", names[FILES - 1]);
    poll_until(
        "the last file's CLOSE_WRITE at the subscriber",
        BURST_DEADLINE,
        || {
            sub.messages().iter().any(|m| {
                String::from_utf8_lossy(m).contains(&last)
                    && m.windows(11).any(|w| w == b"CLOSE_WRITE")
            })
        },
        || {
            format!(
                "{} messages so far; inotifywait stderr:\n{}\nmosquitto_pub stderr:\n{}",
                sub.messages().len(),
                text(&pipe.watcher.err),
                text(&pipe.publisher.err)
            )
        },
    );
    let delivered = started.elapsed();
    let printed = pipe.stop();
    // Whatever inotifywait printed was published before mosquitto_pub exited 0; the
    // end probe is published after, so every event message is in once it arrives.
    let messages = sub.drain(&broker, topic);
    let ev = |e: &[&str]| e.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let expected: Vec<Brief> = names
        .iter()
        .flat_map(|n| {
            [
                (n.as_bytes().to_vec(), ev(&["CREATE"])),
                (n.as_bytes().to_vec(), ev(&["CLOSE_WRITE", "CLOSE"])),
            ]
        })
        .collect();
    // First our hop (inotifywait's own output), then the broker's.
    let events = parse_lines("inotifywait printed", &printed, since);
    assert_sequence("inotifywait printed", &briefs(&events), &expected);
    assert_delivered(&messages, &printed);
    let watch = format!("{}/", dir.display()).into_bytes();
    for (i, e) in events.iter().enumerate() {
        assert!(
            e.watch == watch && e.backend == "inotify" && !e.synthetic && !e.dir && e.cookie == 0,
            "message {i}: {e:?}"
        );
    }
    broker.stop();
    assert_eq!(
        pids_mentioning(dir.as_os_str().as_bytes()),
        Vec::<u32>::new(),
        "processes left behind"
    );
    println!(
        "{} events delivered through the broker in {delivered:?}",
        events.len()
    );
}

/// A name with a newline, a quote, a backslash, a control character, a non-ASCII
/// letter and an invalid UTF-8 byte is one message per event (the newline does not
/// split it), JSON-escaped, and its exact bytes come back from `name_base64` and
/// `path_base64`.
#[test]
fn odd_name_crosses_the_broker_intact() {
    let since = now_ns();
    let base = fresh_dir(GROUP, "odd-name");
    let Some(broker) = Broker::start(&base) else {
        return;
    };
    let dir = base.join("w");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let topic = "rinotify/odd/events";
    let mut sub = Subscriber::start(&broker, topic, topic);
    let pipe = Pipeline::start(&broker, topic, &["-e", "create,close_write"], &dir);
    let odd: &[u8] = b"odd\nline \"q\" back\\slash \x01 caf\xc3\xa9 \xff.txt";
    write_files(&dir, &[odd.to_vec(), b"end".to_vec()]);
    poll_until(
        "the end file's CLOSE_WRITE",
        STEP,
        || {
            sub.messages().iter().any(|m| {
                let m = String::from_utf8_lossy(m);
                m.contains("\"name\":\"end\"") && m.contains("CLOSE_WRITE")
            })
        },
        || format!("received:\n{}", sub.raw()),
    );
    let printed = pipe.stop();
    let messages = sub.drain(&broker, topic);
    let events = parse_lines("inotifywait printed", &printed, since);
    let ev = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_sequence(
        "inotifywait printed",
        &briefs(&events),
        &[
            (odd.to_vec(), ev(&["CREATE"])),
            (odd.to_vec(), ev(&["CLOSE_WRITE", "CLOSE"])),
            (b"end".to_vec(), ev(&["CREATE"])),
            (b"end".to_vec(), ev(&["CLOSE_WRITE", "CLOSE"])),
        ],
    );
    assert_delivered(&messages, &printed);
    let watch = format!("{}/", dir.display()).into_bytes();
    for (m, e) in messages.iter().zip(&events).take(2) {
        let line = String::from_utf8_lossy(m);
        assert_eq!(e.path, [watch.as_slice(), odd].concat(), "{line}");
        assert!(
            line.contains(&format!("\"name_base64\":\"{}\"", base64(odd)))
                && line.contains(&format!(
                    "\"path_base64\":\"{}\"",
                    base64(&[watch.as_slice(), odd].concat())
                ))
                && !line.contains("watch_base64"),
            "base64 keys: {line}"
        );
        let lower = line.to_ascii_lowercase();
        for esc in ["\\n", "\\\"q\\\"", "back\\\\slash", "\\u0001"] {
            assert!(lower.contains(esc), "{esc} not in {line}");
        }
        // The displayed name: the invalid byte as U+FFFD, the rest as is.
        let shown = serde_json::from_slice::<serde_json::Value>(m).expect("json")["name"]
            .as_str()
            .expect("name")
            .to_string();
        assert_eq!(shown, "odd\nline \"q\" back\\slash \u{1} café \u{fffd}.txt");
    }
    broker.stop();
}
