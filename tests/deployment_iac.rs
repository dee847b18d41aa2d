//! `gate check --deployment`: the readers on real third-party templates and plans
//! (../shared/fixtures/iac, byte-exact copies; its README says what each holds), asserting the
//! values each file really sets, knows only after apply, or leaves out; the `[lambda]` rules
//! on in-memory configurations (no AWS, no moto); and the command on the repo's own
//! deployment (function/template.yaml, function/terraform), which must give no finding.

mod support;

use std::path::{Path, PathBuf};

use lambda_gate::deployed::iac::{self, Params};
use lambda_gate::deployed::{self, cfg::LambdaConfig, Ctx};
use lambda_gate::model::{ConfigSource, DeployedFunction, ImageSummary};

fn iac_fixture(name: &str) -> PathBuf {
    support::fixtures().join("iac").join(name)
}

fn read(name: &str) -> Vec<DeployedFunction> {
    iac::read(&iac_fixture(name), &Params::new(), None).unwrap()
}

fn by_name<'a>(fs: &'a [DeployedFunction], name: &str) -> &'a DeployedFunction {
    fs.iter().find(|f| f.name == name).unwrap_or_else(|| {
        panic!(
            "no {name} in {:?}",
            fs.iter().map(|f| &f.name).collect::<Vec<_>>()
        )
    })
}

fn line(f: &DeployedFunction, field: &str) -> Option<u64> {
    f.locations.get(field).and_then(|l| l.line)
}

const DIGEST: &str = "sha256:8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4";

fn ecr_uri() -> String {
    format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/gate-function@{DIGEST}")
}

// ---- Terraform plans ----

#[test]
fn sam_cli_plan_values_only_in_after_unknown_are_unknown_not_missing() {
    let fs = read(
        "aws-aws-sam-cli-invoke-terraform-simple_application_no_building_logic-custom-plan.json",
    );
    assert_eq!(fs.len(), 5, "five Zip functions, nested modules included");
    for f in &fs {
        assert_eq!(f.source, ConfigSource::Plan);
        assert_eq!(f.package_type.as_deref(), Some("Zip"));
        assert!(
            f.unknown.contains_key("architecture"),
            "{}: {:?}",
            f.name,
            f.unknown
        );
        assert!(
            f.unknown.contains_key("tracing"),
            "{}: {:?}",
            f.name,
            f.unknown
        );
        assert_eq!(f.runtime.as_deref(), Some("python3.9"));
    }
    assert_eq!(by_name(&fs, "s3_lambda_function").timeout_s, 500);
    assert_eq!(by_name(&fs, "root_lambda").timeout_s, 300);
    // The nested module's function keeps its full address.
    let nested = by_name(&fs, "level2_lambda_function");
    let addr = nested.locations["function"].address.as_deref().unwrap();
    assert!(
        addr.starts_with("module.level1_lambda.module.level2_lambda."),
        "{addr}"
    );
    // Unknown makes the rules say "not checked", never pass or fail.
    let (findings, notes) = run(nested, None);
    assert!(!findings.iter().any(|f| f.rule.id() == "lambda-tracing-off"));
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("lambda-tracing-off: not checked:")
                && n.contains("known only after apply")),
        "{notes:?}"
    );
}

#[test]
fn checkov_terragoat_plan_minus_one_is_no_reservation() {
    let fs = read("bridgecrewio-checkov-runner-resources-plan-tfplan.json");
    assert_eq!(fs.len(), 1);
    let f = &fs[0];
    assert_eq!(f.name, "123456789123-acme-corp-analysis");
    assert_eq!((f.memory_mb, f.timeout_s), (128, 3));
    assert_eq!(f.runtime.as_deref(), Some("nodejs12.x"));
    // reserved_concurrent_executions = -1 in the plan: the provider's "none".
    assert_eq!(f.reserved_concurrency, None);
    assert!(!f.unknown.contains_key("reserved_concurrency"));
    assert!(f.unknown.contains_key("tracing"));
    assert_eq!(f.dead_letter_target, None);
    assert_eq!(f.log_retention_days, None, "no log group in the plan");
    let (findings, _) = run(f, None);
    let rules: Vec<&str> = findings.iter().map(|x| x.rule.id()).collect();
    assert!(
        rules.contains(&"lambda-no-reserved-concurrency"),
        "{rules:?}"
    );
    assert!(rules.contains(&"lambda-no-dlq"), "{rules:?}");
    assert!(rules.contains(&"lambda-log-retention"), "{rules:?}");
    // The plan's line for the address, so SARIF has a place.
    assert!(line(f, "function").is_some());
}

#[test]
fn terraform_compliance_plans_tracing_passthrough_and_log_groups() {
    let fs = read("terraform-compliance-cli-functional-test_issue-249-plan.out.json");
    let f = &fs[0];
    assert_eq!(f.tracing, "PassThrough");
    assert!(!f.unknown.contains_key("tracing"));
    assert_eq!((f.memory_mb, f.timeout_s), (256, 900));
    assert_eq!(f.reserved_concurrency, None);
    assert!(f.locations["function"]
        .address
        .as_deref()
        .unwrap()
        .starts_with("module.lambda_TFUpgradeTest."));
    let (findings, _) = run(f, None);
    assert!(findings.iter().any(|x| x.rule.id() == "lambda-tracing-off"));

    let fs = read("terraform-compliance-cli-functional-test_issue_522-plan.out.json");
    assert_eq!(
        fs[0].log_retention_days,
        Some(14),
        "the no-op log group /aws/lambda/… keeps 14 days"
    );
    assert_eq!(fs[0].timeout_s, 60);

    let fs = read("terraform-compliance-cli-functional-it_must_be_in-affixes-plan.out.json");
    assert_eq!(fs.len(), 4);
    assert!(
        fs.iter().all(|f| f.log_retention_days == Some(90)),
        "each function has its log group"
    );

    let fs = read("infracost-infracost-examples-terraform-plan.json");
    assert_eq!(fs[0].package_type.as_deref(), Some("Zip"));
    assert_eq!(fs[0].image_uri, None, "image_uri: null");
    assert_eq!(fs[0].memory_mb, 1024);
}

// ---- Terraform HCL ----

#[test]
fn sam_cli_hcl_module_literal_and_interpolated_image_uris() {
    let fs = read(
        "aws-aws-sam-cli-buildcmd-terraform-image_based_lambda_functions_local_backend-main.tf",
    );
    assert_eq!(fs.len(), 2, "the registry module is not followed");
    let f = by_name(&fs, "my_image_function");
    assert_eq!(f.source, ConfigSource::Hcl);
    assert_eq!(f.package_type.as_deref(), Some("Image"));
    assert_eq!(f.image_uri.as_deref(), Some("some_image_uri"));
    assert_eq!(f.handler, None, "handler = null");
    assert_eq!(f.timeout_s, 300);
    assert_eq!(line(f, "function"), Some(56));
    assert_eq!(line(f, "image_uri"), Some(62));
    let (findings, _) = run(f, None);
    let unpinned = findings
        .iter()
        .find(|x| x.rule.id() == "lambda-image-uri-unpinned")
        .unwrap();
    assert!(
        unpinned.message.contains("not an ECR repository"),
        "{}",
        unpinned.message
    );
    // "some_image_uri_${random_pet.this.id}": known only after apply.
    let g = by_name(&fs, "function_with_non_image_uri");
    assert!(
        g.unknown["image_uri"].contains("random_pet.this.id"),
        "{:?}",
        g.unknown
    );
    let (findings, notes) = run(g, None);
    assert!(!findings
        .iter()
        .any(|x| x.rule.id().starts_with("lambda-image-uri")));
    assert!(notes
        .iter()
        .any(|n| n.starts_with("lambda-image-uri-unpinned: not checked")));
}

// ---- SAM / CloudFormation ----

#[test]
fn sam_translator_images_ecr_like_but_not_ecr() {
    let fs =
        read("aws-serverless-application-model-translator-input-basic_function_withimageuri.yaml");
    assert_eq!(fs.len(), 6);
    let f = by_name(&fs, "MyAwesomeFunction");
    assert_eq!(f.timeout_s, 60);
    assert_eq!(
        f.locations["function"].address.as_deref(),
        Some("CompleteImageFunction")
    );
    // 123456789.dkr.ecr.region.amazonaws.suffix: nine digits and no amazonaws.com.
    let (findings, _) = run(f, None);
    assert!(findings
        .iter()
        .any(|x| x.rule.id() == "lambda-image-uri-unpinned"));
}

#[test]
fn sam_translator_image_function_without_image_uri() {
    let fs =
        read("aws-serverless-application-model-translator-input-error_function_no_imageuri.yaml");
    let f = &fs[0];
    assert_eq!(f.package_type.as_deref(), Some("Image"));
    assert_eq!(f.image_uri, None);
    let (findings, _) = run(f, None);
    let missing = findings
        .iter()
        .find(|x| x.rule.id() == "lambda-image-uri-missing")
        .unwrap();
    assert_eq!(missing.severity, lambda_gate::model::Severity::Error);
}

#[test]
fn sam_translator_ignore_globals_is_honoured() {
    let fs =
        read("aws-serverless-application-model-translator-input-function_with_ignore_globals.yaml");
    let names: Vec<&str> = fs.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["ImageFunction", "ImageFunction2"],
        "image functions only by default"
    );
    // IgnoreGlobals: '*': nothing from Globals, MemorySize included.
    let all = by_name(&fs, "ImageFunction");
    assert_eq!(
        (all.runtime.as_deref(), all.handler.as_deref()),
        (None, None)
    );
    assert!(!all.locations.contains_key("memory_mb"));
    // [Runtime, Handler]: those two left out, MemorySize still from Globals (line 5).
    let two = by_name(&fs, "ImageFunction2");
    assert_eq!(
        (two.runtime.as_deref(), two.handler.as_deref()),
        (None, None)
    );
    assert_eq!(line(two, "memory_mb"), Some(5));
    for f in &fs {
        assert_eq!(f.image_uri.as_deref(), Some("s3://bucket/key"));
        let (findings, _) = run(f, None);
        assert!(!findings
            .iter()
            .any(|x| x.rule.id() == "lambda-image-zip-settings"));
        assert!(findings
            .iter()
            .any(|x| x.rule.id() == "lambda-image-uri-unpinned"));
    }
    // The Zip function with the globals, asked for by name.
    let zip = iac::read(
        &iac_fixture(
            "aws-serverless-application-model-translator-input-function_with_ignore_globals.yaml",
        ),
        &Params::new(),
        Some("ZipFunction"),
    )
    .unwrap();
    assert_eq!(zip[0].runtime.as_deref(), Some("python3.11"));
    assert_eq!(line(&zip[0], "runtime"), Some(3));
}

#[test]
fn sam_cli_image_template_parameters_and_a_misplaced_image_uri() {
    let fs = read("aws-aws-sam-cli-invoke-template_image.yaml");
    assert_eq!(fs.len(), 17, "every image function of the 18 (one is Zip)");
    // `ImageUri` at the top of a raw AWS::Lambda::Function is not `Code.ImageUri`.
    let raw = by_name(&fs, "HelloWorldLambdaFunction");
    assert_eq!(raw.image_uri, None);
    let (findings, _) = run(raw, None);
    assert!(findings
        .iter()
        .any(|x| x.rule.id() == "lambda-image-uri-missing"));
    // Timeout from a Number parameter whose Default is the string "5".
    assert_eq!(
        by_name(&fs, "TimeoutFunctionWithStringParameter").timeout_s,
        5
    );
    assert_eq!(by_name(&fs, "TimeoutFunctionWithParameter").timeout_s, 5);
}

#[test]
fn intrinsics_resolve_from_parameters_or_stay_unknown() {
    // Written here: no fixture has a condition on provisioned concurrency or a !Sub'd name.
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.yaml");
    std::fs::write(
        &t,
        r#"Parameters:
  Pc: {Type: Number, Default: 0}
  Img: {Type: String}
Conditions:
  HasPc: !Not [!Equals [!Ref Pc, 0]]
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${AWS::StackName}-fn
      RetentionInDays: 7
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub ${AWS::StackName}-fn
      PackageType: Image
      ImageUri: !Ref Img
      AutoPublishAlias: live
      ProvisionedConcurrencyConfig: !If
        - HasPc
        - ProvisionedConcurrentExecutions: !Ref Pc
        - !Ref AWS::NoValue
      Tracing: !GetAtt Something.Mode
"#,
    )
    .unwrap();
    let f = &iac::read(&t, &Params::new(), None).unwrap()[0];
    assert!(
        f.unknown["image_uri"].contains("no Default"),
        "{:?}",
        f.unknown
    );
    assert!(f.unknown["tracing"].contains("GetAtt"), "{:?}", f.unknown);
    assert_eq!(f.provisioned_concurrency, None);
    assert_eq!(f.qualifier.as_deref(), Some("live"));
    // The log group named with the same !Sub as the function is the function's.
    assert_eq!(f.log_retention_days, Some(7));
    let params: Params = [
        ("Pc".to_string(), "5".to_string()),
        ("Img".to_string(), ecr_uri()),
        ("AWS::StackName".to_string(), "prod".to_string()),
    ]
    .into();
    let f = &iac::read(&t, &params, None).unwrap()[0];
    assert_eq!(f.provisioned_concurrency, Some(5));
    assert_eq!(f.image_uri.as_deref(), Some(ecr_uri().as_str()));
    assert_eq!(f.image_digest.as_deref(), Some(DIGEST));
    assert_eq!(f.name, "prod-fn");
    assert_eq!(f.log_group, "/aws/lambda/prod-fn");
}

// ---- the rules on in-memory configurations ----

fn function() -> DeployedFunction {
    DeployedFunction {
        name: "f".into(),
        memory_mb: 512,
        timeout_s: 10,
        architecture: "x86_64".into(),
        tracing: "Active".into(),
        dead_letter_target: Some("arn:aws:sqs:us-east-1:1:dlq".into()),
        reserved_concurrency: Some(10),
        log_group: "/aws/lambda/f".into(),
        log_group_read: true,
        log_retention_days: Some(30),
        image_uri: Some(ecr_uri()),
        image_digest: Some(DIGEST.into()),
        package_type: Some("Image".into()),
        source: ConfigSource::Template,
        ..DeployedFunction::default()
    }
}

fn run(
    f: &DeployedFunction,
    image: Option<&ImageSummary>,
) -> (Vec<lambda_gate::model::Finding>, Vec<String>) {
    let cfg = LambdaConfig::default();
    let ctx = Ctx {
        function: f,
        perf: None,
        image,
        image_digests: vec![DIGEST.to_string()],
        cfg: &cfg,
    };
    let mut sink = lambda_gate::model::Sink::default();
    deployed::run(&ctx, &mut sink);
    (sink.findings, sink.notes)
}

fn rules(f: &DeployedFunction) -> Vec<String> {
    run(f, None)
        .0
        .into_iter()
        .map(|x| x.rule.id().to_string())
        .collect()
}

#[test]
fn a_well_configured_image_function_has_no_finding() {
    assert_eq!(rules(&function()), Vec::<String>::new());
}

#[test]
fn each_template_rule_fails_on_its_setting() {
    let mut f = function();
    f.image_uri = None;
    f.image_digest = None;
    assert!(rules(&f).contains(&"lambda-image-uri-missing".to_string()));

    let mut f = function();
    f.image_uri = Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/gate-function:v1".into());
    f.image_digest = None;
    let (findings, _) = run(&f, None);
    let unpinned = findings
        .iter()
        .find(|x| x.rule.id() == "lambda-image-uri-unpinned")
        .unwrap();
    assert_eq!(unpinned.severity, lambda_gate::model::Severity::Warning);
    assert!(unpinned.message.contains("not pinned by digest"));

    let mut f = function();
    f.runtime = Some("python3.12".into());
    f.layers = vec!["arn:aws:lambda:us-east-1:1:layer:x:1".into()];
    let (findings, _) = run(&f, None);
    let zip = findings
        .iter()
        .find(|x| x.rule.id() == "lambda-image-zip-settings")
        .unwrap();
    assert!(zip.message.contains("Runtime python3.12") && zip.message.contains("1 Layers"));
    // The same settings on a Zip function are its business.
    f.package_type = Some("Zip".into());
    assert!(!rules(&f).contains(&"lambda-image-zip-settings".to_string()));

    let mut f = function();
    f.tracing = "PassThrough".into();
    assert_eq!(rules(&f), ["lambda-tracing-off"]);
}

#[test]
fn unknown_values_are_not_checked_never_passed() {
    let mut f = function();
    // Lambda's default (3 s) is in the field; the template's value is unknown.
    f.unknown.insert(
        "reserved_concurrency".into(),
        "parameter R has no Default".into(),
    );
    f.reserved_concurrency = None;
    let (findings, notes) = run(&f, None);
    assert!(findings.is_empty(), "{findings:?}");
    assert!(notes.iter().any(|n| n
        == "lambda-no-reserved-concurrency: not checked: reserved_concurrency is not known before the deploy: parameter R has no Default"));
    // A DLQ whose target is unknown, with no destination either: not checked.
    let mut f = function();
    f.dead_letter_target = None;
    f.unknown
        .insert("dead_letter_target".into(), "!GetAtt Q.Arn".into());
    let (findings, notes) = run(&f, None);
    assert!(findings.is_empty());
    assert!(notes
        .iter()
        .any(|n| n.starts_with("lambda-no-dlq: not checked")));
}

#[test]
fn pre_deploy_rules_stay_out_of_the_post_deploy_check() {
    let mut f = function();
    f.source = ConfigSource::Deployed;
    f.image_uri = None;
    f.runtime = Some("python3.12".into());
    let (findings, notes) = run(&f, None);
    assert!(findings
        .iter()
        .all(|x| !x.rule.id().starts_with("lambda-image-uri")
            && x.rule.id() != "lambda-image-zip-settings"));
    assert!(notes.iter().all(|n| !n.starts_with("lambda-image-uri")));
}

#[test]
fn architecture_and_drift_against_the_image_of_the_same_run() {
    let mut f = function();
    f.architecture = "arm64".into();
    f.image_digest = Some(format!("sha256:{}", "b".repeat(64)));
    // The image of a real report (the repo's naive function build), linux/amd64.
    let report: serde_json::Value =
        serde_json::from_str(include_str!("data/function-naive-report.json")).unwrap();
    let image: ImageSummary = serde_json::from_value(report["image"].clone()).unwrap();
    assert_eq!(image.platform, "linux/amd64");
    let (findings, _) = run(&f, Some(&image));
    let ids: Vec<&str> = findings.iter().map(|x| x.rule.id()).collect();
    assert_eq!(ids, ["lambda-architecture-mismatch", "lambda-image-drift"]);
}

// ---- the command ----

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_repos_own_template_and_terraform_give_no_finding() {
    let uri = ecr_uri();
    for (path, param) in [
        ("function/template.yaml", format!("ImageUri={uri}")),
        ("function/terraform", format!("image_uri={uri}")),
    ] {
        let p = root().join(path);
        let (code, r) = support::gate_json(&[
            "check",
            "--deployment",
            p.to_str().unwrap(),
            "--parameter",
            &param,
        ]);
        assert_eq!(code, 0, "{path}: {r:#}");
        assert_eq!(r["findings"], serde_json::json!([]), "{path}");
        let f = &r["function"];
        assert_eq!(f["tracing"], "Active", "{path}");
        assert_eq!(f["reserved_concurrency"], 50, "{path}");
        assert_eq!(f["log_retention_days"], 30, "{path}");
        assert_eq!(f["image_uri"], uri.as_str(), "{path}");
        assert!(f["dead_letter_target"].is_string(), "{path}");
    }
}

#[test]
fn an_unparsable_file_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("broken.yaml");
    std::fs::write(
        &t,
        "Resources:\n  Fn:\n    Type: [AWS::Serverless::Function\n",
    )
    .unwrap();
    let out = support::gate(&["check", "--deployment", t.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:", t.display())), "{err}");
    let tf = dir.path().join("main.tf");
    std::fs::write(
        &tf,
        "resource \"aws_lambda_function\" \"f\" {\n  timeout = \n}\n",
    )
    .unwrap();
    let out = support::gate(&["check", "--deployment", tf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("main.tf:"));
    let out = support::gate(&[
        "check",
        "--deployment",
        root().join("function/template.yaml").to_str().unwrap(),
        "--deployment-function",
        "Nope",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Lambda function \"Nope\""));
}

#[test]
fn a_failing_template_fails_the_gate_with_the_line() {
    let fixture = iac_fixture(
        "aws-serverless-application-model-translator-input-error_function_no_imageuri.yaml",
    );
    let (code, r) = support::gate_json(&["check", "--deployment", fixture.to_str().unwrap()]);
    assert_eq!(code, 1);
    let at = &r["function"]["rule_locations"]["lambda-image-uri-missing"];
    assert_eq!(
        at["line"], 5,
        "PackageType: Image, the line to change: {at}"
    );
}

#[test]
fn sarif_points_at_the_template_line() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("gate.sarif");
    let fixture = iac_fixture(
        "aws-serverless-application-model-translator-input-function_with_ignore_globals.yaml",
    );
    let out = support::gate(&[
        "check",
        "--deployment",
        fixture.to_str().unwrap(),
        "--sarif-output",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "warnings only: {out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let unpinned: Vec<(String, u64)> = results
        .iter()
        .filter(|r| r["ruleId"] == "lambda-image-uri-unpinned")
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    // `ImageUri: s3://bucket/key` of ImageFunction (line 18) and ImageFunction2 (line 30).
    let file = fixture.to_str().unwrap().to_string();
    assert_eq!(unpinned, [(file.clone(), 18), (file, 30)]);
    assert!(results
        .iter()
        .all(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] != "Dockerfile"));
}

#[test]
fn references_to_themselves_are_unknown_not_a_crash() {
    // Hand-written: a hostile template's cycles (a log group named by itself, a condition on
    // itself, a parameter default that refers to a resource that refers back).
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("cycle.yaml");
    std::fs::write(
        &t,
        r#"Parameters:
  P: {Type: String, Default: !Ref Logs}
Conditions:
  C: !Equals [!If [C, a, b], a]
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Ref P
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Code: {ImageUri: !If [C, x, y]}
      LoggingConfig: {LogGroup: !Ref Logs}
      Timeout: !Ref P
"#,
    )
    .unwrap();
    let f = &iac::read(&t, &Params::new(), None).unwrap()[0];
    assert!(f.unknown.contains_key("image_uri"), "{:?}", f.unknown);
    assert!(f.unknown.contains_key("timeout_s"), "{:?}", f.unknown);
    let out = support::gate(&["check", "--deployment", t.to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
}

#[test]
fn an_image_and_its_template_in_one_run_architecture_and_digest() {
    // dive's OCI test image: linux/arm64, with a manifest digest; the template's default
    // Architecture is x86_64 and its ImageUri pins another digest.
    let image = support::image("dive-test-oci-gzip-image.tar");
    let template = root().join("function/template.yaml");
    let (code, r) = support::gate_json(&[
        "check",
        image.to_str().unwrap(),
        "--deployment",
        template.to_str().unwrap(),
        "--parameter",
        &format!("ImageUri={}", ecr_uri()),
    ]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["image"]["platform"], "linux/arm64");
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"lambda-architecture-mismatch"), "{rules:?}");
    assert!(rules.contains(&"lambda-image-drift"), "{rules:?}");
    let at = &r["function"]["rule_locations"]["lambda-architecture-mismatch"];
    assert_eq!(at["line"], 100, "Architectures: [!Ref Architecture]: {at}");
    // With the image's architecture and digest, both pass.
    let digest = r["image"]["manifest_digest"].as_str().unwrap().to_string();
    let (code, r) = support::gate_json(&[
        "check",
        image.to_str().unwrap(),
        "--deployment",
        template.to_str().unwrap(),
        "--parameter",
        "Architecture=arm64",
        "--parameter",
        &format!("ImageUri=123456789012.dkr.ecr.us-east-1.amazonaws.com/x@{digest}"),
    ]);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .filter(|id| {
            lambda_gate::model::RuleId::from_id(id)
                .and_then(deployed::rule)
                .is_some()
        })
        .collect();
    // (The image's own rules, entrypoint and runtime interface, fail it: not these.)
    assert_eq!(rules, Vec::<&str>::new(), "exit {code}");
}

#[test]
fn the_timeout_margin_before_the_deploy_uses_the_perf_report() {
    // The naive function's recorded load test (p99 = max = 108 ms).
    let perf = root().join("tests/data/function-naive-report.json");
    let template = root().join("function/template.yaml");
    let run = |timeout: &str| {
        support::gate_json(&[
            "check",
            "--deployment",
            template.to_str().unwrap(),
            "--perf-report",
            perf.to_str().unwrap(),
            "--parameter",
            &format!("ImageUri={}", ecr_uri()),
            "--parameter",
            &format!("Timeout={timeout}"),
        ])
    };
    // 10 s: within the margin (and under 30 s, never too long).
    let (_, r) = run("10");
    assert!(!r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().starts_with("lambda-timeout-margin")));
    assert!(!r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "lambda-timeout-margin"));
    // 900 s: over 100 × the slowest call, at the template's Timeout line.
    let (code, r) = run("900");
    assert_eq!(code, 1);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "lambda-timeout-margin")
        .unwrap();
    let msg = f["message"].as_str().unwrap();
    assert!(msg.ends_with("function/template.yaml:102)"), "{msg}");
}

/// Hand-written (a hostile name is not in any real template): the HTML page's
/// deployment-configuration section, read from a template, with its file:line per finding,
/// and the function's and file's names escaped by maud.
#[test]
fn the_html_report_shows_the_template_read_before_the_deploy_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "<img src=x onerror=alert(1)>";
    let template = dir.path().join("t<b>.yaml");
    std::fs::write(
        &template,
        format!(
            "AWSTemplateFormatVersion: '2010-09-09'\n\
             Transform: AWS::Serverless-2016-10-31\n\
             Resources:\n\
             \x20 Fn:\n\
             \x20   Type: AWS::Serverless::Function\n\
             \x20   Properties:\n\
             \x20     FunctionName: '{evil}'\n\
             \x20     PackageType: Image\n\
             \x20     Tracing: Active\n"
        ),
    )
    .unwrap();
    let html = dir.path().join("gate.html");
    let out = support::gate(&[
        "check",
        "--deployment",
        template.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "no image URI fails: {out:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<section id=\"deployment\">"), "{page}");
    assert!(page.contains("Deployment configuration"));
    let file = template
        .to_str()
        .unwrap()
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        page.contains(&format!(
            "read from <code>{file}</code> (the template, before the deploy)"
        )),
        "{page}"
    );
    // The finding on the image URI points at `PackageType: Image`, line 8.
    let row = page
        .split("data-rule=\"lambda-image-uri-missing\"")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap();
    assert!(row.contains("badge fail"), "{row}");
    assert!(row.contains(&format!("{file}:8</code>")), "{row}");
    // The hostile name is text, never an element.
    assert!(!page.contains("<img"));
    assert!(!page.contains("<b>"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert_eq!(
        page.matches("<script").count(),
        1,
        "only the page's own script"
    );
}

/// Hand-written: no real plan in ../shared/fixtures/iac has an alias, provisioned concurrency
/// or a function whose name is known only after apply (its README lists the gap). This is
/// the shape `terraform show -json` gives for `function_name = random_pet.name.id` with the
/// log group, event-invoke config, alias and provisioned concurrency written against the
/// function's attributes, in a module: only the plan's `configuration` references tie them
/// to the function.
#[test]
fn a_plan_ties_log_group_destination_alias_and_provisioned_concurrency_by_reference() {
    let change =
        |address: &str, kind: &str, after: serde_json::Value, unknown: serde_json::Value| {
            serde_json::json!({"address": address, "mode": "managed", "type": kind, "name": "x",
            "change": {"actions": ["create"], "after": after, "after_unknown": unknown}})
        };
    let m = "module.fn[\"a.b\"].";
    let refs = |r: &[&str]| serde_json::json!({"references": r});
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [
            change(&format!("{m}aws_lambda_function.this"), "aws_lambda_function",
                serde_json::json!({"package_type": "Image", "timeout": 30, "memory_size": 512,
                    "tracing_config": [{"mode": "Active"}], "reserved_concurrent_executions": 10}),
                serde_json::json!({"function_name": true, "image_uri": true})),
            change(&format!("{m}aws_lambda_function.other"), "aws_lambda_function",
                serde_json::json!({"function_name": "other", "package_type": "Image"}),
                serde_json::json!({})),
            change(&format!("{m}aws_cloudwatch_log_group.this"), "aws_cloudwatch_log_group",
                serde_json::json!({"retention_in_days": 30}), serde_json::json!({"name": true})),
            change(&format!("{m}aws_lambda_function_event_invoke_config.this"),
                "aws_lambda_function_event_invoke_config",
                serde_json::json!({"destination_config": [{"on_failure": [{"destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}]}]}),
                serde_json::json!({"function_name": true})),
            change(&format!("{m}aws_lambda_alias.live"), "aws_lambda_alias",
                serde_json::json!({"name": "live"}), serde_json::json!({"function_name": true})),
            change(&format!("{m}aws_lambda_provisioned_concurrency_config.live"),
                "aws_lambda_provisioned_concurrency_config",
                serde_json::json!({"qualifier": "live", "provisioned_concurrent_executions": 2}),
                serde_json::json!({"function_name": true})),
        ],
        "configuration": {"root_module": {"module_calls": {"fn": {"module": {"resources": [
            {"address": "aws_lambda_function.this", "type": "aws_lambda_function",
             "expressions": {"function_name": refs(&["random_pet.name.id", "random_pet.name"])}},
            {"address": "aws_lambda_function.other", "type": "aws_lambda_function",
             "expressions": {"function_name": {"constant_value": "other"}}},
            {"address": "aws_cloudwatch_log_group.this", "type": "aws_cloudwatch_log_group",
             "expressions": {"name": refs(&["aws_lambda_function.this.function_name", "aws_lambda_function.this"])}},
            {"address": "aws_lambda_function_event_invoke_config.this",
             "type": "aws_lambda_function_event_invoke_config",
             "expressions": {"function_name": refs(&["aws_lambda_function.this.function_name", "aws_lambda_function.this"])}},
            {"address": "aws_lambda_alias.live", "type": "aws_lambda_alias",
             "expressions": {"function_name": refs(&["aws_lambda_function.this.function_name", "aws_lambda_function.this"]),
                             "name": {"constant_value": "live"}}},
            {"address": "aws_lambda_provisioned_concurrency_config.live",
             "type": "aws_lambda_provisioned_concurrency_config",
             "expressions": {"function_name": refs(&["aws_lambda_alias.live.function_name", "aws_lambda_alias.live"]),
                             "qualifier": refs(&["aws_lambda_alias.live.name", "aws_lambda_alias.live"])}}
        ]}}}}}
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    std::fs::write(&file, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    let fs = iac::read(&file, &Params::new(), None).unwrap();
    let this = fs
        .iter()
        .find(|f| {
            f.locations["function"]
                .address
                .as_deref()
                .unwrap()
                .ends_with(".this")
        })
        .unwrap();
    assert_eq!(this.log_retention_days, Some(30));
    assert_eq!(
        this.locations["log_retention_days"].address.as_deref(),
        Some(format!("{m}aws_cloudwatch_log_group.this").as_str())
    );
    assert!(
        !this.unknown.contains_key("log_group"),
        "{:?}",
        this.unknown
    );
    assert_eq!(
        this.on_failure_destination.as_deref(),
        Some("arn:aws:sqs:us-east-1:123456789012:dlq")
    );
    assert_eq!(this.qualifier.as_deref(), Some("live"));
    assert_eq!(this.provisioned_concurrency, Some(2));
    assert_eq!(
        this.locations["qualifier"].address.as_deref(),
        Some(format!("{m}aws_lambda_alias.live").as_str())
    );
    // The rules see them: a destination, a log group with retention.
    let (findings, _) = run(this, None);
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.id()).collect();
    assert!(!rules.contains(&"lambda-no-dlq"), "{rules:?}");
    assert!(!rules.contains(&"lambda-log-retention"), "{rules:?}");
    // The other function in the module is tied to none of them.
    let other = by_name(&fs, "other");
    assert_eq!(other.on_failure_destination, None);
    assert_eq!(other.provisioned_concurrency, None);
    assert_eq!(other.qualifier, None);
    assert_eq!(other.log_retention_days, None);
}

/// Hand-written: the SAM fixtures' Globals set only scalars. SAM merges `Globals.Function`
/// as its translator does (`_do_merge`): maps key by key (the function's over the global),
/// lists concatenated global-first, scalars replaced; `IgnoreGlobals` leaves a key out.
#[test]
fn sam_globals_merge_maps_by_key_and_lists_global_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("template.yaml");
    let arn = |x: &str| format!("arn:aws:sqs:us-east-1:123456789012:{x}");
    let layer = |x: &str| format!("arn:aws:lambda:us-east-1:123456789012:layer:{x}:1");
    std::fs::write(
        &file,
        format!(
            "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 10
    Layers: [{gl}]
    DeadLetterQueue:
      Type: SQS
      TargetArn: {gdlq}
    EventInvokeConfig:
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnFailure:
          Type: SQS
          Destination: {gdest}
Resources:
  Merged:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: merged
      Timeout: 20
      Layers: [{ol}]
      DeadLetterQueue:
        TargetArn: {odlq}
      EventInvokeConfig:
        MaximumRetryAttempts: 1
  Ignoring:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Layers, EventInvokeConfig]
    Properties:
      FunctionName: ignoring
      Layers: [{ol}]
  Intrinsic:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: intrinsic
      DeadLetterQueue: {{\"Fn::If\": [Never, {{TargetArn: x}}, {{Ref: AWS::NoValue}}]}}
",
            gl = layer("global"),
            ol = layer("own"),
            gdlq = arn("global-dlq"),
            odlq = arn("own-dlq"),
            gdest = arn("global-dest"),
        ),
    )
    .unwrap();
    let fs = iac::read(&file, &Params::new(), None).unwrap();
    let merged = by_name(&fs, "merged");
    assert_eq!(merged.timeout_s, 20, "a scalar is replaced");
    assert_eq!(merged.layers, [layer("global"), layer("own")]);
    assert_eq!(
        merged.dead_letter_target.as_deref(),
        Some(arn("own-dlq").as_str()),
        "the function's TargetArn over the global one, beside the global Type"
    );
    assert_eq!(line(merged, "dead_letter_target"), Some(23));
    assert_eq!(
        merged.on_failure_destination.as_deref(),
        Some(arn("global-dest").as_str()),
        "the function's EventInvokeConfig keeps the global DestinationConfig"
    );
    let ignoring = by_name(&fs, "ignoring");
    assert_eq!(ignoring.layers, [layer("own")]);
    assert_eq!(ignoring.on_failure_destination, None);
    assert_eq!(
        ignoring.timeout_s, 10,
        "a key not ignored still comes from Globals"
    );
    // An intrinsic is one value: replaced whole, not merged with the global map.
    let intrinsic = by_name(&fs, "intrinsic");
    assert_ne!(
        intrinsic.dead_letter_target.as_deref(),
        Some(arn("global-dlq").as_str()),
        "{intrinsic:?}"
    );
}

/// `--deployment` beside a deployed function (a joined perf report that carries one, or
/// `--function`) is refused, exit 2 and one line: the template's configuration used to
/// replace the deployed one in the report while the deployed findings stayed, unlabelled.
#[test]
fn deployment_beside_a_deployed_function_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut perf: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/data/function-naive-report.json")).unwrap(),
    )
    .unwrap();
    let mut live = function();
    live.name = "live-fn".into();
    live.source = ConfigSource::Deployed;
    perf["function"] = serde_json::to_value(&live).unwrap();
    let perf_file = dir.path().join("perf.json");
    std::fs::write(&perf_file, perf.to_string()).unwrap();
    let template = root().join("function/template.yaml");
    let refused = |args: &[&str]| {
        let out = support::gate(args);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let err = String::from_utf8(out.stderr.clone()).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("--deployment"), "{err}");
        assert!(out.stdout.is_empty(), "no report: {out:?}");
        err
    };
    let err = refused(&[
        "check",
        "--deployment",
        template.to_str().unwrap(),
        "--perf-report",
        perf_file.to_str().unwrap(),
        "--parameter",
        &format!("ImageUri={}", ecr_uri()),
    ]);
    assert!(err.contains("live-fn"), "{err}");
    let err = refused(&[
        "check",
        "--deployment",
        template.to_str().unwrap(),
        "--function",
        "live-fn",
    ]);
    assert!(err.contains("--function live-fn"), "{err}");
    // A perf report without a deployed function still joins (the timeout margin).
    perf.as_object_mut().unwrap().remove("function");
    std::fs::write(&perf_file, perf.to_string()).unwrap();
    let out = support::gate(&[
        "check",
        "--deployment",
        template.to_str().unwrap(),
        "--perf-report",
        perf_file.to_str().unwrap(),
        "--parameter",
        &format!("ImageUri={}", ecr_uri()),
    ]);
    assert_ne!(out.status.code(), Some(2), "{out:?}");
}
