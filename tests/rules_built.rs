//! Every rule on real images built here with buildah from Dockerfiles: a real `apt-get
//! update`, a real `pip install`, real headers and make from apt. The bytes each finding
//! reports are compared with an independent walk of the same archive, and the clean variant
//! of the same Dockerfile earns none of them.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::{buildah, expected, gate_json, image, layer_of};

const NAIVE: &str = r#"FROM localhost/gate-base:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends make libc6-dev
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --disable-pip-version-check --use-pep517 future==0.18.3 simplejson==3.19.3 six==1.16.0
RUN head -c 2000000 /dev/urandom > /tmp/wheels.bin
RUN rm -f /tmp/wheels.bin
RUN mkdir -p /var/task/__pycache__ && head -c 40000 /dev/urandom > /var/task/__pycache__/app.cpython-39.pyc && echo 'def handler(e, c): return {}' > /var/task/app.py && chmod 600 /var/task/app.py
ENV LAMBDA_TASK_ROOT=/var/task
CMD ["app.handler"]
"#;

const CLEAN: &str = r#"FROM localhost/gate-base:bookworm
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check six==1.16.0 && /opt/venv/bin/python -m compileall -q /opt/venv
RUN mkdir -p /var/task /opt/extensions && echo 'def handler(e, c): return {}' > /var/task/app.py && chmod 644 /var/task/app.py && cp /bin/true /opt/extensions/lambda-adapter
ENV LAMBDA_TASK_ROOT=/var/task
CMD ["app.handler"]
"#;

/// Small thresholds so that small real packages count. (The pip cache here is the wheel pip
/// builds from the `future` sdist: a TLS-inspecting proxy in front of PyPI makes downloads
/// uncacheable, so the HTTP cache stays empty.)
const POLICY: &str = "[rules]\nmin_bytes = \"10kB\"\n";

struct Built {
    naive: PathBuf,
    clean: PathBuf,
    policy: PathBuf,
}

fn build(dir: &Path, name: &str, dockerfile: &str) -> PathBuf {
    let ctx = dir.join(name);
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
    let tag = format!("localhost/gate-rules-{name}:{}", std::process::id());
    let out = dir.join(format!("{name}.tar"));
    support::build_docker_archive(&ctx, &tag, &out);
    let _ = buildah().args(["rmi", "-f", &tag]).output();
    out
}

fn built() -> Option<&'static Built> {
    static B: OnceLock<Option<Built>> = OnceLock::new();
    B.get_or_init(|| {
        if !support::base_image() {
            return None;
        }
        let dir = support::static_dir("rules_built");
        let naive = build(&dir, "naive", NAIVE);
        let clean = build(&dir, "clean", CLEAN);
        let policy = dir.join("gate.toml");
        std::fs::write(&policy, POLICY).unwrap();
        Some(Built {
            naive,
            clean,
            policy,
        })
    })
    .as_ref()
}

fn findings(path: &Path, policy: &Path) -> (i32, Vec<serde_json::Value>, serde_json::Value) {
    let (code, r) = gate_json(&[
        "check",
        path.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    (code, r["findings"].as_array().unwrap().clone(), r)
}

fn only<'a>(fs: &'a [serde_json::Value], rule: &str) -> Vec<&'a serde_json::Value> {
    fs.iter().filter(|f| f["rule"] == rule).collect()
}

#[test]
fn caches_are_measured_and_pinned_on_the_instruction() {
    let Some(b) = built() else { return };
    let walk = expected(&b.naive);
    let (code, fs, r) = findings(&b.naive, &b.policy);
    assert_eq!(code, 1, "the unreadable app.py is denied");

    let pip_layer = layer_of(&r, "pip install");
    let pip = only(&fs, "pip-cache");
    assert_eq!(pip.len(), 1, "{fs:#?}");
    let want = walk.bytes_under("root/.cache/pip/");
    assert_eq!(
        pip[0]["bytes"], want[&pip_layer],
        "pip cache bytes vs independent walk"
    );
    assert_eq!(pip[0]["layer"], pip_layer);
    assert_eq!(pip[0]["severity"], "warning");
    assert!(pip[0]["created_by"]
        .as_str()
        .unwrap()
        .contains("pip install"));
    assert!(pip[0]["fix"].as_str().unwrap().contains("--no-cache-dir"));
    assert!(pip[0]["message"]
        .as_str()
        .unwrap()
        // The command of the chain that filled the cache, not the `python3 -m venv` it starts with.
        .contains(&format!(
            "layer {pip_layer} `/opt/venv/bin/pip install --disable-pip-version-check"
        )));
    assert_eq!(pip[0]["references"][0], "DL3042");

    let apt_layer = layer_of(&r, "apt-get update");
    let apt = only(&fs, "apt-lists");
    assert_eq!(apt.len(), 1, "{fs:#?}");
    assert_eq!(
        apt[0]["bytes"],
        walk.bytes_under("var/lib/apt/lists/")[&apt_layer]
    );
    assert!(
        apt[0]["bytes"].as_u64().unwrap() > 1_000_000,
        "a real apt-get update leaves megabytes"
    );
    assert_eq!(apt[0]["layer"], apt_layer);
    assert!(apt[0]["fix"]
        .as_str()
        .unwrap()
        .contains("rm -rf /var/lib/apt/lists/*"));
}

#[test]
fn layer_waste_names_the_writer_and_the_hider() {
    let Some(b) = built() else { return };
    let (_, fs, r) = findings(&b.naive, &b.policy);
    let writer = layer_of(&r, "head -c 2000000");
    let hider = layer_of(&r, "rm -f /tmp/wheels.bin");
    let waste = only(&fs, "layer-waste");
    let w = waste
        .iter()
        .find(|f| f["layer"] == hider)
        .unwrap_or_else(|| panic!("{waste:#?}"));
    assert_eq!(w["bytes"], 2_000_000);
    let msg = w["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!(
            "layer {hider} `RUN rm -f /tmp/wheels.bin` hides 2.0 MB written by layer {writer}"
        )),
        "{msg}"
    );
    assert_eq!(w["paths"][0], "/tmp/wheels.bin");
}

#[test]
fn toolchain_bytecode_tests_and_permissions() {
    let Some(b) = built() else { return };
    let walk = expected(&b.naive);
    let (_, fs, r) = findings(&b.naive, &b.policy);

    let apt_layer = layer_of(&r, "apt-get update");
    let tool = only(&fs, "build-toolchain");
    assert_eq!(tool.len(), 1, "{fs:#?}");
    assert_eq!(tool[0]["layer"], apt_layer);
    let headers = walk.bytes_under("usr/include/")[&apt_layer];
    let make = walk.files["usr/bin/make"].0;
    assert!(tool[0]["bytes"].as_u64().unwrap() >= headers + make);
    assert!(tool[0]["message"].as_str().unwrap().contains("headers"));
    assert!(tool[0]["fix"].as_str().unwrap().contains("multi-stage"));

    let stale = only(&fs, "stale-bytecode");
    assert_eq!(stale.len(), 1, "{fs:#?}");
    assert_eq!(stale[0]["bytes"], 40_000);
    assert!(
        stale[0]["message"].as_str().unwrap().contains("3.11"),
        "names the image's Python"
    );

    let tests = only(&fs, "python-tests");
    assert_eq!(tests.len(), 1, "{fs:#?}");
    let want: u64 = walk
        .files
        .iter()
        .filter(|(p, v)| {
            let inside = p.split_once("/site-packages/").map(|x| x.1).unwrap_or("");
            let parts: Vec<&str> = inside.split('/').collect();
            !v.1 && parts.len() > 2 && (parts[1] == "tests" || parts[1] == "test")
        })
        .map(|(_, v)| v.0)
        .sum();
    assert_eq!(tests[0]["bytes"], want);

    let unreadable = only(&fs, "lambda-unreadable-files");
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0]["severity"], "error");
    assert_eq!(unreadable[0]["paths"][0], "/var/task/app.py");

    // The naive image has no runtime interface client either.
    assert_eq!(only(&fs, "lambda-runtime-interface").len(), 1);
}

#[test]
fn the_clean_variant_has_no_findings() {
    let Some(b) = built() else { return };
    let (code, fs, r) = findings(&b.clean, &b.policy);
    let noisy: Vec<_> = fs.iter().filter(|f| f["severity"] != "info").collect();
    assert!(noisy.is_empty(), "{noisy:#?}");
    assert_eq!(code, 0);
    assert_eq!(r["verdict"], "pass");
}

#[test]
fn levels_from_gate_toml_turn_rules_off_or_into_failures() {
    let Some(b) = built() else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gate.toml");
    std::fs::write(&p, "[rules]\nmin_bytes = \"10kB\"\npip-cache = \"deny\"\nlambda-unreadable-files = \"allow\"\nignore_paths = [\"/var/lib/apt/**\"]\n").unwrap();
    let (code, fs, _) = findings(&b.naive, &p);
    assert_eq!(code, 1);
    assert_eq!(only(&fs, "pip-cache")[0]["severity"], "error");
    assert!(only(&fs, "lambda-unreadable-files").is_empty());
    assert!(
        only(&fs, "apt-lists").is_empty(),
        "ignored paths are left out"
    );
    std::fs::write(&p, "[rules]\npip-cahce = \"deny\"\n").unwrap();
    let out = support::gate(&[
        "check",
        b.naive.to_str().unwrap(),
        "--policy",
        p.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"pip-cahce\" is not a rule id"));
}

#[test]
fn lambda_platform_rules_on_fixtures() {
    let multi = image("stereoscope-multiplatform_oci_dir");
    let (_, r) = gate_json(&["check", multi.to_str().unwrap()]);
    let f = r["findings"].as_array().unwrap();
    let m = f
        .iter()
        .find(|f| f["rule"] == "lambda-multi-arch")
        .expect("multi-arch");
    assert!(m["message"]
        .as_str()
        .unwrap()
        .contains("linux/amd64, linux/arm64"));
    assert_eq!(m["severity"], "error");

    let arm = image("dive-test-oci-gzip-image.tar");
    let (_, r) = gate_json(&["check", arm.to_str().unwrap(), "--architecture", "x86_64"]);
    let f = r["findings"].as_array().unwrap();
    assert!(
        f.iter().any(|f| f["rule"] == "lambda-architecture"),
        "{f:#?}"
    );
    assert!(
        f.iter().any(|f| f["rule"] == "lambda-entrypoint"),
        "no CMD in this image"
    );
    let (_, r) = gate_json(&["check", arm.to_str().unwrap(), "--architecture", "arm64"]);
    assert!(!r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "lambda-architecture"));
}

#[test]
fn dive_ci_gives_dives_pass_fail_on_dives_fixtures() {
    let img = image("dive-test-docker-image.tar");
    let ci = support::fixtures().join("images/dive-dive-ci");
    let (_, r) = gate_json(&[
        "check",
        img.to_str().unwrap(),
        "--dive-ci",
        ci.to_str().unwrap(),
    ]);
    let checks = r["checks"].as_array().unwrap();
    for name in [
        "dive-lowest-efficiency",
        "dive-highest-wasted-bytes",
        "dive-highest-user-wasted-percent",
    ] {
        let c = checks.iter().find(|c| c["name"] == name).unwrap();
        assert_eq!(c["status"], "pass", "{c}");
    }
    // dive's evaluator test "allFail" thresholds, from a .dive-ci picked up in the directory.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".dive-ci"), "rules:\n  lowestEfficiency: 0.99\n  highestWastedBytes: 1B\n  highestUserWastedPercent: 0.01\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["check", img.to_str().unwrap(), "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"].as_str().unwrap().starts_with("dive-") && c["status"] == "fail")
        .count();
    assert_eq!(failed, 3);
}

#[test]
fn gate_init_writes_a_policy_gate_reads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gate.toml");
    let out = support::gate(&["init", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&p).unwrap();
    for id in [
        "pip-cache",
        "lambda-unreadable-files",
        "max_size",
        "min_bytes",
    ] {
        assert!(text.contains(id), "{id}");
    }
    assert_eq!(
        support::gate(&["init", p.to_str().unwrap()]).status.code(),
        Some(2),
        "no silent overwrite"
    );
    let img = image("dive-test-docker-image.tar");
    let (code, _) = gate_json(&[
        "check",
        img.to_str().unwrap(),
        "--policy",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
}
