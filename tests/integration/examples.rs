//! The recipes under `examples/` (sync-on-write, hot-reload, photo-pipeline,
//! integrity-monitor, backup-trigger, batch-events, and mqtt-publish and
//! journald-forward, which send `--json` events off the machine): each script runs
//! with our inotifywait first on PATH, in a process group of its own, is synchronised
//! on the `Watches established.` its inotifywait prints, and must avoid the pitfall it
//! is written against; then it is stopped by a signal and must take its inotifywait
//! with it. Every wait polls under a hard deadline; none relies on a sleep.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::jsonl::{now_ns, parse_lines};
use crate::live::{Buf, collect_output};
use crate::util::{fresh_dir, heavy, pids_mentioning, tool_dir, which};

/// Hard deadline of every wait.
const DEADLINE: Duration = Duration::from_secs(20);
/// Temp-dir group of these tests.
const GROUP: &str = "rinotify-examples";

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// PATH for a script: `first` (wrappers), our inotifywait's dir, then the test's PATH.
fn script_path(first: Option<&Path>) -> OsString {
    let mut dirs: Vec<PathBuf> = first.map(Path::to_path_buf).into_iter().collect();
    dirs.push(tool_dir(false));
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).expect("PATH")
}

/// Live processes (not zombies) whose process group is `pgid`.
fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                let Some((_, rest)) = s.rsplit_once(')') else {
                    return false;
                };
                let f: Vec<&str> = rest.split_whitespace().collect();
                f.len() > 2 && f[0] != "Z" && f[2] == pgid.to_string()
            })
        })
        .collect()
}

/// A recipe running in its own process group, stdout and stderr collected.
struct Script {
    name: String,
    child: Child,
    out: Buf,
    err: Buf,
    readers: Vec<JoinHandle<()>>,
}

impl Script {
    fn start(name: &str, args: &[&OsStr], path: OsString, env: &[(&str, &str)]) -> Script {
        let mut cmd = Command::new(script(name));
        cmd.args(args)
            .env("PATH", path)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // Signals ignored by whoever started the tests would be inherited, and bash
        // cannot trap a signal ignored at entry: give the script default dispositions.
        // SAFETY: only async-signal-safe signal(2) calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGPIPE] {
                    libc::signal(sig, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start examples/{name}: {e}"));
        let (out, err, readers) = collect_output(&mut child);
        Script {
            name: name.to_string(),
            child,
            out,
            err,
            readers,
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    /// Polls `cond` until it holds; panics at the deadline or if the script ends.
    fn wait_for(&mut self, what: &str, mut cond: impl FnMut(&Script) -> bool) {
        let start = Instant::now();
        loop {
            if cond(self) {
                return;
            }
            let ended = self.child.try_wait().ok().flatten();
            assert!(
                ended.is_none() && start.elapsed() < DEADLINE,
                "examples/{}: {} waiting for {what}\nstdout:\n{}\nstderr:\n{}",
                self.name,
                match ended {
                    Some(st) => format!("ended ({st})"),
                    None => format!("timed out after {DEADLINE:?}"),
                },
                self.stdout(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for `Watches established.` (the script's inotifywait is ready).
    fn wait_ready(&mut self) {
        self.wait_for("Watches established.", |s| {
            s.stderr().contains("Watches established.")
        });
    }

    /// Waits (under [`DEADLINE`]) for the script to exit (`why`: how it should), then
    /// for its whole process group (its inotifywait) to be gone and its output read.
    fn wait_gone(&mut self, why: &str) -> ExitStatus {
        let pid = self.child.id();
        let start = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                break st;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "examples/{} did not exit {why}\nstderr:\n{}",
                self.name,
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        while !group_members(pid).is_empty() {
            assert!(
                start.elapsed() < DEADLINE,
                "examples/{} left processes behind: {:?}",
                self.name,
                group_members(pid)
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        while self.readers.iter().any(|r| !r.is_finished()) && start.elapsed() < DEADLINE {
            std::thread::sleep(Duration::from_millis(5));
        }
        status
    }

    /// Sends `sig` to the script alone (not its group), expects it to exit with
    /// 128+sig, and its whole process group (its inotifywait) to be gone.
    /// Returns (stdout, stderr).
    fn stop(mut self, sig: i32) -> (String, String) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
        let status = self.wait_gone(&format!("on signal {sig}"));
        assert_eq!(
            status.code(),
            Some(128 + sig),
            "examples/{} did not exit cleanly on signal {sig}\nstderr:\n{}",
            self.name,
            self.stderr()
        );
        (self.stdout(), self.stderr())
    }
}

impl Drop for Script {
    /// A failed assertion must not leave the script or its inotifywait running.
    fn drop(&mut self) {
        // SAFETY: killing the process group we created.
        unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills the processes mentioning a marker when dropped (commands the recipes start in
/// process groups of their own), so a failed test leaves nothing behind.
struct KillMarked(&'static [u8]);

impl Drop for KillMarked {
    fn drop(&mut self) {
        for pid in pids_mentioning(self.0) {
            // SAFETY: a process this test started, found by its unique marker.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}

/// The `sleep` processes mentioning `mark` (the script's own argv mentions it too).
fn sleepers(mark: &[u8]) -> usize {
    pids_mentioning(mark)
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
        })
        .count()
}

/// Writes `data` in several writes through one open file (one CLOSE_WRITE).
fn write_in_pieces(path: &Path, data: &[u8]) {
    let mut f = std::fs::File::create(path).expect("create");
    for piece in data.chunks(data.len().div_ceil(3).max(1)) {
        f.write_all(piece).expect("write");
        f.flush().expect("flush");
    }
}

fn lines_of(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

/// Every entry under `root`, relative, with the bytes of files (`None` for a directory).
fn tree(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, acc: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).expect("under root").to_path_buf();
            if p.is_dir() {
                acc.insert(rel, None);
                walk(root, &p, acc);
            } else {
                acc.insert(rel, std::fs::read(&p).ok());
            }
        }
    }
    let mut acc = BTreeMap::new();
    walk(root, root, &mut acc);
    acc
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg("--")
        .arg(path)
        .output()
        .expect("sha256sum");
    assert!(out.status.success(), "sha256sum {}", path.display());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.trim_start_matches('\\')
        .split(' ')
        .next()
        .unwrap_or("")
        .to_string()
}

fn run(cmd: &mut Command) {
    let st = cmd.status().expect("spawn");
    assert!(st.success(), "{cmd:?} failed: {st}");
}

/// Writes `bin/name`, an executable `#!/bin/sh` script running `body`: a command of
/// the test's own, found first on a [`script_path`] that starts with `bin`.
fn install_command(bin: &Path, name: &str, body: &str) {
    let path = bin.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write the command");
    run(Command::new("chmod").arg("+x").arg(&path));
}

/// One rsync per written file (not one for its CREATE and one for its CLOSE_WRITE),
/// names with spaces, dashes and newlines, new and moved-in directory trees, renames
/// and deletions: DEST ends equal to SRC.
#[test]
fn sync_on_write_runs_rsync_once_per_written_file() {
    let Some(real) = which("rsync") else {
        println!("skipped: rsync not installed");
        return;
    };
    let base = fresh_dir(GROUP, "sync");
    let (src, dest, bin, log) = (
        base.join("src"),
        base.join("dest"),
        base.join("bin"),
        base.join("rsync.log"),
    );
    for d in [&src, &dest, &bin] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    // A wrapper rsync that logs each call on one line, then runs the real one.
    install_command(
        &bin,
        "rsync",
        &format!(
            "{{ printf call; printf ' [%s]' \"$@\" | tr '\\n' '?'; echo; }} >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    );

    let mut s = Script::start(
        "sync-on-write.sh",
        &[src.as_os_str(), dest.as_os_str()],
        script_path(Some(&bin)),
        &[],
    );
    s.wait_ready();

    // Phase 1: written files, each in several writes through one open file.
    let names = ["a b.txt", "-dash", "plain", "with  two  spaces"];
    for (i, n) in names.iter().enumerate() {
        write_in_pieces(
            &src.join(n),
            format!("content {i} {}", "x".repeat(3000)).as_bytes(),
        );
    }
    s.wait_for("the written files in DEST", |_| tree(&dest) == tree(&src));
    // Events are handled in order: once the sentinel is synced, a second rsync of any
    // file above would already be in the log.
    std::fs::write(src.join("zz-sentinel"), "end").expect("write");
    s.wait_for("the sentinel in DEST", |_| {
        dest.join("zz-sentinel").exists()
    });
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        calls.lines().count(),
        names.len() + 1,
        "expected one rsync per written file; calls:\n{calls}"
    );

    // Phase 2: trees that appear whole, a name with a newline, renames, deletions.
    let stage = base.join("stage");
    std::fs::create_dir_all(stage.join("t/u")).expect("mkdir");
    std::fs::write(stage.join("t/u/deep file"), "deep").expect("write");
    std::fs::write(stage.join("t/top"), "top").expect("write");
    std::fs::create_dir_all(src.join("new dir/deep")).expect("mkdir");
    std::fs::write(src.join("new dir/deep/f"), "f").expect("write");
    run(Command::new("cp")
        .arg("-r")
        .arg(stage.join("t"))
        .arg(src.join("copied")));
    std::fs::rename(stage.join("t"), src.join("moved in")).expect("rename");
    std::fs::write(src.join("new\nline"), "nl").expect("write");
    std::fs::rename(src.join("a b.txt"), src.join("renamed b.txt")).expect("rename");
    std::fs::remove_file(src.join("plain")).expect("rm");
    s.wait_for(
        "DEST equal to SRC after trees, renames and deletions",
        |_| tree(&dest) == tree(&src),
    );
    let (_, err) = s.stop(libc::SIGTERM);
    assert!(!err.contains("failed"), "stderr:\n{err}");
}

/// A burst of 20 files restarts the command once; the old instance is stopped.
#[test]
fn hot_reload_debounces_a_burst_into_one_restart() {
    let _heavy = heavy();
    const MARK: &[u8] = b"9876.54321";
    let _cleanup = KillMarked(MARK);
    let base = fresh_dir(GROUP, "hot-reload");
    let (dir, runs) = (base.join("w"), base.join("runs"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = script_path(None);
    let mut s = Script::start(
        "hot-reload.sh",
        &[
            dir.as_os_str(),
            OsStr::new("--"),
            OsStr::new("sh"),
            OsStr::new("-c"),
            OsStr::new("echo run >> \"$0\"; exec sleep 9876.54321"),
            runs.as_os_str(),
        ],
        path,
        &[("DEBOUNCE", "1")],
    );
    s.wait_ready();
    s.wait_for("the first start", |_| lines_of(&runs) == 1);
    for i in 0..20 {
        std::fs::write(dir.join(format!("f{i:02}")), format!("{i}")).expect("write");
    }
    s.wait_for("the restart", |_| lines_of(&runs) >= 2);
    s.wait_for("one instance of the command", |_| sleepers(MARK) == 1);
    // Every event of the burst was read before the restart: one more change is a
    // burst of its own, so a split first burst would show as a fourth run here.
    std::fs::write(dir.join("sentinel"), "s").expect("write");
    s.wait_for("the sentinel's restart", |_| lines_of(&runs) >= 3);
    assert_eq!(lines_of(&runs), 3, "a burst of 20 files must restart once");
    let (_, err) = s.stop(libc::SIGTERM);
    assert_eq!(err.matches("restarting").count(), 2, "stderr:\n{err}");
    let start = Instant::now();
    while sleepers(MARK) > 0 {
        assert!(
            start.elapsed() < DEADLINE,
            "the command outlived the script"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The ImageMagick tool the recipe will use, with `identify` beside it.
fn imagemagick() -> Option<(PathBuf, Vec<PathBuf>)> {
    if let Some(m) = which("magick") {
        return Some((m.clone(), vec![m, PathBuf::from("identify")]));
    }
    Some((which("convert")?, vec![which("identify")?]))
}

/// Web copy and thumbnail at the configured sizes, original archived byte for byte; a
/// photo still being written is left alone until its writer closes it.
#[test]
fn photo_pipeline_resizes_only_complete_photos() {
    let Some((convert, identify)) = imagemagick() else {
        println!("skipped: imagemagick (convert, identify) not installed");
        return;
    };
    let base = fresh_dir(GROUP, "photo");
    let (inbox, out, stage) = (base.join("inbox"), base.join("out"), base.join("stage"));
    for d in [&inbox, &stage] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let make = |spec: &[&str], name: &str| {
        run(Command::new(&convert).args(spec).arg(stage.join(name)));
        std::fs::read(stage.join(name)).expect("read image")
    };
    let a = make(&["-size", "800x600", "gradient:red-blue"], "a.jpg");
    let slow = make(&["-size", "300x500", "gradient:green-white"], "slow.png");
    make(&["-size", "640x640", "xc:orange"], "c.JPG");

    let mut s = Script::start(
        "photo-pipeline.sh",
        &[inbox.as_os_str(), out.as_os_str()],
        script_path(None),
        &[("WEB_SIZE", "400x400"), ("THUMB_SIZE", "100x100")],
    );
    s.wait_ready();
    std::fs::rename(stage.join("a.jpg"), inbox.join("a.jpg")).expect("mv");
    std::fs::write(inbox.join("notes.txt"), "not a photo").expect("write");
    // Half of a photo, its writer still busy.
    let mut f = std::fs::File::create(inbox.join("slow photo.png")).expect("create");
    f.write_all(&slow[..slow.len() / 2]).expect("write");
    f.flush().expect("flush");
    // Photos are handled in order: once c.JPG is done, the half photo has been seen.
    std::fs::rename(stage.join("c.JPG"), inbox.join("c.JPG")).expect("mv");
    s.wait_for("c.JPG done", |s| s.stderr().contains("c.JPG done"));
    assert!(
        inbox.join("slow photo.png").exists() && !out.join("web/slow photo.jpg").exists(),
        "a half-written photo was processed"
    );
    f.write_all(&slow[slow.len() / 2..]).expect("write");
    drop(f);
    s.wait_for("slow photo.png archived", |_| {
        out.join("archive/slow photo.png").exists()
    });
    let (_, err) = s.stop(libc::SIGTERM);

    let size = |p: &Path| {
        let o = Command::new(&identify[0])
            .args(&identify[1..])
            .args(["-format", "%wx%h"])
            .arg(p)
            .output()
            .expect("identify");
        assert!(o.status.success(), "identify {}: {:?}", p.display(), o);
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for (web, thumb, w) in [
        ("web/a.jpg", "thumbs/a.jpg", "400x300"),
        ("web/c.jpg", "thumbs/c.jpg", "400x400"),
        ("web/slow photo.jpg", "thumbs/slow photo.jpg", "240x400"),
    ] {
        assert_eq!(size(&out.join(web)), w, "{web}; stderr:\n{err}");
        assert_eq!(size(&out.join(thumb)), "100x100", "{thumb}; stderr:\n{err}");
    }
    assert_eq!(
        std::fs::read(out.join("archive/a.jpg")).expect("archive"),
        a
    );
    assert_eq!(
        std::fs::read(out.join("archive/slow photo.png")).expect("archive"),
        slow
    );
    assert!(inbox.join("notes.txt").exists(), "a non-photo was taken");
    assert!(!inbox.join("a.jpg").exists() && !inbox.join("c.JPG").exists());
}

/// Parses the integrity log: (hash or DELETED, path) per line.
fn integrity_lines(log: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ' ');
            let _time = it.next()?;
            Some((it.next()?.to_string(), it.next()?.to_string()))
        })
        .collect()
}

/// Files inside directories that appear whole (`mkdir -p` + write, `cp -r`, `mv`) are
/// hashed correctly, directories never reach sha256sum, deletions are recorded, and
/// the log inside the watched tree does not feed itself.
#[test]
fn integrity_monitor_hashes_files_of_new_directories() {
    let base = fresh_dir(GROUP, "integrity");
    let (dir, stage) = (base.join("w"), base.join("stage"));
    let log = dir.join("integrity.log");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::create_dir_all(stage.join("t/u/v")).expect("mkdir");
    std::fs::write(stage.join("t/one"), "one").expect("write");
    std::fs::write(stage.join("t/u/v/two"), "two").expect("write");
    run(Command::new("cp")
        .arg("-r")
        .arg(stage.join("t"))
        .arg(stage.join("m")));

    let mut s = Script::start(
        "integrity-monitor.sh",
        &[dir.as_os_str(), log.as_os_str()],
        script_path(None),
        &[],
    );
    s.wait_ready();
    std::fs::create_dir_all(dir.join("a/b")).expect("mkdir");
    std::fs::write(dir.join("a/b/f"), "nested").expect("write");
    run(Command::new("cp")
        .arg("-r")
        .arg(stage.join("t"))
        .arg(dir.join("copied")));
    std::fs::rename(stage.join("m"), dir.join("moved")).expect("mv");
    write_in_pieces(&dir.join("top file"), b"top");
    std::fs::write(dir.join("a/b/f2"), "later").expect("write");

    let files = [
        "a/b/f",
        "a/b/f2",
        "copied/one",
        "copied/u/v/two",
        "moved/one",
        "moved/u/v/two",
        "top file",
    ];
    let expected: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            let p = dir.join(f);
            (p.display().to_string(), sha256(&p))
        })
        .collect();
    let last_hashes = |log: &Path| -> BTreeMap<String, String> {
        integrity_lines(log)
            .into_iter()
            .filter(|(h, _)| h != "DELETED")
            .map(|(h, p)| (p, h))
            .collect()
    };
    s.wait_for("every file's hash in the log", |_| {
        let got = last_hashes(&log);
        expected.iter().all(|(p, h)| got.get(p) == Some(h))
    });
    std::fs::remove_file(dir.join("top file")).expect("rm");
    let top = dir.join("top file").display().to_string();
    s.wait_for("the deletion in the log", |_| {
        integrity_lines(&log).contains(&("DELETED".to_string(), top.clone()))
    });
    let (_, err) = s.stop(libc::SIGTERM);

    let lines = integrity_lines(&log);
    let hashed: BTreeSet<&String> = lines
        .iter()
        .filter(|(h, _)| h != "DELETED")
        .map(|(_, p)| p)
        .collect();
    let known: BTreeSet<&String> = expected.keys().collect();
    assert_eq!(
        hashed, known,
        "hashed paths (no directory, no log); log:\n{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .filter(|(h, _)| h != "DELETED")
            .all(|(h, _)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        "malformed hash lines: {lines:#?}"
    );
    for bad in ["Is a directory", "sha256sum:", "No such file"] {
        assert!(!err.contains(bad), "stderr says {bad:?}:\n{err}");
    }
}

/// Start times (seconds) the backup command logged.
fn run_times(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// A burst runs the backup at most twice (at once, then once after the interval) and
/// its last change is backed up; a change during the interval gets a trailing run;
/// runs are at least the interval apart.
#[test]
fn backup_trigger_throttles_without_losing_the_trailing_change() {
    let base = fresh_dir(GROUP, "backup");
    let (dir, dst, runs) = (base.join("w"), base.join("dst"), base.join("runs"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut s = Script::start(
        "backup-trigger.sh",
        &[
            dir.as_os_str(),
            OsStr::new("1"),
            OsStr::new("--"),
            OsStr::new("sh"),
            OsStr::new("-c"),
            OsStr::new("date +%s.%N >> \"$1\"; rm -rf \"$3\"; cp -a \"$2\" \"$3\""),
            OsStr::new("sh"),
            runs.as_os_str(),
            dir.as_os_str(),
            dst.as_os_str(),
        ],
        script_path(None),
        &[],
    );
    s.wait_ready();
    for i in 0..20 {
        std::fs::write(dir.join(format!("f{i:02}")), format!("{i}")).expect("write");
    }
    std::fs::write(dir.join("final"), "v2").expect("write");
    s.wait_for("the burst's last change backed up", |_| {
        std::fs::read(dst.join("final")).is_ok_and(|b| b == b"v2")
            && (0..20).all(|i| dst.join(format!("f{i:02}")).exists())
    });
    let burst_runs = run_times(&runs).len();
    assert!(
        (1..=2).contains(&burst_runs),
        "a burst ran the backup {burst_runs} times"
    );
    // Straight after a run: within its interval, so this must wait for a trailing run.
    std::fs::write(dir.join("late"), "late").expect("write");
    s.wait_for("the trailing change backed up", |_| {
        std::fs::read(dst.join("late")).is_ok_and(|b| b == b"late")
    });
    let (_, err) = s.stop(libc::SIGTERM);
    let times = run_times(&runs);
    assert!(
        times.len() <= burst_runs + 1,
        "runs {times:?}; stderr:\n{err}"
    );
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] >= 0.9,
            "two runs {:.3} s apart (interval 1 s): {times:?}",
            w[1] - w[0]
        );
    }
}

/// A burst of 22 files (one in a new nested directory, one with a space) is one batch
/// line naming every file once; a later change is a batch of its own. Stopped with
/// SIGINT.
#[test]
fn batch_events_prints_one_line_per_burst() {
    let _heavy = heavy();
    let base = fresh_dir(GROUP, "batch");
    let dir = base.join("w");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut s = Script::start(
        "batch-events.sh",
        &[dir.as_os_str(), OsStr::new("1")],
        script_path(None),
        &[],
    );
    s.wait_ready();
    let mut names: Vec<String> = (0..20).map(|i| format!("f{i:02}")).collect();
    for n in &names {
        write_in_pieces(&dir.join(n), n.as_bytes());
    }
    std::fs::write(dir.join("with space"), "s").expect("write");
    std::fs::create_dir_all(dir.join("new/deep")).expect("mkdir");
    std::fs::write(dir.join("new/deep/g"), "g").expect("write");
    names.push("with\\ space".to_string());
    names.push("new/deep/g".to_string());
    s.wait_for("the first batch", |s| s.stdout().contains("batch 1 "));
    let first = s.stdout();
    let line = first.lines().next().unwrap_or_default().to_string();
    let (head, listed) = line.split_once(": ").unwrap_or_default();
    assert_eq!(head, "batch 1 (22 files)", "line: {line}");
    let listed: Vec<&str> = listed.split(' ').filter(|w| !w.is_empty()).collect();
    let listed_set: BTreeSet<&str> = listed.iter().copied().collect();
    let listed_split = listed.join(" ");
    for n in &names {
        assert!(
            listed_split.contains(n.as_str()),
            "{n} missing from: {line}"
        );
    }
    assert_eq!(
        listed.len(),
        23,
        "each file once (23 words, one name has a space): {line}"
    );
    assert!(
        listed_set.len() == listed.len(),
        "a file listed twice: {line}"
    );
    std::fs::write(dir.join("sentinel"), "s").expect("write");
    s.wait_for("the second batch", |s| s.stdout().contains("batch 2 "));
    let (out, _) = s.stop(libc::SIGINT);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [line.as_str(), "batch 2 (1 files): sentinel"],
        "stdout:\n{out}"
    );
}

/// Names the --json recipes are tried with: a space, a newline, a quote, a backslash,
/// invalid UTF-8, and control characters enough for a line longer than 1 KiB (each is
/// printed as `\u00XX`, in name and path), syslog's traditional message size.
fn odd_names() -> Vec<Vec<u8>> {
    vec![
        b"a b.txt".to_vec(),
        b"new\nline".to_vec(),
        b"q\"uote\\back".to_vec(),
        b"latin1 \xe9t\xe9".to_vec(),
        [&b"ctl "[..], &[1u8; 120]].concat(),
    ]
}

/// Writes each of [`odd_names`] in `dir`, in order (from a process of its own, see
/// [`crate::broker::write_files`]), then moves `stage/moved` in. Returns what the
/// recipes must deliver for it under `-e close_write,moved_to`: (name, events) of one
/// CLOSE_WRITE per name, then of one MOVED_TO.
fn write_odd_names_and_move_in(dir: &Path, stage: &Path) -> Vec<(Vec<u8>, Vec<String>)> {
    let names = odd_names();
    crate::broker::write_files(dir, &names);
    std::fs::write(stage.join("moved"), "moved").expect("write");
    std::fs::rename(stage.join("moved"), dir.join("moved")).expect("mv");
    let ev = |e: &[&str]| e.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    names
        .into_iter()
        .map(|n| (n, ev(&["CLOSE_WRITE", "CLOSE"])))
        .chain([(b"moved".to_vec(), ev(&["MOVED_TO"]))])
        .collect()
}

/// The (name, events) of each JSON event line, in order; panics on a line that
/// breaks the --json contract (a time before `since` included) or names another
/// watch than `dir`.
fn json_events(dir: &Path, lines: &[Vec<u8>], since: i128) -> Vec<(Vec<u8>, Vec<String>)> {
    let watch = format!("{}/", dir.display()).into_bytes();
    parse_lines("the recipe's output", lines, since)
        .into_iter()
        .map(|e| {
            assert_eq!(e.watch, watch, "{}", e.raw);
            (e.name, e.events)
        })
        .collect()
}

/// Runs examples/`name` with `args`: it must end by itself at once, with a non-zero
/// status and `says` on stderr, and leave no process behind.
fn assert_fails_loudly(name: &str, args: &[&OsStr], says: &str) {
    let mut s = Script::start(name, args, script_path(None), &[]);
    let code = s.wait_gone("by itself").code();
    let err = s.stderr();
    assert!(
        code.is_some_and(|c| c != 0) && err.contains(says),
        "examples/{name}: status {code:?}, stderr:\n{err}"
    );
}

/// Every event is one MQTT message on the default topic rinotify/HOSTNAME/events (so
/// a collector subscribed to rinotify/+/events gets it), a JSON object that gives the
/// name back exactly, newline and invalid UTF-8 included; nothing more. The broker and
/// port come from MQTT_HOST/MQTT_PORT. SIGTERM takes inotifywait and mosquitto_pub
/// down with the script.
#[test]
fn mqtt_publish_sends_one_json_message_per_event() {
    use crate::broker::{Broker, Subscriber};
    let since = now_ns();
    let base = fresh_dir(GROUP, "mqtt");
    let Some(broker) = Broker::start(&base) else {
        return;
    };
    let (dir, stage) = (base.join("w"), base.join("stage"));
    for d in [&dir, &stage] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let host = Command::new("uname").arg("-n").output().expect("uname");
    let host = String::from_utf8_lossy(&host.stdout).trim().to_string();
    let topic = format!("rinotify/{host}/events");
    let mut sub = Subscriber::start(&broker, "rinotify/+/events", &topic);
    let port = broker.port.to_string();
    let mut s = Script::start(
        "mqtt-publish.sh",
        &[
            dir.as_os_str(),
            OsStr::new("--"),
            OsStr::new("-e"),
            OsStr::new("close_write,moved_to"),
        ],
        script_path(None),
        &[("MQTT_HOST", "127.0.0.1"), ("MQTT_PORT", &port)],
    );
    s.wait_ready();
    let expected = write_odd_names_and_move_in(&dir, &stage);
    s.wait_for("every event at the subscriber", |_| {
        sub.messages().len() >= expected.len()
    });
    let (_, err) = s.stop(libc::SIGTERM);
    let messages = sub.drain(&broker, &topic);
    assert_eq!(
        json_events(&dir, &messages, since),
        expected,
        "messages:\n{}\nstderr:\n{err}",
        sub.raw()
    );
    broker.stop();
}

/// With no broker listening, the script fails at once (mosquitto_pub's error and its
/// own on stderr) instead of watching for nobody, and leaves no inotifywait behind.
#[test]
fn mqtt_publish_fails_loudly_without_a_broker() {
    if which("mosquitto_pub").is_none() {
        println!("skipped: mosquitto not installed");
        return;
    }
    let base = fresh_dir(GROUP, "mqtt-no-broker");
    let dir = base.join("w");
    std::fs::create_dir_all(&dir).expect("mkdir");
    // A port nothing listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
        .to_string();
    assert_fails_loudly(
        "mqtt-publish.sh",
        &[
            OsStr::new("-h"),
            OsStr::new("127.0.0.1"),
            OsStr::new("-p"),
            OsStr::new(&port),
            OsStr::new("-t"),
            OsStr::new("rinotify/test/events"),
            dir.as_os_str(),
        ],
        "events are not being published",
    );
}

/// Every event is one syslog message (user.notice, the tag and the script's pid in
/// the header) whose text is one JSON object giving the name back exactly: names with
/// a newline stay one message, and nothing more is logged. Here the syslog socket is
/// the test's own (-u); SIGINT takes inotifywait and logger down with the script.
#[test]
fn journald_forward_logs_one_syslog_message_per_event() {
    use std::os::unix::net::UnixDatagram;
    if which("logger").is_none() {
        println!("skipped: logger (util-linux) not installed");
        return;
    }
    let since = now_ns();
    let base = fresh_dir(GROUP, "syslog");
    let (dir, stage, sock) = (base.join("w"), base.join("stage"), base.join("log.sock"));
    for d in [&dir, &stage] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let log = UnixDatagram::bind(&sock).expect("bind the syslog socket");
    log.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let mut s = Script::start(
        "journald-forward.sh",
        &[
            OsStr::new("-t"),
            OsStr::new("rinotify-test"),
            OsStr::new("-p"),
            OsStr::new("notice"),
            OsStr::new("-u"),
            sock.as_os_str(),
            dir.as_os_str(),
            OsStr::new("--"),
            OsStr::new("-e"),
            OsStr::new("close_write,moved_to"),
        ],
        script_path(None),
        &[],
    );
    s.wait_ready();
    let expected = write_odd_names_and_move_in(&dir, &stage);
    let mut datagrams: Vec<Vec<u8>> = Vec::new();
    let receive = |datagrams: &mut Vec<Vec<u8>>| {
        let mut buf = vec![0u8; 1 << 18];
        while let Ok(n) = log.recv(&mut buf) {
            datagrams.push(buf[..n].to_vec());
        }
    };
    s.wait_for("every event at the syslog socket", |_| {
        receive(&mut datagrams);
        datagrams.len() >= expected.len()
    });
    let pid = s.child.id();
    let (_, err) = s.stop(libc::SIGINT);
    receive(&mut datagrams);
    // <13>: facility user (1) * 8 + notice (5); then a timestamp, then the tag.
    let header = format!("rinotify-test[{pid}]: ");
    let lines: Vec<Vec<u8>> = datagrams
        .iter()
        .map(|d| {
            let text = String::from_utf8_lossy(d);
            let at = text.find(&header);
            assert!(
                d.starts_with(b"<13>") && at.is_some(),
                "syslog message {text:?} (expected <13>... {header})"
            );
            let at = at.unwrap() + header.len();
            d[at..].to_vec()
        })
        .collect();
    assert_eq!(
        json_events(&dir, &lines, since),
        expected,
        "datagrams: {:?}\nstderr:\n{err}",
        datagrams
            .iter()
            .map(|d| String::from_utf8_lossy(d))
            .collect::<Vec<_>>()
    );
}

/// --journald hands the JSON lines to systemd-cat with the tag and level (a stub
/// systemd-cat records what it is given, as no journald runs under the tests).
#[test]
fn journald_forward_journald_mode_uses_systemd_cat() {
    let since = now_ns();
    let base = fresh_dir(GROUP, "journald");
    let (dir, stage, bin) = (base.join("w"), base.join("stage"), base.join("bin"));
    for d in [&dir, &stage, &bin] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let (args, out) = (base.join("args"), base.join("out"));
    install_command(
        &bin,
        "systemd-cat",
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\nexec cat >> '{}'\n",
            args.display(),
            out.display()
        ),
    );
    let mut s = Script::start(
        "journald-forward.sh",
        &[
            OsStr::new("--journald"),
            OsStr::new("-t"),
            OsStr::new("files"),
            OsStr::new("-p"),
            OsStr::new("warning"),
            dir.as_os_str(),
            OsStr::new("--"),
            OsStr::new("-e"),
            OsStr::new("close_write,moved_to"),
        ],
        script_path(Some(&bin)),
        &[],
    );
    s.wait_ready();
    let expected = write_odd_names_and_move_in(&dir, &stage);
    s.wait_for("every event at systemd-cat", |_| {
        lines_of(&out) >= expected.len()
    });
    let (_, err) = s.stop(libc::SIGTERM);
    assert_eq!(
        std::fs::read_to_string(&args).expect("args"),
        "--identifier=files\n--priority=warning\n--level-prefix=false\n",
        "stderr:\n{err}"
    );
    let written = std::fs::read(&out).expect("out");
    let lines: Vec<Vec<u8>> = written
        .strip_suffix(b"\n")
        .unwrap_or(&written)
        .split(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(json_events(&dir, &lines, since), expected, "stderr:\n{err}");
}

/// With nothing listening on the syslog socket, the script fails at once instead of
/// logging into the void (logger alone drops every message and exits 0), and leaves
/// no inotifywait behind.
#[test]
fn journald_forward_fails_loudly_without_syslog() {
    if which("logger").is_none() {
        println!("skipped: logger (util-linux) not installed");
        return;
    }
    let base = fresh_dir(GROUP, "no-syslog");
    let dir = base.join("w");
    std::fs::create_dir_all(&dir).expect("mkdir");
    assert_fails_loudly(
        "journald-forward.sh",
        &[
            OsStr::new("-u"),
            base.join("no-such.sock").as_os_str(),
            dir.as_os_str(),
        ],
        "events are not being logged",
    );
}
