//! The README's shell blocks run as pasted: each one (but those that install software)
//! runs in bash with rinotify's tools first on PATH and a fresh HOME, and must neither
//! fail nor name a missing file or command. Blocks that watch forever are ended after
//! they have run a moment, as a user would with Ctrl-C.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

/// Blocks that install or remove software, or need the network: shown, not run here
/// (CI runs the install command itself, and `completion.rs` runs contrib/install.sh).
fn installs(block: &str) -> bool {
    [
        "apt-get",
        "curl ",
        "cargo ",
        "contrib/install.sh",
        "rustup",
        "systemctl",
    ]
    .iter()
    .any(|w| block.contains(w))
}

fn tools_dir(home: &Path) -> PathBuf {
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    for name in [
        "rinotify",
        "inotifywait",
        "inotifywatch",
        "fsnotifywait",
        "fsnotifywatch",
    ] {
        std::os::unix::fs::symlink(crate::util::ours(), bin.join(name)).expect("link");
    }
    bin
}

#[test]
fn readme_blocks_run_as_pasted() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let blocks = sh_blocks(&readme);
    assert!(blocks.len() >= 8, "found {} sh blocks", blocks.len());
    let mut ran = 0;
    for (i, block) in blocks.iter().enumerate() {
        if installs(block) {
            continue;
        }
        if block.contains("fsnotifywait -S") && !nix_is_root() {
            println!("skipped: block {i} needs root (-S)");
            continue;
        }
        let home = std::env::temp_dir().join(format!("rinotify-readme-{}-{i}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("mkdir");
        let bin = tools_dir(&home);
        // Blocks run from the checkout: its scripts are where the README says.
        for dir in ["examples", "contrib"] {
            std::os::unix::fs::symlink(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
                home.join(dir),
            )
            .expect("link");
        }
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(block)
            .current_dir(&home)
            .env("HOME", &home)
            .env("PATH", &path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("bash");
        // Watching blocks run until interrupted: give them a moment, then Ctrl-C.
        let deadline = Instant::now() + Duration::from_millis(1500);
        let mut interrupted = false;
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(child.id() as i32),
                    nix::sys::signal::Signal::SIGINT,
                );
                interrupted = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().expect("output");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for bad in [
            "No such file or directory",
            "command not found",
            "Couldn't watch",
            "Failed to watch",
            "invalid option",
            "unrecognized option",
        ] {
            assert!(
                !stderr.contains(bad),
                "README block {i} says '{bad}':\n{block}\nstderr:\n{stderr}"
            );
        }
        let ok = out.status.success()
            || (interrupted && out.status.signal() == Some(libc::SIGINT))
            || (interrupted && out.status.code() == Some(130));
        assert!(
            ok,
            "README block {i} failed ({:?}):\n{block}\nstderr:\n{stderr}",
            out.status
        );
        ran += 1;
        let _ = std::fs::remove_dir_all(&home);
    }
    assert!(ran >= 6, "only {ran} README blocks ran");
}

fn nix_is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
