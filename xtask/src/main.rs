//! Build-time tool (never installed): generates `man/*.1` and `completions/` from
//! rinotify's option tables (`rinotify::cli::doc`) and its clap definition, plus the
//! hand-written man page sections in `xtask/man/`. `cargo xtask gen` writes them;
//! `cargo xtask gen --check` fails when a committed file differs (CI's drift check).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::PossibleValue;
use clap::{Arg, ArgAction, Command, ValueHint};
use clap_complete::Shell;
use rinotify::cli::doc::{self, Applet, Opt, Value};
use rinotify::cli::watch::sort_key;

/// The date the man pages carry: the release's, not the build's (the output must not
/// change from one day to the next, or the drift check would fail).
const DATE: &str = "2026-11-29";
const VERSION: &str = doc::VERSION;

/// A tool name and what it is.
struct Tool {
    name: &'static str,
    applet: Applet,
    fanotify: bool,
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "inotifywait",
        applet: Applet::Wait,
        fanotify: false,
    },
    Tool {
        name: "inotifywatch",
        applet: Applet::Watch,
        fanotify: false,
    },
    Tool {
        name: "fsnotifywait",
        applet: Applet::Wait,
        fanotify: true,
    },
    Tool {
        name: "fsnotifywatch",
        applet: Applet::Watch,
        fanotify: true,
    },
];

fn about(applet: Applet) -> &'static str {
    match applet {
        Applet::Wait => "wait for changes to files using inotify or fanotify",
        Applet::Watch => "gather filesystem access statistics using inotify or fanotify",
    }
}

/// One option as a clap argument. `man`: possible values are listed in the EVENTS
/// section instead of under the option.
fn arg(o: &Opt, man: bool) -> Arg {
    let mut a = Arg::new(o.long)
        .long(o.long)
        .help(o.summary)
        .long_help(o.help);
    if let Some(s) = o.short {
        a = a.short(s);
    }
    if o.value == Value::Flag {
        return a.action(if o.repeats {
            ArgAction::Count
        } else {
            ArgAction::SetTrue
        });
    }
    a = a
        .value_name(o.value_name)
        .num_args(1)
        .action(ArgAction::Append);
    // The events a key parser accepts, as completion values with their descriptions.
    let events = |accepts: &dyn Fn(&str) -> bool| {
        doc::EVENTS
            .iter()
            .filter(|(n, _)| accepts(n))
            .map(|(n, h)| PossibleValue::new(*n).help(*h))
            .collect::<Vec<_>>()
    };
    match o.value {
        Value::Events => a
            .value_parser(events(&|_| true))
            .value_delimiter(',')
            .hide_possible_values(man),
        Value::SortKey => {
            // What inotifywatch's -a/-d accept (not `move` or `close`), asked of its parser.
            let sorts = |n: &str| sort_key(n.as_bytes(), true).is_ok();
            let mut keys = vec![PossibleValue::new("total").help("all events together")];
            keys.extend(events(&sorts));
            a.value_parser(keys).hide_possible_values(man)
        }
        Value::File => a.value_hint(ValueHint::FilePath),
        // Not file names: the word is left as typed.
        Value::Seconds
        | Value::Fd
        | Value::Regex
        | Value::Format
        | Value::TimeFormat
        | Value::Glob => a.value_hint(ValueHint::Other),
        Value::Flag => a,
    }
}

/// The clap command of one tool name, built from the documentation table.
fn tool_command(name: &'static str, applet: Applet, man: bool) -> Command {
    let mut cmd = Command::new(name)
        .version(VERSION)
        .about(about(applet))
        .disable_help_flag(true)
        .disable_version_flag(true);
    for o in doc::options(applet) {
        cmd = cmd.arg(arg(o, man));
    }
    cmd.arg(
        Arg::new("file")
            .value_name("file")
            .help("Files or directories to watch; @file excludes file")
            .required(true)
            .num_args(1..)
            .value_hint(ValueHint::AnyPath)
            .action(ArgAction::Append),
    )
}

/// `rinotify`'s command: its clap definition, with the applets' options under `wait`
/// and `watch` so that completion reaches them.
fn rinotify_command(man: bool) -> Command {
    let mut cmd = rinotify::app::command().version(VERSION);
    if !man {
        cmd = cmd
            .mut_subcommand("wait", |_| {
                tool_command("wait", Applet::Wait, false).about(about(Applet::Wait))
            })
            .mut_subcommand("watch", |_| {
                tool_command("watch", Applet::Watch, false).about(about(Applet::Watch))
            });
    }
    cmd
}

/// A hand-written section, with `{tool}`, `{wait}`, `{watch}` and `{version}` filled in.
fn part(text: &str, tool: &Tool) -> String {
    let (wait, watch) = if tool.fanotify {
        ("fsnotifywait", "fsnotifywatch")
    } else {
        ("inotifywait", "inotifywatch")
    };
    let backend = if tool.fanotify {
        ".PP\nIt watches with fanotify by default (\\fB\\-I\\fR picks inotify); see \
         \\fBCAVEATS\\fR for what fanotify needs.\n"
    } else {
        ".PP\nIt watches with inotify by default; \\fB\\-F\\fR and \\fB\\-S\\fR pick \
         fanotify (see \\fBCAVEATS\\fR).\n"
    };
    text.replace("{backend}", backend)
        .replace("{tool}", tool.name)
        .replace("{wait}", wait)
        .replace("{watch}", watch)
        .replace("{version}", VERSION)
}

fn events_section(applet: Applet) -> String {
    let mut s = String::from(".SH EVENTS\n");
    s.push_str(match applet {
        Applet::Wait => {
            "Names for \\fB\\-e\\fR, in any case; the same names, in capitals, are printed \
             for events (with \\fBISDIR\\fR added when the subject is a directory).\n"
        }
        Applet::Watch => {
            "Names for \\fB\\-e\\fR, \\fB\\-a\\fR and \\fB\\-d\\fR, in any case; the table's \
             columns carry them.\n"
        }
    });
    for (name, help) in doc::EVENTS {
        let _ = writeln!(s, ".TP\n\\fB{name}\\fR\n{}", capitalise(help));
    }
    s
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}

fn render(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = f(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn man_page(tool: &Tool) -> String {
    let cmd = tool_command(tool.name, tool.applet, true);
    let man = clap_mangen::Man::new(cmd)
        .title(tool.name.to_uppercase())
        .section("1")
        .date(DATE)
        .source(format!("rinotify {VERSION}"))
        .manual("User Commands");
    let mut page = String::new();
    page.push_str(&render(|o| man.render_title(o)));
    page.push_str(&render(|o| man.render_name_section(o)));
    page.push_str(&synopsis(tool));
    let (description, extra) = match tool.applet {
        Applet::Wait => (
            include_str!("../man/wait-description.roff"),
            include_str!("../man/wait-output.roff"),
        ),
        Applet::Watch => (
            include_str!("../man/watch-description.roff"),
            include_str!("../man/watch-output.roff"),
        ),
    };
    page.push_str(&part(description, tool));
    page.push_str(&render(|o| man.render_options_section(o)));
    page.push_str(&events_section(tool.applet));
    page.push_str(&part(extra, tool));
    page.push_str(&part(include_str!("../man/environment.roff"), tool));
    page.push_str(&part(
        match tool.applet {
            Applet::Wait => include_str!("../man/wait-examples.roff"),
            Applet::Watch => include_str!("../man/watch-examples.roff"),
        },
        tool,
    ));
    page.push_str(&part(include_str!("../man/caveats.roff"), tool));
    page.push_str(&part(include_str!("../man/differences.roff"), tool));
    page.push_str(&part(include_str!("../man/see-also.roff"), tool));
    tidy(page)
}

/// The synopsis with every option and its argument (clap_mangen's leaves the arguments
/// out), one per roff line.
fn synopsis(tool: &Tool) -> String {
    let mut s = format!(".SH SYNOPSIS\n.B {}\n", tool.name);
    for o in doc::options(tool.applet) {
        let mut names = Vec::new();
        if let Some(c) = o.short {
            names.push(format!("\\fB\\-{c}\\fR"));
        }
        names.push(format!("\\fB\\-\\-{}\\fR", o.long.replace('-', "\\-")));
        let value = if o.value_name.is_empty() {
            String::new()
        } else {
            format!(" \\fI{}\\fR", o.value_name)
        };
        let _ = writeln!(s, "[{}{value}]", names.join("|"));
    }
    s.push_str("[\\fB@\\fR\\fIfile\\fR ...]\n\\fIfile\\fR ...\n");
    s
}

/// Drops the string definition clap_mangen repeats before each section it renders
/// (one at the top is enough) and trailing blanks.
fn tidy(page: String) -> String {
    const AQ: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let mut out = String::new();
    let mut rest = page.as_str();
    let mut seen = false;
    while let Some(i) = rest.find(AQ) {
        out.push_str(&rest[..i]);
        if !seen {
            out.push_str(AQ);
            seen = true;
        }
        rest = &rest[i + AQ.len()..];
    }
    out.push_str(rest);
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn rinotify_man_page() -> String {
    let man = clap_mangen::Man::new(rinotify_command(true))
        .title("RINOTIFY")
        .section("1")
        .date(DATE)
        .source(format!("rinotify {VERSION}"))
        .manual("User Commands");
    let tool = Tool {
        name: "rinotify",
        applet: Applet::Wait,
        fanotify: false,
    };
    let mut page = String::new();
    page.push_str(&render(|o| man.render_title(o)));
    page.push_str(&render(|o| man.render_name_section(o)));
    page.push_str(&render(|o| man.render_synopsis_section(o)));
    page.push_str(&part(
        include_str!("../man/rinotify-description.roff"),
        &tool,
    ));
    page.push_str(&render(|o| man.render_options_section(o)));
    page.push_str(&part(include_str!("../man/rinotify-rest.roff"), &tool));
    page.push_str(&part(include_str!("../man/see-also.roff"), &tool));
    tidy(page)
}

fn completion(shell: Shell, mut cmd: Command) -> String {
    let name = cmd.get_name().to_owned();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    if shell == Shell::Bash {
        comma_lists(&text)
    } else {
        text
    }
}

/// `-e` takes a comma-separated list: bash completes the name after the last comma and
/// keeps what comes before it (`-e create,mo<TAB>` offers `create,modify create,move
/// ...`), where clap_complete would only complete a first name.
fn comma_lists(bash: &str) -> String {
    let names: Vec<&str> = doc::EVENTS.iter().map(|(n, _)| *n).collect();
    let words = names.join(" ");
    let plain = format!("$(compgen -W \"{words}\" -- \"${{cur}}\")");
    let listed =
        format!("$(compgen -P \"${{cur%\"${{cur##*,}}\"}}\" -W \"{words}\" -- \"${{cur##*,}}\")");
    bash.replace(&plain, &listed)
}

/// Every generated file: its path under the repository and its contents.
fn outputs() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for tool in TOOLS {
        files.push((
            PathBuf::from(format!("man/{}.1", tool.name)),
            man_page(tool),
        ));
    }
    files.push((PathBuf::from("man/rinotify.1"), rinotify_man_page()));
    let mut commands: Vec<Command> = TOOLS
        .iter()
        .map(|t| tool_command(t.name, t.applet, false))
        .collect();
    commands.push(rinotify_command(false));
    for cmd in commands {
        let name = cmd.get_name().to_owned();
        for (shell, path) in [
            (Shell::Bash, format!("completions/bash/{name}")),
            (Shell::Zsh, format!("completions/zsh/_{name}")),
            (Shell::Fish, format!("completions/fish/{name}.fish")),
        ] {
            files.push((PathBuf::from(path), completion(shell, cmd.clone())));
        }
    }
    files
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    if args.first().map(String::as_str) != Some("gen") {
        eprintln!("usage: cargo xtask gen [--check]");
        return ExitCode::from(2);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut drift = Vec::new();
    for (rel, text) in outputs() {
        let path = root.join(&rel);
        let old = std::fs::read_to_string(&path).ok();
        if old.as_deref() == Some(text.as_str()) {
            continue;
        }
        if check {
            drift.push(rel.display().to_string());
            continue;
        }
        if let Some(dir) = path.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            eprintln!("xtask: {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("xtask: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", rel.display());
    }
    if !drift.is_empty() {
        eprintln!(
            "xtask: generated files out of date (run `cargo xtask gen` and commit): {}",
            drift.join(", ")
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
