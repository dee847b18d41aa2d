//! Runs `gate` on hostile input as an attacker's file would run it, and measures what it
//! cost: the child's peak RSS (wait4's rusage) and the bytes it read (/proc/PID/io, read while
//! the exited child is still a zombie: waitid with WNOWAIT). An address-space cap and a CPU
//! cap keep a regression from taking the machine down: it fails the test instead.
#![allow(dead_code)]

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

pub struct Guarded {
    /// None when a signal ended it (the address-space or CPU cap, a crash).
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Peak resident set, bytes.
    pub max_rss: u64,
    /// Bytes the process read through read(2) and friends (`rchar`).
    pub read_bytes: u64,
}

impl Guarded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON on stdout ({e}); exit {:?} signal {:?}; stderr: {}",
                self.code, self.signal, self.stderr
            )
        })
    }
}

/// Address space a run may reserve: far above what any test image needs, far below what the
/// hostile inputs made `gate` take before they were fixed.
pub const AS_CAP: u64 = 3 << 30;
/// CPU seconds a run may use.
pub const CPU_CAP: u64 = 120;

/// Resource caps for one run.
pub struct Caps {
    pub cpu_seconds: u64,
}

pub fn gate_guarded(args: &[&str]) -> Guarded {
    gate_guarded_with(
        args,
        Caps {
            cpu_seconds: CPU_CAP,
        },
    )
}

/// As `gate_guarded`, with a CPU cap of the test's choosing: for inputs that used to run
/// for minutes, a cap many times what the fixed code needs turns "never finishes" into a
/// failure instead of a hung CI job.
pub fn gate_guarded_with(args: &[&str], caps: Caps) -> Guarded {
    let cpu = caps.cpu_seconds;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gate"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(move || {
            let cap = |what, n: u64| {
                let l = libc::rlimit {
                    rlim_cur: n,
                    rlim_max: n,
                };
                if libc::setrlimit(what, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            cap(libc::RLIMIT_AS, AS_CAP)?;
            cap(libc::RLIMIT_CPU, cpu)
        });
    }
    let child = cmd.spawn().expect("run gate");
    let pid = child.id() as libc::pid_t;
    // Wait for the exit without reaping, so /proc/PID/io still holds the totals of the
    // process and all its (finished) threads.
    // SAFETY: plain syscalls on our own child; the structs are zeroed POD.
    let read_bytes = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        );
        assert_eq!(r, 0, "waitid: {}", std::io::Error::last_os_error());
        std::fs::read_to_string(format!("/proc/{pid}/io"))
            .ok()
            .and_then(|io| {
                io.lines()
                    .find_map(|l| l.strip_prefix("rchar: "))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0)
    };
    let (status, max_rss) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        let r = libc::wait4(pid, &mut status, 0, &mut usage);
        assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
        (status, usage.ru_maxrss as u64 * 1024)
    };
    // Already reaped: std must not wait for it again.
    std::mem::forget(child);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let signal = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));
    // The figures, for `--nocapture` runs and failure reports.
    eprintln!(
        "gate {}: exit {code:?}, signal {signal:?}, peak RSS {:.1} MB, read {:.1} MB",
        args.first().copied().unwrap_or(""),
        max_rss as f64 / 1e6,
        read_bytes as f64 / 1e6
    );
    Guarded {
        code,
        signal,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
        max_rss,
        read_bytes,
    }
}
