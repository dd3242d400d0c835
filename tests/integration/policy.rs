//! Policy tests: behaviours where Debian's 3.22.6 and the latest release differ, or
//! where our policy (COMPAT.md "Our version policy") deliberately departs from the
//! reference. Expected bytes are written out here from COMPAT.md; these tests run
//! only our binary.

use crate::live::Live;
use crate::scenario::{Expect, Sc, expect, run_once, w};
use crate::util::{self, Outcome};
use std::path::PathBuf;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `--help` is fsnotifywait's (latest-style) help named after argv[0], with our
/// version line, plus only the entries of our own options (`OURS_ONLY_OPTIONS`); their
/// bytes are pinned by the help goldens.
fn help_case(name: &str, argv0: &str, tool: &str, args: &[&str]) {
    const SOURCE: &str = "/usr/bin/fsnotifywait";
    if !util::reference_available(SOURCE) {
        println!("skipped: {SOURCE} not installed");
        return;
    }
    let o = run_once(
        "rinotify-policy",
        name,
        &util::ours(),
        &w(args).argv0(argv0),
    );
    assert!(o.problems.is_empty(), "{}", util::dump("ours", &o));
    if let Some(d) = crate::golden::help_mismatch(&o, SOURCE, tool) {
        panic!(
            "policy test {name} failed: not the latest-style help\n{d}\n{}",
            util::dump("ours", &o)
        );
    }
    util::wipe(&std::env::temp_dir().join("rinotify-policy").join(name));
}

#[test]
fn help_names_tool_by_argv0() {
    help_case(
        "help_names_tool_by_argv0",
        "inotifywait",
        "inotifywait",
        &["--help"],
    );
}

#[test]
fn help_short_option_with_path_argv0() {
    help_case(
        "help_short_option_with_path_argv0",
        "/opt/tools/inotifywait",
        "inotifywait",
        &["-h", "."],
    );
}

#[test]
fn help_before_event_error() {
    help_case(
        "help_before_event_error",
        "inotifywait",
        "inotifywait",
        &["--help", "-e", "foo"],
    );
}

#[test]
fn help_as_fsnotifywait() {
    help_case(
        "help_as_fsnotifywait",
        "fsnotifywait",
        "fsnotifywait",
        &["--help"],
    );
}

#[test]
fn version_option() {
    expect(
        "version_option",
        w(["--version"]),
        Expect {
            stdout: format!("inotifywait {VERSION}\n").as_bytes(),
            stderr: b"",
            status: 0,
        },
    );
}

#[test]
fn version_as_rinotify() {
    expect(
        "version_as_rinotify",
        w(["--version"]).argv0("rinotify"),
        Expect {
            stdout: format!("rinotify {VERSION}\n").as_bytes(),
            stderr: b"",
            status: 0,
        },
    );
}

#[test]
fn negative_timeout_aborts() {
    expect(
        "negative_timeout_aborts",
        w(["-t", "-1", "f"]).fx("touch f"),
        Expect {
            stdout: b"",
            stderr:
                b"Setting up watches.\nWatches established.\nNegative timeout specified - abort!\n",
            status: 1,
        },
    );
}

#[test]
fn negative_timeout_aborts_quiet() {
    expect(
        "negative_timeout_aborts_quiet",
        w(["-q", "-m", "--timeout=-5", "f"]).fx("touch f"),
        Expect {
            stdout: b"",
            stderr: b"Negative timeout specified - abort!\n",
            status: 1,
        },
    );
}

#[test]
fn recursive_new_directory_message() {
    expect(
        "recursive_new_directory_message",
        w(["-m", "-r", "-e", "create", "t"])
            .fx("mkdir t")
            .est()
            .sh("mkdir t/n")
            .ww(2)
            .sh("touch t/n/f1")
            .end("t/n/ CREATE f1\n"),
        Expect {
            stdout: b"t/ CREATE,ISDIR n\nt/n/ CREATE f1\n",
            stderr: b"Setting up watches.  Beware: since -r was given, this may take a while!\n\
                      Watches established.\nWatching new directory t/n/\n",
            status: 143,
        },
    );
}

/// Ours, live, in a fresh `<tmp>/rinotify-policy/<name>/` prepared by `fixture`.
fn live_in(name: &str, fixture: &str, args: &[&str]) -> (Live, PathBuf) {
    let dir = util::fresh_dir("rinotify-policy", name);
    util::setup(&dir, fixture);
    (Live::start("inotifywait", args, &dir), dir)
}

/// Waits until `live` has read and handled every queued event; returns its watch count.
fn settled_watches(live: &Live) -> usize {
    let pid = live.child.id();
    live.wait_until("the inotify queue to be drained", |_| util::drained(pid));
    util::watch_count(pid)
}

/// The `Setting up watches` banner of a non-quiet `-r` run.
const RECURSIVE_BANNER: &str = "Setting up watches.  Beware: since -r was given, this may take a while!\nWatches established.\n";

#[test]
fn recursive_exclude_prunes_new_dir() {
    // Policy 2 (as Debian): `t/skip` matches `skip$`, so its CREATE is not printed and
    // it is not watched; `t/skip/a` (which does not match) is then never seen.
    // `t/oldskip`, present at start-up, is watched as both versions do.
    let (live, dir) = live_in(
        "recursive_exclude_prunes_new_dir",
        "mkdir -p t/oldskip",
        &["-mrq", "-e", "create", "--exclude", "skip$", "t"],
    );
    live.wait_watches(2);
    util::setup(&dir, "mkdir t/skip");
    assert_eq!(settled_watches(&live), 2, "excluded new t/skip/ is watched");
    util::setup(&dir, "mkdir t/n");
    live.wait_watches(3);
    util::setup(&dir, "touch t/skip/a t/oldskip/b t/n/c");
    live.wait_stdout("t/n/ CREATE c\n");
    assert_eq!(settled_watches(&live), 3, "watches after the second mkdir");
    let (out, err) = live.stop();
    assert_eq!(
        out,
        "t/ CREATE,ISDIR n\nt/oldskip/ CREATE b\nt/n/ CREATE c\n"
    );
    assert_eq!(err, "");
}

/// A pruning case: in a fixture whose start-up tree has `watches` directories, `make`
/// creates (or moves in) an excluded directory, and the watch count stays the same;
/// then `touch` writes inside it and elsewhere, and `out` is all that is printed.
fn prune_case(
    name: &str,
    fixture: &str,
    args: &[&str],
    watches: usize,
    make: &str,
    touch: &str,
    out: &str,
) {
    let (live, dir) = live_in(name, fixture, args);
    live.wait_watches(watches);
    util::setup(&dir, make);
    assert_eq!(
        settled_watches(&live),
        watches,
        "{name}: the excluded directory is watched"
    );
    util::setup(&dir, touch);
    live.wait_stdout(out);
    assert_eq!(settled_watches(&live), watches, "{name}");
    let (got, err) = live.stop();
    assert_eq!((got.as_str(), err.as_str()), (out, ""), "{name}");
}

#[test]
fn recursive_exclude_checklist_51() {
    // COMPAT §7 item 51, policy (as Debian): only `t/keep/ CREATE b`, and `t/skipnew/`
    // is not watched (the fdinfo watch count does not grow).
    prune_case(
        "recursive_exclude_checklist_51",
        "mkdir -p t/keep",
        &["-mrq", "-e", "create,modify", "--exclude", "skip", "t"],
        2,
        "mkdir t/skipnew",
        "touch t/skipnew/a t/skipfile t/keep/b",
        "t/keep/ CREATE b\n",
    );
}

#[test]
fn recursive_exclude_prunes_moved_in_dir() {
    // A directory moved in from outside is pruned like a created one, with its subtree.
    prune_case(
        "recursive_exclude_prunes_moved_in_dir",
        "mkdir -p t/keep outside/skipx/sub",
        &["-mrq", "-e", "create,moved_to", "--exclude", "skip", "t"],
        2,
        "mv outside/skipx t/skipx",
        "touch t/skipx/a t/skipx/sub/b t/keep/c",
        "t/keep/ CREATE c\n",
    );
}

#[test]
fn recursive_excludei_prunes_new_dir() {
    prune_case(
        "recursive_excludei_prunes_new_dir",
        "mkdir -p t/keep",
        &["-mrq", "-e", "create", "--excludei", "SKIP", "t"],
        2,
        "mkdir t/SkipNew",
        "touch t/SkipNew/a t/keep/b",
        "t/keep/ CREATE b\n",
    );
}

#[test]
fn recursive_exclude_prunes_silently() {
    // Not quiet: `Watching new directory` is said for `t/n/` but not for the pruned
    // `t/skipnew/`.
    let (live, dir) = live_in(
        "recursive_exclude_prunes_silently",
        "mkdir t",
        &["-m", "-r", "-e", "create", "--exclude", "skip", "t"],
    );
    live.wait_stderr("Watches established.\n");
    util::setup(&dir, "mkdir t/skipnew");
    assert_eq!(
        settled_watches(&live),
        1,
        "excluded new t/skipnew/ is watched"
    );
    util::setup(&dir, "mkdir t/n");
    live.wait_stderr("Watching new directory t/n/\n");
    live.wait_watches(2);
    util::setup(&dir, "touch t/skipnew/a t/n/x");
    live.wait_stdout("t/n/ CREATE x\n");
    assert_eq!(settled_watches(&live), 2);
    let (out, err) = live.stop();
    assert_eq!(out, "t/ CREATE,ISDIR n\nt/n/ CREATE x\n");
    assert_eq!(
        err,
        format!("{RECURSIVE_BANNER}Watching new directory t/n/\n")
    );
}

#[test]
fn recursive_exclude_prunes_inside_new_dir() {
    // A new directory that is not excluded is watched, but an excluded directory found
    // inside it (made before or after its watch) is not, and nothing under it is
    // reported.
    let (live, dir) = live_in(
        "recursive_exclude_prunes_inside_new_dir",
        "mkdir t",
        &["-mrq", "-e", "create", "--exclude", "skip", "t"],
    );
    live.wait_watches(1);
    util::setup(&dir, "mkdir -p t/n/skip/deep; touch t/n/skip/deep/f t/n/g");
    live.wait_stdout("t/n/ CREATE g\n");
    assert_eq!(settled_watches(&live), 2, "t/n/skip/ or below is watched");
    util::setup(&dir, "touch t/n/skip/h t/n/skip/deep/i; touch t/zz");
    live.wait_stdout("t/ CREATE zz\n");
    assert_eq!(settled_watches(&live), 2, "t/n/skip/ or below is watched");
    let (out, err) = live.stop();
    assert_eq!(out, "t/ CREATE,ISDIR n\nt/n/ CREATE g\nt/ CREATE zz\n");
    assert_eq!(err, "");
}

#[test]
fn recursive_include_never_prunes() {
    // Policy 2: `--include` decides printing only. New directories it does not match,
    // created or moved in, are watched (their own lines are not printed) and matching
    // files inside them are reported.
    let (live, dir) = live_in(
        "recursive_include_never_prunes",
        "mkdir -p t outside/sub/deep",
        &["-mrq", "-e", "create,moved_to", "--include", "\\.txt$", "t"],
    );
    live.wait_watches(1);
    util::setup(&dir, "mkdir t/new; mv outside/sub t/sub");
    live.wait_watches(4);
    util::setup(
        &dir,
        "touch t/new/a.txt t/new/b.dat t/sub/deep/c.txt t/z.txt",
    );
    live.wait_stdout("t/ CREATE z.txt\n");
    assert_eq!(settled_watches(&live), 4);
    let (out, err) = live.stop();
    assert_eq!(
        out,
        "t/new/ CREATE a.txt\nt/sub/deep/ CREATE c.txt\nt/ CREATE z.txt\n"
    );
    assert_eq!(err, "");
}

#[test]
fn recursive_include_watches_new_dir() {
    expect(
        "recursive_include_watches_new_dir",
        w([
            "-q",
            "-m",
            "-r",
            "--include",
            "\\.txt$",
            "-e",
            "create",
            "--format",
            "%w%f",
            "root",
        ])
        .fx("mkdir root")
        .q(1)
        .sh("mkdir root/sub")
        .ww(2)
        .sh("touch root/sub/a.txt root/sub/b.dat root/c.txt")
        .end("root/c.txt\n"),
        Expect {
            stdout: b"root/sub/a.txt\nroot/c.txt\n",
            stderr: b"",
            status: 143,
        },
    );
}

#[test]
fn include_does_not_hide_isdir_create() {
    // Issue #242: the latest prints nothing here and exits 0.
    expect(
        "include_does_not_hide_isdir_create",
        w(["-q", "-e", "create", "--include", "foo_.*", "d"])
            .fx("mkdir d")
            .q(1)
            .sh("mkdir d/foo_x"),
        Expect {
            stdout: b"d/ CREATE,ISDIR foo_x\n",
            stderr: b"",
            status: 0,
        },
    );
}

#[test]
fn includei_does_not_hide_isdir_attrib() {
    expect(
        "includei_does_not_hide_isdir_attrib",
        w(["--includei", "SKIP", "-q", "-m", "-e", "attrib", "t"])
            .fx("mkdir -p t/skip; touch t/skipx")
            .q(1)
            .sh("chmod 700 t/skip")
            .out("skip\n")
            .sh("touch t/skipx")
            .end("t/ ATTRIB skipx\n"),
        Expect {
            stdout: b"t/ ATTRIB,ISDIR skip\nt/ ATTRIB skipx\n",
            stderr: b"",
            status: 143,
        },
    );
}

#[test]
fn moved_out_directory_is_forgotten() {
    expect(
        "moved_out_directory_is_forgotten",
        w(["-mrq", "-e", "create,moved_from,moved_to", "t"])
            .fx("mkdir -p t/a/b/c out")
            .q(4)
            .sh("mv t/a/b out/b; touch out/b/one; touch out/b/two; touch out/b/c/three")
            .sh("touch t/sentinel")
            .end("t/ CREATE sentinel\n"),
        Expect {
            stdout: b"t/a/ MOVED_FROM,ISDIR b\nt/ CREATE sentinel\n",
            stderr: b"",
            status: 143,
        },
    );
}

#[test]
fn creation_race_closed() {
    expect(
        "creation_race_closed",
        w(["-mrq", "-e", "create", "t"])
            .fx("mkdir t")
            .q(1)
            .sh("mkdir -p t/p/q/r && touch t/p/q/r/deep")
            .out("t/p/q/r/ CREATE deep\n")
            .sh("touch t/zz")
            .end("t/ CREATE zz\n"),
        Expect {
            stdout: b"t/ CREATE,ISDIR p\nt/p/ CREATE,ISDIR q\nt/p/q/ CREATE,ISDIR r\n\
                      t/p/q/r/ CREATE deep\nt/ CREATE zz\n",
            stderr: b"",
            status: 143,
        },
    );
}

#[test]
fn recreated_then_renamed_dir_uses_new_name() {
    expect(
        "recreated_then_renamed_dir_uses_new_name",
        w(["-mrq", "-e", "create", "t"])
            .fx("mkdir -p t/sub")
            .q(2)
            .sh("rmdir t/sub")
            .sh("mkdir t/sub")
            .ww(2)
            .sh("mv t/sub t/sub2; touch t/sub2/y")
            .end("CREATE y\n"),
        Expect {
            stdout: b"t/ CREATE,ISDIR sub\nt/sub2/ CREATE y\n",
            stderr: b"",
            status: 143,
        },
    );
}

/// Ours alone: exactly one line on stderr, containing `needle`,
/// nothing on stdout, exit 1 — the shape of every error for options the reference lacks.
pub fn one_line_error(name: &str, sc: Sc, needle: &str) {
    let o: Outcome = run_once("rinotify-policy", name, &util::ours(), &sc);
    let err = o.stderr_text();
    assert!(
        o.problems.is_empty()
            && o.status == Some(1)
            && o.stdout.is_empty()
            && err.lines().count() == 1
            && err.ends_with('\n')
            && err.contains(needle),
        "expected one line mentioning {needle:?} on stderr and exit 1\n{}",
        util::dump("ours", &o)
    );
    util::wipe(&std::env::temp_dir().join("rinotify-policy").join(name));
}

#[test]
fn inotify_option_accepted() {
    expect(
        "inotify_option_accepted",
        w(["-I", "-q", "f"]).fx("touch f").q(1).sh("chmod 600 f"),
        Expect {
            stdout: b"f ATTRIB \n",
            stderr: b"",
            status: 0,
        },
    );
}

/// A substitution crossing the 4095-byte cap is cut at the cap (the reference
/// copies out-of-buffer garbage here, so this cannot be a differential scenario).
#[test]
fn format_cap_cuts_substitution() {
    let fmt = format!("{}%e", "x".repeat(4092));
    let want = format!("{}ATT", "x".repeat(4092));
    expect(
        "format_cap_cuts_substitution",
        w(["--format", fmt.as_str(), "-q", "-e", "attrib", "f"])
            .fx("touch f")
            .q(1)
            .sh("chmod 600 f"),
        Expect {
            stdout: want.as_bytes(),
            stderr: b"",
            status: 0,
        },
    );
}

#[test]
fn regex_backreference_rejected_clearly() {
    // glibc accepts back-references; the translator cannot, so the message names the
    // pattern and the construct instead of claiming the pattern is invalid.
    expect(
        "regex_backreference_rejected_clearly",
        w(["--exclude", "(a)\\1", "."]),
        Expect {
            stdout: b"",
            stderr: b"Error in `exclude' regular expression '(a)\\1': back-reference `\\1` is not supported (use `[1]` for a literal digit).\n",
            status: 1,
        },
    );
}
