//! Readiness, told to whoever waits for it: the line `Watches established.` on the fd
//! `--ready-fd` names (then closed, unless it is 1 or 2), and systemd's sd_notify protocol spoken directly
//! (no library): `READY=1` on the datagram socket `NOTIFY_SOCKET` names once every
//! watch is established, and `STOPPING=1` when a program that was ready ends, by
//! returning or by a terminating signal. Every send is best effort: a missing, unusable
//! or full socket, or a reader that went away, is ignored and never shows in the output
//! or the exit status.

use std::ffi::OsStr;
use std::os::fd::{AsRawFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::PathBuf;

/// The variable systemd (or any supervisor) sets for a `Type=notify` service.
pub const VARIABLE: &str = "NOTIFY_SOCKET";

/// Sent when a ready program ends (also from the signal handler, see
/// [`crate::sys::stop_notice_on`]).
pub const STOPPING: &[u8] = b"STOPPING=1";

/// Longest name a `sockaddr_un` holds: `sun_path`'s 108 bytes less the path's
/// terminating NUL, or less the abstract name's leading NUL.
const MAX_NAME: usize = 107;

/// Where `NOTIFY_SOCKET` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A socket in the filesystem: an absolute path.
    Path(PathBuf),
    /// A socket in Linux's abstract namespace: `@name`, held without the `@`.
    Abstract(Vec<u8>),
}

/// Reads a `NOTIFY_SOCKET` value as sd_notify(3) does for `AF_UNIX`: an absolute path,
/// or `@` and a name in the abstract namespace, either at least one byte past its first
/// and short enough for `sun_path`. Anything else (relative paths, systemd's `vsock:`
/// addresses) is `None`: no notification is sent.
pub fn parse(value: &OsStr) -> Option<Address> {
    let bytes = value.as_bytes();
    match bytes.split_first()? {
        (b'/', rest) if !rest.is_empty() && bytes.len() <= MAX_NAME => {
            Some(Address::Path(PathBuf::from(value)))
        }
        (b'@', name) if !name.is_empty() && name.len() <= MAX_NAME => {
            Some(Address::Abstract(name.to_vec()))
        }
        _ => None,
    }
}

/// The readiness message: `READY=1` and a status line for `systemctl status`.
pub fn ready_message(watches: usize) -> Vec<u8> {
    format!("READY=1\nSTATUS=Watches established: {watches}").into_bytes()
}

/// The line written to the `--ready-fd` descriptor.
pub const READY_LINE: &[u8] = b"Watches established.\n";

/// One run's side of the protocol: [`Notify::ready`] where `Watches established.` is (or,
/// quiet, would be) said, [`Notify::stopping`] when the applet returns.
#[derive(Debug, Default)]
pub struct Notify {
    /// `--ready-fd`: written to (and closed, past the standard streams) once ready.
    ready_fd: Option<RawFd>,
    /// Connected to `NOTIFY_SOCKET` once ready was announced.
    socket: Option<UnixDatagram>,
}

impl Notify {
    /// `ready_fd` is `--ready-fd`'s descriptor, checked writable by the configuration.
    pub fn new(ready_fd: Option<RawFd>) -> Notify {
        Notify {
            ready_fd,
            socket: None,
        }
    }

    /// Writes [`READY_LINE`] to the `--ready-fd` descriptor (closed after, unless a
    /// standard stream). Then, if `NOTIFY_SOCKET` names a usable socket: routes each of
    /// `signals` that still has its default disposition through a handler that sends
    /// `STOPPING=1` and then dies of the signal as before, and sends `READY=1` with
    /// `watches` in the status. The handlers go in first, so a signal sent as soon as
    /// `READY=1` is read is covered.
    pub fn ready(&mut self, watches: usize, signals: &[libc::c_int]) {
        if let Some(fd) = self.ready_fd.take() {
            let _ = crate::sys::write_and_close(fd, READY_LINE);
        }
        let Some(addr) = std::env::var_os(VARIABLE).as_deref().and_then(parse) else {
            return;
        };
        let Some(socket) = connect(&addr) else {
            return;
        };
        crate::sys::stop_notice_on(socket.as_raw_fd(), signals);
        crate::sys::send_datagram(socket.as_raw_fd(), &ready_message(watches));
        self.socket = Some(socket);
    }

    /// Sends `STOPPING=1` if ready was announced (once; the signal handlers then send
    /// nothing more).
    pub fn stopping(&mut self) {
        if let Some(socket) = self.socket.take() {
            // Disarmed before the socket closes, so a late signal never sends on an fd
            // number that may be reused.
            crate::sys::stop_notice_off();
            crate::sys::send_datagram(socket.as_raw_fd(), STOPPING);
        }
    }
}

/// An unbound datagram socket connected to `addr` (close-on-exec, as std makes them).
fn connect(addr: &Address) -> Option<UnixDatagram> {
    let socket = UnixDatagram::unbound().ok()?;
    let target = match addr {
        Address::Path(p) => SocketAddr::from_pathname(p).ok()?,
        Address::Abstract(name) => SocketAddr::from_abstract_name(name).ok()?,
    };
    socket.connect_addr(&target).ok()?;
    Some(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<Address> {
        parse(OsStr::new(s))
    }

    #[test]
    fn paths_and_abstract_names() {
        assert_eq!(
            p("/run/systemd/notify"),
            Some(Address::Path("/run/systemd/notify".into()))
        );
        assert_eq!(p("/x"), Some(Address::Path("/x".into())));
        assert_eq!(p("@sock"), Some(Address::Abstract(b"sock".to_vec())));
        // The abstract name is taken byte for byte, `@` and `/` included.
        assert_eq!(p("@@a/b"), Some(Address::Abstract(b"@a/b".to_vec())));
        let raw = OsStr::from_bytes(b"@\xff\x01");
        assert_eq!(parse(raw), Some(Address::Abstract(vec![0xff, 1])));
    }

    #[test]
    fn unusable_values_are_none() {
        for v in [
            "",
            "/",
            "@",
            "relative/sock",
            "./sock",
            "sock",
            "vsock:2:1234",
            "vsock-dgram:2:1234",
            " /run/x",
        ] {
            assert_eq!(p(v), None, "{v:?}");
        }
    }

    #[test]
    fn lengths_are_those_sun_path_holds() {
        let path = format!("/{}", "a".repeat(MAX_NAME - 1));
        assert_eq!(p(&path), Some(Address::Path(path.clone().into())));
        assert_eq!(p(&format!("{path}a")), None);
        let name = "n".repeat(MAX_NAME);
        assert_eq!(
            p(&format!("@{name}")),
            Some(Address::Abstract(name.clone().into_bytes()))
        );
        assert_eq!(p(&format!("@{name}n")), None);
        // What parse accepts, std can address.
        for a in [p(&path), p(&format!("@{name}"))].into_iter().flatten() {
            let ok = match &a {
                Address::Path(x) => SocketAddr::from_pathname(x).is_ok(),
                Address::Abstract(x) => SocketAddr::from_abstract_name(x).is_ok(),
            };
            assert!(ok, "{a:?}");
        }
    }

    #[test]
    fn ready_message_has_the_count() {
        assert_eq!(
            ready_message(3),
            b"READY=1\nSTATUS=Watches established: 3".to_vec()
        );
    }

    #[test]
    fn connects_to_an_abstract_listener() {
        let name = format!("rinotify-unit-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&addr).unwrap();
        let socket = connect(&Address::Abstract(name.into_bytes())).unwrap();
        assert!(crate::sys::send_datagram(socket.as_raw_fd(), STOPPING));
        let mut buf = [0u8; 64];
        listener
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], STOPPING);
    }

    #[test]
    fn notifying_without_a_listener_is_silent() {
        // Connecting to nothing fails quietly; stopping without ready sends nothing.
        assert!(connect(&Address::Path("/nonexistent/rinotify.sock".into())).is_none());
        let mut n = Notify::new(None);
        n.stopping();
        assert!(n.socket.is_none());
    }
}
