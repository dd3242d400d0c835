//! Applet choice: basename(argv[0]) `inotifywait`/`inotifywatch` (or `fsnotify…`) is that
//! tool; otherwise `rinotify wait|watch|doctor …` through clap, whose errors never leak its exit
//! code 2 (2 means timeout here).

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::{Parser, Subcommand};

use crate::config;
use crate::output::Diag;

/// rinotify: inotify-tools' inotifywait, reimplemented.
#[derive(Debug, Parser)]
#[command(
    name = "rinotify",
    version,
    about,
    long_about = None,
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    applet: Applet,
}

#[derive(Debug, Subcommand)]
enum Applet {
    /// Wait for filesystem events: inotifywait, option for option (see `rinotify wait --help`).
    #[command(disable_help_flag = true)]
    Wait {
        /// inotifywait's options and paths.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<OsString>,
    },
    /// Gather filesystem usage statistics: inotifywatch, option for option.
    #[command(disable_help_flag = true)]
    Watch {
        /// inotifywatch's options and paths.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<OsString>,
    },
    /// Check inotify limits, usage and filesystems for PATHs (exit 1: something does not fit)
    ///
    /// Prints this user's inotify limits (fs.inotify.max_user_watches and
    /// max_user_instances; max_queued_events, which is per instance), the watches and
    /// instances in use now, and the processes holding them (from /proc/*/fd and fdinfo).
    ///
    /// For each PATH: the directories a recursive watch (-r) needs and whether the free
    /// watches suffice (if not, the commands that raise the limit now and at every boot);
    /// its filesystem (remote and FUSE filesystems miss changes made elsewhere; on proc,
    /// sysfs and the like inotify sees nothing); and whether fanotify (-S) can watch it.
    ///
    /// Exit status: 0 when everything needed fits (a new watcher can start, every PATH
    /// exists, its watches fit, its filesystem works with inotify); 1 otherwise. fanotify
    /// being unavailable does not change it.
    #[command(verbatim_doc_comment)]
    Doctor {
        /// One line of JSON instead of the text report.
        #[arg(long)]
        json: bool,
        /// Paths to check as `rinotify wait -r PATH` would watch them (none: only the limits).
        #[arg(value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
        paths: Vec<OsString>,
    },
    /// Print the help of rinotify or of an applet (`help wait` is `wait --help`).
    Help {
        /// The applet whose help to print.
        #[arg(value_parser = ["wait", "watch"])]
        applet: Option<String>,
    },
}

/// rinotify's own command line (its subcommands), for generating its man page.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

fn basename(arg0: &[u8]) -> &[u8] {
    arg0.rsplit(|&b| b == b'/').next().unwrap_or(arg0)
}

/// Runs the program for `args` (argv, including argv[0]); returns the exit status.
pub fn run(args: Vec<OsString>) -> i32 {
    let argv: Vec<Vec<u8>> = args.iter().map(|a| a.clone().into_vec()).collect();
    let prog = argv
        .first()
        .cloned()
        .unwrap_or_else(|| b"rinotify".to_vec());
    let base = basename(&prog).to_vec();
    let rest = argv.get(1..).unwrap_or_default();
    if base.starts_with(b"inotifywait") || base.starts_with(b"fsnotifywait") {
        let tool = String::from_utf8_lossy(&base).into_owned();
        return wait(&tool, &prog, rest, base.starts_with(b"fsnotify"));
    }
    if base.starts_with(b"inotifywatch") || base.starts_with(b"fsnotifywatch") {
        let tool = String::from_utf8_lossy(&base).into_owned();
        return watch(&tool, &prog, rest, base.starts_with(b"fsnotify"));
    }
    let bytes =
        |a: Vec<OsString>| -> Vec<Vec<u8>> { a.into_iter().map(OsStringExt::into_vec).collect() };
    match Cli::try_parse_from(&args) {
        Ok(Cli {
            applet: Applet::Wait { args },
        }) => wait("inotifywait", &prog, &bytes(args), false),
        Ok(Cli {
            applet: Applet::Watch { args },
        }) => watch("inotifywatch", &prog, &bytes(args), false),
        Ok(Cli {
            applet: Applet::Doctor { json, paths },
        }) => crate::doctor::run(json, &paths),
        // The applets' own help pages, with their exit status 1, as `wait --help` prints.
        Ok(Cli {
            applet: Applet::Help { applet },
        }) => match applet.as_deref() {
            Some("wait") => wait("inotifywait", &prog, &[b"--help".to_vec()], false),
            Some("watch") => watch("inotifywatch", &prog, &[b"--help".to_vec()], false),
            _ => match command().print_help() {
                Ok(()) => 0,
                Err(_) => 1,
            },
        },
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            code
        }
    }
}

/// `fanotify_default`: invoked as `fsnotifywait`/`fsnotifywatch`, whose default backend
/// is fanotify (`-I` still picks inotify).
fn wait(tool: &str, prog: &[u8], args: &[Vec<u8>], fanotify_default: bool) -> i32 {
    let config = crate::cli::wait::parse(tool, prog, args)
        .map(|mut a| {
            a.set.fanotify.get_or_insert(fanotify_default);
            a
        })
        .and_then(config::wait::Wait::from_args);
    match config {
        Ok(c) => crate::run::wait::run(tool, c),
        Err(e) => e.report(&Diag::stderr()),
    }
}

fn watch(tool: &str, prog: &[u8], args: &[Vec<u8>], fanotify_default: bool) -> i32 {
    let config = crate::cli::watch::parse(tool, prog, args)
        .map(|mut a| {
            a.set.fanotify.get_or_insert(fanotify_default);
            a
        })
        .and_then(config::watch::Watch::from_args);
    match config {
        Ok(c) => crate::run::watch::run(tool, c),
        Err(e) => e.report(&Diag::stderr()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
