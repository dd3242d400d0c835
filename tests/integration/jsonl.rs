//! The one strict reader of the `--json` output contract (README "JSON for programs",
//! man pages "JSON OUTPUT"), shared by the tests that read it (`json`, `broker`,
//! `examples`): an inotifywait event line and an inotifywatch document, each checked
//! for everything the contract says about it, with serde_json as the JSON parser; the
//! standard base64 the `*_base64` keys hold (encoder and strict decoder); and the
//! RFC 3339 time parser. The checker's own tests are here too: a passing test that
//! reads `--json` output means something only while they pass.
//!
//! The rules, for one event line: valid UTF-8 with no raw control character (so one
//! line for any name), one JSON object with no duplicate key; the keys `time`,
//! `watch`, `name`, `path`, `events`, `dir`, `cookie`, `synthetic`, `backend` in this
//! order, then `watch_base64`, `name_base64`, `path_base64` (in this order) exactly
//! for the fields whose bytes are not UTF-8, and nothing else; `time` is
//! `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (UTC: not before the test's start, not after now,
//! with a second of slack); the exact bytes of each text field (from its `_base64` key
//! when present, which must then decode, strictly, to bytes that are not UTF-8 and of
//! which the field is the lossy rendering) give `path == watch + name`; `events` is a
//! non-empty array of event names (`[A-Z_]+`); `dir` is a boolean, true exactly when
//! `ISDIR` is among the events; `cookie` a non-negative integer; `synthetic` a
//! boolean; `backend` `inotify` or `fanotify`. For one inotifywatch document: the same
//! first rules; the keys `time`, `backend`, `rows`, `totals`, `lost` in this order,
//! `time` and `backend` as above; each row `path` (with `path_base64` as above),
//! `total` and `events`, the counts of which are non-negative integers, no event twice;
//! `totals` `total` and `events` alike; `lost` a non-negative integer.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::util;

const NS_PER_S: i128 = 1_000_000_000;
/// How far a time may lie outside the test's run: the clock is read before and after.
const SLACK_NS: i128 = NS_PER_S;
/// Keys every event has, in this order.
const EVENT_KEYS: [&str; 9] = [
    "time",
    "watch",
    "name",
    "path",
    "events",
    "dir",
    "cookie",
    "synthetic",
    "backend",
];
/// Keys present only for fields that are not valid UTF-8, after `backend`, in this order.
const B64_KEYS: [&str; 3] = ["watch_base64", "name_base64", "path_base64"];
/// The keys of an inotifywatch document, in this order.
const DOC_KEYS: [&str; 5] = ["time", "backend", "rows", "totals", "lost"];

/// `Err(msg())` unless `cond`.
fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(msg()) }
}

// ---------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------

/// The wall clock in nanoseconds since the epoch.
pub fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos() as i128
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Nanoseconds since the epoch of `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (RFC 3339, UTC,
/// exactly nine fractional digits, no leap second); any other shape is an error.
pub fn parse_time(t: &str) -> Result<i128, String> {
    let b = t.as_bytes();
    let shaped = b.len() == 30
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            29 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    ensure(shaped, || {
        format!("time {t:?} is not YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ")
    })?;
    let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().expect("digits");
    let (y, mo, d) = (n(0..4), n(5..7), n(8..10));
    let (h, mi, s) = (n(11..13), n(14..16), n(17..19));
    ensure(
        (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 60,
        || format!("time {t:?} out of range"),
    )?;
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    Ok(i128::from(secs) * NS_PER_S + i128::from(n(20..29)))
}

/// Checks that `t` is a time of the test's run: between `since` and `now`
/// (nanoseconds since the epoch), a second of slack either side. A local time written
/// as UTC is hours off.
fn check_time(t: &str, since: i128, now: i128) -> Result<(), String> {
    let at = parse_time(t)?;
    ensure(at >= since - SLACK_NS && at <= now + SLACK_NS, || {
        format!("time {t:?} is not the time of the test's run (UTC)")
    })
}

// ---------------------------------------------------------------------------------
// Base64
// ---------------------------------------------------------------------------------

/// Standard, padded base64 of `bytes` (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Strict decoding of standard base64 (RFC 4648 §4): padded, padding only at the end,
/// no character outside the alphabet, no stray bits.
pub fn decode_base64(s: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Result<u32, String> {
        Ok(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => {
                return Err(format!(
                    "base64 {s:?}: {:?} is not a base64 character",
                    c as char
                ));
            }
        }))
    };
    let b = s.as_bytes();
    ensure(b.len().is_multiple_of(4), || {
        format!("base64 {s:?}: length not a multiple of 4")
    })?;
    let quads = b.len() / 4;
    let mut out = Vec::new();
    for (k, q) in b.chunks(4).enumerate() {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        ensure(pad <= 2 && (pad == 0 || k + 1 == quads), || {
            format!("base64 {s:?}: bad padding")
        })?;
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pad as u32;
        ensure(n & ((1 << (8 * pad)) - 1) == 0, || {
            format!("base64 {s:?}: stray bits")
        })?;
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------
// One line, one object
// ---------------------------------------------------------------------------------

/// The keys of the object `line` starts with, in the order written (strings are
/// skipped with their escapes; nested values are not looked into; what follows the
/// object is not read). The object has already been checked to be valid JSON.
fn top_keys(line: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let (mut depth, mut expect_key, mut i) = (0usize, false, 0);
    while i < line.len() {
        match line[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < line.len() && line[i] != b'"' {
                    i += if line[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 && expect_key {
                    keys.push(String::from_utf8_lossy(&line[start..i]).into_owned());
                    expect_key = false;
                }
            }
            c @ (b'{' | b'[') => {
                depth += 1;
                expect_key = depth == 1 && c == b'{';
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' => expect_key = depth == 1,
            _ => {}
        }
        i += 1;
    }
    keys
}

/// One line of output: valid UTF-8 with no raw control character (so one line for
/// any name), a JSON object by serde_json's strict parser, with no duplicate key.
fn parse_object(line: &[u8]) -> Result<(String, Map<String, Value>), String> {
    let raw = std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
    if let Some(c) = raw.chars().find(|&c| c < ' ' || c == '\x7f') {
        return Err(format!("raw control character {c:?}"));
    }
    let v: Value = serde_json::from_str(raw).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(o) = v else {
        return Err("not a JSON object".into());
    };
    ensure(o.len() == top_keys(line).len(), || "a duplicate key".into())?;
    Ok((raw.to_string(), o))
}

/// Checks that the keys of the object `line`, in the order written, are `want`.
fn check_keys(line: &[u8], want: &[&str]) -> Result<(), String> {
    let keys = top_keys(line);
    ensure(keys == want, || format!("keys {keys:?}, expected {want:?}"))
}

/// The exact bytes of string `key` by the consumer rule: `<key>_base64` decoded when
/// present (it must then be needed: its bytes are not UTF-8 and `key` is their display
/// form, U+FFFD for what is invalid), else `key`'s own UTF-8.
fn exact(o: &Map<String, Value>, key: &str) -> Result<Vec<u8>, String> {
    let shown = string(o, key)?;
    if !o.contains_key(&format!("{key}_base64")) {
        return Ok(shown.as_bytes().to_vec());
    }
    let b = decode_base64(string(o, &format!("{key}_base64"))?)?;
    ensure(std::str::from_utf8(&b).is_err(), || {
        format!("{key}_base64 present although {key} is valid UTF-8: {shown:?}")
    })?;
    ensure(String::from_utf8_lossy(&b) == shown, || {
        format!(
            "{key} {shown:?} is not the lossy rendering of {key}_base64 {:?}",
            String::from_utf8_lossy(&b)
        )
    })?;
    Ok(b)
}

/// The value of `key` in `o` (`null` when missing).
fn field<'a>(o: &'a Map<String, Value>, key: &str) -> &'a Value {
    o.get(key).unwrap_or(&Value::Null)
}

/// String `key` of `o`.
fn string<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    let v = field(o, key);
    v.as_str()
        .ok_or_else(|| format!("{key} {v} is not a string"))
}

/// Non-negative integer `key` of `o`.
fn uint(o: &Map<String, Value>, key: &str) -> Result<u64, String> {
    let v = field(o, key);
    v.as_u64()
        .ok_or_else(|| format!("{key} {v} is not a non-negative integer"))
}

/// Boolean `key` of `o`.
fn boolean(o: &Map<String, Value>, key: &str) -> Result<bool, String> {
    let v = field(o, key);
    v.as_bool()
        .ok_or_else(|| format!("{key} {v} is not a boolean"))
}

/// `backend`, one of the contract's.
fn backend(o: &Map<String, Value>) -> Result<String, String> {
    match string(o, "backend")? {
        b @ ("inotify" | "fanotify") => Ok(b.to_string()),
        b => Err(format!("backend {b:?}")),
    }
}

// ---------------------------------------------------------------------------------
// inotifywait: events
// ---------------------------------------------------------------------------------

/// One `inotifywait --json` event, read from one line and checked.
#[derive(Clone, Debug)]
pub struct Event {
    /// The line as written.
    pub raw: String,
    /// The line as parsed.
    pub obj: Map<String, Value>,
    pub time: String,
    /// The exact bytes of `watch`, `name` and `path`.
    pub watch: Vec<u8>,
    pub name: Vec<u8>,
    pub path: Vec<u8>,
    pub events: Vec<String>,
    pub dir: bool,
    pub cookie: u64,
    pub synthetic: bool,
    pub backend: String,
}

impl Event {
    /// The event names as `%e` prints them.
    pub fn events(&self) -> String {
        self.events.join(",")
    }
}

/// Reads one line as an event of the `--json` contract, checking everything the
/// contract says about one line (see the module's doc); `since` is the test's start,
/// in nanoseconds since the epoch.
pub fn parse_event(line: &[u8], since: i128) -> Result<Event, String> {
    parse_event_within(line, since, now_ns())
}

/// [`parse_event`], with `now` as the current time.
fn parse_event_within(line: &[u8], since: i128, now: i128) -> Result<Event, String> {
    let (raw, obj) = parse_object(line)?;
    let mut want = EVENT_KEYS.to_vec();
    want.extend(B64_KEYS.iter().filter(|k| obj.contains_key(**k)));
    check_keys(line, &want)?;
    let time = string(&obj, "time")?.to_string();
    check_time(&time, since, now)?;
    let (watch, name, path) = (
        exact(&obj, "watch")?,
        exact(&obj, "name")?,
        exact(&obj, "path")?,
    );
    ensure(path == [&watch[..], &name[..]].concat(), || {
        "path is not watch + name".into()
    })?;
    let Value::Array(list) = field(&obj, "events") else {
        return Err("events is not an array".into());
    };
    let events = list
        .iter()
        .map(|e| match e {
            Value::String(s)
                if !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') =>
            {
                Ok(s.clone())
            }
            v => Err(format!("event {v} is not an event name")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    ensure(!events.is_empty(), || "events is empty".into())?;
    let dir = boolean(&obj, "dir")?;
    ensure(dir == events.iter().any(|e| e == "ISDIR"), || {
        format!("dir is {dir} for events {events:?}")
    })?;
    Ok(Event {
        time,
        watch,
        name,
        path,
        events,
        dir,
        cookie: uint(&obj, "cookie")?,
        synthetic: boolean(&obj, "synthetic")?,
        backend: backend(&obj)?,
        obj,
        raw,
    })
}

/// Every line (without its newline) as an event, the times never going back; panics
/// naming the first line (of `what`) that breaks the contract.
pub fn parse_lines(what: &str, lines: &[Vec<u8>], since: i128) -> Vec<Event> {
    let evs: Vec<Event> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            parse_event(l, since).unwrap_or_else(|e| {
                panic!(
                    "{what}: line {i} breaks the --json contract: {e}\n{}",
                    String::from_utf8_lossy(l)
                )
            })
        })
        .collect();
    for pair in evs.windows(2) {
        assert!(
            pair[0].time <= pair[1].time,
            "{what}: time goes back: {pair:#?}"
        );
    }
    evs
}

/// Every line of `out` as an event ([`parse_lines`]); the output ends with a newline.
pub fn parse_events(out: &[u8], since: i128) -> Vec<Event> {
    if out.is_empty() {
        return Vec::new();
    }
    assert!(
        out.ends_with(b"\n"),
        "unterminated line: {}",
        util::escape(out)
    );
    let lines: Vec<Vec<u8>> = out[..out.len() - 1]
        .split(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    parse_lines("the output", &lines, since)
}

// ---------------------------------------------------------------------------------
// inotifywatch: documents
// ---------------------------------------------------------------------------------

/// Counts by event name, in the order written.
pub type Counts = Vec<(String, u64)>;

/// One inotifywatch document, read from one line and checked.
#[derive(Debug)]
pub struct Doc {
    /// The line as parsed.
    pub obj: Map<String, Value>,
    /// (exact path, total, counts).
    pub rows: Vec<(Vec<u8>, u64, Counts)>,
    pub total: u64,
    pub totals: Counts,
    pub lost: u64,
}

/// The counts object `{"access":n,…}` in the order written: `raw` is the text from
/// the object's opening brace on.
fn counts(v: &Value, raw: &str) -> Result<Counts, String> {
    let Value::Object(o) = v else {
        return Err(format!("events {v} is not an object"));
    };
    let order = top_keys(raw.as_bytes());
    ensure(order.len() == o.len(), || {
        format!("duplicate event key in {raw}")
    })?;
    order
        .into_iter()
        .map(|k| {
            let n = uint(o, &k)?;
            Ok((k, n))
        })
        .collect()
}

/// Checks that the keys of `o`, in any order, are `want` (sorted).
fn check_key_set(o: &Map<String, Value>, want: &[&str], what: &str) -> Result<(), String> {
    let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
    keys.sort_unstable();
    ensure(keys == want, || {
        format!("keys of {what} {keys:?}, expected {want:?}")
    })
}

/// Reads one line as an inotifywatch document: its keys in order, the time, the
/// backend, each row's path (exact bytes by the consumer rule), total and counts (in
/// the order written, no duplicate), the totals and `lost`.
fn parse_doc_within(line: &[u8], since: i128, now: i128) -> Result<Doc, String> {
    let (raw, obj) = parse_object(line)?;
    check_keys(line, &DOC_KEYS)?;
    check_time(string(&obj, "time")?, since, now)?;
    backend(&obj)?;
    let lost = uint(&obj, "lost")?;
    // Each `"events":{` opens a counts object: rows' in order, then the totals'.
    let mut objs = raw
        .match_indices("\"events\":{")
        .map(|(i, _)| &raw[i + 9..]);
    let mut next_counts = |v: &Value| match objs.next() {
        Some(text) => counts(v, text),
        None => Err("fewer \"events\":{ than counts objects".into()),
    };
    let Value::Array(list) = field(&obj, "rows") else {
        return Err("rows is not an array".into());
    };
    let mut rows = Vec::new();
    for r in list {
        let Value::Object(ro) = r else {
            return Err(format!("row {r} is not an object"));
        };
        let want: &[&str] = if ro.contains_key("path_base64") {
            &["events", "path", "path_base64", "total"]
        } else {
            &["events", "path", "total"]
        };
        check_key_set(ro, want, "a row")?;
        let total = uint(ro, "total")?;
        let c = next_counts(field(ro, "events"))?;
        rows.push((exact(ro, "path")?, total, c));
    }
    let Value::Object(t) = field(&obj, "totals") else {
        return Err("totals is not an object".into());
    };
    check_key_set(t, &["events", "total"], "totals")?;
    let totals = next_counts(field(t, "events"))?;
    Ok(Doc {
        total: uint(t, "total")?,
        totals,
        lost,
        rows,
        obj,
    })
}

/// The documents of `out`, one per line (ending with a newline); panics naming the
/// first line that breaks the contract.
pub fn parse_docs(out: &[u8], since: i128) -> Vec<Doc> {
    assert!(out.ends_with(b"\n"), "unterminated: {}", util::escape(out));
    let now = now_ns();
    out[..out.len() - 1]
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| {
            parse_doc_within(l, since, now).unwrap_or_else(|e| {
                panic!(
                    "document {i} breaks the --json contract: {e}\n{}",
                    String::from_utf8_lossy(l)
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// The checker's own tests
// ---------------------------------------------------------------------------------

#[test]
fn base64_decoder_is_strict() {
    for (enc, dec) in [
        ("", &b""[..]),
        ("Zg==", b"f"),
        ("Zm8=", b"fo"),
        ("Zm9vYmFy", b"foobar"),
        ("//79", b"\xff\xfe\xfd"),
    ] {
        assert_eq!(decode_base64(enc).as_deref(), Ok(dec));
    }
    for bad in ["Zg=", "Zh==", "Z===", "Zg==Zg==", "Zm9v!A=="] {
        assert!(decode_base64(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_time("1970-01-01T00:00:00.000000001Z"), Ok(1));
    assert_eq!(
        parse_time("2000-03-01T00:00:00.000000000Z"),
        Ok(951_868_800_000_000_000)
    );
    for bytes in [&b""[..], b"f", b"fo", b"foo", b"\xff\x00\x80\x7f"] {
        assert_eq!(decode_base64(&base64(bytes)).expect("round trip"), bytes);
    }
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"fooba"), "Zm9vYmE=");
}

/// Only RFC 3339 in UTC with nine fractional digits, in range, is a time.
#[test]
fn time_parser_is_strict() {
    assert_eq!(
        parse_time("2026-11-29T18:21:31.123456789Z"),
        Ok((1_795_976_491 * NS_PER_S) + 123_456_789)
    );
    assert_eq!(
        parse_time("1969-12-31T23:59:59.999999999Z"),
        Ok(-1),
        "before the epoch"
    );
    for bad in [
        "2026-11-29T18:21:31.123456789+00:00",
        "2026-11-29t18:21:31.123456789z",
        "2026-11-29 18:21:31.123456789Z",
        "2026-11-29T18:21:31Z",
        "2026-11-29T18:21:31.1234567890Z",
        "2026-13-29T18:21:31.123456789Z",
        "2026-11-00T18:21:31.123456789Z",
        "2026-11-29T24:21:31.123456789Z",
        "2026-11-29T18:60:31.123456789Z",
        "2016-12-31T23:59:60.000000000Z",
        "+026-11-29T18:21:31.123456789Z",
    ] {
        assert!(parse_time(bad).is_err(), "{bad}");
    }
}

/// The checker itself: the contract's own example passes, and each way of breaking
/// it is caught (so a passing test that reads `--json` output means something).
#[test]
fn json_checker_catches_broken_lines() {
    const GOOD: &str = r#"{"time":"2026-11-29T18:21:31.123456789Z","watch":"dir/","name":"a b","path":"dir/a b","events":["CREATE"],"dir":false,"cookie":0,"synthetic":false,"backend":"inotify"}"#;
    let now = parse_time("2026-11-29T18:21:31.123456789Z").expect("time");
    let check = |line: &str| parse_event_within(line.as_bytes(), now, now);
    let e = check(GOOD).expect("the contract's example");
    assert_eq!(
        (e.path.as_slice(), e.events),
        (&b"dir/a b"[..], vec!["CREATE".to_string()])
    );
    let odd = r#"{"time":"2026-11-29T18:21:31.123456789Z","watch":"d/","name":"a\nb\ufffd","path":"d/a\nb\ufffd","events":["CREATE"],"dir":false,"cookie":0,"synthetic":false,"backend":"inotify","name_base64":"YQpi/w==","path_base64":"ZC9hCmL/"}"#;
    let e = check(odd).expect("an invalid UTF-8 name");
    assert_eq!(e.name, b"a\nb\xff");
    for (what, from, to) in [
        (
            "a key out of order",
            r#""dir":false,"cookie":0"#,
            r#""cookie":0,"dir":false"#,
        ),
        ("a missing key", r#","synthetic":false"#, ""),
        (
            "an extra key",
            r#""backend":"inotify""#,
            r#""backend":"inotify","x":1"#,
        ),
        (
            "a duplicate key",
            r#""backend":"inotify""#,
            r#""backend":"kqueue","backend":"inotify""#,
        ),
        ("a local time", "789Z", "789+01:00"),
        ("6 fractional digits", ".123456789Z", ".123456Z"),
        ("a time far from now", "2026-11-29T18", "2026-11-29T19"),
        ("a time before the run", "18:21:31.", "18:21:29."),
        (
            "path not watch + name",
            r#""path":"dir/a b""#,
            r#""path":"dir/ab""#,
        ),
        ("dir without ISDIR", r#""dir":false"#, r#""dir":true"#),
        ("a string cookie", r#""cookie":0"#, r#""cookie":"0""#),
        ("a negative cookie", r#""cookie":0"#, r#""cookie":-1"#),
        ("a fractional cookie", r#""cookie":0"#, r#""cookie":0.0"#),
        (
            "a string synthetic",
            r#""synthetic":false"#,
            r#""synthetic":0"#,
        ),
        ("another backend", r#""inotify""#, r#""kqueue""#),
        ("events as a string", r#"["CREATE"]"#, r#""CREATE""#),
        ("no events", r#"["CREATE"]"#, "[]"),
        ("a lower-case event", r#"["CREATE"]"#, r#"["create"]"#),
        (
            "base64 of a valid name",
            r#""inotify"}"#,
            r#""inotify","name_base64":"YSBi"}"#,
        ),
        ("a trailing comma", r#""inotify"}"#, r#""inotify",}"#),
        ("a raw control character", "a b", "a\tb"),
        // JSON allows these two; the contract's one line per event does not.
        (
            "a raw tab between keys",
            r#","cookie":0"#,
            ",\t\"cookie\":0",
        ),
        (
            "a raw DEL in a name",
            r#""name":"a b","path":"dir/a b""#,
            "\"name\":\"a\x7fb\",\"path\":\"dir/a\x7fb\"",
        ),
    ] {
        let bad = GOOD.replacen(from, to, 1);
        assert_ne!(bad, GOOD, "{what}: nothing replaced");
        assert!(check(&bad).is_err(), "{what} passed: {bad}");
    }
    for (what, from, to) in [
        ("a wrong name_base64", "YQpi/w==", "YQpi/g=="),
        ("stray bits in name_base64", "YQpi/w==", "YQpi/x=="),
        ("unpadded base64", r#""ZC9hCmL/""#, r#""ZC9hCmL""#),
        ("a missing path_base64", r#","path_base64":"ZC9hCmL/""#, ""),
        (
            "base64 keys out of order",
            r#""name_base64":"YQpi/w==","path_base64":"ZC9hCmL/""#,
            r#""path_base64":"ZC9hCmL/","name_base64":"YQpi/w==""#,
        ),
        (
            "a name that is not the lossy rendering",
            r#""name":"a\nb\ufffd""#,
            r#""name":"a\nb?""#,
        ),
    ] {
        let bad = odd.replacen(from, to, 1);
        assert_ne!(bad, odd, "{what}: nothing replaced");
        assert!(check(&bad).is_err(), "{what} passed: {bad}");
    }
}

/// The document reader: the man page's example (with its counts written out) passes,
/// and each way of breaking it is caught.
#[test]
fn doc_reader_catches_broken_documents() {
    const GOOD: &str = r#"{"time":"2026-11-29T18:21:31.123456789Z","backend":"inotify","rows":[{"path":"logs/","total":10,"events":{"access":6,"modify":4}},{"path":"x\ufffd/","total":2,"events":{"access":0,"modify":2},"path_base64":"eP8v"}],"totals":{"total":12,"events":{"access":6,"modify":6}},"lost":0}"#;
    let now = parse_time("2026-11-29T18:21:31.123456789Z").expect("time");
    let check = |line: &str| parse_doc_within(line.as_bytes(), now, now);
    let doc = check(GOOD).expect("the man page's example");
    assert_eq!(
        doc.rows,
        [
            (
                b"logs/".to_vec(),
                10,
                vec![("access".into(), 6), ("modify".into(), 4)]
            ),
            (
                b"x\xff/".to_vec(),
                2,
                vec![("access".into(), 0), ("modify".into(), 2)]
            ),
        ]
    );
    assert_eq!((doc.total, doc.lost), (12, 0));
    assert_eq!(doc.totals, [("access".into(), 6), ("modify".into(), 6)]);
    for (what, from, to) in [
        (
            "keys out of order",
            r#""time":"2026-11-29T18:21:31.123456789Z","backend":"inotify""#,
            r#""backend":"inotify","time":"2026-11-29T18:21:31.123456789Z""#,
        ),
        ("a missing key", r#","lost":0"#, ""),
        ("a local time", "789Z", "789+01:00"),
        ("another backend", r#""inotify""#, r#""kqueue""#),
        ("a negative lost", r#""lost":0"#, r#""lost":-1"#),
        ("a row without total", r#""total":10,"#, ""),
        ("a string count", r#""access":6,"#, r#""access":"6","#),
        (
            "a duplicate event",
            r#""access":6,"modify":4"#,
            r#""access":6,"access":6"#,
        ),
        ("a wrong path_base64", "eP8v", "ef8v"),
        (
            "path_base64 for UTF-8",
            r#","path_base64":"eP8v""#,
            r#","path_base64":"eC8=""#,
        ),
        ("a raw control character", "logs/", "lo\tgs/"),
    ] {
        let bad = GOOD.replacen(from, to, 1);
        assert_ne!(bad, GOOD, "{what}: nothing replaced");
        assert!(check(&bad).is_err(), "{what} passed: {bad}");
    }
}
