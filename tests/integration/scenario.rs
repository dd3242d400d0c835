//! Scenario description (a small builder: fixture, argv, readiness, actions) and the
//! two drivers: `differential` (reference vs ours, same directory, byte for byte) and
//! `expect` (ours against bytes written out in the test, for policy differences).

use crate::util::{self, Input, Outcome, Ready, Run, Step};
use std::ffi::OsString;
use std::path::Path;

/// Rewrites collected bytes before comparison (only for inherently non-deterministic
/// values, such as move cookies).
pub type Normalize = fn(&[u8]) -> Vec<u8>;

/// One scenario: everything but the binary and the directory.
#[derive(Clone)]
pub struct Sc {
    pub setup: String,
    pub args: Vec<OsString>,
    pub argv0: OsString,
    pub stdin: Input,
    pub ready: Ready,
    pub steps: Vec<Step>,
    pub outfile: Option<String>,
    pub normalize: Option<Normalize>,
    /// Stdout filter command (e.g. `head -n1`), see `Run::filter`.
    pub filter: Option<Vec<OsString>>,
    /// Script that must succeed for the scenario to make sense on this machine
    /// (e.g. mounting a tmpfs); otherwise the test prints `skipped` and passes.
    pub precheck: Option<String>,
    /// Rewrites *our* stderr only, for the policy's intended additions (e.g. the
    /// `Watching new directory` lines of `-m -r`).
    pub ours_stderr: Option<Normalize>,
    /// The reference binary this scenario is compared with.
    pub reference: &'static str,
}

/// A scenario running `inotifywait ARGS` (`{dir}` in an argument is replaced by the
/// absolute scenario directory, `{dir-rel}` by the same without its leading `/`).
pub fn w<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Sc {
    Sc {
        setup: String::new(),
        args: args.into_iter().map(|a| a.as_ref().into()).collect(),
        argv0: "inotifywait".into(),
        stdin: Input::Null,
        ready: Ready::Immediately,
        steps: Vec::new(),
        outfile: None,
        normalize: None,
        filter: None,
        precheck: None,
        ours_stderr: None,
        reference: util::REFERENCE,
    }
}

/// A scenario running `inotifywatch ARGS` against the reference inotifywatch.
pub fn s<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Sc {
    Sc {
        argv0: "inotifywatch".into(),
        reference: util::REFERENCE_WATCH,
        ..w(args)
    }
}

impl Sc {
    /// Fixture script (`sh -c`, in the scenario directory).
    pub fn fx(mut self, script: &str) -> Self {
        self.setup = script.into();
        self
    }
    /// Quiet readiness: wait for `n` inotify watches.
    pub fn q(mut self, n: usize) -> Self {
        self.ready = Ready::Watches(n);
        self
    }
    /// Readiness: `Watches established.` on stderr.
    pub fn est(mut self) -> Self {
        self.ready = Ready::Established;
        self
    }
    /// Action: shell script.
    pub fn sh(mut self, script: &str) -> Self {
        self.steps.push(Step::Sh(script.into()));
        self
    }
    /// Action: wait until stdout contains `text`.
    pub fn out(mut self, text: &str) -> Self {
        self.steps.push(Step::WaitStdout(text.into()));
        self
    }
    /// Action: wait until stderr contains `text`.
    pub fn err(mut self, text: &str) -> Self {
        self.steps.push(Step::WaitStderr(text.into()));
        self
    }
    /// Action: wait until the process holds `n` watches.
    pub fn ww(mut self, n: usize) -> Self {
        self.steps.push(Step::WaitWatches(n));
        self
    }
    /// Action: send a signal.
    pub fn sig(mut self, sig: i32) -> Self {
        self.steps.push(Step::Signal(sig));
        self
    }
    /// Readiness of inotifywatch: wait for `Finished establishing watches, now
    /// collecting statistics.` on stderr.
    pub fn ready(self) -> Self {
        self.err("Finished establishing watches, now collecting statistics.\n")
    }
    /// Action: wait until every queued event has been read and handled.
    pub fn drained(self) -> Self {
        self.step(Step::Drained)
    }
    /// Action: SIGTERM (the usual end of a monitor scenario, after a sentinel).
    pub fn term(self) -> Self {
        self.sig(libc::SIGTERM)
    }
    /// Sentinel ending: wait until stdout contains `text`, then SIGTERM.
    pub fn end(self, text: &str) -> Self {
        self.out(text).term()
    }
    /// Any step.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }
    /// Bytes on stdin.
    pub fn stdin(mut self, bytes: &[u8]) -> Self {
        self.stdin = Input::Bytes(bytes.to_vec());
        self
    }
    /// Collect this file (relative to the scenario dir) after the run.
    pub fn outfile(mut self, f: &str) -> Self {
        self.outfile = Some(f.into());
        self
    }
    /// Use this argv[0].
    pub fn argv0(mut self, a: &str) -> Self {
        self.argv0 = a.into();
        self
    }
    /// Normalise stdout and outfile before comparing.
    pub fn norm(mut self, f: Normalize) -> Self {
        self.normalize = Some(f);
        self
    }

    /// Pipe stdout through this command.
    pub fn filter(mut self, argv: &[&str]) -> Self {
        self.filter = Some(argv.iter().map(|a| a.into()).collect());
        self
    }
    /// Skip unless this script succeeds (run in an empty scratch directory).
    pub fn precheck(mut self, script: &str) -> Self {
        self.precheck = Some(script.into());
        self
    }

    /// Drop our `Watching new directory <p>/` stderr lines (policy: printed by the
    /// latest, not by Debian's reference) before comparing.
    pub fn strip_new_dir_lines(mut self) -> Self {
        self.ours_stderr = Some(strip_new_dir_lines);
        self
    }

    /// Whether the precheck (if any) passes.
    fn applicable(&self, group: &str, name: &str) -> bool {
        let Some(script) = &self.precheck else {
            return true;
        };
        let dir = util::fresh_dir(group, &format!("{name}.precheck"));
        let ok = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        util::wipe(&dir);
        ok
    }

    fn to_run(&self, program: &Path, dir: &Path) -> Run {
        let d = dir.to_str().expect("utf-8 temp dir");
        let mut run = Run::new(program, dir);
        run.argv0 = self.argv0.clone();
        run.args = self
            .args
            .iter()
            .map(|a| match a.to_str() {
                Some(s) if s.contains("{dir") => s
                    .replace("{dir}", d)
                    .replace("{dir-rel}", d.trim_start_matches('/'))
                    .into(),
                _ => a.clone(),
            })
            .collect();
        run.stdin = self.stdin.clone();
        run.ready = self.ready.clone();
        run.steps = self.steps.clone();
        run.outfile = self.outfile.clone();
        run.filter = self.filter.clone();
        run
    }
}

fn apply(normalize: Option<Normalize>, mut o: Outcome) -> Outcome {
    if let Some(f) = normalize {
        o.stdout = f(&o.stdout);
        o.outfile = o.outfile.map(|b| f(&b));
    }
    o
}

/// Run `sc` once with `program` in a fresh `<tmp>/<group>/<name>/`.
pub fn run_once(group: &str, name: &str, program: &Path, sc: &Sc) -> Outcome {
    let dir = util::fresh_dir(group, name);
    util::setup(&dir, &sc.setup);
    util::execute(&sc.to_run(program, &dir))
}

/// Differential test: the reference, then ours, in the same absolute directory
/// (rebuilt identically in between); stdout, stderr, exit status and outfile must be
/// byte-identical.
pub fn differential(name: &str, sc: Sc) {
    if !util::reference_available(sc.reference) {
        println!("skipped: reference not installed");
        return;
    }
    let group = if sc.reference == util::REFERENCE {
        "rinotify-compat"
    } else {
        "rinotify-watch-compat"
    };
    if !sc.applicable(group, name) {
        println!("skipped: precheck failed");
        return;
    }
    let reference = apply(
        sc.normalize,
        run_once(group, name, Path::new(sc.reference), &sc),
    );
    if std::env::var_os("RINOTIFY_COMPAT_DUMP").is_some() {
        eprintln!("{}", util::dump(&format!("{name} (reference)"), &reference));
    }
    if !reference.problems.is_empty() {
        panic!(
            "scenario {name} is broken under the reference itself\n{}",
            util::dump("reference", &reference)
        );
    }
    let mut ours = apply(sc.normalize, run_once(group, name, &util::ours(), &sc));
    if let Some(f) = sc.ours_stderr {
        ours.stderr = f(&ours.stderr);
    }
    let diff = util::compare(&reference, &ours);
    if diff.is_some() || !ours.problems.is_empty() {
        panic!(
            "scenario {name}: ours differs from the reference\n{}\n{}{}",
            diff.unwrap_or_default(),
            util::dump("reference", &reference),
            util::dump("ours", &ours)
        );
    }
    util::wipe(&std::env::temp_dir().join(group).join(name));
}

/// Expected result of a policy test.
pub struct Expect<'a> {
    pub stdout: &'a [u8],
    pub stderr: &'a [u8],
    pub status: i32,
}

/// Run `sc` with ours and compare with explicit expectations.
pub fn expect(name: &str, sc: Sc, want: Expect<'_>) {
    const GROUP: &str = "rinotify-policy";
    if !sc.applicable(GROUP, name) {
        println!("skipped: precheck failed");
        return;
    }
    let o = run_once(GROUP, name, &util::ours(), &sc);
    let o = apply(sc.normalize, o);
    let wanted = Outcome {
        stdout: want.stdout.to_vec(),
        stderr: want.stderr.to_vec(),
        status: Some(want.status),
        outfile: o.outfile.clone(),
        problems: Vec::new(),
    };
    let diff = util::compare(&wanted, &o);
    if diff.is_some() || !o.problems.is_empty() {
        panic!(
            "policy test {name} failed\n{}\n{}",
            diff.unwrap_or_default(),
            util::dump("ours", &o)
        );
    }
    util::wipe(&std::env::temp_dir().join(GROUP).join(name));
}

/// Replace every non-zero hex cookie at the start of a line (`%c|...` formats) by
/// `C1`, `C2`, … in order of first appearance, so that pairing is still checked.
pub fn cookies(bytes: &[u8]) -> Vec<u8> {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut out = Vec::new();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let end = line.iter().position(|&b| b == b'|').unwrap_or(0);
        let (cookie, rest) = line.split_at(end);
        if cookie.is_empty() || cookie == b"0" {
            out.extend_from_slice(line);
            continue;
        }
        let idx = match seen.iter().position(|c| c == cookie) {
            Some(i) => i,
            None => {
                seen.push(cookie.to_vec());
                seen.len() - 1
            }
        };
        out.extend_from_slice(format!("C{}", idx + 1).as_bytes());
        out.extend_from_slice(rest);
    }
    out
}

/// Remove exactly the lines `Watching new directory …` (see `Sc::strip_new_dir_lines`).
pub fn strip_new_dir_lines(bytes: &[u8]) -> Vec<u8> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !(l.starts_with(b"Watching new directory ") && l.ends_with(b"/\n")))
        .flatten()
        .copied()
        .collect()
}

/// Declares one `#[test]` per differential scenario (each module that uses it imports
/// `differential`), plus `SCENARIOS`, the number of them.
macro_rules! scenarios {
    ($($name:ident => $spec:expr;)*) => {
        $(
            #[test]
            fn $name() {
                differential(stringify!($name), $spec);
            }
        )*
        /// Number of differential scenarios.
        pub const SCENARIOS: usize = [$(stringify!($name)),*].len();
    };
}

/// Fixture: a file `f` exists.
pub const F: &str = "touch f";

/// Precheck: mounting a tmpfs works here (root in the sandbox/CI).
pub const CAN_MOUNT: &str = "mkdir m && mount -t tmpfs none m && umount m";
