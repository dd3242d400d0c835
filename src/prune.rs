//! `--prune` patterns: gitignore-style globs on directory paths relative to a watched root.
//!
//! `--prune GLOB` and `--prune-from FILE` name directories that are never watched. The
//! patterns follow gitignore(5), and are only ever asked about directories, by their path
//! relative to the watched root (`/`-separated, no leading `./`, no leading or trailing
//! `/`: `src/node_modules`).
//!
//! Every pattern is translated to a `regex::bytes` expression (Unicode off: patterns and
//! paths are arbitrary bytes, every literal byte is written `\xHH`) and they are compiled
//! into [`RegexSet`]s of up to [`CHUNK`] patterns each, so [`PruneSet::prunes`] runs in
//! time linear in the path (times the number of sets: one for any usual `.gitignore`) and
//! allocates nothing unless a path matches and some pattern is a negation. As in git the
//! last matching pattern decides: a `!` pattern re-includes.
//!
//! Rules (gitignore(5)):
//! - In a file, blank lines and lines starting with `#` are skipped; a `\r` before the
//!   `\n` is dropped. `\#` and `\!` at the start are literal.
//! - Trailing spaces are dropped unless escaped (`foo\ ` ends in one space); tabs stay.
//! - `!` negates. One trailing `/` ("directories only") is dropped: everything asked is
//!   a directory.
//! - A pattern with a `/` at the start or in the middle (after that) is anchored: it
//!   matches the whole relative path (a leading `/` is dropped). Otherwise it matches the
//!   last component, at any depth.
//! - `*` is any run of bytes but `/`, `?` any byte but `/`; `\x` is `x` literally.
//! - `[...]`: ranges (a reversed one such as `[c-a]` matches nothing), `!` or `^` first
//!   negates, `]` first is literal, `\` escapes, `[:name:]` for the twelve POSIX classes
//!   (ASCII, C locale); a class never matches `/`. Parsed exactly like git's
//!   `wildmatch`, so `[[:x]` is the set `[`, `:`, `x`.
//! - `**` between slashes or the ends of an anchored pattern: a leading `**/` or a
//!   middle `/**/` is zero or more whole components, a trailing `/**` is everything
//!   inside; any other run of stars (`a**b`, `**foo`) is a plain `*`.
//! - Case-sensitive.
//!
//! Decisions where git is silent or odd:
//! - Errors rather than "matches nothing": an empty pattern (also `!`, `/`, `//`, blank
//!   or a comment given to `--prune`), an unterminated `[` (also `[a\`), a trailing `\`,
//!   an unknown `[:name:]`. A pattern whose translation exceeds the regex size limits is
//!   an error too.
//! - An escaped slash `\/` is a slash (git's `**\/` never skips zero components; here
//!   it does, like `**/`).
//! - git matches the literal start of an anchored pattern separately and so treats
//!   `a**/b` as `a` followed by a `**/`; here it is a plain `*` as gitignore(5) says.
//! - A NUL byte in a pattern is an ordinary byte (git stops at it).

use regex::bytes::{RegexSet, RegexSetBuilder};
use std::fmt;
use std::fmt::Write as _;

use crate::byteset::{self, ByteSet};

/// A compiled list of prune patterns; empty prunes nothing.
#[derive(Debug, Default, Clone)]
pub struct PruneSet {
    /// The regex translation of each pattern, in the order given (the set is rebuilt
    /// from them when patterns are added).
    regexes: Vec<String>,
    /// Per pattern: whether it is a `!` negation.
    negated: Vec<bool>,
    /// Whether any pattern is a negation (if not, any match prunes).
    any_negated: bool,
    /// `regexes` compiled, [`CHUNK`] consecutive patterns per set (the last one may have
    /// fewer).
    chunks: Vec<RegexSet>,
}

/// Patterns per compiled set. One set of thousands of patterns outgrows the lazy DFA's
/// cache, and the regex crate then falls back to a much slower engine (5000 patterns:
/// 30 ms per path instead of 1 µs) or fails the size limit; sets of this size stay in
/// the DFA, and adding a pattern recompiles only the last set.
const CHUNK: usize = 256;

/// A rejected pattern and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as given (for a file: the line, without its `\r\n`).
    pub pattern: Vec<u8>,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The caller names the option (and the file and line).
        f.write_str(&self.reason)
    }
}

impl std::error::Error for PatternError {}

const EMPTY: &str = "empty pattern";
const TRAILING_BACKSLASH: &str = "trailing backslash";
const UNTERMINATED: &str = "unterminated character class";

/// One pattern after the line rules: its regex and whether it negates.
struct Compiled {
    regex: String,
    negated: bool,
}

impl PruneSet {
    /// An empty set: prunes nothing.
    pub fn new() -> PruneSet {
        PruneSet::default()
    }

    /// Adds one pattern as given to `--prune`. An empty pattern, or one that is only a
    /// comment or blank after the gitignore rules, is an error ("empty pattern"). On
    /// error the set is unchanged.
    pub fn add(&mut self, pattern: &[u8]) -> Result<(), PatternError> {
        let compiled = parse(pattern)?.ok_or_else(|| error(pattern, EMPTY))?;
        self.extend(vec![compiled])
            .map_err(|(_, e)| error(pattern, &e.to_string()))
    }

    /// Adds the patterns in the text of a `--prune-from` file: one per line (`\n`, a
    /// `\r` before it dropped), blank lines and `#` comments skipped as in `.gitignore`.
    /// The error carries the 1-based line number; on error the set is unchanged (no line
    /// of the text is added).
    pub fn add_lines(&mut self, text: &[u8]) -> Result<(), (usize, PatternError)> {
        let mut compiled = Vec::new();
        let mut lines = Vec::new();
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match parse(line) {
                Ok(Some(c)) => {
                    compiled.push(c);
                    lines.push((i + 1, line));
                }
                Ok(None) => {}
                Err(e) => return Err((i + 1, e)),
            }
        }
        self.extend(compiled).map_err(|(i, e)| {
            let (number, line) = lines.get(i).copied().unwrap_or((0, b""));
            (number, error(line, &e.to_string()))
        })
    }

    /// Whether there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty()
    }

    /// The number of patterns (blank lines and comments are not patterns).
    pub fn len(&self) -> usize {
        self.regexes.len()
    }

    /// Whether the directory at `rel` (relative to the watched root: `/`-separated, no
    /// leading or trailing `/`) is pruned: the last pattern that matches it is not a
    /// negation. The root itself (`rel` empty) is never pruned.
    pub fn prunes(&self, rel: &[u8]) -> bool {
        if rel.is_empty() {
            return false;
        }
        // The last matching pattern decides: it is in the last set that matches.
        let Some((k, set)) = self
            .chunks
            .iter()
            .enumerate()
            .rev()
            .find(|(_, set)| set.is_match(rel))
        else {
            return false;
        };
        if !self.any_negated {
            return true;
        }
        // Only now the (allocating) list of the set's matching patterns.
        set.matches(rel)
            .iter()
            .next_back()
            .is_some_and(|i| self.negated.get(k * CHUNK + i) == Some(&false))
    }

    /// Appends patterns and recompiles the sets they fall in. On error nothing is
    /// appended, and the error names one of `compiled` by index: the first that is too big
    /// on its own, else the last of the set that is too big.
    fn extend(&mut self, compiled: Vec<Compiled>) -> Result<(), (usize, regex::Error)> {
        if compiled.is_empty() {
            return Ok(());
        }
        let old = self.regexes.len();
        for c in compiled {
            self.regexes.push(c.regex);
            self.negated.push(c.negated);
        }
        let first = old / CHUNK;
        let mut built = Vec::new();
        for (k, regexes) in self.regexes.chunks(CHUNK).enumerate().skip(first) {
            match build(regexes) {
                Ok(set) => built.push(set),
                Err(e) => {
                    let end = k * CHUNK + regexes.len();
                    let culprit = ((k * CHUNK).max(old)..end)
                        .find_map(|i| Some(i).zip(build(&self.regexes[i..=i]).err()))
                        .unwrap_or((end - 1, e));
                    self.regexes.truncate(old);
                    self.negated.truncate(old);
                    return Err((culprit.0.saturating_sub(old), culprit.1));
                }
            }
        }
        self.chunks.truncate(first);
        self.chunks.extend(built);
        self.any_negated = self.negated.contains(&true);
        Ok(())
    }
}

fn error(pattern: &[u8], reason: &str) -> PatternError {
    PatternError {
        pattern: pattern.to_vec(),
        reason: reason.to_owned(),
    }
}

/// Compiles translated patterns (see [`translate`]) into one set.
fn build(regexes: &[String]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(regexes)
        .unicode(false)
        .dot_matches_new_line(true)
        .size_limit(SIZE_LIMIT)
        .build()
}

/// The limit on a compiled set's size: the regex crate's default (a pattern of some
/// 300,000 `?` exceeds it). The tests lower it to reach it cheaply.
#[cfg(not(test))]
const SIZE_LIMIT: usize = 10 << 20;
#[cfg(test)]
const SIZE_LIMIT: usize = 1 << 20;

/// Applies the gitignore line rules to one pattern and translates it: `None` for a blank
/// line or a comment.
fn parse(raw: &[u8]) -> Result<Option<Compiled>, PatternError> {
    if raw.first() == Some(&b'#') {
        return Ok(None);
    }
    let pattern = trim_trailing_spaces(raw);
    if pattern.is_empty() {
        return Ok(None);
    }
    let (negated, pattern) = match pattern.strip_prefix(b"!") {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let pattern = pattern.strip_suffix(b"/").unwrap_or(pattern);
    let anchored = pattern.contains(&b'/');
    let pattern = pattern.strip_prefix(b"/").unwrap_or(pattern);
    if pattern.is_empty() {
        return Err(error(raw, EMPTY));
    }
    let tokens = tokenize(pattern).map_err(|reason| error(raw, &reason))?;
    Ok(Some(Compiled {
        regex: translate(&tokens, anchored),
        negated,
    }))
}

/// Drops trailing spaces that are not escaped by a backslash (git's
/// `trim_trailing_spaces`).
fn trim_trailing_spaces(pattern: &[u8]) -> &[u8] {
    // Where the current run of unescaped spaces starts.
    let mut first_space = None;
    let mut i = 0;
    while let Some(&b) = pattern.get(i) {
        match b {
            b' ' => {
                first_space.get_or_insert(i);
            }
            b'\\' => {
                // The escaped byte (a space included) ends a run of spaces.
                i += 1;
                first_space = None;
            }
            _ => first_space = None,
        }
        i += 1;
    }
    &pattern[..first_space.unwrap_or(pattern.len())]
}

/// One element of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A literal byte other than `/`.
    Byte(u8),
    /// `/`, escaped or not.
    Slash,
    /// `?`.
    Any,
    /// A run of `n` unescaped `*`.
    Stars(usize),
    /// `[...]`, already without `/`.
    Class(ByteSet),
}

fn tokenize(pattern: &[u8]) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&b) = pattern.get(i) {
        i += 1;
        tokens.push(match b {
            b'\\' => {
                let Some(&escaped) = pattern.get(i) else {
                    return Err(TRAILING_BACKSLASH.to_owned());
                };
                i += 1;
                if escaped == b'/' {
                    Token::Slash
                } else {
                    Token::Byte(escaped)
                }
            }
            b'/' => Token::Slash,
            b'?' => Token::Any,
            b'*' => {
                let more = pattern[i..].iter().take_while(|&&b| b == b'*').count();
                i += more;
                Token::Stars(1 + more)
            }
            b'[' => {
                let (set, next) = class(pattern, i)?;
                i = next;
                Token::Class(set)
            }
            _ => Token::Byte(b),
        });
    }
    Ok(tokens)
}

/// Parses the bracket expression whose body starts at `pattern[start]` (just after the
/// `[`) the way git's `wildmatch` reads it; returns the bytes it matches (never `/`) and
/// the index after its closing `]`.
fn class(pattern: &[u8], start: usize) -> Result<(ByteSet, usize), String> {
    let unterminated = || UNTERMINATED.to_owned();
    let mut i = start;
    let negated = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut set = ByteSet::EMPTY;
    // The previous single byte, which a following `-` makes the start of a range.
    let mut prev: Option<u8> = None;
    let mut first = true;
    loop {
        let &b = pattern.get(i).ok_or_else(unterminated)?;
        if b == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        match b {
            b'\\' => {
                let &escaped = pattern.get(i + 1).ok_or_else(unterminated)?;
                set.insert(escaped);
                prev = Some(escaped);
                i += 2;
            }
            b'-' if prev.is_some() && pattern.get(i + 1).is_some_and(|&n| n != b']') => {
                let (high, next) = match pattern.get(i + 1) {
                    Some(b'\\') => (*pattern.get(i + 2).ok_or_else(unterminated)?, i + 3),
                    Some(&high) => (high, i + 2),
                    None => return Err(unterminated()),
                };
                if let Some(low) = prev {
                    // A reversed range is empty.
                    set.insert_range(low, high);
                }
                prev = None;
                i = next;
            }
            b'[' if pattern.get(i + 1) == Some(&b':') => {
                let name_start = i + 2;
                let close = pattern[name_start..]
                    .iter()
                    .position(|&b| b == b']')
                    .map(|p| name_start + p)
                    .ok_or_else(unterminated)?;
                if close == name_start || pattern[close - 1] != b':' {
                    // Not `[:name:]`: the `[` is literal and the rest is read on.
                    set.insert(b'[');
                    prev = Some(b'[');
                    i += 1;
                } else {
                    let name = &pattern[name_start..close - 1];
                    let named = byteset::named(name).ok_or_else(|| {
                        format!(
                            "unknown character class [:{}:]",
                            String::from_utf8_lossy(name)
                        )
                    })?;
                    set.union(&named);
                    prev = None;
                    i = close + 1;
                }
            }
            _ => {
                set.insert(b);
                prev = Some(b);
                i += 1;
            }
        }
    }
    if negated {
        set = set.complement();
    }
    // A class never matches a slash.
    set.remove(b'/');
    Ok((set, i))
}

/// The regex (for Unicode off, `.` matching `\n`) matching the whole relative path when
/// the glob does: the whole path for an anchored glob, else its last component.
fn translate(tokens: &[Token], anchored: bool) -> String {
    let mut re = String::from(if anchored { "^" } else { "^(?:.*/)?" });
    let is_slash = |i: Option<usize>| i.and_then(|i| tokens.get(i)) == Some(&Token::Slash);
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        match token {
            Token::Byte(b) => {
                let _ = write!(re, "\\x{b:02X}");
            }
            Token::Slash => re.push('/'),
            Token::Any => re.push_str("[^/]"),
            Token::Class(set) => re.push_str(&byteset::regex_class(set)),
            &Token::Stars(n) => {
                let globstar = anchored
                    && n >= 2
                    && (i == 0 || is_slash(i.checked_sub(1)))
                    && (i + 1 == tokens.len() || is_slash(Some(i + 1)));
                if !globstar {
                    re.push_str("[^/]*");
                } else if i + 1 == tokens.len() {
                    re.push_str(".*");
                } else {
                    // `**/`: zero or more components, each with its slash.
                    re.push_str("(?:.*/)?");
                    i += 1;
                }
            }
        }
        i += 1;
    }
    re.push('$');
    re
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(patterns: &[&[u8]]) -> PruneSet {
        let mut s = PruneSet::new();
        for p in patterns {
            if let Err(e) = s.add(p) {
                panic!("{:?}: {e}", String::from_utf8_lossy(p));
            }
        }
        s
    }

    /// Patterns in order, a path, whether it is pruned.
    type Row = (&'static [&'static [u8]], &'static [u8], bool);

    const TABLE: &[Row] = &[
        // A name without a slash: the last component at any depth.
        (&[b"node_modules"], b"node_modules", true),
        (&[b"node_modules"], b"a/node_modules", true),
        (&[b"node_modules"], b"a/b/node_modules", true),
        (&[b"node_modules"], b"node_modules2", false),
        (&[b"node_modules"], b"xnode_modules", false),
        (&[b"node_modules"], b"node_modules/a", false),
        (&[b"node_modules"], b"a/node_modules/b", false),
        (&[b"target"], b"target", true),
        (&[b"target"], b"crates/x/target", true),
        (&[b"target"], b"targets", false),
        // Leading `**/`.
        (&[b"**/build"], b"build", true),
        (&[b"**/build"], b"x/build", true),
        (&[b"**/build"], b"x/y/build", true),
        (&[b"**/build"], b"xbuild", false),
        (&[b"**/build"], b"build/x", false),
        // Leading `/`: anchored.
        (&[b"/build"], b"build", true),
        (&[b"/build"], b"a/build", false),
        (&[b"/a/"], b"a", true),
        (&[b"/a/"], b"x/a", false),
        // Trailing `/`: dropped.
        (&[b"build/"], b"build", true),
        (&[b"build/"], b"a/build", true),
        (&[b"*.cache/"], b"x.cache", true),
        (&[b"*.cache/"], b"a/.cache", true),
        (&[b"*.cache/"], b"a/b/y.cache", true),
        (&[b"*.cache/"], b"a.cache.d", false),
        // A slash in the middle: anchored, `*` stays in one component.
        (&[b"a/*/c"], b"a/b/c", true),
        (&[b"a/*/c"], b"a//c", true),
        (&[b"a/*/c"], b"a/b/x/c", false),
        (&[b"a/*/c"], b"x/a/b/c", false),
        (&[b"a/b"], b"a/b", true),
        (&[b"a/b"], b"x/a/b", false),
        (&[b"/a*c"], b"abc", true),
        (&[b"/a*c"], b"ac", true),
        (&[b"/a*c"], b"a/c", false),
        (&[b"/a?c"], b"abc", true),
        (&[b"/a?c"], b"a/c", false),
        (&[b"/a[/]c"], b"a/c", false),
        (&[b"/a[!b]c"], b"a/c", false),
        // `/**/` in the middle: zero or more components.
        (&[b"a/**/c"], b"a/c", true),
        (&[b"a/**/c"], b"a/b/c", true),
        (&[b"a/**/c"], b"a/b/x/c", true),
        (&[b"a/**/c"], b"b/a/c", false),
        (&[b"a/**/c"], b"a/cc", false),
        (&[b"a/**/c"], b"a/c/d", false),
        (&[b"a/***/c"], b"a/c", true),
        (&[b"a/**/**/c"], b"a/c", true),
        (&[b"a/**/**/c"], b"a/x/y/c", true),
        // Trailing `/**`: everything inside, not the directory itself.
        (&[b"a/**"], b"a", false),
        (&[b"a/**"], b"a/x", true),
        (&[b"a/**"], b"a/x/y", true),
        (&[b"a/**"], b"b/a/x", false),
        (&[b"a/**/"], b"a/x", true),
        (&[b"/**"], b"x/y", true),
        (&[b"**"], b"x/y", true),
        (&[b"**/"], b"x", true),
        // Other `**` are plain `*`.
        (&[b"/x/a**b"], b"x/ab", true),
        (&[b"/x/a**b"], b"x/ayyb", true),
        (&[b"/x/a**b"], b"x/a/b", false),
        (&[b"/x/**foo"], b"x/afoo", true),
        (&[b"/x/**foo"], b"x/a/foo", false),
        (&[b"a**/b"], b"ax/b", true),
        (&[b"a**/b"], b"a/x/b", false),
        (&[b"**foo"], b"x/afoo", true),
        (&[b"foo**"], b"x/foo", true),
        // Negation: the last matching pattern wins.
        (&[b"build", b"!keep/build"], b"build", true),
        (&[b"build", b"!keep/build"], b"x/build", true),
        (&[b"build", b"!keep/build"], b"keep/build", false),
        (&[b"!keep/build", b"build"], b"keep/build", true),
        (&[b"*", b"!a"], b"a", false),
        (&[b"*", b"!a"], b"x/a", false),
        (&[b"*", b"!a"], b"b", true),
        (&[b"!a"], b"a", false),
        (&[b"!a", b"!b"], b"c", false),
        (&[b"a", b"!a", b"a"], b"a", true),
        (&[b"!!a"], b"!a", false),
        // Escaped `!` and `#`.
        (&[b"\\!x"], b"!x", true),
        (&[b"\\!x"], b"x", false),
        (&[b"\\#x"], b"#x", true),
        (&[b"\\#x"], b"x", false),
        (&[b"x#"], b"x#", true),
        // Trailing spaces: dropped unless escaped; tabs stay.
        (&[b"foo  "], b"foo", true),
        (&[b"foo  "], b"foo ", false),
        (&[b"foo\\ "], b"foo ", true),
        (&[b"foo\\ "], b"foo", false),
        (&[b"foo\\  "], b"foo ", true),
        (&[b"foo\\  "], b"foo  ", false),
        (&[b"f o"], b"f o", true),
        (&[b"foo\t"], b"foo\t", true),
        (&[b"foo\t"], b"foo", false),
        (&[b"foo\\\\ "], b"foo\\", true),
        // Escapes.
        (&[b"\\*"], b"*", true),
        (&[b"\\*"], b"a", false),
        (&[b"\\?"], b"a", false),
        (&[b"\\[a]"], b"[a]", true),
        (&[b"\\a"], b"a", true),
        (&[b"a\\/b"], b"a/b", true),
        (&[b"a\\/b"], b"x/a/b", false),
        // Classes.
        (&[b"[abc]"], b"a", true),
        (&[b"[abc]"], b"x/c", true),
        (&[b"[abc]"], b"d", false),
        (&[b"[abc]"], b"ab", false),
        (&[b"[!a]x"], b"bx", true),
        (&[b"[!a]x"], b"ax", false),
        (&[b"[!a]x"], b"a/x", false),
        (&[b"[^a]x"], b"bx", true),
        (&[b"[^a]x"], b"ax", false),
        (&[b"[a-c]"], b"b", true),
        (&[b"[a-c]"], b"d", false),
        (&[b"[a-c]"], b"-", false),
        (&[b"[a-]"], b"-", true),
        (&[b"[-a]"], b"-", true),
        (&[b"[c-a]"], b"b", false),
        (&[b"[c-a]"], b"a", false),
        (&[b"[a-c-e]"], b"-", true),
        (&[b"[a-c-e]"], b"d", false),
        (&[b"[]]"], b"]", true),
        (&[b"[]]"], b"a", false),
        (&[b"[]a]"], b"a", true),
        (&[b"[!]]"], b"a", true),
        (&[b"[!]]"], b"]", false),
        (&[b"[\\]]"], b"]", true),
        (&[b"[\\!]"], b"!", true),
        (&[b"[a\\-c]"], b"b", false),
        (&[b"[a\\-c]"], b"-", true),
        (&[b"[[:digit:]]"], b"5", true),
        (&[b"[[:digit:]]"], b"a", false),
        (&[b"[![:digit:]]"], b"a", true),
        (&[b"[[:alpha:]][[:digit:]]"], b"x1", true),
        (&[b"[[:alpha:][:digit:]]"], b"1", true),
        (&[b"[[:alnum:]]"], b"Z", true),
        (&[b"[[:alnum:]]"], b"_", false),
        (&[b"[[:upper:]]"], b"A", true),
        (&[b"[[:upper:]]"], b"a", false),
        (&[b"[[:lower:]]"], b"a", true),
        (&[b"[[:lower:]]"], b"A", false),
        (&[b"[[:space:]]"], b" ", true),
        (&[b"[[:space:]]"], b"\n", true),
        (&[b"[[:punct:]]"], b"!", true),
        (&[b"[[:punct:]]"], b"a", false),
        (&[b"[[:xdigit:]]"], b"f", true),
        (&[b"[[:xdigit:]]"], b"g", false),
        (&[b"[[:blank:]]"], b"\t", true),
        (&[b"[[:cntrl:]]"], b"\x7f", true),
        (&[b"[[:print:]]"], b" ", true),
        (&[b"[[:graph:]]"], b" ", false),
        (&[b"[[:alpha:]-z]"], b"-", true),
        (&[b"[[:a]]"], b"a]", true),
        (&[b"[[:a]]"], b":]", true),
        (&[b"[[:a]]"], b"a", false),
        (&[b"[[:]]"], b":]", true),
        (&[b"[a[:]"], b":", true),
        // `?`.
        (&[b"?"], b"a", true),
        (&[b"?"], b"x/a", true),
        (&[b"?"], b"ab", false),
        (&[b"x/?"], b"x/a", true),
        (&[b"x/?"], b"x/ab", false),
        // Arbitrary bytes.
        (&[b"caf\xe9"], b"x/caf\xe9", true),
        (&[b"caf\xe9"], b"caf\xc3\xa9", false),
        (&[b"caf\xc3\xa9"], b"caf\xc3\xa9", true),
        (&[b"\xff*"], b"\xff\xfe", true),
        (&[b"?"], b"\xff", true),
        (&[b"??"], b"\xc3\xa9", true),
        (&[b"[\x80-\xff]"], b"\x90", true),
        (&[b"[\x80-\xff]"], b"a", false),
        (&[b"[!a]"], b"\xff", true),
        (&[b"a\nb"], b"a\nb", true),
        (&[b"*"], b"a\nb", true),
        (&[b"a\x00"], b"a\x00", true),
        // Regex metacharacters are literal.
        (&[b"a+b"], b"a+b", true),
        (&[b"a+b"], b"aab", false),
        (&[b"(x)"], b"(x)", true),
        (&[b"(x)"], b"x", false),
        (&[b"."], b".", true),
        (&[b"."], b"a", false),
        (&[b"$"], b"$", true),
        (&[b"^"], b"^", true),
        (&[b"{"], b"{", true),
        (&[b"a{2}"], b"a{2}", true),
        (&[b"a{2}"], b"aa", false),
        (&[b"|"], b"|", true),
        (&[b"a|b"], b"a", false),
        (&[b"a|b"], b"a|b", true),
        (&[b"\\d"], b"d", true),
        (&[b"\\d"], b"1", false),
        // Case-sensitive.
        (&[b"Build"], b"build", false),
        (&[b"[A-Z]"], b"a", false),
        // The root is never pruned.
        (&[b"*"], b"", false),
        (&[b"/**"], b"", false),
        (&[], b"a", false),
    ];

    #[test]
    fn table() {
        let mut failures = Vec::new();
        for &(patterns, path, expected) in TABLE {
            if set(patterns).prunes(path) != expected {
                failures.push(format!(
                    "{:?} on {:?}: expected {expected}",
                    patterns
                        .iter()
                        .map(|p| String::from_utf8_lossy(p))
                        .collect::<Vec<_>>(),
                    String::from_utf8_lossy(path)
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn errors() {
        let rows: &[(&[u8], &str)] = &[
            (b"", EMPTY),
            (b"   ", EMPTY),
            (b"#x", EMPTY),
            (b"#", EMPTY),
            (b"/", EMPTY),
            (b"//", EMPTY),
            (b"!", EMPTY),
            (b"! ", EMPTY),
            (b"!/", EMPTY),
            (b"[", UNTERMINATED),
            (b"[a", UNTERMINATED),
            (b"[]", UNTERMINATED),
            (b"[!]", UNTERMINATED),
            (b"[a\\", UNTERMINATED),
            (b"[a-\\", UNTERMINATED),
            (b"[[:alpha:]", UNTERMINATED),
            (b"[[:alpha", UNTERMINATED),
            (b"a[b/", UNTERMINATED),
            (b"a\\", TRAILING_BACKSLASH),
            (b"\\", TRAILING_BACKSLASH),
            (b"a\\/", TRAILING_BACKSLASH),
            (b"[[:foo:]]", "unknown character class [:foo:]"),
            (b"[[:ALPHA:]]", "unknown character class [:ALPHA:]"),
            (b"[[::]]", "unknown character class [::]"),
        ];
        for &(pattern, reason) in rows {
            let mut s = set(&[b"x"]);
            let expected = PatternError {
                pattern: pattern.to_vec(),
                reason: reason.to_owned(),
            };
            assert_eq!(
                s.add(pattern),
                Err(expected.clone()),
                "{:?}",
                String::from_utf8_lossy(pattern)
            );
            assert_eq!(expected.to_string(), reason);
            // Unchanged.
            assert_eq!(s.len(), 1);
            assert!(s.prunes(b"x"));
        }
    }

    /// A pattern of this many `?` is below [`SIZE_LIMIT`], two are not.
    const SPLIT: usize = 10_000;

    #[test]
    fn too_big() {
        let pattern = b"?".repeat(40_000);
        let mut s = PruneSet::new();
        let e = s.add(&pattern).unwrap_err();
        assert_eq!(e.pattern, pattern);
        assert!(e.reason.contains("size limit"), "{}", e.reason);
        assert!(s.is_empty());
        let text = [&b"a\n\n"[..], &pattern, b"\nb\n"].concat();
        let (line, e) = s.add_lines(&text).unwrap_err();
        assert_eq!((line, e.pattern), (3, pattern));
        assert!(s.is_empty());
        // Each fits, not all three in one set: the last one is named.
        let part = b"?".repeat(SPLIT);
        s.add(&part).unwrap();
        s.add(b"x").unwrap();
        let text = [
            &b"a
"[..],
            &part,
            b"
",
            &part,
            b"
",
        ]
        .concat();
        let (line, e) = s.add_lines(&text).unwrap_err();
        assert_eq!((line, e.pattern), (3, part));
        assert!(e.reason.contains("size limit"), "{}", e.reason);
        assert_eq!(s.len(), 2);
        assert!(s.prunes(b"x"));
    }

    #[test]
    fn gitignore_file() {
        let text = b"# Dependencies\n\
            node_modules/\n\
            /vendor\n\
            \n\
            # Build output\r\n\
            build/\r\n\
            !build/keep/\r\n\
            *.log   \n\
            \x20  \n\
            \r\n\
            \\#notacomment\n\
            target";
        let mut s = PruneSet::new();
        assert!(s.is_empty());
        s.add_lines(text).unwrap();
        assert_eq!(s.len(), 7);
        assert!(!s.is_empty());
        for (path, expected) in [
            (&b"node_modules"[..], true),
            (b"x/node_modules", true),
            (b"vendor", true),
            (b"x/vendor", false),
            (b"build", true),
            (b"x/build", true),
            (b"build/keep", false),
            (b"x.log", true),
            (b"x.log ", false),
            (b"#notacomment", true),
            (b"# Dependencies", false),
            (b"target", true),
            (b"src", false),
            (b"", false),
        ] {
            assert_eq!(
                s.prunes(path),
                expected,
                "{}",
                String::from_utf8_lossy(path)
            );
        }
        // Adding more keeps the earlier ones, in order.
        s.add_lines(b"!target\n").unwrap();
        s.add(b"src").unwrap();
        assert_eq!(s.len(), 9);
        assert!(!s.prunes(b"target"));
        assert!(s.prunes(b"src"));
        assert!(s.prunes(b"vendor"));
        // Nothing but blanks and comments is fine in a file.
        s.add_lines(b"\n# x\n   \n\r\n").unwrap();
        s.add_lines(b"").unwrap();
        assert_eq!(s.len(), 9);
    }

    #[test]
    fn file_errors() {
        let mut s = set(&[b"keep"]);
        let e = s.add_lines(b"a\r\n# c\r\n[x\r\nb\r\n").unwrap_err();
        assert_eq!(
            e,
            (
                3,
                PatternError {
                    pattern: b"[x".to_vec(),
                    reason: UNTERMINATED.to_owned()
                }
            )
        );
        // No line of a rejected file is added.
        assert_eq!(s.len(), 1);
        assert!(!s.prunes(b"a"));
        let (line, e) = s.add_lines(b"a\nb\n\n/\n").unwrap_err();
        assert_eq!((line, e.reason.as_str()), (4, EMPTY));
        let (line, e) = s.add_lines(b"x\\").unwrap_err();
        assert_eq!((line, e.reason.as_str()), (1, TRAILING_BACKSLASH));
        let (line, e) = s.add_lines(b"\n\n!\n").unwrap_err();
        assert_eq!((line, e.pattern), (3, b"!".to_vec()));
    }

    #[test]
    fn many_patterns_long_path() {
        let mut text = Vec::new();
        for i in 0..500 {
            text.extend_from_slice(
                match i % 5 {
                    0 => format!("dir{i}\n"),
                    1 => format!("/a{i}/b*\n"),
                    2 => format!("*.ext{i}\n"),
                    3 => format!("x{i}/**/y[0-9]\n"),
                    _ => format!("!keep{i}?\n"),
                }
                .as_bytes(),
            );
        }
        let mut s = PruneSet::new();
        s.add_lines(&text).unwrap();
        assert_eq!(s.len(), 500);
        let mut path = b"abcdefghi/".repeat(19);
        path.extend_from_slice(b"dir495");
        assert_eq!(path.len(), 196);
        let start = std::time::Instant::now();
        for _ in 0..1000 {
            assert!(s.prunes(&path));
            assert!(!s.prunes(&path[..190]));
        }
        eprintln!("2000 calls: {:?}", start.elapsed());
        assert!(s.prunes(b"x3/a/b/y7"));
        assert!(s.prunes(b"q/z.ext2"));
        assert!(!s.prunes(b"q/z.ext3"));
        path.extend_from_slice(b"/keep4z");
        assert!(!s.prunes(&path));
    }

    /// Patterns spread over several compiled sets: the last match still decides.
    #[test]
    fn across_sets() {
        let patterns: Vec<Vec<u8>> = (0..CHUNK * 3 + 10)
            .map(|i| {
                match i % 6 {
                    0 => format!("x{}", i % 3),
                    1 => format!("!x{}", i % 5),
                    2 => format!("/y/*{}", i % 4),
                    3 => format!("!y/**/{}", i % 3),
                    4 => format!("z{i}"),
                    _ => format!("!*{}", i % 7 + 3),
                }
                .into_bytes()
            })
            .collect();
        let patterns: Vec<&[u8]> = patterns.iter().map(|p| &p[..]).collect();
        let mut s = PruneSet::new();
        s.add_lines(&patterns[..CHUNK - 2].join(&b'\n')).unwrap();
        for p in &patterns[CHUNK - 2..CHUNK + 3] {
            s.add(p).unwrap();
        }
        s.add_lines(&patterns[CHUNK + 3..].join(&b'\n')).unwrap();
        assert_eq!(s.len(), patterns.len());
        assert_eq!(s.chunks.len(), 4);
        let (mut pruned, mut kept) = (0, 0);
        for path in [
            &b"x0"[..],
            b"x1",
            b"x2",
            b"a/x0",
            b"y/1",
            b"y/a0",
            b"y/b1",
            b"y/a2",
            b"y/3",
            b"y/q/0",
            b"z4",
            b"z10",
            b"z22",
            b"z700",
            b"z16",
            b"z772",
            b"x3",
            b"q",
        ] {
            let expected = model::prunes(&patterns, path);
            pruned += usize::from(expected);
            kept += usize::from(!expected);
            assert_eq!(
                s.prunes(path),
                expected,
                "{}",
                String::from_utf8_lossy(path)
            );
        }
        assert!(pruned >= 3 && kept >= 3, "{pruned} {kept}");
    }

    /// A reference model: gitignore's rules read straight off the pattern bytes, with a
    /// naive backtracking matcher.
    mod model {
        pub enum Parsed<'a> {
            /// Blank or a comment.
            Blank,
            Invalid,
            Pattern {
                negated: bool,
                anchored: bool,
                glob: &'a [u8],
            },
        }

        pub fn parse(raw: &[u8]) -> Parsed<'_> {
            if raw.starts_with(b"#") {
                return Parsed::Blank;
            }
            // Trailing spaces go, but a space after an odd run of backslashes stays.
            let spaces = raw.iter().rev().take_while(|&&b| b == b' ').count();
            let mut end = raw.len() - spaces;
            let backslashes = raw[..end].iter().rev().take_while(|&&b| b == b'\\').count();
            if spaces > 0 && backslashes % 2 == 1 {
                end += 1;
            }
            let mut p = &raw[..end];
            if p.is_empty() {
                return Parsed::Blank;
            }
            let negated = p[0] == b'!';
            if negated {
                p = &p[1..];
            }
            if p.last() == Some(&b'/') {
                p = &p[..p.len() - 1];
            }
            let anchored = p.contains(&b'/');
            if p.first() == Some(&b'/') {
                p = &p[1..];
            }
            if p.is_empty() || !valid(p) {
                return Parsed::Invalid;
            }
            Parsed::Pattern {
                negated,
                anchored,
                glob: p,
            }
        }

        fn valid(p: &[u8]) -> bool {
            let mut i = 0;
            while i < p.len() {
                i = match p[i] {
                    b'\\' if i + 1 == p.len() => return false,
                    b'\\' => i + 2,
                    b'[' => match class(p, i + 1, b'x') {
                        Some((_, next)) => next,
                        None => return false,
                    },
                    _ => i + 1,
                };
            }
            true
        }

        /// Whether `c` is in the class whose body starts at `p[i]`, and the index after
        /// it; `None` if malformed.
        fn class(p: &[u8], mut i: usize, c: u8) -> Option<(bool, usize)> {
            let negated = matches!(p.get(i), Some(b'!' | b'^'));
            if negated {
                i += 1;
            }
            let mut matched = false;
            let mut prev = None;
            let mut first = true;
            loop {
                let pc = *p.get(i)?;
                if pc == b']' && !first {
                    return Some((matched != negated && c != b'/', i + 1));
                }
                first = false;
                if pc == b'\\' {
                    let e = *p.get(i + 1)?;
                    matched |= e == c;
                    prev = Some(e);
                    i += 2;
                } else if let (b'-', Some(low), Some(&next)) = (pc, prev, p.get(i + 1))
                    && next != b']'
                {
                    let (high, after) = if next == b'\\' {
                        (*p.get(i + 2)?, i + 3)
                    } else {
                        (next, i + 2)
                    };
                    matched |= low <= c && c <= high;
                    prev = None;
                    i = after;
                } else if pc == b'[' && p.get(i + 1) == Some(&b':') {
                    let s = i + 2;
                    let close = s + p[s..].iter().position(|&b| b == b']')?;
                    if close == s || p[close - 1] != b':' {
                        matched |= c == b'[';
                        prev = Some(b'[');
                        i += 1;
                    } else {
                        matched |= match &p[s..close - 1] {
                            b"alnum" => c.is_ascii_alphanumeric(),
                            b"alpha" => c.is_ascii_alphabetic(),
                            b"digit" => c.is_ascii_digit(),
                            b"lower" => c.is_ascii_lowercase(),
                            b"upper" => c.is_ascii_uppercase(),
                            b"xdigit" => c.is_ascii_hexdigit(),
                            b"punct" => c.is_ascii_punctuation(),
                            b"space" => b" \t\n\r\x0b\x0c".contains(&c),
                            b"blank" => c == b' ' || c == b'\t',
                            b"cntrl" => c < 32 || c == 127,
                            b"graph" => (33..127).contains(&c),
                            b"print" => (32..127).contains(&c),
                            _ => return None,
                        };
                        prev = None;
                        i = close + 1;
                    }
                } else {
                    matched |= pc == c;
                    prev = Some(pc);
                    i += 1;
                }
            }
        }

        fn slash_at(p: &[u8], i: usize) -> Option<usize> {
            match p.get(i..) {
                Some([b'/', ..]) => Some(1),
                Some([b'\\', b'/', ..]) => Some(2),
                _ => None,
            }
        }

        /// Whether `p[pi..]` matches `t[ti..]` exactly.
        fn wild(p: &[u8], pi: usize, t: &[u8], ti: usize, anchored: bool) -> bool {
            let Some(&pc) = p.get(pi) else {
                return ti == t.len();
            };
            let tc = t.get(ti).copied();
            match pc {
                b'\\' => tc == Some(p[pi + 1]) && wild(p, pi + 2, t, ti + 1, anchored),
                b'?' => tc.is_some_and(|c| c != b'/') && wild(p, pi + 1, t, ti + 1, anchored),
                b'[' => tc.is_some_and(|c| {
                    let (m, next) = class(p, pi + 1, c).unwrap_or((false, 0));
                    m && wild(p, next, t, ti + 1, anchored)
                }),
                b'*' => {
                    let end = pi + p[pi..].iter().take_while(|&&b| b == b'*').count();
                    let globstar = anchored
                        && end - pi >= 2
                        && (pi == 0 || p[pi - 1] == b'/')
                        && (end == p.len() || slash_at(p, end).is_some());
                    if !globstar {
                        return (ti..=t.len())
                            .take_while(|&k| !t[ti..k].contains(&b'/'))
                            .any(|k| wild(p, end, t, k, anchored));
                    }
                    let Some(slash) = slash_at(p, end) else {
                        return true;
                    };
                    let rest = end + slash;
                    wild(p, rest, t, ti, anchored)
                        || (ti..t.len()).any(|k| t[k] == b'/' && wild(p, rest, t, k + 1, anchored))
                }
                _ => tc == Some(pc) && wild(p, pi + 1, t, ti + 1, anchored),
            }
        }

        pub fn prunes(patterns: &[&[u8]], path: &[u8]) -> bool {
            if path.is_empty() {
                return false;
            }
            let mut pruned = false;
            for p in patterns {
                if let Parsed::Pattern {
                    negated,
                    anchored,
                    glob,
                } = parse(p)
                {
                    let subject = if anchored {
                        path
                    } else {
                        path.rsplit(|&b| b == b'/').next().unwrap_or(path)
                    };
                    if wild(glob, 0, subject, 0, anchored) {
                        pruned = !negated;
                    }
                }
            }
            pruned
        }
    }

    /// The model agrees with the table (so that the property test checks the right thing).
    #[test]
    fn model_agrees_with_table() {
        for &(patterns, path, expected) in TABLE {
            assert_eq!(
                model::prunes(patterns, path),
                expected,
                "{:?} on {:?}",
                patterns
                    .iter()
                    .map(|p| String::from_utf8_lossy(p))
                    .collect::<Vec<_>>(),
                String::from_utf8_lossy(path)
            );
        }
    }

    /// Pieces of patterns, the common ones several times over.
    #[rustfmt::skip]
    const PIECES: &[&[u8]] = &[
        b"a", b"a", b"a", b"b", b"b", b"/", b"/", b"/", b"*", b"*", b"**", b"**", b"**/",
        b"/**/", b"/**", b"?", b"[ab]", b"[!a]", b"[a-b]", b"[]a]", b"\\a", b"\\*",
        b"\\/", b"!", b"#", b" ", b"\\ ", b"[", b"\\", b"[[:alpha:]]", b"[[:x]",
    ];

    const HEADS: &[&[u8]] = &[b"", b"", b"!", b"/", b"!/"];
    const TAILS: &[&[u8]] = &[b"", b"", b"/", b"  "];

    fn pattern() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::sample::select(HEADS),
            prop::collection::vec(prop::sample::select(PIECES), 1..6),
            prop::sample::select(TAILS),
        )
            .prop_map(|(head, body, tail)| [&[head][..], &body, &[tail]].concat().concat())
    }

    fn path() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop::collection::vec(prop::sample::select(&b"abc"[..]), 1..3),
            1..6,
        )
        .prop_map(|components| components.join(&b'/'))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// `add`, `add_lines` and `prunes` agree with the naive model.
        #[test]
        fn matches_model(
            patterns in prop::collection::vec(pattern(), 1..5),
            paths in prop::collection::vec(path(), 1..8),
        ) {
            let mut by_add = PruneSet::new();
            let mut first_invalid = None;
            for (i, p) in patterns.iter().enumerate() {
                let parsed = model::parse(p);
                let added = by_add.add(p);
                prop_assert_eq!(
                    added.is_ok(),
                    matches!(parsed, model::Parsed::Pattern { .. }),
                    "{:?}: {:?}", String::from_utf8_lossy(p), added
                );
                if matches!(parsed, model::Parsed::Invalid) {
                    first_invalid.get_or_insert(i + 1);
                }
            }
            let valid: Vec<&[u8]> = patterns
                .iter()
                .map(|p| &p[..])
                .filter(|p| matches!(model::parse(p), model::Parsed::Pattern { .. }))
                .collect();
            prop_assert_eq!(by_add.len(), valid.len());
            let mut by_lines = PruneSet::new();
            let lines = by_lines.add_lines(&patterns.join(&b'\n'));
            prop_assert_eq!(lines.as_ref().err().map(|e| e.0), first_invalid);
            for path in &paths {
                let expected = model::prunes(&valid, path);
                prop_assert_eq!(
                    by_add.prunes(path), expected,
                    "{:?} on {:?}",
                    valid.iter().map(|p| String::from_utf8_lossy(p)).collect::<Vec<_>>(),
                    String::from_utf8_lossy(path)
                );
                if lines.is_ok() {
                    prop_assert_eq!(by_lines.prunes(path), expected);
                }
            }
        }
    }
}
