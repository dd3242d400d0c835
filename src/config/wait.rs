//! inotifywait's configuration: the post-parse checks in the reference's order, then
//! the typed plan (output layout, filter, paths) the driver wires up.

use crate::cli::wait::Args;
use crate::error::Error;
use crate::event::bits;
use crate::format::{Layout, Template};
use crate::watcher::Filter;

use super::{Common, PathList};

/// inotifywait's checked configuration.
#[derive(Debug, Clone, Default)]
pub struct Wait {
    pub monitor: bool,
    pub daemon: bool,
    pub syslog: bool,
    pub quiet: u32,
    pub outfile: Option<Vec<u8>>,
    pub common: Common,
    /// Lines to print on stderr before anything else (`--exclude` given twice, say).
    pub warnings: Vec<Vec<u8>>,
    csv: bool,
    format: Option<Vec<u8>>,
    no_newline: bool,
    timefmt: Option<Vec<u8>>,
}

/// What the driver needs beyond the configuration, built where the reference builds it
/// (after `inotify_init`), still before the first watch.
#[derive(Debug)]
pub struct Plan {
    pub layout: Layout,
    pub filter: Option<Filter>,
    pub paths: PathList,
    /// An unreadable `--fromfile`'s line, printed before the watches are set up.
    pub warnings: Vec<Vec<u8>>,
}

impl Wait {
    /// The post-parse checks, in the reference's order: getopt's complaint (if any)
    /// comes first, then the first failing check; with no failing check, the warnings,
    /// and still an error if getopt complained.
    pub fn from_args(a: Args) -> Result<Wait, Error> {
        let mut lines: Vec<Vec<u8>> = a.getopt_error.clone().into_iter().collect();
        if let Some(m) = check(&a) {
            lines.push(m.as_bytes().to_vec());
            return Err(Error::Usage(lines));
        }
        let prune = match super::own_options(&a.set) {
            Ok(p) => p,
            Err(m) => {
                lines.push(m);
                return Err(Error::Usage(lines));
            }
        };
        let mut warnings = Vec::new();
        if a.set.regex.exclude_count > 1 {
            warnings.push(
                b"--exclude: only the last option will be taken into consideration.".to_vec(),
            );
        }
        if a.set.regex.excludei_count > 1 {
            warnings.push(
                b"--excludei: only the last option will be taken into consideration.".to_vec(),
            );
        }
        if a.getopt_error.is_some() {
            lines.extend(warnings);
            return Err(Error::Usage(lines));
        }
        Ok(Wait {
            monitor: a.monitor,
            daemon: a.daemon,
            syslog: a.syslog,
            quiet: a.quiet,
            outfile: a.outfile,
            common: Common::from_args(a.set, prune),
            warnings,
            csv: a.csv,
            format: a.format,
            no_newline: a.no_newline,
            timefmt: a.timefmt,
        })
    }

    /// The events the kernel must report: those asked for, plus what recursion needs to
    /// follow new and moved directories under `-m -r`.
    pub fn kernel_mask(&self) -> u32 {
        let mut m = self.common.kernel_mask();
        if self.monitor && self.common.recursive {
            m |= bits::CREATE | bits::MOVED_TO | bits::MOVED_FROM;
        }
        m
    }

    /// The regex, the template and the paths, in the reference's order.
    pub fn plan(&self) -> Result<Plan, Error> {
        let filter = self.common.filter()?;
        let layout = match &self.format {
            Some(f) => match Template::parse(f, !self.no_newline) {
                Ok(t) => Layout::Template(t, self.timefmt.clone()),
                Err(_) => return Err(Error::BadFormat),
            },
            None if self.common.json => Layout::Json(self.common.backend()),
            None if self.csv => Layout::Csv,
            None => Layout::Default,
        };
        let (paths, warnings) = self.common.paths()?;
        Ok(Plan {
            layout,
            filter,
            paths,
            warnings,
        })
    }
}

/// The post-parse consistency checks; the first failure wins.
fn check(c: &Args) -> Option<&'static str> {
    if let Some(m) = c.set.regex.conflict() {
        return Some(m);
    }
    if c.csv && c.format.is_some() {
        return Some("-c and --format cannot both be specified.");
    }
    if c.set.json && c.csv {
        return Some("-c and --json cannot both be specified.");
    }
    if c.set.json && c.format.is_some() {
        return Some("--format and --json cannot both be specified.");
    }
    if c.no_newline && c.format.is_none() {
        return Some("--no-newline cannot be specified without --format.");
    }
    if c.timefmt.is_some() && c.format.is_none() {
        return Some("--timefmt cannot be specified without --format.");
    }
    if let Some(f) = &c.format
        && c.timefmt.is_none()
        && f.windows(2).any(|w| w == b"%T")
    {
        return Some("%T is in --format string, but --timefmt was not specified.");
    }
    if c.daemon && c.outfile.is_none() {
        return Some("-o must be specified with -d.");
    }
    None
}
