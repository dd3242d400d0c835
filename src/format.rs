//! Event lines: the default `%w %e %f` layout, `--csv`, `--format`/`--timefmt` templates
//! and `--json` objects, parsed once and rendered into a reused buffer with no allocation
//! per event.

use crate::event::{Event, bits, mask_names, render_mask};
use crate::json;

/// The reference renders into a 4096-byte buffer: at most 4095 bytes of a line are kept.
const LINE_CAP: usize = 4095;
/// `--format` text plus its appended newline may not exceed this many bytes.
pub const MAX_FORMAT: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Lit(Vec<u8>),
    Watch,
    File,
    Events(u8),
    Cookie,
    Time,
    /// `%s`: `1` for an event the watcher made ([`Event::synthetic`]), else `0`.
    Synthetic,
}

/// A parsed `--format` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    tokens: Vec<Token>,
    /// A lone `%` as the very last byte: the reference drops every line.
    drops_line: bool,
    uses_time: bool,
}

/// Why a `--format` string is rejected (`Something is wrong with your format string.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFormat;

impl Template {
    /// Parses `fmt` as given on the command line; `newline` appends the implicit `\n`.
    pub fn parse(fmt: &[u8], newline: bool) -> Result<Template, BadFormat> {
        let mut text = fmt.to_vec();
        if newline {
            text.push(b'\n');
        }
        if text.is_empty() || text.len() > MAX_FORMAT {
            return Err(BadFormat);
        }
        let mut tokens = Vec::new();
        let mut lit = Vec::new();
        let mut drops_line = false;
        let mut i = 0;
        while i < text.len() {
            let c = text[i];
            i += 1;
            if c != b'%' {
                lit.push(c);
                continue;
            }
            let Some(&d) = text.get(i) else {
                drops_line = true;
                break;
            };
            i += 1;
            let tok = match d {
                b'%' => {
                    lit.push(b'%');
                    None
                }
                b'0' => {
                    lit.push(0);
                    None
                }
                b'n' => {
                    lit.push(b'\n');
                    None
                }
                b'w' => Some(Token::Watch),
                b'f' => Some(Token::File),
                b'e' => Some(Token::Events(b',')),
                b'c' => Some(Token::Cookie),
                b'T' => Some(Token::Time),
                b's' => Some(Token::Synthetic),
                sep if text.get(i) == Some(&b'e') => {
                    i += 1;
                    Some(Token::Events(sep))
                }
                other => {
                    lit.push(b'%');
                    lit.push(other);
                    None
                }
            };
            if let Some(t) = tok {
                if !lit.is_empty() {
                    tokens.push(Token::Lit(std::mem::take(&mut lit)));
                }
                tokens.push(t);
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Lit(lit));
        }
        let uses_time = tokens.contains(&Token::Time);
        Ok(Template {
            tokens,
            drops_line,
            uses_time,
        })
    }

    pub fn uses_time(&self) -> bool {
        self.uses_time
    }
}

/// How events become bytes.
#[derive(Debug, Clone)]
pub enum Layout {
    /// `%w %e %f` plus newline.
    Default,
    /// `WATCHED,EVENTS,NAME` with CSV quoting.
    Csv,
    /// A user template, with the strftime format for `%T`.
    Template(Template, Option<Vec<u8>>),
    /// `--json`: one object per line; the backend's name for its `backend` key.
    Json(&'static str),
}

/// Renders events of one layout; keeps the `%T` text cached for the current second.
#[derive(Debug)]
pub struct Formatter {
    layout: Layout,
    clock: crate::timefmt::Clock,
    json: JsonLines,
}

impl Formatter {
    pub fn new(layout: Layout) -> Formatter {
        Formatter {
            layout,
            clock: crate::timefmt::Clock::default(),
            json: JsonLines::default(),
        }
    }

    /// Events rendered from now on came from a new read of the kernel queue (their
    /// `--json` time is that read's).
    pub fn new_read(&mut self) {
        self.json.clock.new_read();
    }

    /// Appends the line for `ev` to `out` (nothing when the reference would drop it).
    pub fn render(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        match &self.layout {
            Layout::Default => {
                out.extend_from_slice(ev.watch);
                out.push(b' ');
                render_mask(ev.mask, b',', out);
                out.push(b' ');
                out.extend_from_slice(ev.name);
                out.push(b'\n');
            }
            Layout::Csv => {
                if !ev.watch.is_empty() {
                    csv_field(ev.watch, out);
                    out.push(b',');
                }
                let mut events = Vec::with_capacity(32);
                render_mask(ev.mask, b',', &mut events);
                csv_field(&events, out);
                out.push(b',');
                csv_field(ev.name, out);
                out.push(b'\n');
            }
            Layout::Json(backend) => self.json.render(ev, backend, out),
            Layout::Template(t, timefmt) => {
                if t.drops_line {
                    return;
                }
                let start = out.len();
                for tok in &t.tokens {
                    let used = out.len() - start;
                    match tok {
                        Token::Lit(l) => {
                            let room = LINE_CAP.saturating_sub(used);
                            out.extend_from_slice(&l[..l.len().min(room)]);
                        }
                        Token::Watch => {
                            if used + ev.watch.len() <= LINE_CAP {
                                out.extend_from_slice(ev.watch);
                            }
                        }
                        Token::File => {
                            if used < LINE_CAP {
                                out.extend_from_slice(ev.name);
                            }
                        }
                        Token::Events(sep) => {
                            if used < LINE_CAP {
                                render_mask(ev.mask, *sep, out);
                                out.truncate(start + LINE_CAP.max(used));
                            }
                        }
                        Token::Cookie => {
                            if used < LINE_CAP {
                                out.extend_from_slice(format!("{:x}", ev.cookie).as_bytes());
                                out.truncate(start + LINE_CAP.max(used));
                            }
                        }
                        Token::Synthetic => {
                            if used < LINE_CAP {
                                out.push(if ev.synthetic { b'1' } else { b'0' });
                            }
                        }
                        Token::Time => {
                            let text = match timefmt {
                                Some(f) => self.clock.now(f),
                                None => &[][..],
                            };
                            if text.is_empty() {
                                out.truncate(start);
                                return;
                            }
                            if used < LINE_CAP {
                                out.extend_from_slice(text);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn bool_text(b: bool) -> &'static [u8] {
    if b { b"true" } else { b"false" }
}

/// Most event masks kept rendered as a JSON array (a run sees a handful).
const MASKS_KEPT: usize = 32;

/// `--json` rendering, with what repeats from one event to the next kept rendered: the
/// read's time, the last watch's escaped text, and the events arrays of the masks seen.
#[derive(Debug, Default)]
struct JsonLines {
    clock: json::Clock,
    /// The last watch, raw, and its escaped text (without quotes) and exactness.
    watch: Vec<u8>,
    watch_text: Vec<u8>,
    watch_exact: bool,
    masks: Vec<(u32, Box<[u8]>)>,
    /// Scratch for `path_base64` (only for names that are not UTF-8).
    path: Vec<u8>,
}

impl JsonLines {
    fn render(&mut self, ev: &Event<'_>, backend: &str, out: &mut Vec<u8>) {
        if self.watch_text.is_empty() || self.watch != ev.watch {
            self.watch.clear();
            self.watch.extend_from_slice(ev.watch);
            self.watch_text.clear();
            self.watch_exact = json::string_body(ev.watch, &mut self.watch_text);
        }
        out.extend_from_slice(b"{\"time\":");
        self.clock.read_time(out);
        out.extend_from_slice(b",\"watch\":\"");
        out.extend_from_slice(&self.watch_text);
        out.extend_from_slice(b"\",\"name\":\"");
        let start = out.len();
        let name = json::string_body(ev.name, out);
        let name_text = start..out.len();
        out.extend_from_slice(b"\",\"path\":\"");
        out.extend_from_slice(&self.watch_text);
        out.extend_from_within(name_text);
        out.extend_from_slice(b"\",\"events\":");
        self.events(ev.mask, out);
        out.extend_from_slice(b",\"dir\":");
        out.extend_from_slice(bool_text(ev.mask & bits::ISDIR != 0));
        out.extend_from_slice(b",\"cookie\":");
        json::uint(u64::from(ev.cookie), out);
        out.extend_from_slice(b",\"synthetic\":");
        out.extend_from_slice(bool_text(ev.synthetic));
        out.extend_from_slice(b",\"backend\":\"");
        out.extend_from_slice(backend.as_bytes());
        out.push(b'"');
        let watch = self.watch_exact;
        json::base64_field("watch", ev.watch, watch, out);
        json::base64_field("name", ev.name, name, out);
        if !(watch && name) {
            self.path.clear();
            self.path.extend_from_slice(ev.watch);
            self.path.extend_from_slice(ev.name);
            json::base64_field("path", &self.path, false, out);
        }
        out.extend_from_slice(b"}\n");
    }

    /// Appends the `events` array of `mask`: the names `%e` prints, or its hex form.
    fn events(&mut self, mask: u32, out: &mut Vec<u8>) {
        if let Some((_, text)) = self.masks.iter().find(|(m, _)| *m == mask) {
            out.extend_from_slice(text);
            return;
        }
        let mut text = vec![b'['];
        for n in mask_names(mask) {
            if text.len() > 1 {
                text.push(b',');
            }
            text.push(b'"');
            text.extend_from_slice(n.as_bytes());
            text.push(b'"');
        }
        if text.len() == 1 {
            text.extend_from_slice(format!("\"0x{mask:08x}\"").as_bytes());
        }
        text.push(b']');
        out.extend_from_slice(&text);
        if self.masks.len() < MASKS_KEPT {
            self.masks.push((mask, text.into()));
        }
    }
}

/// Appends one CSV field: quoted iff it contains `"`, `,` or a newline, or begins or ends
/// with a space; quotes inside are doubled. Fields longer than 4096 bytes print as empty.
pub fn csv_field(field: &[u8], out: &mut Vec<u8>) {
    if field.len() > 4096 {
        return;
    }
    let quote = field.iter().any(|&b| b == b'"' || b == b',' || b == b'\n')
        || field.first() == Some(&b' ')
        || field.last() == Some(&b' ');
    if !quote {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::bits::*;

    fn ev<'a>(mask: u32, watch: &'a str, name: &'a str, cookie: u32) -> Event<'a> {
        Event {
            wd: 1,
            mask,
            cookie,
            watch: watch.as_bytes(),
            name: name.as_bytes(),
            synthetic: false,
        }
    }

    fn render(layout: Layout, e: &Event<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        Formatter::new(layout).render(e, &mut out);
        out
    }

    fn tpl(f: &str, newline: bool) -> Layout {
        Layout::Template(Template::parse(f.as_bytes(), newline).unwrap(), None)
    }

    #[test]
    fn default_layout() {
        let cases: &[(Event<'_>, &str)] = &[
            (ev(CREATE, "./", "x", 0), "./ CREATE x\n"),
            (ev(MODIFY, "f", "", 0), "f MODIFY \n"),
            (ev(CREATE | ISDIR, "./", "d", 0), "./ CREATE,ISDIR d\n"),
            (ev(Q_OVERFLOW, "", "", 0), " Q_OVERFLOW \n"),
            (ev(CLOSE_WRITE, "./", "f", 0), "./ CLOSE_WRITE,CLOSE f\n"),
        ];
        for (e, want) in cases {
            assert_eq!(render(Layout::Default, e), want.as_bytes());
        }
    }

    #[test]
    fn csv_quoting() {
        let cases: &[(Event<'_>, &str)] = &[
            (ev(CREATE, "a dir/", "x y", 0), "a dir/,CREATE,x y\n"),
            (
                ev(CREATE, "b,dir/", "p,q", 0),
                "\"b,dir/\",CREATE,\"p,q\"\n",
            ),
            (ev(CREATE, " lead/", " s", 0), "\" lead/\",CREATE,\" s\"\n"),
            (ev(CREATE, "trail /", "t ", 0), "trail /,CREATE,\"t \"\n"),
            (
                ev(CREATE, "q\"d/", "a\"b", 0),
                "\"q\"\"d/\",CREATE,\"a\"\"b\"\n",
            ),
            (
                ev(CLOSE_WRITE, "./", "f", 0),
                "./,\"CLOSE_WRITE,CLOSE\",f\n",
            ),
            (ev(MODIFY, "f", "", 0), "f,MODIFY,\n"),
            (
                ev(CREATE | ISDIR, "./", "sub", 0),
                "./,\"CREATE,ISDIR\",sub\n",
            ),
            (ev(Q_OVERFLOW, "", "", 0), "Q_OVERFLOW,\n"),
            (ev(CREATE, "./", "a\nb", 0), "./,CREATE,\"a\nb\"\n"),
        ];
        for (e, want) in cases {
            assert_eq!(render(Layout::Csv, e), want.as_bytes());
        }
    }

    #[test]
    fn template_directives() {
        let e = ev(ATTRIB, "./", "f", 0);
        let cases: &[(&str, bool, &[u8])] = &[
            (
                "%w|%f|%e|%:e|%c|%%|%z|%n|%0|\\n",
                true,
                b"./|f|ATTRIB|ATTRIB|0|%|%z|\n|\0|\\n\n",
            ),
            ("%ee %%e", true, b"ATTRIBe %e\n"),
            ("%e", false, b"ATTRIB"),
            ("", true, b"\n"),
            ("%", false, b""),
            ("%", true, b"%\n"),
            ("a%", false, b""),
        ];
        for &(f, nl, want) in cases {
            assert_eq!(render(tpl(f, nl), &e), want, "{f:?}");
        }
        let m = ev(MOVED_FROM, "./", "src", 0x1a2b);
        assert_eq!(
            render(tpl("%c %e %w%f", true), &m),
            b"1a2b MOVED_FROM ./src\n"
        );
        let c = ev(CLOSE_WRITE, "./", "f", 0);
        assert_eq!(render(tpl("% e", true), &c), b"CLOSE_WRITE CLOSE\n");
    }

    #[test]
    fn format_limits() {
        assert_eq!(Template::parse(b"", false), Err(BadFormat));
        assert!(Template::parse(&[b'x'; 4095], true).is_ok());
        assert_eq!(Template::parse(&[b'x'; 4096], true), Err(BadFormat));
        assert!(Template::parse(&[b'x'; 4096], false).is_ok());
        let e = ev(ATTRIB, "./", "f", 0);
        let out = render(tpl(&"x".repeat(4095), true), &e);
        assert_eq!(out, vec![b'x'; 4095]);
        let mut want = vec![b'x'; 4093];
        want.extend_from_slice(b"./");
        assert_eq!(
            render(tpl(&format!("{}%w", "x".repeat(4093)), false), &e),
            want
        );
    }
}
