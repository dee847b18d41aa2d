//! The Report: every fact and verdict of one run, and the JSON schema `lambda-gate/report/v1`.
//!
//! This is the one value renderers read. Field names and meanings listed in DESIGN.md are a
//! public contract (other workflows parse them): add fields, never rename or repurpose one.
//! Field order here is the order in the JSON, so keep the headline fields first.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub use crate::image::dive::DiveScore;
pub use crate::image::index::{EntryKind, IndexEntry, IndexFacts};

pub mod history;
pub mod perf;
pub mod policy_changes;
pub mod security;

pub const SCHEMA: &str = "lambda-gate/report/v1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub verdict: Verdict,
    pub tool: Tool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSummary>,
    #[serde(default)]
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub checks: Vec<Check>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<security::SecurityReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perf: Option<perf::PerfReport>,
    /// The base branch's figures, when `--baseline` was given: every delta renders from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    /// Things the user should know that are neither findings nor checks
    /// ("the archive holds 2 images; checked the first, pick another with --image").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The software installed in the image, read from its package databases (dpkg, rpm, apk,
    /// Python and Node metadata …); only what is visible in the final filesystem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    /// Bytes visible in the final filesystem per directory, down to a bounded depth: what the
    /// diff against a baseline and the pictures of the image are drawn from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirs: Vec<DirSize>,
    /// What changed against `--baseline`: packages and directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<Delta>,
    /// With `gate check --function`: the function whose deployed image this report is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<DeployedImage>,
    /// The deployed function's configuration, as the Lambda API reported it, when the run
    /// named one (`--function`): what the post-deploy findings were held against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<DeployedFunction>,
    /// With a policy base (a pull request, or `--policy-base`): what the pull request changes
    /// in the policy, against the base's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_changes: Option<policy_changes::PolicyChanges>,
    /// `gate check --deployment` on a template with several image functions: the ones after
    /// `function`, each held to the same rules (their findings name them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_functions: Vec<DeployedFunction>,
    /// With `--history`: main's last builds, drawn as a trend beside this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<history::History>,
}

/// The image a Lambda function runs, as `GetFunction` resolved it at deploy time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeployedImage {
    pub function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The image as deployed (`Code.ImageUri`, usually a tag).
    pub image_uri: String,
    /// The digest Lambda resolved and runs; the image was read by it.
    pub digest: String,
}

/// What the base branch measured, kept in the report so deltas render from it alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Where the baseline came from (the path given to --baseline).
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasted_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<f64>,
    /// Each check's `actual` in the baseline, by check name.
    #[serde(default)]
    pub checks: std::collections::BTreeMap<String, Value>,
    /// Bytes per finding rule (caches, waste …) in the baseline.
    #[serde(default)]
    pub finding_bytes: std::collections::BTreeMap<String, u64>,
    /// Layer sizes by digest, then by instruction, to match layers.
    #[serde(default)]
    pub layers: Vec<(String, String, u64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
}

impl Baseline {
    /// The figures of a previous report (the base branch's `--format json` output).
    pub fn from_report(source: &str, base: &Report) -> Baseline {
        let img = base.image.as_ref();
        let mut finding_bytes = std::collections::BTreeMap::new();
        for f in &base.findings {
            *finding_bytes.entry(f.rule.clone()).or_insert(0) += f.bytes;
        }
        Baseline {
            source: source.to_string(),
            size_bytes: img.map(|i| i.size_bytes),
            compressed_bytes: img.map(|i| i.compressed_bytes),
            final_bytes: img.map(|i| i.final_bytes),
            wasted_bytes: img.map(|i| i.wasted_bytes),
            efficiency: img.map(|i| i.efficiency),
            checks: base
                .checks
                .iter()
                .map(|c| (c.name.clone(), c.actual.clone()))
                .collect(),
            finding_bytes,
            layers: img
                .map(|i| {
                    i.layers
                        .iter()
                        .map(|l| (l.digest.clone(), l.created_by.clone(), l.size_bytes))
                        .collect()
                })
                .unwrap_or_default(),
            p95_ms: base.perf.as_ref().map(|p| p.latency_ms.p95),
            success_rate: base.perf.as_ref().map(|p| p.success_rate),
        }
    }

    /// The baseline size of a layer: same digest, else same instruction.
    pub fn layer_size(&self, digest: &str, created_by: &str) -> Option<u64> {
        self.layers
            .iter()
            .find(|l| l.0 == digest)
            .or_else(|| {
                self.layers
                    .iter()
                    .find(|l| !created_by.is_empty() && l.1 == created_by)
            })
            .map(|l| l.2)
    }
}

/// A rule's id and what it checks, for the renderers that explain an id the JSON only names
/// (SARIF's rule list, the deployed function's table). The rules live above the renderers, so
/// their callers hand these down as data; the JSON report never carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDoc {
    pub id: &'static str,
    pub description: &'static str,
    pub kind: RuleKind,
}

/// What the bytes of a rule's findings are, for the line that says what the image holds
/// ("of which 40 MB leftover caches and 120 MB build tools").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// A package manager's or build tool's cache left in the image.
    Cache,
    /// Compilers and headers needed only to build.
    BuildTools,
    Other,
    /// A `[lambda]` rule only a template or plan can break (`gate check --deployment`).
    PreDeploy,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            schema: SCHEMA.to_string(),
            verdict: Verdict::Pass,
            tool: Tool {
                name: "lambda-gate".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            image: None,
            findings: Vec::new(),
            checks: Vec::new(),
            security: None,
            perf: None,
            baseline: None,
            notes: Vec::new(),
            packages: Vec::new(),
            dirs: Vec::new(),
            delta: None,
            deployed: None,
            function: None,
            policy_changes: None,
            more_functions: Vec::new(),
            history: None,
        }
    }
}

impl Report {
    /// The verdict follows from checks and findings alone, so every family (image, rules,
    /// security, perf) fails the gate the same way: by a failed check or a deny finding.
    pub fn compute_verdict(&self) -> Verdict {
        let mut verdict = Verdict::Pass;
        for c in &self.checks {
            verdict = verdict.max(c.status);
        }
        for f in &self.findings {
            verdict = verdict.max(match f.severity {
                Severity::Error => Verdict::Fail,
                Severity::Warning => Verdict::Warn,
                Severity::Info => Verdict::Pass,
            });
        }
        verdict
    }

    pub fn finalize(mut self) -> Self {
        self.verdict = self.compute_verdict();
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
    /// DESIGN.md: 0 pass (warnings allowed), 1 the gate failed.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Fail => 1,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageSummary {
    /// The path the user gave.
    pub source: String,
    /// The image's name where the archive records one (`repo:tag`), else its digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// "docker-archive" | "oci-archive" | "oci-layout"
    pub format: String,
    /// e.g. "linux/amd64" or "linux/arm64/v8"
    pub platform: String,
    /// Every platform the index offered (one for a single-platform image).
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// The digest of the image manifest (what a registry and Lambda know the image by), when
    /// the source records one: a registry, an OCI layout or archive; not a docker-archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// The index (OCI image index or Docker manifest list) the reference or layout resolves
    /// to, when it is one: its digest, media type and every entry (image, attestation, index,
    /// other) with its platform. Absent when the source is the image manifest itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexFacts>,
    pub size_bytes: u64,
    pub compressed_bytes: u64,
    pub final_bytes: u64,
    pub wasted_bytes: u64,
    pub efficiency: f64,
    pub file_count: u64,
    pub layers: Vec<LayerSummary>,
    /// The largest hidden paths, biggest first.
    #[serde(default)]
    pub top_wasted: Vec<WastedPath>,
    /// dive's own figures, for `--dive-ci` and people comparing with `dive --ci`.
    pub dive: DiveScore,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// The config's WorkingDir: where the function's code lives when it is not /var/task.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workdir: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerSummary {
    pub index: usize,
    /// Digest of the blob as stored (compressed), or of the layer tar for docker-archive.
    pub digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    pub media_type: String,
    /// "gzip" | "zstd" | "none", from the blob's magic bytes.
    pub compression: String,
    pub size_bytes: u64,
    pub compressed_bytes: u64,
    #[serde(default)]
    pub created_by: String,
    pub wasted_bytes: u64,
    pub file_count: u64,
    /// The largest files this layer wrote, biggest first (at most [`LAYER_LARGEST`]), whether
    /// still visible or hidden later: what the HTML report shows when a layer is opened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub largest: Vec<LayerFile>,
}

/// How many of a layer's files `LayerSummary.largest` keeps.
pub const LAYER_LARGEST: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFile {
    pub path: String,
    pub bytes: u64,
    /// A later layer hid it (its bytes are waste).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// An executable: what it was built with (`Rust, cargo-auditable`, `Go go1.22.1`), or
    /// `unknown binary` when it says neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WastedPath {
    pub path: String,
    pub bytes: u64,
    /// Index of the layer that wrote the bytes.
    pub layer: usize,
    /// Index of the layer that hid them.
    pub hidden_by: usize,
    /// "overwritten" | "removed" | "opaque"
    pub reason: String,
}

/// A finding of the gate's own rules: what is wrong in the image and what to change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// Stable kebab-case rule id (DESIGN.md).
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    #[serde(default)]
    pub bytes: u64,
    /// Index of the layer that caused it, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The Dockerfile instruction of that layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    pub fix: String,
    /// Related rules of other tools a user may know (e.g. hadolint `DL3042`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// The level a finding carries in the verdict: `error` fails the gate, `warning` warns,
/// `info` only informs. Rules map their lint level (deny/warn/allow) onto it.
/// A scanner's vulnerability severity is another scale with its own type
/// (`model::security::Severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// cargo-deny's levels, as gate.toml spells them: `deny` fails the gate, `warn` warns, `allow`
/// drops the finding. Kept beside `Severity` because every rule table (image rules, deployed
/// rules, package policy) maps one onto the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    /// As gate.toml spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }

    /// The severity a finding at this level carries; `None` for `allow`, which drops it.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Allow => None,
            Level::Warn => Some(Severity::Warning),
            Level::Deny => Some(Severity::Error),
        }
    }
}

/// One budget or threshold held against one measured figure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    /// Stable name, e.g. `max-size`, `layer-digest`, `security-fail-on`, `perf-p95`.
    pub name: String,
    /// The limit as configured: a number in `unit`, or a string for non-numeric checks.
    pub limit: Value,
    /// The measured value, in the same unit as `limit`.
    pub actual: Value,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// One line for people: what was compared and what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a check's `limit` and `actual` count, so renderers format them (`1.2 MB`, `98.4%`)
/// without matching strings. The serialized names are the JSON's: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "bytes")]
    Bytes,
    /// 0–1, shown as a percentage.
    #[serde(rename = "ratio")]
    Ratio,
    #[serde(rename = "ms")]
    Ms,
    /// Memory as Lambda reports it (10^6 bytes).
    #[serde(rename = "MB")]
    Megabytes,
    #[serde(rename = "count")]
    Count,
    /// 0–100.
    #[serde(rename = "percent")]
    Percent,
    /// A unit this version does not know (a report written by a newer gate, read as a
    /// baseline): shown as a plain number rather than refusing the whole report.
    #[serde(other, rename = "other")]
    Other,
}

/// A check's outcome is a verdict on one figure: the same three values, ordered the same way,
/// so the report's verdict is the worst of its checks' statuses.
pub type Status = Verdict;

impl Check {
    /// A check that fails when `actual > limit`.
    pub fn at_most(name: &str, limit: u64, actual: u64, unit: Unit) -> Check {
        Check {
            name: name.into(),
            limit: limit.into(),
            actual: actual.into(),
            status: if actual > limit {
                Status::Fail
            } else {
                Status::Pass
            },
            unit: Some(unit),
            detail: None,
        }
    }

    /// A check that fails when `actual < limit`.
    pub fn at_least_f64(name: &str, limit: f64, actual: f64, unit: Unit) -> Check {
        Check {
            name: name.into(),
            limit: limit.into(),
            actual: actual.into(),
            status: if actual < limit {
                Status::Fail
            } else {
                Status::Pass
            },
            unit: Some(unit),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Check {
        self.detail = Some(detail.into());
        self
    }
}

/// One installed package, as its package database (or metadata file) records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// "deb" | "rpm" | "apk" | "pypi" | "npm" | "golang" | "cargo"
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    /// Package URL (github.com/package-url/purl-spec), e.g.
    /// `pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64`.
    pub purl: String,
    /// Bytes of this package's files visible in the final filesystem, each file counted once.
    pub bytes: u64,
    /// How many of its files are visible in the final filesystem.
    pub files: u64,
    /// The layer that installed this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// As the metadata states it (SPDX expression where the metadata gives one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Where the record was read, e.g. `/var/lib/dpkg/status` or
    /// `/var/task/requests-2.32.3.dist-info/METADATA`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
}

/// Regular-file bytes visible under one directory of the final filesystem, recursively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirSize {
    /// Absolute, no trailing slash (`/usr/lib`).
    pub path: String,
    pub bytes: u64,
    /// Non-directory entries below it.
    pub files: u64,
}

/// What changed against the baseline report: the software, and where the bytes went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default)]
    pub added: Vec<PackageChange>,
    #[serde(default)]
    pub removed: Vec<PackageChange>,
    #[serde(default)]
    pub upgraded: Vec<PackageChange>,
    #[serde(default)]
    pub downgraded: Vec<PackageChange>,
    /// The directories that grew or shrank most, largest change first.
    #[serde(default)]
    pub dirs: Vec<DirChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChange {
    pub ecosystem: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_version: Option<String>,
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub bytes_delta: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirChange {
    pub path: String,
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub bytes_delta: i64,
}

/// A deployed Lambda function's configuration (GetFunction, GetFunctionEventInvokeConfig,
/// GetProvisionedConcurrencyConfig and its log group), as the post-deploy checks saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeployedFunction {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// "$LATEST" or the version number the qualifier resolved to.
    #[serde(default)]
    pub version: String,
    pub memory_mb: u64,
    pub timeout_s: u64,
    /// "x86_64" | "arm64"
    pub architecture: String,
    /// "Active" | "PassThrough"
    pub tracing: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure_destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_concurrency: Option<u64>,
    /// Provisioned concurrency allocated to the qualifier, when there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_concurrency: Option<u64>,
    #[serde(default)]
    pub log_group: String,
    /// Whether the log group could be read (CloudWatch Logs may not be granted to the gate).
    #[serde(default)]
    pub log_group_read: bool,
    /// Days; absent when the logs never expire (or the group could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_retention_days: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_uri: Option<String>,
    /// The manifest digest Lambda resolved the image to (`sha256:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    /// Where this configuration was read: the Lambda API after the deploy, or a template, a
    /// Terraform plan or Terraform HCL before it (`gate check --deployment`).
    #[serde(default, skip_serializing_if = "ConfigSource::is_deployed")]
    pub source: ConfigSource,
    /// The template or plan read (as given on the command line), before a deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where each value came from, by field name (`timeout_s`, `tracing`, …; `function` is the
    /// resource itself): what a finding on that value points at.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locations: BTreeMap<String, SourceLocation>,
    /// Values a template or plan cannot tell before the deploy, by field name, with why
    /// ("known after apply", an unresolved `!Ref`): a rule reading one says "not checked".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown: BTreeMap<String, String>,
    /// The place each finding on this configuration points at, by rule id (the value the
    /// rule read, else the resource): what SARIF and the comment show beside it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rule_locations: BTreeMap<String, SourceLocation>,
    /// "Image" | "Zip", as the template or plan says (the Lambda API's answer is not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_type: Option<String>,
    /// Zip-only settings a template may also set on an image function, where they are errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

/// Where a function's configuration was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigSource {
    /// The Lambda API, after the deploy.
    #[default]
    Deployed,
    /// A SAM or CloudFormation template.
    Template,
    /// A Terraform plan (`terraform show -json`).
    Plan,
    /// Terraform HCL (`*.tf`), read without terraform.
    Hcl,
}

impl ConfigSource {
    pub fn is_deployed(&self) -> bool {
        *self == ConfigSource::Deployed
    }

    pub fn describe(&self) -> &'static str {
        match self {
            ConfigSource::Deployed => "the Lambda API",
            ConfigSource::Template => "the template",
            ConfigSource::Plan => "the Terraform plan",
            ConfigSource::Hcl => "the Terraform configuration",
        }
    }
}

/// A place in a template or plan: file and line, or a plan's resource address (plan JSON has
/// no line a person would edit).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(a) = &self.address {
            write!(f, " ({a})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_keep_their_json_names() {
        for (u, name) in [
            (Unit::Bytes, "bytes"),
            (Unit::Ratio, "ratio"),
            (Unit::Ms, "ms"),
            (Unit::Megabytes, "MB"),
            (Unit::Count, "count"),
            (Unit::Percent, "percent"),
        ] {
            assert_eq!(serde_json::to_value(u).unwrap(), name);
            assert_eq!(serde_json::from_value::<Unit>(name.into()).unwrap(), u);
        }
        // A newer gate's unit does not make its report unreadable as a baseline.
        assert_eq!(
            serde_json::from_value::<Unit>("furlongs".into()).unwrap(),
            Unit::Other
        );
    }

    #[test]
    fn the_verdict_is_the_worst_status() {
        let mut r = Report::default();
        r.checks.push(Check::at_most("a", 1, 0, Unit::Count));
        assert_eq!(r.compute_verdict(), Verdict::Pass);
        r.checks.push(Check::at_most("b", 1, 2, Unit::Bytes));
        assert_eq!(r.compute_verdict(), Verdict::Fail);
        assert_eq!(serde_json::to_value(Status::Warn).unwrap(), "warn");
    }
}
