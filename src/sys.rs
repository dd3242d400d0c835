//! Every direct libc call rinotify makes, each behind a safe function with its SAFETY
//! note. The rest of the crate calls these or `nix`; `unsafe` appears nowhere else.

use std::ffi::{CStr, CString};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};

use nix::errno::Errno;

/// Makes sure fds 0, 1 and 2 are open, so that no fd we open (the inotify instance, an
/// `-o` file) lands on a standard stream's number. A closed one is filled with
/// `/dev/null` opened read-only: reading gives end of file, and writing fails with
/// EBADF, so output sent to a closed stdout is reported instead of vanishing.
pub fn reserve_std_fds() {
    for fd in 0..3 {
        // SAFETY: F_GETFD on an integer fd only inspects the table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0 || Errno::last() != Errno::EBADF {
            continue;
        }
        // SAFETY: a constant NUL-terminated path; the lowest free fd is `fd` itself.
        unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
    }
}

/// The errno of an I/O error from std (EIO when it carries none).
pub fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// `write(2)` of all of `data`, retrying on EINTR and short writes.
pub fn write_all(fd: RawFd, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        // SAFETY: data is a valid readable slice of data.len() bytes; a bad fd only
        // yields EBADF.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let e = Errno::last();
            if e == Errno::EINTR {
                continue;
            }
            return Err(e);
        }
        // n is non-negative and at most data.len().
        data = data.get(n.unsigned_abs()..).unwrap_or_default();
    }
    Ok(())
}

/// `read(2)` into `buf`: the byte count, 0 meaning end of file.
pub fn read(fd: RawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: buf is writable for buf.len() bytes; a bad fd only yields EBADF.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(Errno::last())
    } else {
        Ok(n.unsigned_abs())
    }
}

/// `getdents64(2)`: fills `buf` with `linux_dirent64` records of the open directory `fd`;
/// 0 at the end of the directory.
pub fn getdents64(fd: RawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: buf is writable for buf.len() bytes; the kernel writes whole records only.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            fd,
            buf.as_mut_ptr(),
            buf.len() as libc::c_ulong,
        )
    };
    if n < 0 {
        Err(Errno::last())
    } else {
        Ok(n.unsigned_abs() as usize)
    }
}

/// `inotify_rm_watch(2)`; an unknown wd only yields EINVAL, which callers ignore.
pub fn inotify_rm_watch(fd: RawFd, wd: i32) {
    // SAFETY: plain syscall with integer arguments.
    unsafe { libc::inotify_rm_watch(fd, wd) };
}

/// Bytes waiting to be read on `fd` (`FIONREAD`); 0 when the ioctl fails.
pub fn queued_bytes(fd: RawFd) -> usize {
    let mut queued: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int to the pointer given.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut queued) } < 0 {
        return 0;
    }
    usize::try_from(queued).unwrap_or(0)
}

/// `poll(2)` for input on each fd given (None is skipped), up to `ms` milliseconds (-1:
/// forever). Returns whether each is readable; EINTR reads as "none".
pub fn poll_in<const N: usize>(fds: [Option<RawFd>; N], ms: i32) -> Result<[bool; N], Errno> {
    let mut pfd = fds.map(|fd| libc::pollfd {
        fd: fd.unwrap_or(-1),
        events: libc::POLLIN,
        revents: 0,
    });
    // SAFETY: N valid pollfd structs (a negative fd is ignored by poll).
    let r = unsafe { libc::poll(pfd.as_mut_ptr(), N as libc::nfds_t, ms) };
    if r < 0 {
        let e = Errno::last();
        return if e == Errno::EINTR {
            Ok([false; N])
        } else {
            Err(e)
        };
    }
    Ok(pfd.map(|p| p.revents != 0))
}

/// glibc's strerror text for `e` (no "(os error N)" suffix).
pub fn strerror(e: Errno) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; the XSI strerror_r NUL-terminates on success.
    let r = unsafe { libc::strerror_r(e as i32, buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return e.desc().to_string();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// `openlog(ident, LOG_PID|LOG_CONS|LOG_NDELAY, LOG_DAEMON)`.
pub fn openlog(ident: &'static CStr) {
    // SAFETY: ident is 'static, so the pointer syslog keeps stays valid.
    unsafe {
        libc::openlog(
            ident.as_ptr(),
            libc::LOG_PID | libc::LOG_CONS | libc::LOG_NDELAY,
            libc::LOG_DAEMON,
        )
    };
}

/// `syslog(LOG_INFO, "%s", line)`.
pub fn syslog(line: &CStr) {
    // SAFETY: a constant "%s" format with exactly one valid C string argument.
    unsafe { libc::syslog(libc::LOG_INFO, c"%s".as_ptr(), line.as_ptr()) };
}

/// The wall clock in whole seconds, as `time(NULL)`.
pub fn time_now() -> libc::time_t {
    // SAFETY: time(NULL) has no preconditions.
    unsafe { libc::time(std::ptr::null_mut()) }
}

/// `strftime(buf, cap, fmt, localtime(t))`: the text, empty when it did not fit in `cap`
/// bytes with its NUL (or when `t` cannot be broken down).
pub fn strftime_local(fmt: &CString, t: libc::time_t, cap: usize) -> Vec<u8> {
    // SAFETY: an all-zero tm is a valid out-parameter; localtime_r fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to a time_t and a tm.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return Vec::new();
    }
    let mut buf = vec![0u8; cap];
    // SAFETY: buf is writable for buf.len() bytes; fmt is NUL-terminated; tm is initialised.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), &tm) };
    buf.truncate(n);
    buf
}

/// Reads `TZ`, as the C library does on first use of local time.
pub fn tzset() {
    unsafe extern "C" {
        fn tzset();
    }
    // SAFETY: tzset has no preconditions; called before any thread is started.
    unsafe { tzset() };
}

/// `fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC)`: a notification group.
pub fn fanotify_init(flags: u32) -> Result<std::os::fd::OwnedFd, Errno> {
    use std::os::fd::FromRawFd;
    let ev_flags = (libc::O_RDONLY | libc::O_LARGEFILE | libc::O_CLOEXEC) as libc::c_uint;
    // SAFETY: plain syscall with integer arguments.
    let fd = unsafe { libc::fanotify_init(flags, ev_flags) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: fd was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// `fanotify_mark(fd, flags, mask, AT_FDCWD, path)`, or, with `path` None, on the object
/// open as `dirfd`.
pub fn fanotify_mark(
    fd: RawFd,
    flags: u32,
    mask: u64,
    dirfd: Option<RawFd>,
    path: Option<&CStr>,
) -> Result<(), Errno> {
    let dirfd = dirfd.unwrap_or(libc::AT_FDCWD);
    let p = path.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: p is null or a NUL-terminated string alive for the call.
    if unsafe { libc::fanotify_mark(fd, flags, mask, dirfd, p) } < 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// Most bytes of a file handle we ask for (`MAX_HANDLE_SZ`).
const MAX_HANDLE: usize = 128;

/// `struct file_handle` with room for `MAX_HANDLE` bytes.
#[repr(C)]
struct Handle {
    bytes: libc::c_uint,
    kind: libc::c_int,
    data: [u8; MAX_HANDLE],
}

/// `name_to_handle_at(AT_FDCWD, path, …)`: the handle as fanotify reports it, the
/// bytes of `struct file_handle` (byte count, type, opaque bytes; native-endian).
pub fn name_to_handle(path: &CStr, follow: bool) -> Result<Vec<u8>, Errno> {
    let mut h = Handle {
        bytes: MAX_HANDLE as libc::c_uint,
        kind: 0,
        data: [0; MAX_HANDLE],
    };
    let mut mount_id: libc::c_int = 0;
    let flags = if follow { libc::AT_SYMLINK_FOLLOW } else { 0 };
    // SAFETY: h has the layout of struct file_handle with MAX_HANDLE bytes of room, as
    // its `bytes` field says; path is NUL-terminated; mount_id is a valid int pointer.
    let r = unsafe {
        libc::name_to_handle_at(
            libc::AT_FDCWD,
            path.as_ptr(),
            (&raw mut h).cast::<libc::file_handle>(),
            &mut mount_id,
            flags,
        )
    };
    if r < 0 {
        return Err(Errno::last());
    }
    let n = (h.bytes as usize).min(MAX_HANDLE);
    let mut key = h.bytes.to_ne_bytes().to_vec();
    key.extend_from_slice(&h.kind.to_ne_bytes());
    key.extend_from_slice(&h.data[..n]);
    Ok(key)
}

/// `open_by_handle_at(mount_fd, handle, O_PATH)` for a handle in [`name_to_handle`]'s
/// layout (needs `CAP_DAC_READ_SEARCH`).
pub fn open_by_handle(mount_fd: RawFd, handle: &[u8]) -> Result<std::os::fd::OwnedFd, Errno> {
    use std::os::fd::FromRawFd;
    let (head, data) = handle.split_at_checked(8).ok_or(Errno::EINVAL)?;
    let kind = &head[4..];
    if data.len() > MAX_HANDLE {
        return Err(Errno::EINVAL);
    }
    let mut h = Handle {
        bytes: data.len() as libc::c_uint,
        kind: libc::c_int::from_ne_bytes([kind[0], kind[1], kind[2], kind[3]]),
        data: [0; MAX_HANDLE],
    };
    h.data[..data.len()].copy_from_slice(data);
    // SAFETY: h has struct file_handle's layout with `bytes` valid bytes of data.
    let fd = unsafe {
        libc::open_by_handle_at(
            mount_fd,
            (&raw mut h).cast::<libc::file_handle>(),
            libc::O_PATH | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: fd was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// The filesystem id of `path` (`statfs`'s `f_fsid`), as fanotify reports it.
pub fn fsid(path: &CStr) -> Result<[u8; 8], Errno> {
    // SAFETY: an all-zero statfs is a valid out-parameter.
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: path is NUL-terminated; s is a valid statfs to fill.
    if unsafe { libc::statfs(path.as_ptr(), &mut s) } < 0 {
        return Err(Errno::last());
    }
    // SAFETY: fsid_t is two ints (8 bytes, no padding); reading it as bytes is sound.
    Ok(unsafe { std::mem::transmute::<libc::fsid_t, [u8; 8]>(s.f_fsid) })
}

/// The socket the fatal-signal handler sends `STOPPING=1` on; -1: none.
static STOP_NOTICE_FD: AtomicI32 = AtomicI32::new(-1);

/// `send(fd, msg, MSG_NOSIGNAL | MSG_DONTWAIT)`: one datagram, never blocking on a full
/// receiver and never raising SIGPIPE. Whether it was sent whole.
pub fn send_datagram(fd: RawFd, msg: &[u8]) -> bool {
    // SAFETY: msg is readable for msg.len() bytes; a bad fd only yields an error.
    let n = unsafe {
        libc::send(
            fd,
            msg.as_ptr().cast(),
            msg.len(),
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        )
    };
    usize::try_from(n).is_ok_and(|n| n == msg.len())
}

/// Makes each of `signals` whose disposition is still the default end the program as
/// before, but only after `STOPPING=1` was sent on the datagram socket `fd`: the handler
/// (reset to the default on entry, every signal blocked while it runs) sends, then
/// raises the signal again, which kills the process as soon as the handler returns.
/// Ignored or already handled signals are left as they are.
pub fn stop_notice_on(fd: RawFd, signals: &[libc::c_int]) {
    STOP_NOTICE_FD.store(fd, Ordering::SeqCst);
    for &sig in signals {
        // SAFETY: an all-zero sigaction is a valid out-parameter; this only queries.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a null new action only reads the current one into `old`.
        if unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } != 0
            || old.sa_sigaction != libc::SIG_DFL
        {
            continue;
        }
        // SAFETY: as above.
        let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
        act.sa_sigaction = stop_notice_handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
        act.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
        // SAFETY: sa_mask is a valid sigset_t to fill; the handler only makes
        // async-signal-safe calls (an atomic load, send(2), raise(3)).
        unsafe {
            libc::sigfillset(&mut act.sa_mask);
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Stops the handlers of [`stop_notice_on`] from sending (they still re-raise).
pub fn stop_notice_off() {
    STOP_NOTICE_FD.store(-1, Ordering::SeqCst);
}

/// The handler of [`stop_notice_on`]: `STOPPING=1`, then the signal again, now with its
/// default disposition (`SA_RESETHAND`); it stays pending until the handler returns.
extern "C" fn stop_notice_handler(sig: libc::c_int) {
    let fd = STOP_NOTICE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        send_datagram(fd, crate::notify::STOPPING);
    }
    // SAFETY: raise(3) is async-signal-safe.
    unsafe { libc::raise(sig) };
}

/// Whether the open `fd` may be written to (its access mode, `fcntl(F_GETFL)`), or the
/// errno saying why it cannot be asked (EBADF: not open).
pub fn fd_writable(fd: RawFd) -> Result<bool, Errno> {
    // SAFETY: F_GETFL on an integer fd only inspects the open file's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(Errno::last());
    }
    Ok(matches!(
        flags & libc::O_ACCMODE,
        libc::O_WRONLY | libc::O_RDWR
    ))
}

/// Writes `data` to `fd` and closes it (a standard stream, 0 to 2, stays open: the
/// program still writes there), without dying of SIGPIPE when the reader is gone:
/// SIGPIPE is blocked around the write and one it raised is taken back before the mask
/// is restored. Best effort: errors are returned, the fd is closed either way.
pub fn write_and_close(fd: RawFd, data: &[u8]) -> Result<(), Errno> {
    // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it.
    let mut pipe: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid sigset pointers; this thread's mask only.
    unsafe {
        libc::sigemptyset(&mut pipe);
        libc::sigaddset(&mut pipe, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &pipe, &mut old);
    }
    let r = write_all(fd, data);
    if r == Err(Errno::EPIPE) {
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: consumes the SIGPIPE our write left pending (if it was not already
        // pending before, in which case the mask restore delivers it as it would have).
        unsafe { libc::sigtimedwait(&pipe, std::ptr::null_mut(), &zero) };
    }
    // SAFETY: restores the mask saved above; closes an fd we were handed to own.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if fd > libc::STDERR_FILENO {
            libc::close(fd);
        }
    }
    r
}
