//! Differential suite: every scenario runs under the reference inotifywait 3.22.6 and
//! under ours in the same directory, and stdout, stderr, exit status and outfile
//! must match byte for byte (COMPAT.md §1–§3, checklist items where [=] or where our
//! policy follows Debian). Policy-dependent scenarios live in `policy.rs`.

use crate::scenario::{CAN_MOUNT, F, Sc, cookies, differential, w};
use crate::util::Step;
use libc::{SIGHUP, SIGINT};

/// `m/` is a fresh tmpfs holding a file `f`.
const TMPFS: &str = "mkdir m && mount -t tmpfs none m && touch m/f";

fn xs(n: usize) -> String {
    "x".repeat(n)
}

/// `--format <fmt>` scenarios on an ATTRIB of `f`.
fn fmt_attrib(extra: &[&str]) -> Sc {
    let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    args.extend(["-q", "-e", "attrib", "f"].map(String::from));
    w(args).fx(F).q(1).sh("chmod 600 f")
}

/// A long `--format` of `n` bytes of `x` followed by `tail`.
fn long_fmt(n: usize, tail: &str, no_newline: bool) -> Sc {
    let fmt = format!("{}{tail}", xs(n));
    let mut extra = vec!["--format", fmt.as_str()];
    if no_newline {
        extra.push("--no-newline");
    }
    fmt_attrib(&extra)
}

/// A long `--format` that must be rejected (no watch is ever set up).
fn long_fmt_error(n: usize, no_newline: bool) -> Sc {
    let mut args = vec!["--format".to_string(), xs(n)];
    if no_newline {
        args.push("--no-newline".into());
    }
    args.push("f".into());
    w(args).fx(F)
}

/// Shell-quote a file name for a fixture or action script.
fn sq(name: &str) -> String {
    format!("'{}'", name.replace('\'', "'\\''"))
}

/// Regex filter scenario: `--format %f -m -e create KIND PAT .`, then the names are
/// created one by one and finally `sentinel` (which must pass the filter) ends it.
fn rx(kind: &str, pat: &str, names: &[&str], sentinel: &str) -> Sc {
    let mut script: String = names
        .iter()
        .map(|n| format!("touch ./{}; ", sq(n)))
        .collect();
    script.push_str(&format!("touch ./{}", sq(sentinel)));
    w(["-mq", "-e", "create", "--format", "%f", kind, pat, "."])
        .q(1)
        .sh(&script)
        .end(&format!("{sentinel}\n"))
}

/// Names that exercise regex corner cases.
const RX_NAMES: &[&str] = &[
    "aa", "ab", "a", "x", "]x", "-", "a.b", "a b", "*a", "a{1", "\\", "1", "d", "A", "AB", "zx",
    "aaa",
];

/// A regex that the reference rejects.
fn rx_error(pat: &str) -> Sc {
    w(["--exclude", pat, "."])
}

scenarios! {
    // ---- A. command-line parsing and usage errors (§1.1) ----
    a_invalid_short_option => w(["-x", "."]);
    a_invalid_short_option_argv0_path => w(["-x", "."]).argv0("/opt/tools/inotifywait");
    a_invalid_short_option_no_paths => w(["-x"]);
    a_unrecognized_long_option => w(["--bogus", "."]);
    a_ambiguous_excl => w(["--excl", "x", "."]);
    a_ambiguous_ex => w(["--ex", "x", "."]);
    a_ambiguous_f_lists_all => w(["--f", "x", "."]);
    a_ambiguous_time => w(["--time", "5", "."]);
    a_unrecognized_long_option_with_value => w(["--bogus=1", "."]);
    a_unique_prefixes => w(["--mon", "--quiet", "--ev=attrib", "--form", "%w:%e", "f"]).fx(F).q(1)
        .sh("chmod 600 f").end("f:ATTRIB\n");
    a_missing_arg_t => w([".", "-t"]);
    a_missing_arg_e => w([".", "-e"]);
    a_missing_arg_o => w([".", "-o"]);
    a_missing_arg_format => w([".", "--format"]);
    a_missing_arg_fromfile => w([".", "--fromfile"]);
    a_flag_with_argument => w(["--monitor=yes", "."]);
    a_no_newline_then_invalid => w(["--no-newline", "-x", "."]);
    a_invalid_then_no_newline => w(["-x", "--no-newline", "."]);
    a_daemon_then_invalid => w(["-d", "-x", "."]);
    a_no_files => w::<&str>([]);
    a_no_files_quiet => w(["-q"]);
    a_only_exclusions_and_empty => w(["@x", "", "@"]);
    a_long_opt_equals => w(["--timeout=5", "--event=attrib", "-q", "f"]).fx(F).q(1).sh("chmod 600 f");
    a_format_equals_empty => w(["--format=", "-q", "-e", "attrib", "f"]).fx(F).q(1).sh("chmod 600 f");
    a_mon_prefix_and_t5_cluster => w(["--mon", "-qt5", "-e", "attrib", "f"])
        .fx(F).q(1).sh("chmod 600 f").end("f ATTRIB \n");
    a_options_after_paths => w(["f", "-q", "-m", "-e", "attrib"])
        .fx(F).q(1).sh("chmod 600 f").end("f ATTRIB \n");
    a_double_dash => w(["-q", "--", "-x"]).fx("touch ./-x").q(1).sh("chmod 600 ./-x");
    a_double_dash_makes_paths => w(["-q", "-e", "attrib", "--", "f", "-m"]).fx(F);
    a_cluster_mrq => w(["-mrq", "-e", "create", "t"]).fx("mkdir -p t/a").q(2)
        .sh("touch t/a/x").end("t/a/ CREATE x\n");
    a_filename_obsolete => w(["-f", "."]);
    a_event_error_before_help => w(["-e", "foo", "--help"]);
    a_timeout_error_before_filename => w(["-t", "abc", "-f"]);
    a_filename_before_timeout_error => w(["-f", "-t", "abc"]);
    a_invalid_option_before_timeout_error => w(["-x", "-t", "abc", "."]);
    a_event_error_before_second_outfile => w(["-o", "a", "-e", "foo", "-o", "b", "."]);
    a_outfile_twice => w(["-o", "a", "-o", "b", "."]);
    a_fromfile_twice => w(["--fromfile", "a", "--fromfile", "b", "."]);

    // ---- B. event lists (§1.2) ----
    b_event_unknown => w(["-e", "foo", "."]);
    b_event_unknown_in_list => w(["-e", "modify,foo", "."]);
    b_event_unknown_before_empty => w(["-e", "foo,,modify", "."]);
    b_event_space_in_list => w(["-e", "modify, create", "."]);
    b_event_trailing_comma_is_all => w(["-q", "-e", "modify,", "f"]).fx(F).q(1).sh("chmod 600 f");
    b_event_leading_comma_is_all => w(["-q", "-e", ",close", "f"]).fx(F).q(1).sh("chmod 600 f");
    b_event_empty_is_all => w(["-q", "-e", "", "f"]).fx(F).q(1).sh("chmod 600 f");
    b_event_empty_list_plus_other => w(["-q", "-e", "attrib,,create", "-e", "modify", "f"])
        .fx(F).q(1).sh("chmod 600 f; echo x >> f");
    b_event_case_insensitive => w(["-q", "-e", "MoDiFy", "f"]).fx(F).q(1).sh("chmod 600 f; echo x >> f");
    b_event_close => w(["-q", "-m", "-e", "close", "f"]).fx(F).q(1)
        .sh("echo x >> f").out("f CLOSE_WRITE,CLOSE \n")
        .sh("cat f > /dev/null").end("f CLOSE_NOWRITE,CLOSE \n");
    b_event_move_excludes_move_self => w(["-q", "-e", "move,attrib", "f"]).fx(F).q(1)
        .sh("mv f g; chmod 600 g");
    b_event_ignored => w(["-q", "-e", "ignored", "f"]).fx(F).q(1).sh("rm f");
    b_event_isdir_create => w(["-q", "-e", "isdir,create", "."]).q(1).sh("mkdir d");
    b_event_oneshot => w(["-q", "-m", "-e", "oneshot,attrib", "f"]).fx(F).q(1)
        .sh("chmod 600 f").out("f ATTRIB \n").sh("chmod 644 f").term();
    b_event_all_events_name => w(["-q", "-e", "all_events", "f"]).fx(F).q(1).sh("chmod 600 f");
    b_event_unmount_q_overflow_accepted => w(["-q", "-e", "unmount,q_overflow,attrib", "f"])
        .fx(F).q(1).sh("chmod 600 f");
    b_event_delete_self => w(["-q", "-e", "delete_self", "f"]).fx(F).q(1).sh("rm f");
    b_event_move_self => w(["-q", "-e", "move_self", "f"]).fx(F).q(1).sh("mv f g");
    b_unrequested_ignored_exits_1 => w(["-q", "-e", "modify", "f"]).fx(F).q(1).sh("rm f");
    b_modify_after_move_keeps_name => w(["-q", "-e", "modify", "f"]).fx(F).q(1)
        .sh("mv f g; echo x >> g");
    b_rm_watched_file_attrib_first => w(["-q", "f"]).fx(F).q(1).sh("rm f");
    b_event_access => w(["-q", "-e", "access", "f"]).fx("echo data > f").q(1).sh("cat f > /dev/null");
    b_event_open_close_nowrite_dir => w(["-q", "-m", "-e", "open,close_nowrite", "d"]).fx("mkdir d").q(1)
        .sh("ls d > /dev/null").end("d/ CLOSE_NOWRITE,CLOSE,ISDIR \n");
    b_event_dir_open_default => w(["-q", "d"]).fx("mkdir d").q(1).sh("ls d > /dev/null");

    b_unmount_not_requested_exits_1 => w(["-q", "-e", "modify", "m/f"]).precheck(CAN_MOUNT).fx(TMPFS)
        .q(1).sh("umount m");
    b_unmount_default_mask_exits_1 => w(["-q", "m"]).precheck(CAN_MOUNT).fx(TMPFS).q(1).sh("umount m");
    b_unmount_monitor_keeps_running => w(["-q", "-m", "-e", "unmount", "m/f", "m"]).precheck(CAN_MOUNT)
        .fx(TMPFS).q(2).sh("umount m").out("m/f UNMOUNT \n").out("m/ UNMOUNT,ISDIR \n").term();
    b_unmount_csv => w(["-c", "-q", "-e", "unmount", "m"]).precheck(CAN_MOUNT).fx(TMPFS).q(1)
        .sh("umount m");

    // ---- C. timeouts (§1.4, §2.6) ----
    c_timeout_abc => w(["-t", "abc", "f"]);
    c_timeout_fraction => w(["-t", "1.5", "f"]);
    c_timeout_hex => w(["-t", "0x10", "f"]);
    c_timeout_empty => w(["-t", "", "f"]);
    c_timeout_overflow => w(["-t", "99999999999999999999", "f"]);
    c_timeout_trailing_space => w(["-t", "1 ", "f"]);
    c_timeout_leading_space => w(["-t", " 5", "-q", "-e", "attrib", "f"]).fx(F).q(1).sh("chmod 600 f");
    c_timeout_plus_sign => w(["-t", "+3", "-q", "-e", "attrib", "f"]).fx(F).q(1).sh("chmod 600 f");
    c_timeout_minus_zero => w(["-t", "-0", "-q", "-e", "attrib", "f"]).fx(F).q(1).sh("chmod 600 f");
    c_timeout_zero_is_none => w(["-t", "0", "-q", "-e", "modify", "f"]).fx(F).q(1).sh("echo x >> f");
    c_timeout_expires => w(["-t", "1", "f"]).fx(F);
    c_timeout_expires_cluster_quiet => w(["-qt1", "f"]).fx(F);
    c_timeout_monitor_inactivity => w(["-q", "-m", "-t", "1", "f"]).fx(F).q(1)
        .sh("echo x >> f").out("f CLOSE_WRITE,CLOSE \n");

    // ---- D. validation order (§2.1) ----
    d_order_exclude_pair_first => w(["--exclude", "a", "--excludei", "b", "--include", "c",
        "--includei", "d", "-c", "--format", "x", "--no-newline", "--timefmt", "y", "-d", "."]);
    d_order_include_pair => w(["--include", "c", "--includei", "d", "--exclude", "a", "-c",
        "--format", "x", "-d", "."]);
    d_order_include_and_exclude => w(["--include", "c", "--exclude", "a", "-c", "--format", "x",
        "-d", "."]);
    d_order_csv_and_format => w(["-c", "--format", "x", "--timefmt", "y", "-d", "."]);
    d_order_no_newline_without_format => w(["--no-newline", "--timefmt", "y", "-d", "."]);
    d_order_timefmt_without_format => w(["--timefmt", "y", "-d", "."]);
    d_order_percent_t_before_daemon => w(["--format", "%T", "-d", "."]);
    d_order_percent_percent_t => w(["--format", "%%T", "."]);
    d_order_daemon_before_warning => w(["-d", "--exclude", "a", "--exclude", "b", "."]);
    d_order_warning_then_regex_error => w(["--exclude", "a", "--exclude", "b", "--exclude", "(", "."]);
    d_order_regex_before_format => w(["--exclude", "(", "--format", "", "--no-newline"]);
    d_order_format_before_no_files => w(["--format", "", "--no-newline"]);
    d_order_no_files_before_outfile => w(["-o", "nodir/x.log"]);
    d_outfile_open_failure => w(["-o", "nodir/x.log", "."]);
    d_daemon_without_outfile => w(["-d", "."]);
    d_daemon_missing_outfile => w(["-d", "-o", "missing.log", "f"]).fx(F);
    d_include_invalid_regex => w(["--include", "(", "."]);
    d_exclude_invalid_regex => w(["--exclude", "(", "."]);
    d_exclude_excludei => w(["--exclude", "a", "--excludei", "b", "."]);
    d_include_includei => w(["--includei", "a", "--include", "b", "."]);

    // ---- E. default output, exit status, quiet levels (§2.2, §2.3, §2.6) ----
    e_file_attrib => w(["-q", "f"]).fx(F).q(1).sh("chmod 600 f");
    e_dir_create_file => w(["-q", "."]).q(1).sh("touch x");
    e_dir_create_dir => w(["-q", "-e", "create", "."]).q(1).sh("mkdir d");
    e_first_event_only => w(["-q", "-e", "create", "."]).q(1).sh("touch a b");
    e_dir_and_file_both_report => w(["-q", "-m", ".", "f"]).fx(F).q(2).sh("echo x >> f")
        .out("./ CLOSE_WRITE,CLOSE f\n").out("f CLOSE_WRITE,CLOSE \n").term();
    e_dir_self_attrib => w(["-q", "-e", "attrib", "d"]).fx("mkdir d").q(1).sh("chmod 700 d");
    e_banners => w([".", "-e", "create"]).est().sh("touch x");
    e_banners_monitor => w(["-m", "-e", "create", "."]).est().sh("touch x").end("./ CREATE x\n");
    e_monitor_sigint => w(["-q", "-m", "f"]).fx(F).q(1).sig(SIGINT);
    e_monitor_sighup => w(["-q", "-m", "f"]).fx(F).q(1).sig(SIGHUP);
    e_qq_no_output => w(["-qq", "f"]).fx(F).q(1).sh("chmod 600 f");
    e_q_q_separate => w(["-q", "-q", "-e", "attrib", "f"]).fx(F).q(1).sh("chmod 600 f");
    e_syslog_stderr_empty => w(["-s", "f"]).fx(F).q(1).sh("chmod 600 f");
    e_syslog_missing_path => w(["-s", "missing"]);
    e_empty_and_at_arguments_skipped => w(["-q", "", "@", "f"]).fx(F).q(1).sh("chmod 600 f");
    e_missing_path => w(["-q", "nonexist"]);
    e_missing_path_qq => w(["-qq", "nonexist"]);
    e_missing_path_after_others => w(["-t", "1", "f", ".", "missing"]).fx(F);
    e_monitor_file_deleted_keeps_running => w(["-q", "-m", "f"]).fx(F).q(1).sh("rm f")
        .out("f DELETE_SELF \n").term();
    e_monitor_dir_deleted_keeps_running => w(["-q", "-m", "d"]).fx("mkdir d").q(1).sh("rmdir d")
        .out("d/ DELETE_SELF \n").term();
    e_sigpipe_after_reader_exits => w(["-m", "-q", "."]).filter(&["head", "-n1"]).q(1)
        .sh("touch a").out("./ CREATE a\n").step(Step::WaitFilterExit).sh("touch b");
    e_rename_in_dir => w(["-q", "-m", "-e", "moved_from,moved_to", "."]).fx(F).q(1).sh("mv f g")
        .end("./ MOVED_TO g\n");

    // ---- F. CSV (§2.3) ----
    f_csv_plain_spaces => w(["-c", "-q", "-e", "create", "a dir"]).fx("mkdir 'a dir'").q(1)
        .sh("touch 'a dir/x y'");
    f_csv_commas => w(["-c", "-q", "-e", "attrib", "b,dir"]).fx("mkdir b,dir; touch 'b,dir/p,q'")
        .q(1).sh("touch 'b,dir/p,q'");
    f_csv_quotes => w(["-c", "-q", "-e", "create", "q\"d"]).fx("mkdir 'q\"d'").q(1)
        .sh("touch 'q\"d/a\"b'");
    f_csv_leading_trailing_space => w(["-c", "-q", "-m", "-e", "create", " lead", "trail "])
        .fx("mkdir ' lead' 'trail '").q(2)
        .sh("touch ' lead/ s'").out(" s\"\n").sh("touch 'trail /t '").end("\"t \"\n");
    f_csv_watched_file => w(["-c", "-q", "-e", "modify", "f"]).fx(F).q(1).sh("echo x >> f");
    f_csv_multi_event => w(["-c", "-q", "-e", "close_write", "."]).q(1).sh("touch g");
    f_csv_isdir => w(["-c", "-q", "-e", "create", "."]).q(1).sh("mkdir sub");
    f_csv_newline_in_name => w(["-c", "-q", "-e", "create", "."]).q(1).sh("touch \"$(printf 'a\\nb')\"");
    f_csv_dir_self_event => w(["-c", "-q", "-e", "attrib", "d"]).fx("mkdir d").q(1).sh("chmod 700 d");
    f_csv_close_nowrite_isdir => w(["-c", "-q", "-e", "close_nowrite", "."]).fx("mkdir sub").q(1)
        .sh("ls sub > /dev/null");
    f_csv_to_outfile => w(["-c", "-q", "-o", "out.csv", "-e", "create", "d"]).fx("mkdir d").q(1)
        .sh("touch 'd/a,b'").outfile("out.csv");

    // ---- G. --format and --timefmt (§2.4) ----
    g_format_every_directive => w(["--format", "%w|%f|%e|%:e|%c|%%|%z|%n|%0|\\n", "-q", "-e", "attrib", "."])
        .fx(F).q(1).sh("touch f");
    g_format_ee => fmt_attrib(&["--format", "%ee %%e"]);
    g_format_no_newline => fmt_attrib(&["--format", "%e", "--no-newline"]);
    g_format_empty => fmt_attrib(&["--format", ""]);
    g_format_empty_no_newline_error => w(["--format", "", "--no-newline", "f"]).fx(F);
    g_format_percent_t_without_timefmt => w(["--format", "%T", "f"]).fx(F);
    g_timefmt_without_format => w(["--timefmt", "x", "f"]).fx(F);
    g_no_newline_without_format => w(["--no-newline", "f"]).fx(F);
    g_csv_and_format => w(["-c", "--format", "x", "f"]).fx(F);
    g_timefmt_year => fmt_attrib(&["--format", "%T %e", "--timefmt", "%Y"]);
    g_timefmt_literal => fmt_attrib(&["--format", "[%T]", "--timefmt", "lit%%"]);
    g_timefmt_empty_drops_line => fmt_attrib(&["--format", "%T%e", "--timefmt", ""]);
    g_format_last_wins => fmt_attrib(&["--format", "x", "--format", "yy"]);
    g_format_4095 => long_fmt(4095, "", false);
    g_format_4096_error => long_fmt_error(4096, false);
    g_format_4096_no_newline => long_fmt(4096, "", true);
    g_format_4097_no_newline_error => long_fmt_error(4097, true);
    g_format_near_cap_watched => w(["--format", &format!("{}%w|", xs(4090)), "-q", "-e", "attrib",
        "dddddddddd"]).fx("mkdir dddddddddd").q(1).sh("chmod 700 dddddddddd");
    g_format_near_cap_percent => long_fmt(4093, "%%", false);
    g_format_percent_at_end_drops_line => fmt_attrib(&["--format", "abc%", "--no-newline"]);
    g_format_lone_percent => fmt_attrib(&["--format", "%"]);
    g_format_separators => w(["--format", "%;e|% e|%Xe|%ne|%%%e", "-q", "-e", "close_write", "f"])
        .fx(F).q(1).sh("echo x >> f");
    g_format_nul_separated_paths => w(["--format", "%w%f%0", "--no-newline", "-m", "-q", "-e",
        "create,moved_to,moved_from", "{dir}"]).q(1).sh("touch src; mv src dst").end("dst\0");
    g_format_cookie_pairs => w(["--format", "%c|%e|%f", "-m", "-q", "-e",
        "create,moved_from,moved_to", "."]).q(1).sh("touch a; mv a b").end("|b\n").norm(cookies);
    g_format_default_like => fmt_attrib(&["--format", "%w %,e %f"]);
    g_timefmt_strftime_fields => fmt_attrib(&["--format", "%T", "--timefmt",
        "%Y|%C|%y|%G|%g|%Z|%z|%%|%Q|%t|%n|%m|%B|%b|%h|%A|%a|%u|%w|%j|%U|%W|%V|%D|%F|%x|%d|%e|%p"]);
    g_timefmt_strftime_flags => fmt_attrib(&["--format", "%T", "--timefmt",
        "%-m|%_m|%0e|%^b|%#b|%^a|%010Y|%Ey|%Om|%EY|%_5d|%-j|%+4Y"]);
    g_timefmt_trailing_percent => fmt_attrib(&["--format", "<%T>", "--timefmt", "%Y%"]);
    g_format_high_byte_names => w(["-q", "-m", "-e", "create", "."]).q(1)
        .sh("touch \"$(printf 'a\\377b')\"; touch \"$(printf '\\303\\251t\\351')\"; touch zz")
        .end("./ CREATE zz\n");
    g_csv_high_byte_names => w(["-c", "-q", "-m", "-e", "create", "."]).q(1)
        .sh("touch \"$(printf 'a\\377,b')\"; touch zz").end("CREATE,zz\n");

    // ---- H. watched-name spelling, symlinks, -P (§1.6) ----
    h_name_trailing_slash => w(["-q", "-e", "create", "d/"]).fx("mkdir d").q(1).sh("touch d/a");
    h_name_double_slash => w(["-q", "-e", "create", "d//"]).fx("mkdir d").q(1).sh("touch d/a");
    h_name_dot_slash => w(["-q", "-e", "create", "./d"]).fx("mkdir d").q(1).sh("touch d/a");
    h_name_absolute_dotdot => w(["-q", "-e", "create", "{dir}/d/../d"]).fx("mkdir d").q(1).sh("touch d/a");
    h_symlink_first_name_wins => w(["-m", "-e", "create", "lnk", "real"])
        .fx("mkdir real; ln -s real lnk").est().sh("touch real/a").end("CREATE a\n");
    h_symlink_first_name_wins_reverse => w(["-m", "-e", "create", "real", "lnk"])
        .fx("mkdir real; ln -s real lnk").est().sh("touch real/a").end("CREATE a\n");
    h_same_dir_two_spellings => w(["-e", "create", "d", "./d"]).fx("mkdir d").est().sh("touch d/a");
    h_symlink_to_dir_no_slash => w(["-q", "-e", "create", "lnk"]).fx("mkdir real; ln -s real lnk")
        .q(1).sh("touch real/a");
    h_symlink_to_file => w(["-q", "-e", "attrib", "flink"]).fx("touch f; ln -s f flink").q(1)
        .sh("chmod 600 f");
    h_no_dereference_link_itself => w(["-P", "-q", "link"]).fx("touch target; ln -s target link")
        .q(1).sh("touch target; touch -h link");
    h_dangling_symlink => w(["-q", "dangling"]).fx("ln -s nowhere dangling");
    h_dangling_symlink_no_dereference => w(["-P", "-q", "dangling"]).fx("ln -s nowhere dangling")
        .q(1).sh("touch -h dangling");

    // ---- I. recursive mode (§3) ----
    i_recursive_initial_walk => w(["-q", "-m", "-r", "-e", "create", "t"]).fx("mkdir -p t/a/b t/c")
        .q(4).sh("touch t/a/b/1 t/c/2 t/a/3 t/4").end("t/ CREATE 4\n");
    i_recursive_initial_walk_all_events => w(["-mrq", "t"]).fx("mkdir -p t/a/b t/c").q(4)
        .sh("touch t/a/b/x").end("t/a/b/ CLOSE_WRITE,CLOSE x\n");
    i_recursive_banner => w(["-m", "-r", "-e", "create", "t"]).fx("mkdir -p t/a")
        .est().sh("touch t/a/x").end("t/a/ CREATE x\n");
    i_recursive_exclusions_exact_text => w(["-m", "-r", "-q", "-e", "create", "t", "@t/a", "@t/b/", "@./t/c"])
        .fx("mkdir -p t/a/deep t/b t/c").q(2)
        .sh("touch t/a/1 t/a/deep/2 t/b/3 t/c/4 t/5").end("t/ CREATE 5\n");
    i_recursive_exclusion_dot_spelling => w(["-mrq", "-e", "create", "./t", "@t/a"])
        .fx("mkdir -p t/a").q(2).sh("touch t/a/1").end("./t/a/ CREATE 1\n");
    i_recursive_top_level_beats_exclusion => w(["-mrq", "-e", "create", "t", "t/a", "@t/a"])
        .fx("mkdir -p t/a").q(2).sh("touch t/a/x").end("t/a/ CREATE x\n");
    i_recursive_files_not_excludable => w(["-mrq", "-e", "modify", "t", "@t/file"])
        .fx("mkdir t; touch t/file").q(1).sh("echo x >> t/file").end("t/ MODIFY file\n");
    i_recursive_auto_add => w(["-mrq", "-e", "create,modify", "t"]).fx("mkdir t").q(1)
        .sh("mkdir t/n").ww(2).sh("touch t/n/f1").end("t/n/ CREATE f1\n");
    i_recursive_auto_add_non_quiet => w(["-m", "-r", "-e", "create", "t"]).fx("mkdir t").est()
        .sh("mkdir t/n").ww(2).sh("mkdir t/n/m").ww(3).sh("touch t/n/m/x").end("t/n/m/ CREATE x\n")
        .strip_new_dir_lines();
    i_recursive_auto_add_all_events => w(["-mrq", "t"]).fx("mkdir t").q(1)
        .sh("mkdir t/n").ww(2).sh("touch t/n/f1").end("t/n/ CLOSE_WRITE,CLOSE f1\n");
    i_recursive_auto_add_nested => w(["-mrq", "-e", "create", "t"]).fx("mkdir t").q(1)
        .sh("mkdir t/n").ww(2).sh("mkdir t/n/m").ww(3).sh("touch t/n/m/x").end("t/n/m/ CREATE x\n");
    i_recursive_excluded_dir_created_later => w(["-mrq", "-e", "create", "t", "@t/x"]).fx("mkdir t")
        .q(1).sh("mkdir t/x").ww(2).sh("touch t/x/f").end("t/x/ CREATE f\n");
    i_recursive_rename_within => w(["-mrq", "-e", "create,moved_from,moved_to,modify", "t"])
        .fx("mkdir -p t/a t/n; touch t/n/f1").q(3)
        .sh("mv t/n t/a/n2").out("MOVED_TO,ISDIR n2\n")
        .sh("echo x >> t/a/n2/f1").end("MODIFY f1\n");
    i_recursive_moved_in => w(["-mrq", "-e", "create,moved_to", "t"]).fx("mkdir -p t outside/o1/s")
        .q(1).sh("mv outside/o1 t/o1").ww(3).sh("touch t/o1/in t/o1/s/deep").end("t/o1/s/ CREATE deep\n");
    i_recursive_deletion => w(["-mrq", "t"]).fx("mkdir -p t/sub").q(2)
        .sh("rmdir t/sub").end("t/ DELETE,ISDIR sub\n");
    i_recursive_delete_and_recreate => w(["-mrq", "-e", "create,delete", "t"]).fx("mkdir -p t/sub").q(2)
        .sh("rmdir t/sub").out("DELETE,ISDIR sub\n").sh("mkdir t/sub").ww(2)
        .sh("touch t/sub/y").end("t/sub/ CREATE y\n");
    i_recursive_create_mask_hides_moves => w(["-mrq", "-e", "create", "t"]).fx("mkdir t").q(1)
        .sh("touch t/a; mv t/a t/b; touch t/c").end("t/ CREATE c\n");
    i_recursive_symlink_top_followed => w(["-mrq", "-e", "create", "lnk"])
        .fx("mkdir -p real/sub other; ln -s real lnk; ln -s ../other real/olink").q(2)
        .sh("touch other/x real/a real/sub/b").end("lnk/sub/ CREATE b\n");
    i_recursive_exclude_trailing_slash => w(["-mrq", "-e", "attrib", "--exclude", "skip$", "t"])
        .fx("mkdir -p t/skip t/zz").q(3)
        .sh("chmod 700 t/skip").out("t/skip/ ATTRIB,ISDIR \n")
        .sh("chmod 700 t/zz").out("t/zz/ ATTRIB,ISDIR \n").end("t/ ATTRIB,ISDIR zz\n");
    // Policy 2: `--exclude(i)` prunes new directories as Debian does (checklist 51): a
    // directory created or moved in later whose `%w%f` matches is neither printed nor
    // watched, so files in it are never seen. `.drained()` lets the mkdir be handled
    // before anything is created inside.
    i_recursive_exclude_prunes_new_dir => w(["-mrq", "-e", "create,modify", "--exclude", "skip", "t"])
        .fx("mkdir -p t/keep").q(2).sh("mkdir t/skipnew").drained()
        .sh("touch t/skipnew/a t/skipfile t/keep/b").end("t/keep/ CREATE b\n");
    i_recursive_excludei_prunes_new_dir => w(["-mrq", "-e", "create", "--excludei", "SKIP", "t"])
        .fx("mkdir -p t/keep").q(2).sh("mkdir t/SkipNew").drained()
        .sh("touch t/SkipNew/a t/keep/b").end("t/keep/ CREATE b\n");
    i_recursive_exclude_prunes_moved_in => w(["-mrq", "-e", "create,moved_to", "--exclude", "skip", "t"])
        .fx("mkdir -p t/keep out/skipx/sub").q(2).sh("mv out/skipx t/skipx").drained()
        .sh("touch t/skipx/a t/skipx/sub/b t/keep/c").end("t/keep/ CREATE c\n");
    i_recursive_exclude_prunes_nested => w(["-mrq", "-e", "create", "--exclude", "skip", "t"])
        .fx("mkdir t").q(1).sh("mkdir t/n").ww(2).sh("mkdir t/n/skip").drained()
        .sh("touch t/n/skip/f t/n/g").end("t/n/ CREATE g\n");
    i_recursive_exclude_prunes_silently => w(["-m", "-r", "-e", "create", "--exclude", "skip", "t"])
        .fx("mkdir -p t/keep").est().sh("mkdir t/skipnew").drained()
        .sh("touch t/skipnew/a t/keep/b").end("t/keep/ CREATE b\n");
    i_recursive_exclude_startup_dir_kept => w(["-mrq", "-e", "create", "--exclude", "skip$", "t"])
        .fx("mkdir -p t/oldskip").q(2).sh("mkdir t/oldskip/newskip").drained()
        .sh("touch t/oldskip/newskip/x t/oldskip/y").end("t/oldskip/ CREATE y\n");
    i_recursive_file_top_level => w(["-r", "-q", "f"]).fx(F).q(1).sh("chmod 600 f");
    i_recursive_missing_top => w(["-r", "-q", "t", "missing"]).fx("mkdir t");
    i_recursive_top_trailing_slash => w(["-mrq", "-e", "create", "t/"]).fx("mkdir -p t/a").q(2)
        .sh("touch t/a/x").end("CREATE x\n");
    i_recursive_dot_with_dot_exclusion => w(["-mrq", "-e", "create", ".", "@./t"]).fx("mkdir -p t/a u")
        .q(2).sh("touch t/a/y t/z u/w").end("./u/ CREATE w\n");
    i_recursive_exclusion_one_slash_dropped => w(["-mrq", "-e", "create", "t", "@t/b//"])
        .fx("mkdir -p t/b").q(2).sh("touch t/b/x").end("t/b/ CREATE x\n");
    i_recursive_file_rename_between_dirs => w(["-mrq", "-e", "moved_from,moved_to", "t"])
        .fx("mkdir -p t/a t/b; touch t/a/x").q(3).sh("mv t/a/x t/b/y").end("t/b/ MOVED_TO y\n");
    i_recursive_rename_then_new_subdir => w(["-mrq", "-e", "create,moved_from,moved_to", "t"])
        .fx("mkdir -p t/a t/n").q(3).sh("mv t/n t/a/n2").out("MOVED_TO,ISDIR n2\n")
        .sh("mkdir t/a/n2/new").ww(4).sh("touch t/a/n2/new/z").end("CREATE z\n");
    i_recursive_top_moved_keeps_old_name => w(["-mrq", "-e", "create,move_self", "t"]).fx("mkdir t")
        .q(1).sh("mv t t2").out("t/ MOVE_SELF \n").sh("touch t2/x").end("t/ CREATE x\n");

    // ---- J. regex filters (§1.5) ----
    j_exclude => w(["-mq", "-e", "create", "--exclude", "b$", "."]).q(1)
        .sh("touch a b c").end("./ CREATE c\n");
    j_excludei => w(["-mq", "-e", "create", "--excludei", "B$", "."]).q(1)
        .sh("touch a b c").end("./ CREATE c\n");
    j_include_files => w(["-mq", "-e", "create", "--include", "a|c", "."]).q(1)
        .sh("touch a b c").end("./ CREATE c\n");
    j_includei_files => w(["-mq", "-e", "create", "--includei", "^\\./[AC]$", "."]).q(1)
        .sh("touch a b c").end("./ CREATE c\n");
    j_exclude_posix_classes => w(["-mq", "-e", "create", "--exclude", "[[:digit:]]{2}$", "."]).q(1)
        .sh("touch a1 b22 c").end("./ CREATE c\n");
    j_excludei_repeated_warning => w(["--excludei", "a", "--excludei", "B", "-q", "-e", "create", "."])
        .q(1).err("only the last").sh("touch b c");
    j_include_repeated_silent => w(["--include", "x", "--include", "c$", "-q", "-e", "create", "."])
        .q(1).sh("touch b c");
    j_filtered_event_does_not_end_wait => w(["-q", "-e", "create", "--exclude", "noise", "."]).q(1)
        .sh("touch noise real");
    j_subject_is_watched_plus_name => w(["-q", "-e", "attrib", "--exclude", "^d/x", "d"])
        .fx("mkdir d; touch d/x d/y").q(1).sh("chmod 600 d/x; chmod 600 d/y");
    j_anchored_name_never_matches => w(["-q", "-e", "attrib", "--exclude", "^x$", "d"])
        .fx("mkdir d; touch d/x").q(1).sh("chmod 600 d/x");
    j_include_watched_file => w(["-q", "-e", "attrib", "--include", "f$", "f", "g"])
        .fx("touch f g").q(2).sh("chmod 600 g; chmod 600 f");
    j_exclude_empty_matches_everything => w(["-q", "-t", "1", "-e", "create", "--exclude=", "."])
        .q(1).sh("touch x");

    j_rx_bracket_close_first => rx("--exclude", "[]a]", RX_NAMES, "zz");
    j_rx_negated_bracket_close_first => rx("--exclude", "[^]a]x", RX_NAMES, "zz");
    j_rx_word_boundaries_gnu => rx("--exclude", "\\<ab\\>", RX_NAMES, "zz");
    j_rx_word_class_gnu => rx("--exclude", "^\\./\\w+$", RX_NAMES, "z-z");
    j_rx_backslash_b => rx("--exclude", "\\bab", RX_NAMES, "zz");
    j_rx_backslash_d_is_literal => rx("--exclude", "\\d", RX_NAMES, "zz");
    j_rx_backslash_s => rx("--exclude", "\\s", RX_NAMES, "zz");
    j_rx_interval_open => rx("--exclude", "a{2,}", RX_NAMES, "zz");
    j_rx_stacked_intervals => rx("--exclude", "a{1,2}{3}", RX_NAMES, "zz");
    j_rx_bracket_trailing_dash => rx("--exclude", "[a-]", RX_NAMES, "zz");
    j_rx_equivalence_class => rx("--exclude", "[[=a=]]", RX_NAMES, "zz");
    j_rx_buffer_anchors_gnu => rx("--exclude", "\\`\\./a|a\\'", RX_NAMES, "zz");
    j_rx_icase_upper_class => rx("--excludei", "[[:upper:]]", RX_NAMES, "_9");
    j_rx_include_anchored_alternation => rx("--include", "^\\./(ab|x)$|zz", RX_NAMES, "zz");
    j_rx_includei_interval => rx("--includei", "^\\./A{2}$|zz", RX_NAMES, "zz");
    j_rx_dot_matches_high_byte => w(["-mq", "-e", "create", "--format", "%f", "--exclude", "^\\./a.b$", "."])
        .q(1).sh("touch \"$(printf 'a\\377b')\" a.b axb zz").end("zz\n");
    j_rx_negated_class_high_byte => w(["-mq", "-e", "create", "--format", "%f", "--exclude", "/[^a-z]$", "."])
        .q(1).sh("touch \"$(printf '\\377')\" 1 q qq").end("qq\n");
    j_rx_matches_everything_empty_alt => w(["-q", "-m", "-t", "1", "-e", "create", "--exclude", "a|", "."])
        .q(1).sh("touch x y");
    j_rx_matches_everything_empty_group => w(["-q", "-m", "-t", "1", "-e", "create", "--exclude", "()", "."])
        .q(1).sh("touch x y");
    j_rx_error_leading_star => rx_error("*a");
    j_rx_error_leading_plus => rx_error("+a");
    j_rx_error_unclosed_interval => rx_error("a{1");
    j_rx_error_class_range => rx_error("[[:alpha:]-z]");
    j_rx_error_trailing_backslash => rx_error("a\\");
    j_rx_error_collating_symbol => rx_error("[[.hyphen.]]");
    j_rx_error_anchor_star => rx_error("^*");
    j_rx_error_leading_interval => rx_error("{1}a");
    j_rx_unmatched_close_paren_literal => rx("--exclude", "a)", &["a)", "a", "b)"], "zz");
    j_rx_error_unbalanced_bracket => rx_error("[a");

    // ---- K. --fromfile (§1.3) ----
    k_fromfile_with_exclusion => w(["-mrq", "-e", "create", "--fromfile", "list"])
        .fx("mkdir -p t/a t/b; printf 't\\n@t/b\\n' > list").q(2)
        .sh("touch t/b/x t/a/y t/z").end("t/ CREATE z\n");
    k_fromfile_stdin => w(["-q", "-e", "attrib", "--fromfile", "-"]).fx(F).stdin(b"f\n").q(1)
        .sh("chmod 600 f");
    k_fromfile_stdin_missing_path => w(["-q", "--fromfile", "-"]).stdin(b"missing\n");
    k_fromfile_empty_lines_skipped => w(["-q", "-e", "attrib", "--fromfile", "list"])
        .fx("touch f; printf '\\n\\nf\\n\\n' > list").q(1).sh("chmod 600 f");
    k_fromfile_at_alone_skipped => w(["-q", "-e", "attrib", "--fromfile", "list"])
        .fx("touch f; printf '@\\nf\\n' > list").q(1).sh("chmod 600 f");
    k_fromfile_unreadable_continues => w(["-q", "-e", "attrib", "--fromfile", "missing", "f"])
        .fx(F).q(1).sh("chmod 600 f");
    k_fromfile_before_positional => w(["-e", "create", "--fromfile", "list", "real"])
        .fx("mkdir real; ln -s real lnk; echo lnk > list").est().sh("touch real/a");
    k_fromfile_carriage_return_kept => w(["-q", "--fromfile", "list"]).fx("touch f; printf 'f\\r\\n' > list");
    k_fromfile_no_trailing_newline => w(["-q", "-e", "attrib", "--fromfile", "list"])
        .fx("touch f; printf 'f' > list").q(1).sh("chmod 600 f");
    k_fromfile_empty_file_no_paths => w(["--fromfile", "list"]).fx(": > list");
    k_fromfile_high_byte_path => w(["-q", "-e", "create", "--fromfile", "list"])
        .fx("mkdir \"$(printf 'd\\377')\"; printf 'd\\377\\n' > list").q(1)
        .sh("touch \"$(printf 'd\\377/x')\"");
    k_fromfile_is_directory => w(["-q", "--fromfile", "d"]).fx("mkdir d");
    k_fromfile_long_line_split => w(["-q", "--fromfile", "list"])
        .fx("awk 'BEGIN { while (i++ < 5000) printf \"a\"; print \"\" }' > list");

    // ---- L. outfile and daemon (§2.1, §2.7) ----
    l_outfile_appends => w(["-q", "-o", "out.log", "-e", "attrib", "f"])
        .fx("touch f; printf 'old\\n' > out.log").q(1).sh("chmod 600 f").outfile("out.log");
    l_outfile_created_mode => w(["-q", "-o", "new.log", "-e", "attrib", "f"]).fx(F).q(1)
        .sh("chmod 600 f").step(Step::WaitFile("new.log".into(), "ATTRIB".into()))
        .sh("stat -c '%a' new.log > mode.txt").outfile("mode.txt");
    l_outfile_banners_on_stderr => w(["-o", "out.log", "-e", "attrib", "f"]).fx(F).est()
        .sh("chmod 600 f").outfile("out.log");
    l_outfile_empty_name => w(["-q", "--outfile=", "."]);
    l_outfile_qq_writes_nothing => w(["-qq", "-o", "out.log", "-e", "attrib", "f"]).fx(F).q(1)
        .sh("chmod 600 f").outfile("out.log");
    l_daemon_absolute_path => w(["-d", "-o", "log", "-e", "attrib", "-t", "1", "{dir}/f"])
        .fx("touch log f").step(Step::DaemonReady(1)).sh("chmod 600 f")
        .step(Step::WaitFile("log".into(), "ATTRIB".into())).step(Step::DaemonExit).outfile("log");
}
