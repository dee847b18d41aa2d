//! The example function's deployment (function/template.yaml) and the post-deploy
//! configuration checks, against real parts: cfn-lint, aws-sam-translator (what `sam deploy`
//! runs) and moto in server mode as the AWS APIs (CloudFormation, Lambda, SQS, SNS,
//! CloudWatch Logs) on 127.0.0.1.
//!
//! What moto does not model is said where it matters (NOTES.md measured it): it creates no
//! alarm, Function URL or alias from a template, and reads an image function back as Zip,
//! x86_64, PassThrough tracing, no DLQ. So the template's shape is checked on the translated
//! JSON, the deployed stack on what moto does create, and each configuration rule on
//! functions made through moto's Lambda API, where those fields do round-trip.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lambda_gate::aws::Aws;
use lambda_gate::deployed::{self, cfg::LambdaConfig};
use lambda_gate::perf::{Latency, PerfReport};
use lambda_gate::report::{Report, Severity};
use serde_json::{json, Value};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The tools scripts/tools/50-aws.sh installs; CI has them, a laptop may not.
fn tools_present() -> bool {
    let missing: Vec<&str> = ["moto_server", "cfn-lint", "python3"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED: {missing:?} not installed (scripts/tools/50-aws.sh installs them)");
    }
    missing.is_empty()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deployment");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cfn_lint(path: &Path) -> std::process::Output {
    Command::new("cfn-lint")
        .arg(path)
        .output()
        .expect("run cfn-lint")
}

/// function/template.yaml translated once per test binary, as `sam deploy` would.
fn translated() -> &'static (PathBuf, Value) {
    static T: OnceLock<(PathBuf, Value)> = OnceLock::new();
    T.get_or_init(|| translate(&root().join("function/template.yaml"), "template.json"))
}

fn translate(sam: &Path, out_name: &str) -> (PathBuf, Value) {
    let out = Command::new("python3")
        .arg(root().join("scripts/sam-translate.py"))
        .arg(sam)
        .output()
        .expect("run sam-translate.py");
    assert!(
        out.status.success(),
        "sam-translate.py {}: {}",
        sam.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let path = scratch().join(out_name);
    std::fs::write(&path, &out.stdout).unwrap();
    (path, serde_json::from_slice(&out.stdout).unwrap())
}

/// A moto server on a port the OS picked, stopped with the test.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        let port = support::free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let start = Instant::now();
        while !moto.post("/moto-api/reset", "") {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "moto_server did not answer on {}",
                moto.url
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        // Image functions would need Docker to run; without it moto's Invoke echoes the
        // payload, which is all the load test needs from it.
        assert!(moto.post("/moto-api/config", r#"{"lambda":{"use_docker":false}}"#));
        moto
    }

    fn post(&self, path: &str, body: &str) -> bool {
        Command::new("curl")
            .args(["-sf", "-X", "POST", "-d", body])
            .arg(format!("{}{path}", self.url))
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn python(&self, script: &str, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new("python3")
            .arg(root().join("tests/support").join(script))
            .arg(&self.url)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn aws(&self) -> Aws {
        Aws::new(Some("us-east-1"), Some(&self.url), Duration::from_secs(10))
            .unwrap()
            .with_credentials(Some(aws_credential_types::Credentials::new(
                "testing", "testing", None, None, "test",
            )))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn resources_of<'a>(t: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

#[test]
fn template_lints_and_translates_to_the_production_settings() {
    if !tools_present() {
        return;
    }
    let sam = root().join("function/template.yaml");
    let out = cfn_lint(&sam);
    assert!(
        out.status.success(),
        "cfn-lint {}: {}",
        sam.display(),
        String::from_utf8_lossy(&out.stdout)
    );
    let (json_path, t) = translated();
    let out = cfn_lint(json_path);
    assert!(
        out.status.success(),
        "cfn-lint on the translated template: {}",
        String::from_utf8_lossy(&out.stdout)
    );

    let f = &t["Resources"]["Function"]["Properties"];
    assert_eq!(f["PackageType"], "Image");
    assert_eq!(f["Code"]["ImageUri"], json!({"Ref": "ImageUri"}));
    assert_eq!(f["Architectures"], json!([{"Ref": "Architecture"}]));
    assert_eq!(f["MemorySize"], json!({"Ref": "MemorySize"}));
    assert_eq!(f["Timeout"], json!({"Ref": "Timeout"}));
    assert_eq!(f["TracingConfig"]["Mode"], "Active");
    assert_eq!(
        f["DeadLetterConfig"]["TargetArn"],
        json!({"Fn::GetAtt": ["DeadLetterQueue", "Arn"]})
    );
    assert_eq!(
        f["ReservedConcurrentExecutions"],
        json!({"Ref": "ReservedConcurrency"})
    );
    assert_eq!(
        f["LoggingConfig"]["LogGroup"],
        json!({"Ref": "FunctionLogGroup"})
    );
    let params = &t["Parameters"];
    assert_eq!(params["MemorySize"]["Default"], 512);
    assert_eq!(params["Timeout"]["Default"], 10);
    assert_eq!(params["Architecture"]["Default"], "x86_64");

    // The alias carries provisioned concurrency only when asked for; the URL is on it.
    let alias = &t["Resources"]["FunctionAliaslive"]["Properties"];
    assert_eq!(alias["Name"], "live");
    assert_eq!(
        alias["ProvisionedConcurrencyConfig"]["Fn::If"][0],
        "HasProvisionedConcurrency"
    );
    let url = &t["Resources"]["FunctionUrl"]["Properties"];
    assert_eq!(
        url["TargetFunctionArn"],
        json!({"Ref": "FunctionAliaslive"})
    );
    assert_eq!(url["AuthType"], "NONE");
    let stage = resources_of(t, "AWS::ApiGatewayV2::Stage");
    assert_eq!(stage.len(), 1);
    assert_eq!(
        stage[0].1["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"],
        json!({"Ref": "ApiRateLimit"})
    );
    assert_eq!(
        t["Resources"]["FunctionLogGroup"]["Properties"]["RetentionInDays"],
        json!({"Ref": "LogRetentionDays"})
    );

    // One alarm per signal the guides name, each to the SNS topic.
    let mut metrics: Vec<String> = resources_of(t, "AWS::CloudWatch::Alarm")
        .iter()
        .map(|(id, a)| {
            let p = &a["Properties"];
            assert_eq!(
                p["AlarmActions"],
                json!([{"Ref": "AlarmTopic"}]),
                "{id} alarms nobody"
            );
            p["MetricName"].as_str().unwrap().to_string()
        })
        .collect();
    metrics.sort();
    assert_eq!(
        metrics,
        [
            "ApproximateNumberOfMessagesVisible",
            "ColdStarts",
            "ConcurrentExecutions",
            "Duration",
            "Errors",
            "Throttles"
        ]
    );
    assert_eq!(resources_of(t, "AWS::CloudWatch::Dashboard").len(), 1);
    assert_eq!(resources_of(t, "AWS::Logs::MetricFilter").len(), 1);
    let outputs: Vec<&String> = t["Outputs"].as_object().unwrap().keys().collect();
    for want in ["FunctionUrl", "FunctionName", "FunctionAlias", "ApiUrl"] {
        assert!(outputs.iter().any(|o| *o == want), "no output {want}");
    }
}

/// The lint step has teeth: a timeout over Lambda's 900 s passes the SAM file's lint but not
/// the translated template's, which is why the suite lints both.
#[test]
fn a_broken_template_fails_the_translated_lint() {
    if !tools_present() {
        return;
    }
    let text = std::fs::read_to_string(root().join("function/template.yaml")).unwrap();
    let broken = text.replace("      Timeout: !Ref Timeout\n", "      Timeout: 1000\n");
    assert_ne!(broken, text, "the template's Timeout line moved");
    let path = scratch().join("broken.yaml");
    std::fs::write(&path, broken).unwrap();
    let (json_path, _) = translate(&path, "broken.json");
    let out = cfn_lint(&json_path);
    assert!(!out.status.success(), "cfn-lint passed a 1000 s timeout");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1000"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_template_deploys_on_the_emulator_and_reads_back() {
    if !tools_present() {
        return;
    }
    let moto = Moto::start();
    let (json_path, _) = translated();
    let digest = format!("sha256:{}", "a".repeat(64));
    let image = format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/gate-function@{digest}");
    let out = moto.python(
        "moto_stack.py",
        &[
            json_path.to_str().unwrap(),
            &format!("ImageUri={image}"),
            "MemorySize=1024",
            "Timeout=20",
            "ReservedConcurrency=7",
            "LogRetentionDays=14",
        ],
        "",
    );
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["status"], "CREATE_COMPLETE", "{r}");
    // Only what moto cannot model (and what names it) was left out of the deployed copy.
    for (id, kind) in r["left_out"].as_object().unwrap() {
        assert!(
            [
                "AWS::Lambda::Url",
                "AWS::Lambda::Alias",
                "AWS::Lambda::Permission",
                "AWS::ApiGatewayV2::Api",
                "AWS::ApiGatewayV2::Stage"
            ]
            .contains(&kind.as_str().unwrap()),
            "{id} ({kind}) was left out"
        );
    }
    assert_eq!(r["dropped_outputs"], json!(["ApiUrl", "FunctionUrl"]));
    assert_eq!(r["outputs"]["FunctionName"], "gatefn-function");
    assert_eq!(r["outputs"]["FunctionAlias"], "live");
    // The parameters reached the function, its concurrency, its queue and its logs.
    assert_eq!(r["function"]["MemorySize"], 1024);
    assert_eq!(r["function"]["Timeout"], 20);
    assert_eq!(r["concurrency"]["ReservedConcurrentExecutions"], 7);
    assert_eq!(r["queue"]["MessageRetentionPeriod"], "1209600");
    assert_eq!(r["log_groups"]["/aws/lambda/gatefn-function"], 14);
    for kind in [
        "AWS::SQS::Queue",
        "AWS::SNS::Topic",
        "AWS::Lambda::Function",
        "AWS::Logs::LogGroup",
        "AWS::CloudWatch::Dashboard",
    ] {
        assert!(
            r["resources"]
                .as_object()
                .unwrap()
                .values()
                .any(|v| v == kind),
            "no {kind} created: {}",
            r["resources"]
        );
    }

    // gate reads the deployed function back through the same APIs a CI job would.
    let aws = moto.aws();
    let f = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(deployed::api::read_function(&aws, "gatefn-function", None))
        .unwrap();
    assert_eq!((f.memory_mb, f.timeout_s), (1024, 20));
    assert_eq!(f.reserved_concurrency, Some(7));
    assert_eq!(f.log_group, "/aws/lambda/gatefn-function");
    assert_eq!((f.log_group_read, f.log_retention_days), (true, Some(14)));
}

/// A function for each side of each rule, made through moto's Lambda API.
fn spec(name: &str, over: Value) -> Value {
    let mut base = json!({
        "name": name, "arch": "x86_64", "timeout": 10, "memory": 512, "tracing": "Active",
        "reserved": 20, "on_failure": "arn:aws:sqs:us-east-1:123456789012:dlq",
        "log_retention": 30, "digest": format!("sha256:{}", "c".repeat(64)), "alias": "live"
    });
    for (k, v) in over.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn perf_run(p99: f64, max: f64, max_memory_used_mb: Option<f64>) -> PerfReport {
    PerfReport {
        requests: 100,
        success_rate: 1.0,
        latency_ms: Latency {
            p99,
            max,
            ..Latency::default()
        },
        max_memory_used_mb,
        billed_avg_ms: Some(40.0),
        memory_size_mb: Some(512.0),
        ..PerfReport::default()
    }
}

/// The rule ids of the findings when `name` (read from the emulator) is held to the default
/// policy beside `perf` and an amd64 image known by `digests`.
fn findings_for(
    aws: &Aws,
    rt: &tokio::runtime::Runtime,
    name: &str,
    perf: PerfReport,
    digests: &[&str],
) -> Vec<(String, Severity)> {
    let f = rt
        .block_on(deployed::api::read_function(aws, name, Some("live")))
        .unwrap_or_else(|e| panic!("{name}: {e:#}"));
    let base: Report = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/function-naive-report.json")).unwrap(),
    )
    .unwrap();
    let mut sink = lambda_gate::model::Sink::default();
    deployed::evaluate(
        vec![f],
        Some(&perf),
        base.image.as_ref(),
        digests.iter().map(|d| d.to_string()).collect(),
        &LambdaConfig::default(),
        &mut sink,
    );
    sink.findings
        .into_iter()
        .map(|f| (f.rule.id().to_string(), f.severity))
        .collect()
}

#[test]
fn each_configuration_rule_fails_and_passes_on_the_emulator() {
    if !tools_present() {
        return;
    }
    let moto = Moto::start();
    let good = spec("good", json!({}));
    let functions = json!([
        good,
        spec("arm", json!({"arch": "arm64"})),
        spec("no-dlq", json!({"on_failure": null})),
        spec("no-tracing", json!({"tracing": "PassThrough"})),
        spec("no-reserved", json!({"reserved": null})),
        spec("logs-forever", json!({"log_retention": null})),
        spec("slow-timeout", json!({"timeout": 900})),
        spec("big", json!({"memory": 3008})),
    ]);
    moto.python("moto_functions.py", &[], &functions.to_string());
    let aws = moto.aws();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // moto reports its own ResolvedImageUri digest; the gated image is "known by" it here,
    // and by another digest where drift is the point.
    let deployed_digest = rt
        .block_on(deployed::api::read_function(&aws, "good", None))
        .unwrap()
        .image_digest
        .expect("a resolved digest");
    let fast = || perf_run(50.0, 80.0, Some(300.0));
    let ok = [deployed_digest.as_str()];
    let rules = |name: &str, perf: PerfReport, digests: &[&str]| -> Vec<String> {
        findings_for(&aws, &rt, name, perf, digests)
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    };

    assert_eq!(rules("good", fast(), &ok), Vec::<String>::new());
    assert_eq!(rules("arm", fast(), &ok), ["lambda-architecture-mismatch"]);
    assert_eq!(rules("no-dlq", fast(), &ok), ["lambda-no-dlq"]);
    assert_eq!(rules("no-tracing", fast(), &ok), ["lambda-tracing-off"]);
    assert_eq!(
        rules("no-reserved", fast(), &ok),
        ["lambda-no-reserved-concurrency"]
    );
    assert_eq!(rules("logs-forever", fast(), &ok), ["lambda-log-retention"]);
    // 900 s on an 80 ms function; and a 10 s timeout under a p99 of 8 s.
    assert_eq!(
        rules("slow-timeout", fast(), &ok),
        ["lambda-timeout-margin"]
    );
    assert_eq!(
        rules("good", perf_run(8000.0, 9500.0, Some(300.0)), &ok),
        ["lambda-timeout-margin"]
    );
    // 300 of 3008 MB used is paid for and idle; 480 of 512 MB leaves no headroom.
    assert_eq!(rules("big", fast(), &ok), ["lambda-memory-headroom"]);
    assert_eq!(
        rules("good", perf_run(50.0, 80.0, Some(480.0)), &ok),
        ["lambda-memory-headroom"]
    );
    let other = format!("sha256:{}", "d".repeat(64));
    assert_eq!(
        rules("good", fast(), &[other.as_str()]),
        ["lambda-image-drift"]
    );
    // Severity follows the default levels: drift and mismatch fail the gate, the rest warn.
    let sev = findings_for(&aws, &rt, "arm", fast(), &ok);
    assert_eq!(sev[0].1, Severity::Error);
    let sev = findings_for(&aws, &rt, "no-dlq", fast(), &ok);
    assert_eq!(sev[0].1, Severity::Warning);
}

/// `gate perf --function` as a user runs it after a deploy: the load through the Invoke API,
/// then the deployed configuration, findings in the JSON and in the PR comment.
#[test]
fn gate_perf_function_reports_configuration_findings() {
    if !tools_present() {
        return;
    }
    let moto = Moto::start();
    let f = spec(
        "fn",
        json!({"timeout": 900, "tracing": "PassThrough", "reserved": null, "on_failure": null}),
    );
    moto.python("moto_functions.py", &[], &json!([f]).to_string());
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_gate"))
            .args(["perf", "--function", "fn", "--qualifier", "live"])
            .args(["--endpoint", &moto.url, "--region", "us-east-1"])
            .args(["--requests", "10", "--concurrency", "2", "--format", format])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap()
    };
    let out = run("json");
    let r: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    // The default level of lambda-timeout-margin is deny: the run fails.
    assert_eq!(out.status.code(), Some(1), "{r}");
    assert_eq!(r["perf"]["requests"], 10);
    assert_eq!(r["perf"]["success_rate"], 1.0, "{}", r["perf"]);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "lambda-timeout-margin",
            "lambda-no-dlq",
            "lambda-tracing-off",
            "lambda-no-reserved-concurrency"
        ]
    );
    assert_eq!(r["function"]["timeout_s"], 900);
    assert_eq!(r["function"]["qualifier"], "live");
    assert_eq!(r["verdict"], "fail");

    let md = String::from_utf8(run("markdown").stdout).unwrap();
    let section = md
        .split("#### Deployed function")
        .nth(1)
        .expect("a deployed-function section");
    for rule in &rules {
        let row = section
            .lines()
            .find(|l| l.contains(rule))
            .unwrap_or_else(|| panic!("no row for {rule}:\n{section}"));
        assert!(row.contains('❌') || row.contains("⚠️"), "{row}");
    }
    let row = section
        .lines()
        .find(|l| l.contains("lambda-log-retention"))
        .unwrap();
    assert!(row.contains("30 days") && row.contains("✅"), "{row}");
    // No REPORT lines from the emulator: memory is said to be unchecked, not passed.
    let row = section
        .lines()
        .find(|l| l.contains("lambda-memory-headroom"))
        .unwrap();
    assert!(row.contains("not checked"), "{row}");
}
