//! inotifywatch differential suite (COMPAT.md §4 and checklist items 80–94): every
//! scenario runs under the reference inotifywatch 3.22.6 and under ours in the same
//! directory; stdout, stderr and exit status must match byte for byte. Tables are
//! printed only at the end, so a scenario waits for readiness (`Finished establishing
//! watches…`), acts, waits until the process has drained its inotify queue, and only
//! then ends it (signal or `-t`). Then the policy tests for inotifywatch (written-out
//! bytes, ours only), and differential scenarios filling inotifywait checklist gaps.

// COMPAT §7 checklist coverage (inotifywatch items, and inotifywait gaps):
//  80 sb_no_events_timeout            81 sb_verbose_recursive, sb_verbose
//  82 sc_table_recursive_default_sort 83 sc_table_timeout (-z, ended by -t)
//  84 sc_table_zero_ascending_create  85 sc_table_ignored_counts_in_total_only
//  86 sa_sort_*                       87 sa_sort_descending_then_ascending_accepted
//  88 watch_descending_access_sorts_by_access (policy)
//  89 watch_descending_move_rejected, watch_descending_close_rejected (policy: ours
//     rejects `-d move`/`-d close` up front with `-a`'s messages, exit 1; the
//     reference accepts them and segfaults when printing a non-empty table)
//  90 sc_table_sigint/_sigterm/_sighup, sc_table_usr1_snapshot_then_continue
//  91 sb_two_sigints_during_setup, watch_two_sigints_during_setup_abort
//  92 sb_nonexist                     93 sb_exclude_twice_no_warning
//  94 watch_negative_timeout_aborts, watch_negative_timeout_aborts_verbose
//  inotifywait: 3 policy::help_as_fsnotifywait + golden help_fsnotifywait;
//  72 compat::b_unmount_*; 73 compat::e_sigpipe_after_reader_exits;
//  75 compat::l_daemon_absolute_path, wd_daemon_relative_path_log_empty,
//     wd_daemon_paths_relative_to_root; 76 compat::l_outfile_appends,
//     compat::l_outfile_created_mode, wd_daemon_appends_to_existing_log;
//  77 compat::e_syslog_*, wd_syslog_timeout_silent, wd_syslog_monitor_timeout_silent.

use crate::golden::help_mismatch;
use crate::scenario::{CAN_MOUNT, Expect, F, Sc, differential, expect, run_once, s, w};
use crate::util::{self, Step};
use libc::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};

/// One append, one attribute change and one read of `f` — seven distinct events in a
/// row (OPEN MODIFY CLOSE_WRITE ATTRIB OPEN ACCESS CLOSE_NOWRITE), so the kernel
/// cannot merge any of them.
const ACT_F: &str = "echo x >> f; chmod 600 f; cat f > /dev/null";

/// `-r` fixture: `t/a`, `t/b`, and files to play with.
const TREE: &str = "mkdir -p t/a t/b; echo data > t/r; touch t/a/f t/b/g";

/// Activity with a different total per directory: t/a/ 6, t/b/ 3, t/ 3.
const ACT_TREE: &str = "echo x >> t/a/f; echo y >> t/a/f; echo z >> t/b/g; cat t/r > /dev/null";

/// `S ARGS` on a fixture, ready, `act`, drained, then ended by `sig`.
fn table(args: &[&str], fixture: &str, act: &str, sig: i32) -> Sc {
    s(args).fx(fixture).ready().sh(act).drained().sig(sig)
}

/// A usage error run with the reference's path as argv0 is exercised elsewhere; here
/// everything is `inotifywatch ARGS` with no fixture.
fn usage(args: &[&str]) -> Sc {
    s(args)
}

/// `S -r t` on a tree of `n` flat subdirectories (`t/d1` … `t/dN`).
fn big_tree(n: usize) -> String {
    format!("mkdir t && cd t && seq 1 {n} | sed 's/^/d/' | xargs mkdir")
}

scenarios! {
    // ---- A. usage errors (§1.1, §4.1) ----
    sa_invalid_short_option => usage(&["-x", "."]);
    sa_invalid_short_option_argv0_path => usage(&["-x", "."]).argv0("/opt/tools/inotifywatch");
    sa_unrecognized_long_option => usage(&["--bogus", "."]);
    sa_ambiguous_e => usage(&["--e", "modify", "."]);
    sa_ambiguous_f => usage(&["--f", "x", "."]);
    sa_ambiguous_in => usage(&["--in", "x", "."]);
    sa_ambiguous_ex => usage(&["--ex", "x", "."]);
    sa_missing_arg_t => usage(&[".", "-t"]);
    sa_missing_arg_e => usage(&[".", "-e"]);
    sa_missing_arg_a => usage(&[".", "-a"]);
    sa_missing_arg_d => usage(&[".", "-d"]);
    sa_missing_arg_fromfile => usage(&[".", "--fromfile"]);
    sa_missing_arg_exclude => usage(&[".", "--exclude"]);
    sa_flag_with_argument => usage(&["--zero=1", "."]);
    sa_option_value_taken_as_next_word => usage(&["-e", "-t", "1", "."]);
    sa_invalid_then_regex_conflict => usage(&["-x", "--exclude", "a", "--excludei", "b", "."]);
    sa_invalid_then_unwatched_sort_key => usage(&["-e", "modify", "-a", "create", "-x", "."]);
    sa_invalid_stops_parsing => usage(&["-x", "-t", "abc", "-a", "foo", "."]);
    sa_no_files => usage(&[]);
    sa_no_files_only_exclusions => usage(&["@x", "", "@"]);
    sa_no_files_after_options => usage(&["-r", "-z", "-v", "-e", "modify"]);
    // -h ordering: errors met before -h win (help itself is a policy test below).
    sa_event_error_before_help => usage(&["-e", "foo", "--help"]);
    sa_timeout_error_before_help => usage(&["-t", "abc", "-h"]);
    sa_sort_error_before_help => usage(&["-a", "foo", "-h"]);
    sa_invalid_option_before_help => usage(&["-x", "-h", "."]);
    // -e errors (§1.2)
    sa_event_unknown => usage(&["-e", "foo", "."]);
    sa_event_unknown_in_list => usage(&["-e", "modify,foo", "."]);
    sa_event_space_in_list => usage(&["-e", "modify, create", "."]);
    sa_event_unknown_before_empty => usage(&["-e", "foo,,modify", "."]);
    // timeout errors (§1.4)
    sa_timeout_abc => usage(&["-t", "abc", "."]);
    sa_timeout_fraction => usage(&["-t", "1.5", "."]);
    sa_timeout_hex => usage(&["-t", "0x10", "."]);
    sa_timeout_empty => usage(&["-t", "", "."]);
    sa_timeout_overflow => usage(&["-t", "99999999999999999999", "."]);
    sa_timeout_trailing_space => usage(&["--timeout=1 ", "."]);
    // regex conflicts and errors (§1.5)
    sa_exclude_excludei => usage(&["--exclude", "a", "--excludei", "b", "."]);
    sa_include_includei => usage(&["--includei", "a", "--include", "b", "."]);
    sa_include_and_exclude => usage(&["--include", "a", "--exclude", "b", "."]);
    sa_includei_and_excludei => usage(&["--includei", "a", "--excludei", "b", "."]);
    sa_exclude_invalid_regex => usage(&["--exclude", "(", "."]);
    sa_include_invalid_regex => usage(&["--includei", "a{1", "."]);
    sa_conflict_before_invalid_regex => usage(&["--exclude", "(", "--excludei", "(", "."]);
    sa_fromfile_twice => usage(&["--fromfile", "a", "--fromfile", "b", "."]);
    // sort keys (§4.1)
    sa_sort_move => usage(&["-a", "move", "."]);
    sa_sort_close => usage(&["-a", "CLOSE", "."]);
    sa_sort_unknown => usage(&["-a", "foo", "."]);
    sa_sort_unknown_descending => usage(&["-d", "modify,foo", "."]);
    sa_sort_twice => usage(&["-a", "total", "-a", "total", "."]);
    sa_sort_ascending_then_descending => usage(&["-a", "total", "-d", "total", "."]);
    sa_sort_unwatched => usage(&["-e", "modify", "-a", "create", "."]);
    sa_sort_isdir => usage(&["-a", "isdir", "."]);
    sa_sort_oneshot => usage(&["-a", "oneshot", "."]);
    sa_sort_unmount_not_default => usage(&["-d", "unmount", "."]);
    sa_sort_descending_then_ascending_accepted => s(["-d", "total", "-a", "total", "-t", "1", "."]);

    // ---- B. set-up and lifecycle (§4.2) ----
    sb_nonexist => s(["nonexist"]);
    sb_nonexist_after_good_paths => s(["-r", ".", "nonexist"]).fx("mkdir a");
    sb_nonexist_verbose_recursive => s(["-v", "-r", "t", "nonexist"]).fx("mkdir -p t/a");
    sb_no_events_timeout => s(["-t", "1", "."]);
    sb_no_events_zero => s(["-z", "f"]).fx(F).ready().sig(SIGINT);
    sb_verbose => s(["-v", "-t", "1", "t/a", "t/b"]).fx("mkdir -p t/a t/b");
    sb_verbose_recursive => s(["-v", "-r", "-t", "1", "t"]).fx("mkdir -p t/a/x t/b");
    sb_verbose_recursive_two_tops => s(["--verbose", "-r", "t", "u"]).fx("mkdir -p t/a u")
        .ready().sig(SIGINT);
    sb_exclude_twice_no_warning => s(["--exclude", "a", "--exclude", "b", "-t", "1", "."]);
    sb_fromfile_unreadable_continues => s(["--fromfile", "missing", "."]).ready().sig(SIGINT);
    sb_two_sigints_during_setup => s(["-r", "t"]).fx(&big_tree(20_000))
        .err("Establishing watches...\n").sig(SIGINT)
        .err("interrupt me again.\n").sig(SIGINT);
    sb_usr1_without_events => s(["."]).ready().sig(SIGUSR1).drained().sig(SIGINT);

    // ---- C. tables (§4.3, §4.5) ----
    sc_table_sigint => table(&["f"], F, ACT_F, SIGINT);
    sc_table_sigterm => table(&["."], F, ACT_F, SIGTERM);
    sc_table_sighup => table(&[".", "f"], F, ACT_F, SIGHUP);
    sc_table_timeout => s(["-t", "1", "-z", "t", "t/f"]).fx("mkdir t; touch t/f").ready()
        .sh("touch t/f").drained();
    sc_table_recursive_default_sort => table(&["-r", "t"], TREE, ACT_TREE, SIGINT);
    sc_table_recursive_ties_children_first => table(&["-r", "t"], "mkdir -p t/a t/b t/c",
        "chmod 700 t/a t/b t/c", SIGINT);
    sc_table_zero_ascending_create => table(&["-z", "-e", "modify,create", "-a", "create", "-r", "t"],
        "mkdir -p t/a t/b", "touch t/a/x", SIGINT);
    sc_table_ascending_total => table(&["-a", "total", "-r", "t"], TREE, ACT_TREE, SIGINT);
    sc_table_descending_modify => table(&["-d", "modify", "-r", "t"], TREE, ACT_TREE, SIGINT);
    sc_table_ascending_access => table(&["-a", "access", "-r", "t"], TREE, ACT_TREE, SIGINT);
    sc_table_descending_then_ascending_last_wins => table(&["-d", "total", "-a", "close_write", "-r", "t"],
        TREE, ACT_TREE, SIGINT);
    sc_table_empty_sort_key_ascending => table(&["-d", "", "-r", "t"], TREE, ACT_TREE, SIGINT);
    // Only MODIFY is watched on t/a/f: drain between the two appends, or the kernel
    // may merge the two identical MODIFY events.
    sc_table_event_subset => s(["-e", "modify,close_nowrite", "-r", "t"]).fx(TREE).ready()
        .sh("echo x >> t/a/f").drained()
        .sh("echo y >> t/a/f; echo z >> t/b/g; cat t/r > /dev/null").drained().sig(SIGINT);
    sc_table_event_subset_zero => table(&["-z", "-e", "modify,close", "-r", "t"], TREE, ACT_TREE, SIGINT);
    sc_table_ignored_counts_in_total_only => s(["-e", "modify", "f", "g"]).fx("touch f g").ready()
        .sh("rm f; echo x >> g").drained().sig(SIGINT);
    sc_table_deleted_watched_file => table(&["f"], F, "rm f", SIGINT);
    sc_table_dir_self_events => table(&["-r", "t"], "mkdir -p t/a", "chmod 700 t/a; rmdir t/a", SIGINT);
    sc_table_recursive_exclusions => table(&["-r", "t", "@t/a", "@t/b/"], "mkdir -p t/a t/b t/c",
        "touch t/a/1 t/b/2 t/c/3 t/4", SIGINT);
    sc_table_recursive_fromfile => s(["-r", "-e", "create", "--fromfile", "list"])
        .fx("mkdir -p t/a t/b; printf 't\\n@t/b\\n' > list").ready()
        .sh("touch t/a/1 t/b/2 t/3").drained().sig(SIGINT);
    sc_table_fromfile_stdin => s(["-e", "create", "--fromfile", "-"]).fx("mkdir d").stdin(b"d\n")
        .ready().sh("touch d/x").drained().sig(SIGINT);
    sc_table_exclude_not_counted => table(&["-e", "create", "--exclude", "noise", "."], "",
        "touch noise1 a noise2 b", SIGINT);
    sc_table_excludei_not_counted => table(&["-e", "create", "--excludei", "NOISE", "."], "",
        "touch noise1 a NoIsE2 b", SIGINT);
    sc_table_include_only_matches => table(&["-e", "create,attrib", "--include", "keep", "."], "",
        "touch keep1 other; chmod 600 other keep1", SIGINT);
    sc_table_exclude_everything => table(&["-e", "create", "--exclude", "", "."], "",
        "touch a b", SIGINT);
    sc_table_recursive_new_dir => s(["-r", "-e", "create", "t"]).fx("mkdir t").ready()
        .sh("mkdir t/n").ww(2).drained().sh("touch t/n/x t/n/y").drained().sig(SIGINT);
    sc_table_recursive_rename_within => s(["-r", "t"]).fx("mkdir -p t/a t/b").ready()
        .sh("mv t/a t/b/a2").drained().sh("touch t/b/a2/x").drained().sig(SIGINT);
    sc_table_recursive_moved_in => s(["-r", "-e", "create,moved_to", "t"]).fx("mkdir -p t o/s")
        .ready().sh("mv o t/o").ww(3).drained().sh("touch t/o/s/x").drained().sig(SIGINT);
    sc_table_usr1_snapshot_then_continue => s(["-e", "create", "."]).ready()
        .sh("touch a").drained().sig(SIGUSR1).drained()
        .sh("touch b").drained().sig(SIGTERM);
    sc_table_unmount_column => s(["-e", "unmount,create", "m", "m/f"]).precheck(CAN_MOUNT)
        .fx("mkdir m && mount -t tmpfs none m && touch m/f").ready()
        .sh("touch m/g").drained().sh("umount m").drained().sig(SIGINT);
    sc_table_no_dereference => s(["-P", "link"]).fx("touch target; ln -s target link").ready()
        .sh("touch target; touch -h link").drained().sig(SIGINT);
    sc_table_symlink_followed => s(["link"]).fx("touch target; ln -s target link").ready()
        .sh("chmod 600 target").drained().sig(SIGINT);
    sc_table_same_inode_two_names => table(&["d", "./d"], "mkdir d", "touch d/x", SIGINT);
    sc_table_many_rows => s((1..=32).map(|i| format!("d{i:02}")))
        .fx("for i in $(seq -w 1 32); do mkdir d$i; done").ready()
        .sh("for i in $(seq -w 1 32); do j=0; while [ $j -le $((${i#0} % 4)) ]; do touch d$i/f$j; j=$((j+1)); done; done")
        .drained().sig(SIGINT);

    // ---- D. inotifywait checklist gaps (COMPAT §7 items 75, 77) ----
    wd_daemon_relative_path_log_empty => w(["-d", "-o", "log", "-e", "attrib", "-t", "1", "f"])
        .fx("touch log f").sh("chmod 600 f").outfile("log");
    wd_daemon_appends_to_existing_log => w(["-d", "-o", "log", "-e", "attrib", "-t", "1", "{dir}/f"])
        .fx("touch f; echo old > log").step(Step::DaemonReady(1)).sh("chmod 600 f")
        .step(Step::WaitFile("log".into(), "ATTRIB".into())).step(Step::DaemonExit)
        .sh("stat -c '%a' log >> log").outfile("log");
    wd_daemon_paths_relative_to_root => w(["-d", "-o", "{dir}/log", "-e", "create", "-t", "1",
        "{dir-rel}"]).fx("touch log").step(Step::DaemonReady(1)).sh("touch x")
        .step(Step::WaitFile("log".into(), "CREATE x".into())).step(Step::DaemonExit).outfile("log");
    wd_syslog_timeout_silent => w(["-s", "-t", "1", "f"]).fx(F);
    wd_syslog_monitor_timeout_silent => w(["-s", "-m", "-t", "1", "-r", "."]);
}

// ---- Policy tests: ours only, expected bytes written out (COMPAT "Our version policy").

const VERSION: &str = env!("CARGO_PKG_VERSION");
const ESTABLISHING: &str = "Establishing watches...\n";
const FINISHED: &str = "Finished establishing watches, now collecting statistics.\n";

/// `--help` is fsnotifywatch's (latest-style) help named after argv[0], with our
/// version line, plus only the entries of our own options (`OURS_ONLY_OPTIONS`).
fn watch_help_case(name: &str, sc: Sc, tool: &str) {
    const SOURCE: &str = "/usr/bin/fsnotifywatch";
    if !util::reference_available(SOURCE) {
        println!("skipped: {SOURCE} not installed");
        return;
    }
    let o = run_once("rinotify-policy", name, &util::ours(), &sc);
    assert!(o.problems.is_empty(), "{}", util::dump("ours", &o));
    if let Some(d) = help_mismatch(&o, SOURCE, tool) {
        panic!(
            "policy test {name} failed: not the latest-style help\n{d}\n{}",
            util::dump("ours", &o)
        );
    }
    util::wipe(&std::env::temp_dir().join("rinotify-policy").join(name));
}

#[test]
fn watch_help_latest_style() {
    watch_help_case("watch_help_latest_style", s(["--help"]), "inotifywatch");
}

#[test]
fn watch_help_before_later_errors() {
    watch_help_case(
        "watch_help_before_later_errors",
        s(["-h", "-x", "-e", "foo", "-a", "move", "."]),
        "inotifywatch",
    );
}

#[test]
fn watch_help_names_tool_by_argv0_basename() {
    watch_help_case(
        "watch_help_names_tool_by_argv0_basename",
        s(["--he"]).argv0("/opt/tools/inotifywatch"),
        "inotifywatch",
    );
}

#[test]
fn watch_help_as_fsnotifywatch() {
    watch_help_case(
        "watch_help_as_fsnotifywatch",
        s(["--help"]).argv0("fsnotifywatch"),
        "fsnotifywatch",
    );
}

#[test]
fn watch_version() {
    expect(
        "watch_version",
        s(["--version"]),
        Expect {
            stdout: format!("inotifywatch {VERSION}\n").as_bytes(),
            stderr: b"",
            status: 0,
        },
    );
}

/// Checklist 94: the latest aborts after set-up (3.22.6 waits ~136 years).
#[test]
fn watch_negative_timeout_aborts() {
    expect(
        "watch_negative_timeout_aborts",
        s(["-t", "-1", "."]),
        Expect {
            stdout: b"",
            stderr: format!("{ESTABLISHING}{FINISHED}Negative timeout specified - abort!\n")
                .as_bytes(),
            status: 1,
        },
    );
}

#[test]
fn watch_negative_timeout_aborts_verbose() {
    expect(
        "watch_negative_timeout_aborts_verbose",
        s(["-v", "-r", "--timeout=-5", "t"]).fx("mkdir -p t/a"),
        Expect {
            stdout: b"",
            stderr: format!(
                "{ESTABLISHING}Setting up watch(es) on t\nOK, t is now being watched.\n\
                 Total of 2 watches.\n{FINISHED}Negative timeout specified - abort!\n"
            )
            .as_bytes(),
            status: 1,
        },
    );
}

/// Checklist 88: `-d access` sorts by access (the reference sorts by total: its
/// encoding of "descending by access" collides with "descending by total").
#[test]
fn watch_descending_access_sorts_by_access() {
    expect(
        "watch_descending_access_sorts_by_access",
        s(["-e", "access,create", "-d", "access", "-r", "t"])
            .fx("mkdir -p t/a; echo data > t/r")
            .ready()
            .sh("touch t/a/1 t/a/2 t/a/3 t/a/4 t/a/5")
            .sh("cat t/r > /dev/null")
            .drained()
            .sh("cat t/r > /dev/null")
            .drained()
            .sig(SIGINT),
        Expect {
            stdout: b"total  access  create  filename\n\
                      2      2       0       t/\n\
                      5      0       5       t/a/\n",
            stderr: format!("{ESTABLISHING}{FINISHED}").as_bytes(),
            status: 0,
        },
    );
}

/// `-d access` with access not watched is now a sort key that isn't watched (the
/// reference accepts it, since it means "descending by total" there).
#[test]
fn watch_descending_access_unwatched_rejected() {
    expect(
        "watch_descending_access_unwatched_rejected",
        s(["-e", "modify", "-d", "access", "."]),
        Expect {
            stdout: b"",
            stderr: b"Can't sort by an event which isn't being watched for!\n",
            status: 1,
        },
    );
}

fn sort_rejected(name: &str, args: &[&str], message: &str) {
    let mut args = args.to_vec();
    args.extend(["-r", "-t", "1", "t"]);
    expect(
        name,
        s(args).fx("mkdir -p t/a"),
        Expect {
            stdout: b"",
            stderr: format!("{message}\n").as_bytes(),
            status: 1,
        },
    );
}

/// Checklist 89: the reference accepts `-d move` and segfaults printing the table;
/// ours rejects it up front with `-a move`'s message.
#[test]
fn watch_descending_move_rejected() {
    sort_rejected(
        "watch_descending_move_rejected",
        &["-d", "move"],
        "Cannot sort by `move' event; please use `moved_from' or `moved_to'.",
    );
}

#[test]
fn watch_descending_close_rejected() {
    sort_rejected(
        "watch_descending_close_rejected",
        &["--descending=Close"],
        "Cannot sort by `close' event; please use `close_write' or `close_nowrite'.",
    );
}

/// A list of events as a sort key: one clear line, exit 1 (the reference segfaults).
#[test]
fn watch_multi_event_sort_key_rejected() {
    for (i, key) in ["access,modify", "all_events", "moved_to,create"]
        .iter()
        .enumerate()
    {
        for dir in ["-a", "-d"] {
            let name = format!("watch_multi_event_sort_key_rejected_{i}{dir}");
            crate::policy::one_line_error(&name, s([dir, key, "."]), key);
        }
    }
}

/// Ours rejects `-e isdir -a isdir` (and the other non-column events) as unwatched;
/// the reference accepts them and segfaults once two rows are compared.
#[test]
fn watch_non_column_sort_key_rejected() {
    for (i, ev) in ["isdir", "oneshot", "ignored", "q_overflow"]
        .iter()
        .enumerate()
    {
        expect(
            &format!("watch_non_column_sort_key_rejected_{i}"),
            s(["-e", &format!("{ev},modify"), "-a", ev, "f", "g"]).fx("touch f g"),
            Expect {
                stdout: b"",
                stderr: b"Can't sort by an event which isn't being watched for!\n",
                status: 1,
            },
        );
    }
}

#[test]
fn watch_inotify_option_accepted() {
    expect(
        "watch_inotify_option_accepted",
        s(["-I", "--inotify", "f"])
            .fx(F)
            .ready()
            .sh("chmod 600 f")
            .drained()
            .sig(SIGINT),
        Expect {
            stdout: b"total  attrib  filename\n1      1       f\n",
            stderr: format!("{ESTABLISHING}{FINISHED}").as_bytes(),
            status: 0,
        },
    );
}

/// Under `-r`, a new directory that `--exclude` matches is pruned (policy 2, as 3.22.6):
/// its CREATE is not counted and it is not watched, so what happens inside is not counted
/// either (the new-directory scan would have reported `t/new/a` had it been watched).
#[test]
fn watch_recursive_exclude_prunes_new_dir() {
    expect(
        "watch_recursive_exclude_prunes_new_dir",
        s(["-r", "-e", "create", "--exclude", "new$", "t"])
            .fx("mkdir t")
            .ready()
            .sh("mkdir t/new")
            .drained()
            .sh("touch t/new/a")
            .drained()
            .sig(SIGINT),
        Expect {
            stdout: b"",
            stderr: format!("{ESTABLISHING}{FINISHED}No events occurred.\n").as_bytes(),
            status: 0,
        },
    );
}

/// Checklist 91 for ours alone, on a bigger tree than the differential scenario.
#[test]
fn watch_two_sigints_during_setup_abort() {
    expect(
        "watch_two_sigints_during_setup_abort",
        s(["-r", "-v", "t"])
            .fx(&big_tree(30_000))
            .err("Setting up watch(es) on t\n")
            .sig(SIGINT)
            .err("interrupt me again.\n")
            .sig(SIGINT),
        Expect {
            stdout: b"",
            stderr: format!(
                "{ESTABLISHING}Setting up watch(es) on t\n\
                 No statistics have been collected because I haven't finished establishing\n\
                 inotify watches yet.  If you are sure you want me to exit, interrupt me again.\n\
                 No statistics collected, asked to abort before all watches could be established.\n"
            )
            .as_bytes(),
            status: 1,
        },
    );
}
