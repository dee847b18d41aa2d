//! The bundled function's two builds under the real Lambda Runtime Interface Emulator, compared
//! by `gate perf` A/B in Invoke mode: the naive build (function/Dockerfile.naive, whose handler
//! imports pydantic at init) as this pull request, against the optimized build (pydantic only on
//! the first POST) as main.
//!
//! What the emulator allows: one execution environment per emulator process, so one cold start
//! each; it ignores `Qualifier`, and it sends no log tail (its REPORT line, with an Init Duration
//! that is not the init's, goes to its own stdout). So each round starts a fresh emulator per
//! build, on two endpoints (`--endpoint`, `--compare-endpoint`), and `gate perf` sends one
//! invoke to each, in its seeded order: the first invoke of each side, which is its cold start.
//! The rounds are shards of one run (`--shard I/N`), and `gate perf merge` puts them back
//! together, per side, and compares again: N cold starts a side, bootstrapped.
//!
//! The images are built here (scripts/build-function-images.sh, under their own tag) and run as
//! the image runs them: the emulator, Python, awslambdaric, /var/task and the handler of each
//! image, chrooted into the image's filesystem (buildah mount), with the image's environment.
//! The emulator's own log ("INIT REPORT(durationMs: …)") is the independent witness of each
//! init's duration.

mod support;

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::require_tools;

/// Rounds (shards), each one cold start a side.
const ROUNDS: usize = 12;
const TAG: &str = "localhost/gate-function-rie-ab";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn buildah() -> Command {
    let mut c = Command::new("buildah");
    c.args(["--storage-driver", "overlay"]);
    c
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(support::run(cmd))
        .unwrap()
        .trim()
        .to_string()
}

/// One build's filesystem, mounted, and how its image config says to run it.
struct Build {
    container: String,
    root: PathBuf,
    env: Vec<(String, String)>,
    cmd: Vec<String>,
    workdir: String,
}

impl Build {
    fn mount(variant: &str) -> Build {
        let image = format!("{TAG}:{variant}");
        let name = format!("gate-rie-ab-{variant}-{}", std::process::id());
        let _ = buildah().args(["rm", &name]).output();
        let container = stdout(buildah().args(["from", "--pull-never", "--name", &name, &image]));
        let root = PathBuf::from(stdout(buildah().args(["mount", &container])));
        let inspect: Value = serde_json::from_str(&stdout(
            buildah().args(["inspect", "--type", "image", &image]),
        ))
        .unwrap();
        let config = &inspect["OCIv1"]["config"];
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let env = strings(&config["Env"])
            .into_iter()
            .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.into(), v.into())))
            .collect();
        Build {
            container,
            root,
            env,
            cmd: strings(&config["Cmd"]),
            workdir: config["WorkingDir"].as_str().unwrap_or("/").into(),
        }
    }
}

impl Drop for Build {
    fn drop(&mut self) {
        let _ = buildah().args(["umount", &self.container]).output();
        let _ = buildah().args(["rm", &self.container]).output();
    }
}

/// A fresh execution environment: the image's emulator in front of its runtime interface
/// client and handler, as its /lambda-entrypoint.sh starts them, with the two addresses the
/// emulator would otherwise take by default (and two of them would share).
struct Emulator {
    child: Child,
    log: PathBuf,
}

impl Emulator {
    fn start(b: &Build, port: u16, api_port: u16, log: PathBuf) -> Emulator {
        let script = format!(
            "cd {} && exec /usr/local/bin/aws-lambda-rie \
             --runtime-interface-emulator-address 127.0.0.1:{port} \
             --runtime-api-address 127.0.0.1:{api_port} \
             /var/lang/bin/python3 -m awslambdaric \"$@\"",
            b.workdir
        );
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new("chroot")
            .arg(&b.root)
            .args(["/bin/sh", "-c", &script, "sh"])
            .args(&b.cmd)
            .env_clear()
            .envs(b.env.iter().map(|(k, v)| (k, v)))
            .current_dir("/")
            // Its own log goes to stderr, the function's to stdout: both in one file.
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0)
            .spawn()
            .expect("start the emulator in the image");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the emulator did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Emulator { child, log }
    }

    /// The emulator's own account of the init it ran: "INIT REPORT(durationMs: …)".
    fn init_ms(&self) -> Vec<f64> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once("INIT REPORT(durationMs: "))
            .filter_map(|(_, rest)| rest.split(')').next()?.parse().ok())
            .collect()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // The whole group: the emulator and the runtime it started, so the next round's
        // emulator finds its ports free.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// Four ports the OS picked, released for the emulators; kept for every round, since shards of
/// one run must name the same targets.
fn ports() -> [u16; 4] {
    let l: Vec<TcpListener> = (0..4)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let p: Vec<u16> = l.iter().map(|l| l.local_addr().unwrap().port()).collect();
    [p[0], p[1], p[2], p[3]]
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (v[(n - 1) / 2] + v[n / 2]) / 2.0
}

fn metric<'a>(compare: &'a Value, name: &str) -> &'a Value {
    compare["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or_else(|| panic!("no {name} in {compare:#}"))
}

#[test]
fn the_naive_builds_cold_start_is_slower_under_the_emulator() {
    if !require_tools(&["buildah", "mmdebstrap", "aws-lambda-rie", "chroot"]) {
        return;
    }
    let built = Command::new("bash")
        .arg(repo().join("scripts/build-function-images.sh"))
        .env("FUNCTION_OUT", "-")
        .env("FUNCTION_TAG", TAG)
        .output()
        .expect("run build-function-images.sh");
    assert!(
        built.status.success(),
        "build-function-images.sh: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let naive = Build::mount("naive");
    let optimized = Build::mount("optimized");
    assert_eq!(naive.cmd, ["app_eager.handler"]);
    assert_eq!(optimized.cmd, ["app.handler"]);

    let dir = support::static_dir("perf_rie_ab");
    let policy = dir.join("gate.toml");
    // Every invoke here is a cold start, by design: the default cold-start threshold is not
    // this run's business.
    std::fs::write(
        &policy,
        "[perf]\nthresholds = [\"cold_start_rate <= 100%\"]\n",
    )
    .unwrap();
    let [a_port, a_api, b_port, b_api] = ports();
    let (a_url, b_url) = (
        format!("http://127.0.0.1:{a_port}"),
        format!("http://127.0.0.1:{b_port}"),
    );
    let mut shards = Vec::new();
    let (mut a_init, mut b_init) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let a = Emulator::start(&naive, a_port, a_api, dir.join(format!("a-{round}.log")));
        let b = Emulator::start(
            &optimized,
            b_port,
            b_api,
            dir.join(format!("b-{round}.log")),
        );
        let out = dir.join(format!("shard-{round}.json"));
        let run = Command::new(env!("CARGO_BIN_EXE_gate"))
            .args(["perf", "--function", "function", "--region", "us-east-1"])
            .args(["--endpoint", &a_url, "--compare-endpoint", &b_url])
            .args(["--compare-name", "optimized"])
            .arg("--payload")
            .arg(repo().join("function/events/health.json"))
            // The whole run's load, of which each shard takes its share: one invoke a side, one
            // connection, as one execution environment serves one invoke at a time.
            .args(["--requests", &(2 * ROUNDS).to_string()])
            .args(["--concurrency", &ROUNDS.to_string()])
            .args(["--shard", &format!("{round}/{ROUNDS}")])
            .args(["--seed", &(7000 + round).to_string()])
            .arg("--policy")
            .arg(&policy)
            .args(["--format", "json", "--output"])
            .arg(&out)
            .env("AWS_ACCESS_KEY_ID", "AKIDLOCALEMULATOR")
            .env("AWS_SECRET_ACCESS_KEY", "local-emulator-secret")
            .env("NO_COLOR", "1")
            .current_dir(&dir)
            .output()
            .expect("run gate perf");
        assert_eq!(
            run.status.code(),
            Some(0),
            "round {round}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let r = read_json(&out);
        let (pa, pb) = (&r["perf"], &r["perf"]["compare"]["reference"]);
        for (side, p) in [("naive", pa), ("optimized", pb)] {
            // One invoke each, served, and cold by the function's own x-cold-start header.
            assert_eq!(
                (&p["requests"], &p["successes"], &p["cold_starts"]),
                (&1.into(), &1.into(), &1.into()),
                "round {round}, {side}: {p:#}"
            );
        }
        // The emulator ran one init each; the invoke that waited for it took at least as long.
        let (ia, ib) = (a.init_ms(), b.init_ms());
        assert_eq!((ia.len(), ib.len()), (1, 1), "round {round}: {ia:?} {ib:?}");
        let (la, lb) = (
            pa["latency_ms"]["max"].as_f64().unwrap(),
            pb["latency_ms"]["max"].as_f64().unwrap(),
        );
        assert!(
            la >= ia[0] && lb >= ib[0],
            "round {round}: invokes {la}/{lb} ms, inits {ia:?}/{ib:?}"
        );
        eprintln!(
            "round {round}: first invoke naive {la:.1} ms, optimized {lb:.1} ms; emulator init {:.1} / {:.1} ms",
            ia[0], ib[0]
        );
        a_init.push(ia[0]);
        b_init.push(ib[0]);
        shards.push(out);
        drop((a, b));
    }

    let merged = dir.join("merged.json");
    let run = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["perf", "merge"])
        .args(&shards)
        .args(["--threshold", "p50 change < +10%"])
        .arg("--policy")
        .arg(&policy)
        .args(["--format", "json", "--output"])
        .arg(&merged)
        .output()
        .expect("run gate perf merge");
    let r = read_json(&merged);
    let p = &r["perf"];
    let c = &p["compare"];
    assert_eq!(p["requests"], ROUNDS);
    assert_eq!(c["reference"]["requests"], ROUNDS);
    assert_eq!(
        (&p["cold_start_rate"], &c["reference"]["cold_start_rate"]),
        (&1.0.into(), &1.0.into())
    );
    let (p50, mean) = (metric(c, "p50"), metric(c, "mean"));
    eprintln!(
        "merged: p50 naive {} ms vs optimized {} ms, change {:+.1}% (95% CI {:+.1}…{:+.1}%); mean change {:+.1}% (CI {:+.1}…{:+.1}%); emulator init medians {:.1} / {:.1} ms",
        p50["a"],
        p50["b"],
        p50["change"].as_f64().unwrap() * 100.0,
        p50["change_ci"][0].as_f64().unwrap() * 100.0,
        p50["change_ci"][1].as_f64().unwrap() * 100.0,
        mean["change"].as_f64().unwrap() * 100.0,
        mean["change_ci"][0].as_f64().unwrap() * 100.0,
        mean["change_ci"][1].as_f64().unwrap() * 100.0,
        median(a_init.clone()),
        median(b_init.clone()),
    );
    // The emulator's own init durations say which build starts slower: the naive one.
    assert!(median(a_init) > median(b_init));
    // The gate says so too: the cold starts' median is slower, the whole interval above zero.
    for m in [p50, mean] {
        assert!(m["a"].as_f64() > m["b"].as_f64(), "{m:#}");
        assert!(m["change_ci"][0].as_f64().unwrap() > 0.0, "{m:#}");
    }
    // And the budget the pull request is held to fails on it: the whole interval is past +10%.
    let budget = support::check(&r, "perf-change-p50");
    assert_eq!(budget["status"], "fail", "{budget:#}");
    assert_eq!(p50["verdict"], "fail", "{p50:#}");
    assert_eq!(run.status.code(), Some(1));
}
