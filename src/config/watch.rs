//! inotifywatch's configuration: the sort column, the post-parse checks in the reference's
//! order; the filter and paths come from [`Common`], where the driver asks for them.

use crate::cli::watch::Args;
use crate::error::Error;
use crate::stats::{COLUMNS, Sort, SortKey};

use super::Common;

/// inotifywatch's checked configuration.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    pub verbose: u32,
    pub zero: bool,
    pub sort: Sort,
    pub common: Common,
}

impl Watch {
    /// The post-parse checks, in the reference's order (getopt's complaint first).
    pub fn from_args(a: Args) -> Result<Watch, Error> {
        let mut lines: Vec<Vec<u8>> = a.getopt_error.clone().into_iter().collect();
        if let Some(m) = a.set.regex.conflict() {
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
        let common = Common::from_args(a.set, prune);
        let bit = a.sort.bit;
        let key = match COLUMNS.iter().position(|&(_, b)| b == bit) {
            _ if bit == 0 => Some(SortKey::Total),
            Some(i) if common.mask & bit != 0 => Some(SortKey::Column(i)),
            // Not watched, or never a column (isdir, oneshot, ignored, q_overflow).
            _ => None,
        };
        let Some(key) = key else {
            lines.push(b"Can't sort by an event which isn't being watched for!".to_vec());
            return Err(Error::Usage(lines));
        };
        if !lines.is_empty() {
            return Err(Error::Usage(lines));
        }
        Ok(Watch {
            verbose: a.verbose,
            zero: a.zero,
            sort: Sort {
                key,
                ascending: a.sort.ascending,
            },
            common,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::watch::sort_key;

    fn sort_of(args: &[&str]) -> Result<Sort, Error> {
        let mut a = Args::default();
        for arg in args {
            if let Some(k) = arg.strip_prefix("-a") {
                a.sort = sort_key(k.as_bytes(), true).unwrap();
            } else if let Some(k) = arg.strip_prefix("-d") {
                a.sort = sort_key(k.as_bytes(), false).unwrap();
            } else if let Some(e) = arg.strip_prefix("-e") {
                a.set.events |= crate::event::parse_event_list(e).unwrap();
            }
        }
        Watch::from_args(a).map(|w| w.sort)
    }

    #[test]
    fn sort_columns() {
        let not_watched = Err(Error::Usage(vec![
            b"Can't sort by an event which isn't being watched for!".to_vec(),
        ]));
        let col = |i, ascending| {
            Ok(Sort {
                key: SortKey::Column(i),
                ascending,
            })
        };
        assert_eq!(sort_of(&[]), Ok(Sort::default()));
        assert_eq!(sort_of(&["-dmodify"]), col(1, false));
        assert_eq!(sort_of(&["-amove_self"]), col(8, true));
        assert_eq!(sort_of(&["-aunmount"]), not_watched);
        assert_eq!(sort_of(&["-aunmount", "-eunmount"]), col(12, true));
        assert_eq!(sort_of(&["-amodify", "-eaccess"]), not_watched);
        assert_eq!(sort_of(&["-aisdir"]), not_watched);
        assert_eq!(
            sort_of(&["-d"]),
            Ok(Sort {
                key: SortKey::Total,
                ascending: true
            })
        );
    }
}
