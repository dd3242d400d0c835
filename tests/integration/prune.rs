//! `--prune` and `--prune-from` against the real kernel: pruned directories are never
//! watched (at start-up, when created, moved in or renamed to a pruned name later),
//! nothing below them is reported, by either applet or backend; bad patterns and files
//! are usage errors naming them; and the watch budget saved on a made-up project tree is
//! measured (printed by the test, quoted in the README).

use std::path::Path;
use std::process::Command;

use crate::live::Live;
use crate::util::{fresh_dir, ours, setup, watch_count};

const GROUP: &str = "rinotify-prune";

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// A small project: sources, a `node_modules` at two depths, build outputs, caches.
const PROJECT: &str = "mkdir -p src/lib src/app/build web/node_modules/a/b \
     web/node_modules/c node_modules/x build/out docs/.cache/y keep.cache";

/// Directories of PROJECT (the root included) that survive
/// `--prune node_modules --prune '**/build' --prune '*.cache/' --prune '!keep.cache'`:
/// ., src, src/lib, src/app, web, docs, keep.cache.
const KEPT: usize = 7;

fn prune_args() -> Vec<&'static str> {
    vec![
        "--prune",
        "node_modules",
        "--prune",
        "**/build",
        "--prune",
        "*.cache/",
        "--prune",
        "!keep.cache",
    ]
}

fn project(name: &str) -> std::path::PathBuf {
    let dir = fresh_dir(GROUP, name);
    setup(&dir, PROJECT);
    dir
}

/// At start-up: exactly the kept directories are watched, and changes below pruned ones
/// are not reported while changes elsewhere are.
#[test]
fn pruned_directories_are_not_watched_at_start() {
    let dir = project("start");
    let mut args = vec!["-m", "-r", "-e", "create", "--format", "%w%f"];
    args.extend(prune_args());
    args.push(".");
    let live = Live::start("inotifywait", &args, &dir);
    live.wait_stderr("Watches established.");
    assert_eq!(watch_count(live.child.id()), KEPT);
    for f in [
        "web/node_modules/a/b/f",
        "node_modules/x/f",
        "build/out/f",
        "src/app/build/f",
        "docs/.cache/y/f",
        "src/lib/f",
        "keep.cache/f",
        "zz_end",
    ] {
        std::fs::write(dir.join(f), b"").unwrap();
    }
    live.wait_stdout("./zz_end\n");
    let (out, _) = live.stop();
    assert_eq!(out, "./src/lib/f\n./keep.cache/f\n./zz_end\n");
}

/// Later: a pruned name created, or a tree holding one moved in, or a watched directory
/// renamed to a pruned name, is not watched; its own creation in its parent is reported.
#[test]
fn pruned_directories_are_not_watched_later() {
    let dir = project("later");
    let outside = fresh_dir(GROUP, "later_outside");
    setup(&outside, "mkdir -p pkg/node_modules/dep pkg/src");
    let mut args = vec![
        "-m",
        "-r",
        "-q",
        "-e",
        "create,moved_to",
        "--format",
        "%w%f %e",
    ];
    args.extend(prune_args());
    args.push(".");
    let live = Live::start("inotifywait", &args, &dir);
    live.wait_watches(KEPT);
    let pid = live.child.id();
    std::fs::create_dir_all(dir.join("src/node_modules/deep")).unwrap();
    std::fs::rename(outside.join("pkg"), dir.join("pkg")).unwrap();
    std::fs::rename(dir.join("src/lib"), dir.join("src/build")).unwrap();
    std::fs::write(dir.join("zz_1"), b"").unwrap();
    live.wait_stdout("./zz_1 CREATE\n");
    // pkg and pkg/src are new; src/lib left (renamed to a pruned name).
    live.wait_until("watches after the changes", |_| {
        watch_count(pid) == KEPT + 1
    });
    for f in [
        "src/node_modules/deep/f",
        "pkg/node_modules/dep/f",
        "src/build/f",
        "pkg/src/f",
        "zz_end",
    ] {
        std::fs::write(dir.join(f), b"").unwrap();
    }
    live.wait_stdout("./zz_end CREATE\n");
    let (out, _) = live.stop();
    assert_eq!(
        out,
        "./src/node_modules CREATE,ISDIR\n./pkg MOVED_TO,ISDIR\n./src/build MOVED_TO,ISDIR\n\
         ./zz_1 CREATE\n./pkg/src/f CREATE\n./zz_end CREATE\n"
    );
}

/// `--prune-from` reads a .gitignore (comments, blanks, CRLF, negation); patterns from
/// files and options count in the order given.
#[test]
fn prune_from_reads_a_gitignore() {
    let dir = project("from");
    std::fs::write(
        dir.join(".gitignore"),
        "# build output\r\n/build/\n\nnode_modules\n*.cache/\n!keep.cache\n**/app/build\n",
    )
    .unwrap();
    // Through inotifywatch -v, whose "Total of N watches." counts them.
    let o = Command::new(ours())
        .args([
            "watch",
            "-v",
            "-r",
            "-t",
            "1",
            "--prune-from",
            ".gitignore",
            ".",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("Total of {KEPT} watches.")), "{err}");
    // A later --prune re-including node_modules wins over the file.
    let o = Command::new(ours())
        .args(["watch", "-v", "-r", "-t", "1", "--prune-from", ".gitignore"])
        .args(["--prune", "!node_modules", "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    // node_modules (twice) and what is below them come back: +6.
    assert!(
        err.contains(&format!("Total of {} watches.", KEPT + 6)),
        "{err}"
    );
}

/// inotifywatch: rows only for watched directories; nothing below a pruned one counted.
#[test]
fn inotifywatch_counts_nothing_below_pruned_directories() {
    let dir = project("watch");
    let mut args = vec!["-r", "-e", "create"];
    args.extend(prune_args());
    args.push(".");
    let live = Live::start("inotifywatch", &args, &dir);
    live.wait_stderr("Finished establishing watches");
    for f in ["node_modules/x/f", "build/out/f", "src/f", "src/g"] {
        std::fs::write(dir.join(f), b"").unwrap();
    }
    let (out, _, code) = live.stop_drained(libc::SIGINT);
    assert_eq!(code, 0);
    let (_, rows) = crate::util::parse_table(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0].1, "./src/");
    assert_eq!(rows[0].0[0], 2);
}

/// fanotify: `-F` walks like inotify; `-S` learns directories and hides pruned ones.
#[test]
fn fanotify_backends_prune_too() {
    for backend in ["-F", "-S"] {
        let dir = project(&format!("fan{backend}"));
        let abs = std::fs::canonicalize(&dir).unwrap();
        let a = s(&abs);
        let mut args = vec![backend, "-m", "-r", "-e", "create", "--format", "%w%f"];
        args.extend(prune_args());
        args.push(a);
        let probe = Command::new(ours())
            .args([backend, "-q", "-t", "1", a])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&probe.stderr).contains("fanotify") {
            println!("skipped: fanotify {backend} not available here");
            continue;
        }
        let live = Live::start("inotifywait", &args, &dir);
        live.wait_stderr("Watches established.");
        for f in [
            "node_modules/x/f",
            "web/node_modules/c/f",
            "build/out/f",
            "src/f",
            "zz_end",
        ] {
            std::fs::write(dir.join(f), b"").unwrap();
        }
        live.wait_stdout(&format!("{a}/zz_end\n"));
        let (out, _) = live.stop();
        assert_eq!(out, format!("{a}/src/f\n{a}/zz_end\n"), "{backend}");
    }
}

/// Bad patterns and unreadable files are usage errors naming them, before any watch.
#[test]
fn bad_patterns_are_usage_errors() {
    let dir = fresh_dir(GROUP, "bad");
    std::fs::write(dir.join("list"), "ok\n# fine\nsrc/[a-\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--prune", "[ab"], "--prune '[ab': "),
        (&["--prune", ""], "--prune '': "),
        (
            &["--prune-from", "missing"],
            "--prune-from missing: No such file or directory\n",
        ),
        (
            &["--prune-from", "list"],
            "--prune-from list, line 3: 'src/[a-': ",
        ),
    ];
    for (tool, argv0) in [("wait", "inotifywait"), ("watch", "inotifywatch")] {
        for (args, want) in cases {
            let o = Command::new(ours())
                .arg(tool)
                .args(*args)
                .args(["-r", "."])
                .current_dir(&dir)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{argv0} {args:?}: {err}");
            assert!(err.starts_with(want), "{argv0} {args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{argv0} {args:?}: {err}");
        }
    }
}

/// The watch budget a prune saves on a made-up Rust and Node project: `target/` with
/// 1,500 directories and `node_modules/` with 2,000, beside 40 source directories.
/// Prints the numbers (quoted in the README) and checks them.
#[test]
fn prune_saves_the_watch_budget_on_a_real_tree() {
    let dir = fresh_dir(GROUP, "budget");
    setup(
        &dir,
        "for i in $(seq 1 40); do mkdir -p src/m$i; done; \
         for i in $(seq 1 300); do mkdir -p target/debug/deps/d$i/a/b/c target/debug/build/b$i; done; \
         for i in $(seq 1 500); do mkdir -p web/node_modules/p$i/lib/x web/node_modules/p$i/dist; done",
    );
    let count = |extra: &[&str]| -> usize {
        let o = Command::new(ours())
            .args(["watch", "-v", "-r", "-t", "1"])
            .args(extra)
            .arg(".")
            .current_dir(&dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        err.lines()
            .find_map(|l| {
                l.strip_prefix("Total of ")?
                    .strip_suffix(" watches.")?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no total in {err}"))
    };
    let all = count(&[]);
    let pruned = count(&["--prune", "/target", "--prune", "node_modules"]);
    println!(
        "watch budget: {all} watches without --prune, {pruned} with --prune /target --prune node_modules"
    );
    // ., src + 40, web; target: 1 + debug + deps + build + 300×4 + 300; node_modules: 1 + 500×4.
    assert_eq!(all, 1 + 41 + 1 + (3 + 1 + 300 * 4 + 300) + (1 + 500 * 4));
    assert_eq!(pruned, 1 + 41 + 1);
}
