//! The reusable perf workflow (.github/workflows/perf.yml) run on this machine as GitHub would
//! run it: the setup job's script fixes the start, each shard job's script runs the real `gate`
//! (through a `docker` stand-in that runs the binary under test, in that job's own workspace),
//! `upload-artifact` copies what its `path` names into an artifact called `name`,
//! `download-artifact` brings back every artifact its `pattern` matches, and the merge job's
//! script merges them. So what must line up — the setup job's outputs and the matrix, the file
//! each shard writes and the artifact it uploads, the artifacts the merge downloads and the
//! files it globs, the step outputs behind the workflow's outputs — is checked by using it.
//! Every `${{ }}` expression must be one this runner knows, so a renamed output fails here.
//! (What the stand-in does not check: docker's own flags. actionlint and GitHub's schema run
//! over the file in workflows_valid.rs.)

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// YAML as JSON, through Python's YAML reader (PyYAML, or ruamel.yaml which check-jsonschema
/// brings): no YAML crate in the build for one test.
fn yaml(path: &Path) -> Option<Value> {
    let script = "import sys, json\ntry:\n    import yaml\n    d = yaml.safe_load(open(sys.argv[1]))\nexcept ImportError:\n    from ruamel.yaml import YAML\n    d = YAML(typ='safe').load(open(sys.argv[1]))\nprint(json.dumps(d, default=str))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .ok()?;
    if !out.status.success() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI: no YAML reader for python3: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// `on:` reads as the boolean true in YAML 1.1.
fn on(w: &Value) -> &Value {
    if w["on"].is_null() {
        &w["true"]
    } else {
        &w["on"]
    }
}

/// Replaces every `${{ expr }}` with its value; an expression not in `ctx` fails the test.
fn eval(text: &str, ctx: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("}}").expect("unclosed ${{") + i;
        let expr = rest[i + 3..end].trim();
        // A step output its step never wrote is empty, as on GitHub; anything else unknown is
        // a name that does not line up.
        let v = match ctx.get(expr) {
            Some(v) => v.as_str(),
            None if expr.starts_with("steps.") => "",
            None => panic!("unknown expression ${{{{ {expr} }}}} in {text:?}"),
        };
        out.push_str(v);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// What `$GITHUB_OUTPUT` holds: `k=v` lines and `k<<DELIM` blocks.
fn outputs(path: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if let Some((k, delim)) = l.split_once("<<") {
            let mut v = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                v.push(l);
            }
            out.insert(k.to_string(), v.join("\n"));
        } else if let Some((k, v)) = l.split_once('=') {
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

struct Runner {
    root: PathBuf,
    /// Artifacts by name: directory of files.
    artifacts: PathBuf,
    shim: PathBuf,
}

impl Runner {
    fn new(root: &Path) -> Runner {
        let shim = root.join("bin");
        std::fs::create_dir_all(&shim).unwrap();
        // `docker pull` is a no-op; `docker run [flags] IMAGE ARGS` runs the gate under test.
        let docker = shim.join("docker");
        std::fs::write(
            &docker,
            "#!/bin/sh\n[ \"$1\" = pull ] && exit 0\n[ \"$1\" = run ] || { echo \"docker stand-in: $1?\" >&2; exit 2; }\nshift\nwhile [ $# -gt 0 ] && [ \"$1\" != \"$GATE_IMAGE\" ]; do shift; done\n[ $# -gt 0 ] || { echo 'docker stand-in: no image' >&2; exit 2; }\nshift\nexec \"$GATE_BIN\" \"$@\"\n",
        )
        .unwrap();
        std::process::Command::new("chmod")
            .args(["+x"])
            .arg(&docker)
            .status()
            .unwrap();
        let artifacts = root.join("artifacts");
        std::fs::create_dir_all(&artifacts).unwrap();
        Runner {
            root: root.to_path_buf(),
            artifacts,
            shim,
        }
    }

    /// Runs one job's steps in a fresh workspace; returns the job's outputs and the exit code
    /// of the first failing step (0 when none failed).
    fn job(
        &self,
        workspace: &str,
        job: &Value,
        ctx: &BTreeMap<String, String>,
    ) -> (BTreeMap<String, String>, i32) {
        let ws = self.root.join(workspace);
        std::fs::create_dir_all(&ws).unwrap();
        let temp = self.root.join(format!("{workspace}-temp"));
        std::fs::create_dir_all(&temp).unwrap();
        let mut ctx = ctx.clone();
        let mut failed = 0;
        for (n, step) in job["steps"].as_array().unwrap().iter().enumerate() {
            let cond = string(&step["if"]);
            let run_it = match cond.as_str() {
                "" => failed == 0,
                "always()" => true,
                "inputs.function != ''" => failed == 0 && !ctx["inputs.function"].is_empty(),
                other => panic!("step condition {other:?}: teach this runner"),
            };
            if !run_it {
                continue;
            }
            let with: BTreeMap<String, String> = step["with"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), eval(&string(v), &ctx)))
                        .collect()
                })
                .unwrap_or_default();
            let uses = string(&step["uses"]);
            if uses.starts_with("actions/checkout@") {
                continue;
            }
            if uses.starts_with("actions/upload-artifact@") {
                let (name, path) = (&with["name"], &with["path"]);
                let src = ws.join(path);
                if !src.exists() {
                    assert_eq!(
                        with.get("if-no-files-found").map(String::as_str),
                        Some("ignore")
                    );
                    continue;
                }
                let dst = self.artifacts.join(name);
                std::fs::create_dir_all(&dst).unwrap();
                std::fs::copy(&src, dst.join(src.file_name().unwrap())).unwrap();
                continue;
            }
            if uses.starts_with("actions/download-artifact@") {
                assert_eq!(with["merge-multiple"], "true");
                let glob = globset::Glob::new(&with["pattern"])
                    .unwrap()
                    .compile_matcher();
                let dst = ws.join(&with["path"]);
                std::fs::create_dir_all(&dst).unwrap();
                for a in std::fs::read_dir(&self.artifacts).unwrap() {
                    let a = a.unwrap();
                    if glob.is_match(a.file_name()) {
                        for f in std::fs::read_dir(a.path()).unwrap() {
                            let f = f.unwrap();
                            std::fs::copy(f.path(), dst.join(f.file_name())).unwrap();
                        }
                    }
                }
                continue;
            }
            assert!(uses.is_empty(), "step uses {uses}: teach this runner");
            let script = eval(&string(&step["run"]), &ctx);
            let out_file = temp.join(format!("output-{n}"));
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
                .current_dir(&ws)
                .env(
                    "PATH",
                    format!(
                        "{}:{}",
                        self.shim.display(),
                        std::env::var("PATH").unwrap_or_default()
                    ),
                )
                .env("GATE_BIN", env!("CARGO_BIN_EXE_gate"))
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_OUTPUT", &out_file)
                .env("GITHUB_STEP_SUMMARY", temp.join("summary.md"))
                .env("RUNNER_TEMP", &temp)
                .env("RUNNER_NAME", format!("runner-{workspace}"))
                .env_remove("GITHUB_TOKEN")
                .env_remove("GITHUB_EVENT_PATH");
            if let Some(env) = step["env"].as_object() {
                for (k, v) in env {
                    cmd.env(k, eval(&string(v), &ctx));
                }
            }
            let out = cmd.output().unwrap();
            eprintln!(
                "{workspace} step {n}: {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            if !out.status.success() {
                failed = out.status.code().unwrap_or(-1);
            }
            if let Some(id) = step["id"].as_str() {
                for (k, v) in outputs(&out_file) {
                    ctx.insert(format!("steps.{id}.outputs.{k}"), v);
                }
            }
        }
        let outs = job["outputs"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), eval(&string(v), &ctx)))
                    .collect()
            })
            .unwrap_or_default();
        (outs, failed)
    }
}

#[test]
fn the_perf_workflow_runs_shards_and_merges_them_into_one_verdict() {
    if !support::require_tools(&["bash", "python3", "seq"]) {
        return;
    }
    let Some(w) = yaml(&repo().join(".github/workflows/perf.yml")) else {
        eprintln!("skipping: no YAML reader for python3");
        return;
    };
    let call = &on(&w)["workflow_call"];
    // A keep-alive server answering 200 to everything, counting requests.
    let served = support::http::Fake::start(|_| support::http::Reply::ok("ok"));
    let url = format!("{}/health", served.url());
    // The inputs a caller gives; the rest take the workflow's declared defaults.
    let given = [
        ("url", url.as_str()),
        ("shards", "3"),
        ("requests", "90"),
        ("concurrency", "3"),
        ("start-delay", "2"),
        ("thresholds", "p95 < 5s\nsuccess_rate >= 99%\n"),
    ];
    let mut ctx = BTreeMap::new();
    for (name, spec) in call["inputs"].as_object().unwrap() {
        ctx.insert(format!("inputs.{name}"), string(&spec["default"]));
    }
    for (k, v) in given {
        assert!(
            ctx.contains_key(&format!("inputs.{k}")),
            "perf.yml has no input {k}"
        );
        ctx.insert(format!("inputs.{k}"), v.to_string());
    }
    ctx.insert("github.event_name".into(), "push".into());
    ctx.insert("github.token".into(), String::new());
    ctx.insert("secrets.aws-role-arn".into(), String::new());
    let dir = tempfile::tempdir().unwrap();
    let runner = Runner::new(dir.path());
    let jobs = &w["jobs"];

    let (setup, code) = runner.job("setup", &jobs["setup"], &ctx);
    assert_eq!(code, 0);
    let start: u64 = setup["start-at"].parse().unwrap();
    for (k, v) in &setup {
        ctx.insert(format!("needs.setup.outputs.{k}"), v.clone());
    }
    let matrix = string(&jobs["shard"]["strategy"]["matrix"]["shard"]);
    assert_eq!(matrix, "${{ fromJSON(needs.setup.outputs.shards) }}");
    let shards: Vec<u64> = serde_json::from_str(&setup["shards"]).unwrap();
    assert_eq!(shards, [1, 2, 3]);

    // The shards run side by side, as the matrix's jobs do.
    let runner = Arc::new(runner);
    let handles: Vec<_> = shards
        .iter()
        .map(|&i| {
            let (runner, job, mut ctx) = (runner.clone(), jobs["shard"].clone(), ctx.clone());
            ctx.insert("matrix.shard".into(), i.to_string());
            thread::spawn(move || runner.job(&format!("shard-{i}"), &job, &ctx).1)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 0);
    }
    let names: Vec<String> = std::fs::read_dir(&runner.artifacts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "one artifact per shard: {names:?}");

    let (merged, code) = runner.job("merge", &jobs["merge"], &ctx);
    assert_eq!(code, 0, "the merge step failed");
    assert_eq!(merged["verdict"], "pass");
    assert!(merged["p95-ms"].parse::<f64>().unwrap() > 0.0);
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("merge/perf-merged.json")).unwrap())
            .unwrap();
    let p = &report["perf"];
    assert_eq!(p["requests"], 90);
    assert_eq!(served.requests().len(), 90, "what the server counted");
    let rows = p["shards"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["requests"], 30);
        assert_eq!(r["runner"], format!("runner-shard-{}", i + 1));
    }
    assert_eq!(
        p["start_at"].as_str().unwrap(),
        time::OffsetDateTime::from_unix_timestamp(start as i64)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    let summary = std::fs::read_to_string(dir.path().join("merge-temp/summary.md")).unwrap();
    assert!(summary.contains("| 2/3 | `runner-shard-2` |"), "{summary}");
    // The workflow's outputs are the merge job's.
    for (name, spec) in call["outputs"].as_object().unwrap() {
        assert_eq!(
            string(&spec["value"]),
            format!("${{{{ jobs.merge.outputs.{name} }}}}")
        );
        assert!(merged.contains_key(name), "merge job has no output {name}");
    }

    // A shard whose job failed before it wrote anything: the merge fails and says which.
    std::fs::remove_dir_all(runner.artifacts.join(&names[0])).unwrap();
    std::fs::remove_dir_all(dir.path().join("merge")).unwrap();
    let (merged, code) = runner.job("merge", &jobs["merge"], &ctx);
    assert_eq!(code, 1);
    assert_eq!(merged["verdict"], "fail");
}

#[test]
fn the_example_pipeline_calls_the_perf_workflow_with_its_inputs() {
    let (Some(perf), Some(example)) = (
        yaml(&repo().join(".github/workflows/perf.yml")),
        yaml(&repo().join("examples/workflows/lambda-pipeline.yml")),
    ) else {
        return;
    };
    let inputs = on(&perf)["workflow_call"]["inputs"]
        .as_object()
        .unwrap()
        .clone();
    let callers: Vec<&Value> = example["jobs"]
        .as_object()
        .unwrap()
        .values()
        .filter(|j| string(&j["uses"]).contains("/.github/workflows/perf.yml@"))
        .collect();
    assert_eq!(callers.len(), 1);
    let job = callers[0];
    for k in job["with"].as_object().unwrap().keys() {
        assert!(inputs.contains_key(k), "perf.yml has no input {k}");
    }
    assert!(
        string(&job["if"]).contains("inputs.load-shards"),
        "behind an input"
    );
    assert!(on(&example)["workflow_dispatch"]["inputs"]["load-shards"].is_object());
}
