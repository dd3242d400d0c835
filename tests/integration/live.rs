//! A long-running binary under test, driven from the test itself: stdout and stderr
//! collected by threads, waits on watch counts or output (never on sleeps), signals.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::util::{ours, watch_count};

const DEADLINE: Duration = Duration::from_secs(60);

/// Output collected so far.
pub type Buf = Arc<Mutex<Vec<u8>>>;

/// A running binary whose stdout and stderr are collected by threads.
pub struct Live {
    pub child: Child,
    out: Buf,
    err: Buf,
    readers: Vec<JoinHandle<()>>,
}

/// Appends everything `r` yields to `buf`, on a thread of its own, until end of file.
pub fn collect(mut r: impl Read + Send + 'static, buf: Buf) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 65536];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    })
}

/// Collects `child`'s stdout and stderr (both piped), each on a thread of its own:
/// (stdout, stderr, the threads).
pub fn collect_output(child: &mut Child) -> (Buf, Buf, Vec<JoinHandle<()>>) {
    let (out, err) = (Buf::default(), Buf::default());
    let readers = vec![
        collect(child.stdout.take().expect("stdout piped"), Arc::clone(&out)),
        collect(child.stderr.take().expect("stderr piped"), Arc::clone(&err)),
    ];
    (out, err, readers)
}

impl Drop for Live {
    /// A failed assertion must not leave the process running (holding watches).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Live {
    pub fn start(argv0: &str, args: &[&str], cwd: &Path) -> Live {
        Live::start_env(argv0, args, cwd, &[])
    }

    /// As [`Live::start`], with these variables added to the environment.
    pub fn start_env(argv0: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Live {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new(ours())
            .arg0(argv0)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ours");
        let (out, err, readers) = collect_output(&mut child);
        Live {
            child,
            out,
            err,
            readers,
        }
    }

    pub fn wait_until(&self, what: &str, mut cond: impl FnMut(&Live) -> bool) {
        let start = Instant::now();
        while !cond(self) {
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; stdout so far:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&self.out.lock().unwrap()),
                String::from_utf8_lossy(&self.err.lock().unwrap())
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn wait_watches(&self, n: usize) {
        let pid = self.child.id();
        self.wait_until(&format!("{n} watches"), |_| watch_count(pid) >= n);
    }

    pub fn wait_stdout(&self, needle: &str) {
        self.wait_until(needle, |l| {
            String::from_utf8_lossy(&l.out.lock().unwrap()).contains(needle)
        });
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    pub fn wait_stderr(&self, needle: &str) {
        self.wait_until(needle, |l| {
            String::from_utf8_lossy(&l.err.lock().unwrap()).contains(needle)
        });
    }

    pub fn stderr_now(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    pub fn stdout_now(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Waits until the process has read everything queued (asleep in poll with nothing
    /// queued on its fds), then ends it with `sig`: for a count that must be complete.
    pub fn stop_drained(self, sig: i32) -> (String, String, i32) {
        let pid = self.child.id();
        crate::util::poll_until(
            "queue drained",
            crate::util::STEP_DEADLINE,
            || crate::util::drained(pid),
            String::new,
        );
        self.stop_with(sig)
    }

    /// Terminates the process and returns (stdout, stderr).
    pub fn stop(self) -> (String, String) {
        let (out, err, _) = self.stop_with(libc::SIGTERM);
        (out, err)
    }

    /// Sends `sig`, waits for the exit and returns (stdout, stderr, status or 128+signal).
    pub fn stop_with(mut self, sig: i32) -> (String, String, i32) {
        use std::os::unix::process::ExitStatusExt;
        self.signal(sig);
        let st = self.child.wait().expect("wait");
        let code = st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0));
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let out = String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned();
        let err = String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned();
        (out, err, code)
    }
}
