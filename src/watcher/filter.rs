//! Regex filters on `%w%f`: which events are reported, and which directories that appear
//! after start-up are pruned (never watched, never announced).

use crate::ere::Ere;

/// A regex filter on `%w%f`.
#[derive(Debug)]
pub struct Filter {
    pub ere: Ere,
    /// `true` for `--exclude(i)` (matching events are dropped), `false` for `--include(i)`.
    pub exclude: bool,
}

impl Filter {
    /// Whether an event whose `%w%f` is `subject` is reported. `--include` hides what does
    /// not match, `--exclude` what does, new directories' own events included.
    pub fn passes(&self, subject: &[u8]) -> bool {
        self.ere.is_match(subject) != self.exclude
    }

    /// Whether a directory that appeared after start-up, announced by an event whose
    /// `%w%f` is `subject`, is left unwatched. Only `--exclude(i)` prunes, as Debian's
    /// 3.22.6 does; `--include` never stops a directory from being watched, since files
    /// inside it may match.
    pub fn prunes(&self, subject: &[u8]) -> bool {
        self.exclude && self.ere.is_match(subject)
    }
}

/// Whether an event about `name` on the watch named `watch` passes `filter` (all do
/// without one); `%w%f` is built in the reused `scratch`.
pub fn admits(filter: Option<&Filter>, scratch: &mut Vec<u8>, watch: &[u8], name: &[u8]) -> bool {
    let Some(f) = filter else { return true };
    scratch.clear();
    scratch.extend_from_slice(watch);
    scratch.extend_from_slice(name);
    f.passes(scratch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_never_prunes_exclude_hides_and_prunes() {
        let cases: &[(&str, bool, &str, bool, bool)] = &[
            // pattern, exclude, subject, passes, prunes
            ("skip", true, "t/skipnew", false, true),
            ("skip", true, "t/keep", true, false),
            ("skip$", true, "t/skip/", true, false),
            ("\\.txt$", false, "t/sub", false, false),
            ("\\.txt$", false, "t/a.txt", true, false),
        ];
        for &(pat, exclude, subj, passes, prunes) in cases {
            let f = Filter {
                ere: Ere::new(pat.as_bytes(), false).unwrap(),
                exclude,
            };
            assert_eq!(f.passes(subj.as_bytes()), passes, "{pat} {subj}");
            assert_eq!(f.prunes(subj.as_bytes()), prunes, "{pat} {subj}");
        }
    }
}
