//! `format`: `--format`/`--timefmt` templates, the default layout, `--csv` and `--json`,
//! rendered for events whose fields come from the input. Never panics; rendering only
//! appends; the default layout is exactly `%w %e %f\n`; CSV lines parse back into their
//! fields; a `--json` line is one line of UTF-8 text with no raw control character; a
//! template whose line stays short is the plain expansion of its directives.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rinotify::event::{Event, mask_to_string};
use rinotify::format::{Formatter, Layout, Template};

#[derive(Arbitrary, Debug)]
struct Ev<'a> {
    wd: i32,
    mask: u32,
    cookie: u32,
    watch: &'a [u8],
    name: &'a [u8],
    synthetic: bool,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    fmt: &'a [u8],
    newline: bool,
    timefmt: Option<&'a [u8]>,
    /// Bytes already in the output buffer: rendering must leave them alone.
    prefix: &'a [u8],
    events: Vec<Ev<'a>>,
}

/// The line cap of the reference's 4096-byte buffer.
const LINE_CAP: usize = 4095;

/// Plain expansion of a template, no caps: `None` when the line is dropped (a lone `%`
/// as the last byte) or when it uses `%T` (time-dependent).
fn expand(fmt: &[u8], ev: &Event<'_>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            out.push(fmt[i]);
            i += 1;
            continue;
        }
        let d = *fmt.get(i + 1)?;
        i += 2;
        match d {
            b'%' => out.push(b'%'),
            b'0' => out.push(0),
            b'n' => out.push(b'\n'),
            b'w' => out.extend_from_slice(ev.watch),
            b'f' => out.extend_from_slice(ev.name),
            b'e' => out.extend_from_slice(&mask_to_string(ev.mask, b',')),
            b'c' => out.extend_from_slice(format!("{:x}", ev.cookie).as_bytes()),
            b's' => out.push(if ev.synthetic { b'1' } else { b'0' }),
            b'T' => return None,
            sep if fmt.get(i) == Some(&b'e') => {
                i += 1;
                out.extend_from_slice(&mask_to_string(ev.mask, sep));
            }
            other => out.extend_from_slice(&[b'%', other]),
        }
    }
    Some(out)
}

/// Splits one CSV line (without its final newline) into fields.
fn parse_csv(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        let mut field = Vec::new();
        if line.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match *line.get(i)? {
                    b'"' if line.get(i + 1) == Some(&b'"') => {
                        field.push(b'"');
                        i += 2;
                    }
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b => {
                        field.push(b);
                        i += 1;
                    }
                }
            }
        } else {
            while let Some(&b) = line.get(i) {
                if b == b',' {
                    break;
                }
                field.push(b);
                i += 1;
            }
        }
        fields.push(field);
        match line.get(i) {
            None => return Some(fields),
            Some(b',') => i += 1,
            Some(_) => return None,
        }
    }
}

fuzz_target!(|input: Input<'_>| {
    let events: Vec<Event<'_>> = input
        .events
        .iter()
        .take(8)
        .map(|e| Event {
            wd: e.wd,
            mask: e.mask,
            cookie: e.cookie,
            watch: e.watch,
            name: e.name,
            synthetic: e.synthetic,
        })
        .collect();

    let mut default = Formatter::new(Layout::Default);
    let mut csv = Formatter::new(Layout::Csv);
    let mut json = Formatter::new(Layout::Json("inotify"));
    for ev in &events {
        let mut out = input.prefix.to_vec();
        json.render(ev, &mut out);
        let line = out
            .strip_prefix(input.prefix)
            .and_then(|l| l.strip_suffix(b"}\n"))
            .expect("json: prefix kept, one object, newline last");
        assert!(line.starts_with(b"{\"time\":\""), "json: time first");
        assert!(std::str::from_utf8(line).is_ok(), "json: not UTF-8");
        assert!(line.iter().all(|&b| b >= 0x20), "json: raw control byte");

        let mut out = input.prefix.to_vec();
        default.render(ev, &mut out);
        let mut want = input.prefix.to_vec();
        want.extend_from_slice(ev.watch);
        want.push(b' ');
        want.extend_from_slice(&mask_to_string(ev.mask, b','));
        want.push(b' ');
        want.extend_from_slice(ev.name);
        want.push(b'\n');
        assert_eq!(out, want, "default layout");

        let mut out = input.prefix.to_vec();
        csv.render(ev, &mut out);
        let line = out
            .strip_prefix(input.prefix)
            .and_then(|l| l.strip_suffix(b"\n"))
            .expect("csv: prefix kept, newline last");
        let fits = |f: &[u8]| f.len() <= 4096;
        let mut want: Vec<Vec<u8>> = Vec::new();
        if !ev.watch.is_empty() {
            want.push(if fits(ev.watch) {
                ev.watch.to_vec()
            } else {
                Vec::new()
            });
        }
        want.push(mask_to_string(ev.mask, b','));
        want.push(if fits(ev.name) {
            ev.name.to_vec()
        } else {
            Vec::new()
        });
        assert_eq!(parse_csv(line), Some(want), "csv round trip");
    }

    let Ok(template) = Template::parse(input.fmt, input.newline) else {
        let len = input.fmt.len() + usize::from(input.newline);
        assert!(
            len == 0 || len > rinotify::format::MAX_FORMAT,
            "rejected a valid format"
        );
        return;
    };
    let mut text = input.fmt.to_vec();
    if input.newline {
        text.push(b'\n');
    }
    let mut formatter = Formatter::new(Layout::Template(
        template.clone(),
        input.timefmt.map(<[u8]>::to_vec),
    ));
    for ev in &events {
        let mut out = input.prefix.to_vec();
        formatter.render(ev, &mut out);
        let line = out
            .strip_prefix(input.prefix)
            .expect("template: prefix kept");
        match expand(&text, ev) {
            Some(want) if want.len() <= LINE_CAP => assert_eq!(line, want, "expansion"),
            Some(_) => {}
            None => {
                if !template.uses_time() {
                    assert!(line.is_empty(), "a dropped line printed");
                }
            }
        }
    }
});
