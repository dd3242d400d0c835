//! The single integration-test crate: the harness (`util`), the scenario builder and
//! drivers (`scenario`), the differential suite against the reference inotifywait
//! (`compat`), the policy tests with written-out expectations (`policy`), and topic
//! modules built on the same harness (`live`, `noloss`, `longrun`, `watch_live`), the
//! inotifywatch differential suite (`watch_compat`) and the golden files (`golden`).

#[macro_use]
mod scenario;
mod badinput;
mod broker;
mod compat;
mod completion;
mod doctor;
mod examples;
mod fanotify;
mod faults;
mod golden;
mod json;
mod jsonl;
mod live;
mod longrun;
mod noloss;
mod output;
mod policy;
mod prune;
mod readme;
mod retry;
mod systemd;
mod util;
mod watch_compat;
mod watch_live;

/// The differential suites must keep their promised size (checked at compile time).
const _: () = assert!(compat::SCENARIOS >= 70);
const _: () = assert!(watch_compat::SCENARIOS >= 20);
const _: () = assert!(golden::GOLDENS.len() >= 20);

/// The harness's own helpers behave.
#[test]
fn harness_helpers() {
    use util::assert_bytes_eq;
    assert_bytes_eq(
        "escape",
        b"a\\x00\\t\\n\n",
        util::escape(b"a\0\t\n").as_bytes(),
    );
    assert_bytes_eq(
        "cookies",
        b"0|CREATE|a\nC1|MOVED_FROM|a\nC1|MOVED_TO|b\nC2|MOVED_FROM|c\n",
        &scenario::cookies(b"0|CREATE|a\n1f|MOVED_FROM|a\n1f|MOVED_TO|b\n20|MOVED_FROM|c\n"),
    );
    assert_bytes_eq(
        "strip",
        b"a\nWatching new directory x\n",
        &scenario::strip_new_dir_lines(
            b"a\nWatching new directory t/n/\nWatching new directory x\n",
        ),
    );
    let d = util::diff("x", b"a\nb\n", b"a\nc\n");
    assert!(d.contains("  - b") && d.contains("  + c"), "{d}");
}
