//! Event masks: the inotify bits, their names in inotify-tools order, and parsing of `-e` lists.

/// inotify event bits (`<sys/inotify.h>`).
pub mod bits {
    pub const ACCESS: u32 = 0x0000_0001;
    pub const MODIFY: u32 = 0x0000_0002;
    pub const ATTRIB: u32 = 0x0000_0004;
    pub const CLOSE_WRITE: u32 = 0x0000_0008;
    pub const CLOSE_NOWRITE: u32 = 0x0000_0010;
    pub const OPEN: u32 = 0x0000_0020;
    pub const MOVED_FROM: u32 = 0x0000_0040;
    pub const MOVED_TO: u32 = 0x0000_0080;
    pub const CREATE: u32 = 0x0000_0100;
    pub const DELETE: u32 = 0x0000_0200;
    pub const DELETE_SELF: u32 = 0x0000_0400;
    pub const MOVE_SELF: u32 = 0x0000_0800;
    pub const UNMOUNT: u32 = 0x0000_2000;
    pub const Q_OVERFLOW: u32 = 0x0000_4000;
    pub const IGNORED: u32 = 0x0000_8000;
    pub const CLOSE: u32 = CLOSE_WRITE | CLOSE_NOWRITE;
    pub const MOVE: u32 = MOVED_FROM | MOVED_TO;
    pub const ONLYDIR: u32 = 0x0100_0000;
    pub const DONT_FOLLOW: u32 = 0x0200_0000;
    pub const ISDIR: u32 = 0x4000_0000;
    pub const ONESHOT: u32 = 0x8000_0000;
    /// The twelve basic events: what "no `-e`" means.
    pub const ALL_EVENTS: u32 = 0x0000_0fff;
}

use bits::*;

/// Names accepted by `-e` (case-insensitive), with their bits.
const PARSE_NAMES: &[(&str, u32)] = &[
    ("access", ACCESS),
    ("modify", MODIFY),
    ("attrib", ATTRIB),
    ("close_write", CLOSE_WRITE),
    ("close_nowrite", CLOSE_NOWRITE),
    ("open", OPEN),
    ("moved_from", MOVED_FROM),
    ("moved_to", MOVED_TO),
    ("create", CREATE),
    ("delete", DELETE),
    ("delete_self", DELETE_SELF),
    ("unmount", UNMOUNT),
    ("q_overflow", Q_OVERFLOW),
    ("ignored", IGNORED),
    ("close", CLOSE),
    ("move_self", MOVE_SELF),
    ("move", MOVE),
    ("isdir", ISDIR),
    ("oneshot", ONESHOT),
    ("all_events", ALL_EVENTS),
];

/// Names printed for a mask, in inotify-tools' fixed order. `CLOSE` stands for either close bit.
const RENDER_NAMES: &[(&str, u32)] = &[
    ("ACCESS", ACCESS),
    ("MODIFY", MODIFY),
    ("ATTRIB", ATTRIB),
    ("CLOSE_WRITE", CLOSE_WRITE),
    ("CLOSE_NOWRITE", CLOSE_NOWRITE),
    ("OPEN", OPEN),
    ("MOVED_FROM", MOVED_FROM),
    ("MOVED_TO", MOVED_TO),
    ("CREATE", CREATE),
    ("DELETE", DELETE),
    ("DELETE_SELF", DELETE_SELF),
    ("UNMOUNT", UNMOUNT),
    ("Q_OVERFLOW", Q_OVERFLOW),
    ("IGNORED", IGNORED),
    ("CLOSE", CLOSE),
    ("MOVE_SELF", MOVE_SELF),
    ("ISDIR", ISDIR),
    ("ONESHOT", ONESHOT),
];

/// Looks up one event name (case-insensitive, exact).
pub fn name_to_bits(name: &str) -> Option<u32> {
    PARSE_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, b)| b)
}

/// Parses a comma-separated `-e` list with inotify-tools' quirk: an empty element makes the
/// whole list worth 0 (not an error), unless an unknown name came before it.
/// `None` means the list is invalid.
pub fn parse_event_list(list: &str) -> Option<u32> {
    let mut mask = 0;
    for part in list.split(',') {
        if part.is_empty() {
            return Some(0);
        }
        mask |= name_to_bits(part)?;
    }
    Some(mask)
}

/// Appends the names of `mask` joined by `sep`, or `0x%08x` when no known bit is set.
pub fn render_mask(mask: u32, sep: u8, out: &mut Vec<u8>) {
    let start = out.len();
    for &(name, bit) in RENDER_NAMES {
        if mask & bit != 0 {
            if out.len() != start {
                out.push(sep);
            }
            out.extend_from_slice(name.as_bytes());
        }
    }
    if out.len() == start {
        out.extend_from_slice(format!("0x{mask:08x}").as_bytes());
    }
}

/// The names [`render_mask`] prints for `mask`, in its order (none when no known bit).
pub fn mask_names(mask: u32) -> impl Iterator<Item = &'static str> {
    RENDER_NAMES
        .iter()
        .filter(move |&&(_, bit)| mask & bit != 0)
        .map(|&(name, _)| name)
}

/// Convenience form of [`render_mask`] returning a fresh vector.
pub fn mask_to_string(mask: u32, sep: u8) -> Vec<u8> {
    let mut v = Vec::new();
    render_mask(mask, sep, &mut v);
    v
}

/// One event as the watcher hands it to a sink: plain data borrowed from the watcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The watch descriptor (-1 for `Q_OVERFLOW`): identity and creation order of a watch.
    pub wd: i32,
    /// Raw inotify mask (event bits plus `ISDIR` etc.).
    pub mask: u32,
    /// Rename cookie, 0 when none.
    pub cookie: u32,
    /// The watch's name as stored (directories end in `/`); empty for `Q_OVERFLOW`.
    pub watch: &'a [u8],
    /// The file name inside the watched directory; empty when the event has none.
    pub name: &'a [u8],
    /// Made by the watcher, not read from the kernel: a `CREATE` for what a new
    /// directory already held when it was first watched, or for a directory (and its
    /// files) the rescan after an overflow found.
    pub synthetic: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_lists() {
        let table: &[(&str, Option<u32>)] = &[
            ("modify", Some(MODIFY)),
            ("MoDiFy", Some(MODIFY)),
            ("close", Some(CLOSE)),
            ("move", Some(MOVE)),
            ("modify,create", Some(MODIFY | CREATE)),
            ("modify,", Some(0)),
            (",close", Some(0)),
            ("", Some(0)),
            ("modify,,create", Some(0)),
            ("modify,,foo", Some(0)),
            ("foo,,modify", None),
            ("modify,foo,", None),
            ("foo", None),
            (" modify", None),
            ("modify, create", None),
            ("all_events", Some(ALL_EVENTS)),
            ("isdir", Some(ISDIR)),
            ("oneshot", Some(ONESHOT)),
            ("ignored", Some(IGNORED)),
            ("q_overflow", Some(Q_OVERFLOW)),
            ("dont_follow", None),
        ];
        for &(input, want) in table {
            assert_eq!(parse_event_list(input), want, "{input:?}");
        }
    }

    #[test]
    fn render() {
        let table: &[(u32, u8, &str)] = &[
            (CLOSE_WRITE, b',', "CLOSE_WRITE,CLOSE"),
            (CLOSE_NOWRITE | ISDIR, b',', "CLOSE_NOWRITE,CLOSE,ISDIR"),
            (CREATE | ISDIR, b',', "CREATE,ISDIR"),
            (CLOSE_WRITE, b':', "CLOSE_WRITE:CLOSE"),
            (MOVED_FROM | MOVED_TO, b',', "MOVED_FROM,MOVED_TO"),
            (Q_OVERFLOW, b',', "Q_OVERFLOW"),
            (IGNORED, b',', "IGNORED"),
            (MOVE_SELF | ONESHOT, b' ', "MOVE_SELF ONESHOT"),
            (0, b',', "0x00000000"),
            (0x1000, b',', "0x00001000"),
            (ATTRIB | ISDIR, b',', "ATTRIB,ISDIR"),
        ];
        for &(mask, sep, want) in table {
            assert_eq!(mask_to_string(mask, sep), want.as_bytes(), "{mask:#x}");
        }
    }
}
