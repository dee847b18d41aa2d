//! The gate's pre-deploy verdicts beside checkov's (the scanner users already run on these
//! files, pinned in scripts/tools/pins.env, run offline with `--skip-download`), rule by rule
//! where both have one, on real third-party templates and plans and on the repo's own
//! deployment:
//!
//! | checkov | gate |
//! |---|---|
//! | CKV_AWS_116 (DLQ configured) | `lambda-no-dlq` |
//! | CKV_AWS_50 (X-Ray tracing enabled) | `lambda-tracing-off` |
//! | CKV_AWS_115 (function-level concurrency limit) | `lambda-no-reserved-concurrency` |
//!
//! Every verdict must agree except the differences listed in `EXPECTED_DIFFERENCES`, each with
//! why; a difference not listed, or a listed one that no longer happens, fails the test.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use lambda_gate::deployed::iac::{self, Params};
use lambda_gate::deployed::{self, cfg::LambdaConfig, Ctx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    /// The gate's "not checked": the file cannot tell before the deploy.
    Unknown,
}
use Verdict::*;

const PAIRS: &[(&str, &str)] = &[
    ("CKV_AWS_116", "lambda-no-dlq"),
    ("CKV_AWS_50", "lambda-tracing-off"),
    ("CKV_AWS_115", "lambda-no-reserved-concurrency"),
];

const TERRAGOAT: &str = "bridgecrewio-checkov-runner-resources-plan-tfplan.json";
const ISSUE_249: &str = "terraform-compliance-cli-functional-test_issue-249-plan.out.json";
const SAM_CLI_PLAN: &str =
    "aws-aws-sam-cli-invoke-terraform-simple_application_no_building_logic-custom-plan.json";
const SAM_CLI_TEMPLATE: &str = "aws-aws-sam-cli-invoke-template_image.yaml";

/// (file, resource, checkov id, checkov's verdict, the gate's, why they differ).
const EXPECTED_DIFFERENCES: &[(&str, &str, &str, Verdict, Verdict, &str)] = &[
    // checkov's CKV_AWS_115 passes when `reserved_concurrent_executions` is present in the
    // plan, and the provider writes -1 ("no reservation") there by default.
    (
        TERRAGOAT,
        "aws_lambda_function.analysis_lambda",
        "CKV_AWS_115",
        Pass,
        Fail,
        "-1 is no reservation",
    ),
    (
        ISSUE_249,
        "module.lambda_TFUpgradeTest.aws_lambda_function.lambda",
        "CKV_AWS_115",
        Pass,
        Fail,
        "-1 is no reservation",
    ),
    // checkov's CKV_AWS_50 passes on any tracing_config block; PassThrough samples nothing
    // unless the caller already traces.
    (
        ISSUE_249,
        "module.lambda_TFUpgradeTest.aws_lambda_function.lambda",
        "CKV_AWS_50",
        Pass,
        Fail,
        "PassThrough is not active tracing",
    ),
    // tracing_config is only in after_unknown: checkov fails it as missing, the gate cannot
    // tell before apply.
    (
        TERRAGOAT,
        "aws_lambda_function.analysis_lambda",
        "CKV_AWS_50",
        Fail,
        Unknown,
        "tracing_config known only after apply",
    ),
];

/// Every function of `SAM_CLI_PLAN` differs the same two ways (-1 reserved, tracing unknown).
const SAM_CLI_PLAN_FUNCTIONS: &[&str] = &[
    "aws_lambda_function.remote_lambda_code",
    "aws_lambda_function.root_lambda",
    "aws_lambda_function.s3_lambda",
    "module.level1_lambda.aws_lambda_function.this",
    "module.level1_lambda.module.level2_lambda.aws_lambda_function.this",
];

fn expected() -> Vec<(String, String, String, Verdict, Verdict)> {
    let mut out: Vec<_> = EXPECTED_DIFFERENCES
        .iter()
        .map(|(f, r, c, a, b, _)| (f.to_string(), r.to_string(), c.to_string(), *a, *b))
        .collect();
    for r in SAM_CLI_PLAN_FUNCTIONS {
        out.push((
            SAM_CLI_PLAN.into(),
            r.to_string(),
            "CKV_AWS_115".into(),
            Pass,
            Fail,
        ));
        out.push((
            SAM_CLI_PLAN.into(),
            r.to_string(),
            "CKV_AWS_50".into(),
            Fail,
            Unknown,
        ));
    }
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

/// checkov's verdicts on the Lambda checks above, by (resource, check id). The resource is
/// a template's logical id or a plan's / module's address, as the gate names it.
fn checkov(
    framework: &str,
    path: &Path,
) -> (BTreeMap<(String, String), Verdict>, Vec<serde_json::Value>) {
    let flag = if path.is_dir() { "-d" } else { "-f" };
    let out = Command::new("checkov")
        .args([flag, path.to_str().unwrap(), "--framework", framework])
        .args(["--skip-download", "--compact", "-o", "json"])
        // No telemetry, no look-ups: the guide links and the platform are off-line anyway.
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run checkov");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov on {}: not JSON ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let doc = match doc {
        serde_json::Value::Array(mut a) => a.remove(0),
        d => d,
    };
    let mut verdicts = BTreeMap::new();
    let mut failed = Vec::new();
    for (key, v) in [("passed_checks", Pass), ("failed_checks", Fail)] {
        for c in doc["results"][key].as_array().into_iter().flatten() {
            let id = c["check_id"].as_str().unwrap().to_string();
            let res = c["resource"].as_str().unwrap();
            let res = if res.starts_with("AWS::") {
                res.rsplit('.').next().unwrap()
            } else {
                res
            };
            if v == Fail {
                failed.push(c.clone());
            }
            if PAIRS.iter().any(|(ck, _)| *ck == id) {
                verdicts.insert((res.to_string(), id), v);
            }
        }
    }
    (verdicts, failed)
}

/// The gate's verdicts on the same rules, by (resource, checkov id).
fn gate(path: &Path, params: &Params) -> BTreeMap<(String, String), Verdict> {
    let cfg = LambdaConfig::default();
    let mut out = BTreeMap::new();
    // Every function, image or Zip: checkov checks them all.
    let mut all = Vec::new();
    for only in iac::read(path, params, None)
        .unwrap()
        .iter()
        .map(|f| f.name.clone())
    {
        all.extend(iac::read(path, params, Some(&only)).unwrap());
    }
    let zips = read_zip_functions(path, params, &all);
    all.extend(zips);
    for f in &all {
        let ctx = Ctx {
            function: f,
            perf: None,
            image: None,
            image_digests: Vec::new(),
            cfg: &cfg,
        };
        let mut sink = lambda_gate::model::Sink::default();
        deployed::run(&ctx, &mut sink);
        let (findings, notes) = (sink.findings, sink.notes);
        let address = f.locations["function"].address.clone().unwrap();
        for (ck, rule) in PAIRS {
            let v = if findings.iter().any(|x| x.rule.id() == *rule) {
                Fail
            } else if notes
                .iter()
                .any(|n| n.starts_with(&format!("{rule}: not checked")))
            {
                Unknown
            } else {
                Pass
            };
            out.insert((address.clone(), ck.to_string()), v);
        }
    }
    out
}

/// `iac::read` returns only the image functions when a file has any; checkov checks the Zip
/// ones too, so they are asked for by name (the template's logical ids, from its text).
fn read_zip_functions(
    path: &Path,
    params: &Params,
    have: &[lambda_gate::model::DeployedFunction],
) -> Vec<lambda_gate::model::DeployedFunction> {
    if path.is_dir() || path.extension().is_some_and(|e| e == "json") {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(id) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) else {
            continue;
        };
        if id.contains(' ')
            || have
                .iter()
                .any(|f| f.locations["function"].address.as_deref() == Some(id))
        {
            continue;
        }
        if let Ok(fs) = iac::read(path, params, Some(id)) {
            out.extend(
                fs.into_iter()
                    .filter(|f| f.package_type.as_deref() == Some("Zip")),
            );
        }
    }
    out
}

fn fixture(name: &str) -> PathBuf {
    support::fixtures().join("iac").join(name)
}

#[test]
fn checkov_and_the_gate_agree_but_where_said() {
    if !support::require_tools(&["checkov"]) {
        return;
    }
    let uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gate-function@sha256:8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runs: Vec<(String, &str, PathBuf, Params)> = vec![
        (
            TERRAGOAT.into(),
            "terraform_plan",
            fixture(TERRAGOAT),
            Params::new(),
        ),
        (
            ISSUE_249.into(),
            "terraform_plan",
            fixture(ISSUE_249),
            Params::new(),
        ),
        (
            SAM_CLI_PLAN.into(),
            "terraform_plan",
            fixture(SAM_CLI_PLAN),
            Params::new(),
        ),
        (
            SAM_CLI_TEMPLATE.into(),
            "cloudformation",
            fixture(SAM_CLI_TEMPLATE),
            Params::new(),
        ),
        (
            "function/template.yaml".into(),
            "cloudformation",
            root.join("function/template.yaml"),
            [("ImageUri".to_string(), uri.to_string())].into(),
        ),
        (
            "function/terraform".into(),
            "terraform",
            root.join("function/terraform"),
            [("image_uri".to_string(), uri.to_string())].into(),
        ),
    ];
    let mut differences = Vec::new();
    let mut agreed = 0;
    for (name, framework, path, params) in &runs {
        let (theirs, failed) = checkov(framework, path);
        let ours = gate(path, params);
        assert!(!theirs.is_empty(), "{name}: checkov ran none of {PAIRS:?}");
        for ((res, id), v) in &theirs {
            let Some(g) = ours.get(&(res.clone(), id.clone())) else {
                panic!(
                    "{name}: checkov checked {res}, the gate read no such function ({:?})",
                    ours.keys()
                );
            };
            if g == v {
                agreed += 1;
            } else {
                differences.push((name.clone(), res.clone(), id.clone(), *v, *g));
            }
        }
        // The repo's own deployment passes both on these three checks.
        if name.starts_with("function/") {
            assert!(theirs.values().all(|v| *v == Pass), "{name}: {theirs:?}");
        }
        // checkov knows nothing of images: the raw function whose ImageUri is misplaced
        // (not under Code) deploys no image, which no checkov check names; the gate fails it.
        if name == SAM_CLI_TEMPLATE {
            let on_it: Vec<&str> = failed
                .iter()
                .filter(|c| {
                    c["resource"]
                        .as_str()
                        .is_some_and(|r| r.ends_with(".HelloWorldLambdaFunction"))
                })
                .map(|c| c["check_name"].as_str().unwrap_or_default())
                .collect();
            assert!(!on_it.is_empty());
            assert!(
                on_it.iter().all(|n| !n.to_lowercase().contains("image")),
                "{on_it:?}"
            );
            let f = iac::read(path, params, Some("HelloWorldLambdaFunction")).unwrap();
            let cfg = LambdaConfig::default();
            let ctx = Ctx {
                function: &f[0],
                perf: None,
                image: None,
                image_digests: Vec::new(),
                cfg: &cfg,
            };
            let mut sink = lambda_gate::model::Sink::default();
            deployed::run(&ctx, &mut sink);
            assert!(sink
                .findings
                .iter()
                .any(|x| x.rule.id() == "lambda-image-uri-missing"));
        }
    }
    differences.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(
        differences,
        expected(),
        "the verdicts that differ, against the list that says why"
    );
    assert!(agreed >= 30, "only {agreed} verdicts compared");
}
