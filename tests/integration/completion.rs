//! The shipped shell completions and man pages, exercised by the real programs: the bash
//! completion loaded into a real bash and asked what it offers, the zsh and fish ones
//! syntax-checked by their shells, and every man page rendered by groff and linted by
//! mandoc without a warning. (That they match their generator is `cargo xtask gen
//! --check`, run by CI.)

use std::path::{Path, PathBuf};
use std::process::Command;

use rinotify::cli::doc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const TOOLS: &[&str] = &[
    "inotifywait",
    "inotifywatch",
    "fsnotifywait",
    "fsnotifywatch",
    "rinotify",
];

fn have(tool: &str) -> bool {
    crate::util::which(tool).is_some()
}

/// What the bash completion of `words[0]` offers for the command line `words` (the
/// last word being completed), run in a real bash from directory `cwd`.
fn complete(cwd: &Path, words: &[&str]) -> Vec<String> {
    let name = words[0];
    let script = format!(
        r#"source "$1" || exit 9
complete -p {name} | grep -q -- '-F _{name}' || exit 8
shift
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=()
_{name} {name} "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}" 2>/dev/null
printf '%s\n' "${{COMPREPLY[@]}}""#
    );
    let file = root().join("completions/bash").join(name);
    let out = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(script)
        .arg("bash")
        .arg(&file)
        .args(words)
        .current_dir(cwd)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash completion of {words:?} failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn events() -> Vec<String> {
    doc::EVENTS.iter().map(|(n, _)| n.to_string()).collect()
}

#[test]
fn bash_completes_long_option_prefixes() {
    let dir = root();
    for tool in ["inotifywait", "fsnotifywait"] {
        assert_eq!(
            complete(&dir, &[tool, "--exc"]),
            ["--exclude", "--excludei"],
            "{tool}"
        );
        assert_eq!(
            complete(&dir, &[tool, "-m", "--time"]),
            ["--timefmt", "--timeout"]
        );
    }
    for tool in ["inotifywatch", "fsnotifywatch"] {
        assert_eq!(complete(&dir, &[tool, "--asc"]), ["--ascending"]);
        assert_eq!(
            complete(&dir, &[tool, "--exc"]),
            ["--exclude", "--excludei"]
        );
    }
    assert_eq!(complete(&dir, &["rinotify", "wa"]), ["wait", "watch"]);
    assert_eq!(
        complete(&dir, &["rinotify", "wait", "--exc"]),
        ["--exclude", "--excludei"]
    );
}

#[test]
fn bash_completes_event_names_and_lists() {
    let dir = root();
    for tool in TOOLS.iter().filter(|t| **t != "rinotify") {
        assert_eq!(complete(&dir, &[tool, "-e", ""]), events(), "{tool} -e");
        assert_eq!(complete(&dir, &[tool, "--event", ""]), events(), "{tool}");
        assert_eq!(
            complete(&dir, &[tool, "-m", "-e", "close_"]),
            ["close_write", "close_nowrite"]
        );
        // After a comma, the next name, keeping the list so far.
        assert_eq!(
            complete(&dir, &[tool, "-e", "create,mo"]),
            [
                "create,modify",
                "create,moved_to",
                "create,moved_from",
                "create,move",
                "create,move_self"
            ]
        );
    }
    assert_eq!(
        complete(&dir, &["rinotify", "wait", "-e", "del"]),
        ["delete", "delete_self"]
    );
}

#[test]
fn bash_completes_sort_keys_for_inotifywatch() {
    let keys = complete(&root(), &["inotifywatch", "-a", ""]);
    assert_eq!(keys.first().map(String::as_str), Some("total"));
    assert!(keys.iter().any(|k| k == "close_write"));
    // `move` and `close` are not sort keys (inotifywatch refuses them).
    assert!(
        !keys.iter().any(|k| k == "move" || k == "close"),
        "{keys:?}"
    );
    assert_eq!(
        complete(&root(), &["inotifywatch", "-d", "acc"]),
        ["access"]
    );
}

#[test]
fn bash_completes_files_for_outfile_and_nothing_for_formats() {
    let dir = std::env::temp_dir().join(format!("rinotify-compl-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("logs")).expect("mkdir");
    std::fs::write(dir.join("events.log"), b"").expect("write");
    std::fs::write(dir.join("events.old"), b"").expect("write");
    for opt in ["-o", "--outfile", "--fromfile"] {
        let mut got = complete(&dir, &["inotifywait", opt, "ev"]);
        got.sort();
        assert_eq!(got, ["events.log", "events.old"], "{opt}");
        assert_eq!(
            complete(&dir, &["inotifywait", opt, "lo"]),
            ["logs"],
            "{opt}"
        );
    }
    // A strftime format, a template, a regex or a number is not a file name: the word
    // is left as typed, never replaced by a file that happens to match.
    for (opt, word) in [
        ("--timefmt", "ev"),
        ("--timefmt", "%F"),
        ("--format", "ev"),
        ("--exclude", "ev"),
        ("-t", "1"),
    ] {
        assert_eq!(complete(&dir, &["inotifywait", opt, word]), [word], "{opt}");
    }
    assert_eq!(complete(&dir, &["inotifywait", "--timefmt", ""]), [""; 0]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_name_has_all_three_completions() {
    for tool in TOOLS {
        for path in [
            format!("completions/bash/{tool}"),
            format!("completions/zsh/_{tool}"),
            format!("completions/fish/{tool}.fish"),
        ] {
            let text = std::fs::read_to_string(root().join(&path)).expect(&path);
            assert!(text.contains(tool), "{path}");
            if *tool != "rinotify" {
                assert!(text.contains("excludei"), "{path} lacks --excludei");
                assert!(text.contains("close_nowrite"), "{path} lacks the events");
            }
        }
    }
}

#[test]
fn zsh_and_fish_completions_parse() {
    for (shell, dir, prefix, suffix) in [("zsh", "zsh", "_", ""), ("fish", "fish", "", ".fish")] {
        if !have(shell) {
            println!("skipped: {shell} not installed");
            continue;
        }
        for tool in TOOLS {
            let path = root()
                .join("completions")
                .join(dir)
                .join(format!("{prefix}{tool}{suffix}"));
            let out = Command::new(shell)
                .arg("-n")
                .arg(&path)
                .output()
                .expect(shell);
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{shell} -n {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn fish_offers_event_names() {
    if !have("fish") {
        println!("skipped: fish not installed");
        return;
    }
    let file = root().join("completions/fish/inotifywait.fish");
    let out = Command::new("fish")
        .arg("--no-config")
        .arg("-c")
        .arg(format!(
            "source {}; complete -C 'inotifywait -e '",
            file.display()
        ))
        .output()
        .expect("fish");
    let text = String::from_utf8_lossy(&out.stdout);
    let offered: Vec<&str> = text.lines().filter_map(|l| l.split('\t').next()).collect();
    for e in events() {
        assert!(offered.contains(&e.as_str()), "fish lacks {e}: {text}");
    }
}

#[test]
fn man_pages_render_without_warnings() {
    let pages = [
        "rinotify",
        "inotifywait",
        "inotifywatch",
        "fsnotifywait",
        "fsnotifywatch",
    ];
    let mut checked = false;
    for page in pages {
        let path = root().join("man").join(format!("{page}.1"));
        let text = std::fs::read_to_string(&path).expect("man page");
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH EXIT STATUS",
        ] {
            assert!(text.contains(section), "{page}.1 lacks {section}");
        }
        if have("groff") {
            let out = Command::new("groff")
                .args(["-ww", "-man", "-Tutf8", "-z"])
                .arg(&path)
                .output()
                .expect("groff");
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "groff on {page}.1: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            checked = true;
        }
        if have("mandoc") {
            let out = Command::new("mandoc")
                .args(["-T", "lint", "-W", "warning"])
                .arg(&path)
                .output()
                .expect("mandoc");
            assert!(
                out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
                "mandoc on {page}.1: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    if !checked {
        println!("skipped: groff not installed (pages not rendered)");
    }
}

#[test]
fn man_pages_document_every_option() {
    for (page, applet) in [
        ("inotifywait", doc::Applet::Wait),
        ("fsnotifywait", doc::Applet::Wait),
        ("inotifywatch", doc::Applet::Watch),
        ("fsnotifywatch", doc::Applet::Watch),
    ] {
        let text = std::fs::read_to_string(root().join("man").join(format!("{page}.1")))
            .expect("man page");
        for o in doc::options(applet) {
            let roff = format!("\\-\\-{}", o.long.replace('-', "\\-"));
            assert!(text.contains(&roff), "{page}.1 lacks --{}", o.long);
        }
        for section in [
            ".SH EXAMPLES",
            ".SH CAVEATS",
            ".SH DIFFERENCES FROM INOTIFY\\-TOOLS",
        ] {
            assert!(text.contains(section), "{page}.1 lacks {section}");
        }
        for (event, _) in doc::EVENTS {
            assert!(
                text.contains(&format!("\\fB{event}\\fR")),
                "{page}.1 lacks {event}"
            );
        }
    }
    let wait = std::fs::read_to_string(root().join("man/inotifywait.1")).expect("page");
    for directive in ["%w", "%f", "%e", "%c", "%T", "%n", "%0", "%%"] {
        assert!(
            wait.contains(&format!("\\fB{directive}\\fR")),
            "FORMAT lacks {directive}"
        );
    }
}

/// `contrib/install.sh` puts the pages where man finds them through PATH, and the bash
/// completion where bash-completion's loader takes it ahead of Debian's own
/// `inotifywait` completion; `--uninstall` takes everything away again.
#[test]
fn install_script_places_pages_and_completions_where_they_are_found() {
    let home = std::env::temp_dir().join(format!("rinotify-home-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::os::unix::fs::symlink(crate::util::ours(), bin.join("inotifywait")).expect("link");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |args: &[&str]| {
        let out = Command::new(root().join("contrib/install.sh"))
            .args(args)
            .env("HOME", &home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("CARGO_HOME")
            .env_remove("BASH_COMPLETION_USER_DIR")
            .output()
            .expect("install.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = run(&["--user"]);
    assert_eq!(said.matches("installed ").count(), 20, "{said}");
    let page = home.join(".cargo/share/man/man1/inotifywait.1");
    assert!(page.is_file());
    if have("man") {
        let out = Command::new("man")
            .args(["-w", "inotifywait"])
            .env("HOME", &home)
            .env("PATH", &path)
            .env_remove("MANPATH")
            .output()
            .expect("man");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            page.display().to_string(),
            "man -w inotifywait: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        println!("skipped: man not installed (lookup not checked)");
    }
    let loader = Path::new("/usr/share/bash-completion/bash_completion");
    if loader.is_file() {
        let out = Command::new("bash")
            .args(["--norc", "-c"])
            .arg(format!(
                "source {}; __load_completion inotifywait; complete -p inotifywait; \
                 declare -f _inotifywait | grep -c 'compgen -P'",
                loader.display()
            ))
            .env("HOME", &home)
            .output()
            .expect("bash");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("-F _inotifywait inotifywait") && !text.ends_with("\n0\n"),
            "bash-completion loaded another completion: {text}"
        );
    } else {
        println!("skipped: bash-completion not installed (loader not checked)");
    }
    let said = run(&["--user", "--uninstall"]);
    assert_eq!(said.matches("removed ").count(), 20, "{said}");
    assert!(!page.exists());
    let _ = std::fs::remove_dir_all(&home);
}
