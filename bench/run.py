#!/usr/bin/env python3
"""Side-by-side benchmark: rinotify vs inotify-tools (Debian's /usr/bin binaries).

Builds rinotify in release mode, creates the trees and bursts itself, runs every
scenario against the reference and ours alternately (A B A B ...), and prints the
median of each measure and the ratio ours / reference.

    python3 bench/run.py            # everything, 3 rounds
    python3 bench/run.py --rounds 5 --only setup,events
    python3 bench/run.py --only fanotify   # fanotify rows (root; ours, and 4.25.9's
                                           # fsnotifywait from /opt/inotify-tools-4)
    python3 bench/run.py --only json       # --json against our default output (the
                                           # reference has no --json)
"""
import argparse
import os
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF_WAIT = "/usr/bin/inotifywait"
REF_WATCH = "/usr/bin/inotifywatch"
OURS = os.path.join(ROOT, "target", "release", "rinotify")
REF4_FSWAIT = "/opt/inotify-tools-4/bin/fsnotifywait"


def build():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)


def spawn(binary, argv0, args, stdout=subprocess.PIPE):
    return subprocess.Popen([argv0] + args, executable=binary, stdout=stdout,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def wait_stderr(p, needle, timeout=600):
    buf = b""
    end = time.monotonic() + timeout
    while needle not in buf:
        r, _, _ = select.select([p.stderr], [], [], max(0.0, end - time.monotonic()))
        if not r:
            raise RuntimeError(f"timeout waiting for {needle!r}; got {buf!r}")
        chunk = os.read(p.stderr.fileno(), 65536)
        if not chunk:
            raise RuntimeError(f"process ended before {needle!r}; got {buf!r}")
        buf += chunk
    return buf


def finish(p, sig=signal.SIGTERM):
    """Ends p, returns (rusage, VmHWM kB)."""
    hwm = peak_rss(p.pid)
    p.send_signal(sig)
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    return ru, hwm


def peak_rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu(ru):
    return ru.ru_utime + ru.ru_stime


# ---------------------------------------------------------------- scenarios

def make_tree(path, dirs):
    if os.path.isdir(path) and len(os.listdir(path)) > 0:
        return
    os.makedirs(path, exist_ok=True)
    width = 1000
    for i in range(dirs // width):
        for j in range(width):
            os.makedirs(f"{path}/d{i:04}/e{j:04}")


def setup_run(binary, tree):
    """Time until `Watches established.` and peak RSS for -m -r on the tree."""
    t0 = time.monotonic()
    p = spawn(binary, "inotifywait", ["-m", "-r", tree])
    wait_stderr(p, b"Watches established.")
    t = time.monotonic() - t0
    _, hwm = finish(p)
    return {"setup_s": t, "setup_rss_kb": hwm}


def burst(dirpath, n, files=64):
    """n × open/write/close over `files` files: 3n events."""
    fds = [f"{dirpath}/f{i}" for i in range(files)]
    for i in range(n):
        fd = os.open(fds[i % files], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(fd, b"x")
        os.close(fd)


def read_lines_until(p, count, timeout=120):
    got = 0
    end = time.monotonic() + timeout
    fd = p.stdout.fileno()
    while got < count:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not r:
            raise RuntimeError(f"only {got}/{count} lines")
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        got += chunk.count(b"\n")
    return got


def events_run(binary, work, n, extra):
    d = tempfile.mkdtemp(dir=work)
    for i in range(64):
        open(f"{d}/f{i}", "w").close()
    p = spawn(binary, "inotifywait", ["-m", "-q"] + extra + [d])
    while watch_count(p.pid) < 1:
        time.sleep(0.005)
    import threading
    got = [0]
    th = threading.Thread(target=lambda: got.__setitem__(0, read_lines_until(p, 3 * n)))
    th.start()
    burst(d, n)
    th.join()
    ru, hwm = finish(p)
    shutil.rmtree(d)
    return {"cpu_us_per_event": cpu(ru) / (3 * n) * 1e6, "lost": 3 * n - got[0], "rss_kb": hwm}


def watch_count(pid):
    try:
        for fd in os.listdir(f"/proc/{pid}/fdinfo"):
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    c = f.read().count("inotify wd:")
                if c:
                    return c
            except OSError:
                pass
    except OSError:
        pass
    return 0


def stats_run(binary, work, n):
    d = tempfile.mkdtemp(dir=work)
    for i in range(64):
        open(f"{d}/f{i}", "w").close()
    p = subprocess.Popen(["inotifywatch", d], executable=binary, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    wait_stderr(p, b"Finished establishing")
    burst(d, n)
    # Let the counter drain the queue: wait until its CPU time stops growing.
    last = -1
    while True:
        time.sleep(0.2)
        t = proc_cpu(p.pid)
        if t == last:
            break
        last = t
    p.send_signal(signal.SIGINT)
    out = p.stdout.read()
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    total = 0
    for line in out.decode().splitlines()[1:]:
        total += int(line.split()[0])
    shutil.rmtree(d)
    return {"watch_cpu_us_per_event": cpu(ru) / (3 * n) * 1e6, "watch_lost": 3 * n - total}


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return int(parts[11]) + int(parts[12])


def latency_pair(ref_bin, ours_bin, work, samples=1000):
    """Write -> line readable, for both tools at once: each watches its own directory and
    the samples alternate between them, so both see the same machine conditions."""
    procs = []
    for binary in (ref_bin, ours_bin):
        d = tempfile.mkdtemp(dir=work)
        p = spawn(binary, "inotifywait", ["-m", "-q", "-e", "close_write", "--format", "%f", d])
        while watch_count(p.pid) < 1:
            time.sleep(0.005)
        procs.append((d, p, []))
    for i in range(samples):
        for d, p, lat in procs:
            fd = p.stdout.fileno()
            t0 = time.perf_counter()
            with open(f"{d}/f{i}", "w") as f:
                f.write("x")
            buf = b""
            while not buf.endswith(b"\n"):
                buf += os.read(fd, 4096)
            lat.append((time.perf_counter() - t0) * 1e3)
            time.sleep(0.001)
    out = []
    for d, p, lat in procs:
        finish(p)
        shutil.rmtree(d)
        lat.sort()
        out.append({"lat_p50_ms": lat[len(lat) // 2], "lat_p99_ms": lat[int(len(lat) * 0.99)]})
    return out


def growth_run(binary, work, big):
    """RSS after `big` events vs after 100,000 (no growth expected)."""
    d = tempfile.mkdtemp(dir=work)
    for i in range(64):
        open(f"{d}/f{i}", "w").close()
    p = spawn(binary, "inotifywait", ["-m", "-q", d], stdout=subprocess.DEVNULL)
    while watch_count(p.pid) < 1:
        time.sleep(0.005)
    burst(d, 100_000 // 3)
    time.sleep(0.5)
    small = current_rss(p.pid)
    burst(d, big // 3)
    time.sleep(0.5)
    large = current_rss(p.pid)
    finish(p)
    shutil.rmtree(d)
    return {"rss_small_kb": small, "rss_large_kb": large}


def current_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- driver

def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fan_setup(binary, argv0, args, tree):
    """Seconds to `Watches established.` and open fds then (None: it failed)."""
    t0 = time.monotonic()
    p = spawn(binary, argv0, args + [tree])
    try:
        wait_stderr(p, b"Watches established.")
    except RuntimeError:
        p.kill()
        p.wait()
        return None, None
    t = time.monotonic() - t0
    fds = fd_count(p.pid)
    finish(p)
    return t, fds


def fan_events(binary, argv0, args, work, n):
    """CPU per line printed for a burst of n open/write/close cycles, read until a
    sentinel (fanotify merges events on one object, so lines are counted, not ops)."""
    d = tempfile.mkdtemp(dir=work)
    for i in range(64):
        open(f"{d}/f{i}", "w").close()
    p = spawn(binary, argv0, ["-m"] + args + [d])
    wait_stderr(p, b"Watches established.")
    import threading
    lines = [0]

    def reader():
        buf = b""
        fd = p.stdout.fileno()
        while b"zz_end" not in buf[-4096:]:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            lines[0] += chunk.count(b"\n")
            buf = buf[-4096:] + chunk
    th = threading.Thread(target=reader)
    th.start()
    burst(d, n)
    open(f"{d}/zz_end", "w").close()
    th.join(timeout=300)
    ru, _ = finish(p)
    shutil.rmtree(d)
    n_lines = max(lines[0], 1)
    return {
        "cpu_us/line": cpu(ru) / n_lines * 1e6,
        "user_us/line": ru.ru_utime / n_lines * 1e6,
        "cpu_us/op": cpu(ru) / (3 * n) * 1e6,
    }


def fanotify_rows(args, tree):
    """Rows for issue 10: -S set-up against inotify -r, fds against tree size, CPU per
    event with a warm handle cache against ours under inotify."""
    rows = []
    med = statistics.median
    ino, fan_s = [], []
    for _ in range(args.rounds):
        ino.append(fan_setup(OURS, "inotifywait", ["-m", "-r"], tree)[0])
        fan_s.append(fan_setup(OURS, "fsnotifywait", ["-S", "-m"], tree)[0])
    rows.append(("setup_s: -S vs our inotify -r", med(fan_s), med(ino)))
    for dirs in (1_000, 10_000):
        small = os.path.join(args.work, f"tree{dirs}")
        make_tree(small, dirs)
        _, ours_fds = fan_setup(OURS, "fsnotifywait", ["-m", "-r"], small)
        ref_fds = None
        if os.path.exists(REF4_FSWAIT):
            _, ref_fds = fan_setup(REF4_FSWAIT, "fsnotifywait", ["-m", "-r"], small)
        rows.append((f"open fds, -F -r, {dirs} dirs: ours vs 4.25.9", ours_fds, ref_fds))
    for flag in ("-F", "-S"):
        f, i = [], []
        for _ in range(args.rounds):
            f.append(fan_events(OURS, "fsnotifywait", [flag], args.work, args.events))
            i.append(fan_events(OURS, "inotifywait", [], args.work, args.events))
        for k in ("cpu_us/line", "user_us/line", "cpu_us/op"):
            rows.append((f"{k}: {flag} vs our inotify", med([x[k] for x in f]), med([x[k] for x in i])))
    print(f"{'fanotify measure':44} {'value':>10} {'against':>10} {'ratio':>8}")
    for name, a, b in rows:
        ratio = f"{a / b:.2f}" if a is not None and b else "-"
        fa = f"{a:10.3f}" if a is not None else f"{'failed':>10}"
        fb = f"{b:10.3f}" if b is not None else f"{'failed':>10}"
        print(f"{name:44} {fa} {fb} {ratio:>8}")


def json_rows(args):
    """--json's cost: CPU per event of ours with --json against ours with the default
    layout (and against the reference's default), alternated in each round."""
    med = statistics.median
    runs = {"ref default": [], "ours default": [], "ours --json": []}
    lost = 0
    for r in range(args.rounds):
        for name, binary, extra in (("ref default", REF_WAIT, []), ("ours default", OURS, []),
                                    ("ours --json", OURS, ["--json"])):
            res = events_run(binary, args.work, args.events, extra)
            runs[name].append(res["cpu_us_per_event"])
            lost += res["lost"]
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    base = med(runs["ours default"])
    print(f"{'json measure (CPU per event, us)':36} {'value':>10} {'/ ours default':>15}")
    for name, v in runs.items():
        print(f"{name:36} {med(v):10.3f} {med(v) / base:15.2f}")
    print(f"events lost: {lost}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dirs", type=int, default=150_000)
    ap.add_argument("--events", type=int, default=100_000, help="open/write/close cycles")
    ap.add_argument("--growth", type=int, default=10_000_000)
    ap.add_argument("--only", default="setup,events,format,csv,stats,latency,growth")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "rinotify-bench"))
    args = ap.parse_args()
    only = set(args.only.split(","))
    build()
    os.makedirs(args.work, exist_ok=True)
    tree = os.path.join(args.work, f"tree{args.dirs}")
    if "setup" in only or "fanotify" in only:
        make_tree(tree, args.dirs)
    if "fanotify" in only:
        fanotify_rows(args, tree)
        only.discard("fanotify")
        if not only:
            return
    if "json" in only:
        json_rows(args)
        only.discard("json")
        if not only:
            return
    pairs = [("ref", REF_WAIT, REF_WATCH), ("ours", OURS, OURS)]
    results = {"ref": {}, "ours": {}}

    def add(who, d):
        for k, v in d.items():
            results[who].setdefault(k, []).append(v)

    for r in range(args.rounds):
        for who, wait_bin, watch_bin in pairs:
            if "setup" in only:
                add(who, setup_run(wait_bin, tree))
            if "events" in only:
                add(who, {("default_" + k): v for k, v in events_run(wait_bin, args.work, args.events, []).items()})
            if "format" in only:
                fmt = ["--format", "%T %w%f %e", "--timefmt", "%F %T"]
                add(who, {("format_" + k): v for k, v in events_run(wait_bin, args.work, args.events, fmt).items()})
            if "csv" in only:
                add(who, {("csv_" + k): v for k, v in events_run(wait_bin, args.work, args.events, ["-c"]).items()})
            if "stats" in only:
                add(who, stats_run(watch_bin, args.work, args.events))
            if "growth" in only and r == 0:
                add(who, growth_run(wait_bin, args.work, args.growth))
        if "latency" in only:
            ref_lat, ours_lat = latency_pair(REF_WAIT, OURS, args.work)
            add("ref", ref_lat)
            add("ours", ours_lat)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    print(f"{'measure':32} {'reference':>12} {'rinotify':>12} {'ratio':>8}")
    for k in results["ref"]:
        a = statistics.median(results["ref"][k])
        b = statistics.median(results["ours"][k])
        ratio = f"{b / a:.2f}" if a else "-"
        print(f"{k:32} {a:12.3f} {b:12.3f} {ratio:>8}")


if __name__ == "__main__":
    main()
