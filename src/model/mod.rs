//! The Report: every fact and verdict of one run, and the JSON schema `lambda-gate/report/v1`.
//!
//! This is the one value renderers read. Field names and meanings listed in DESIGN.md are a
//! public contract (other workflows parse them): add fields, never rename or repurpose one.
//! Field order here is the order in the JSON, so keep the headline fields first.

use serde::{Deserialize, Serialize};

pub use crate::image::dive::DiveScore;
pub use crate::image::index::{EntryKind, IndexEntry, IndexFacts};

pub mod baseline;
pub mod bytes;
pub mod checks;
pub mod deployed;
mod empty_is_none;
pub mod findings;
pub mod history;
pub mod image;
pub mod packages;
pub mod perf;
pub mod policy_changes;
pub mod rule_id;
pub mod security;
pub mod sink;

pub use baseline::Baseline;
pub use checks::{Check, CheckName, FixedCheck, Status, Unit};
pub use deployed::{ConfigSource, DeployedFunction, DeployedImage, SourceLocation};
pub use findings::{Finding, Level, Severity};
pub use image::{DirSize, ImageSummary, LayerFile, LayerSummary, WastedPath, LAYER_LARGEST};
pub use packages::{Delta, DirChange, Ecosystem, Package, PackageChange};
pub use rule_id::{Family, RuleId, RuleKind};
pub use sink::Sink;

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
    /// Directories that hold one package's files and nothing else (see [`bytes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_dirs: Vec<bytes::PackageDir>,
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
            package_dirs: Vec::new(),
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

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    /// DESIGN.md: 0 pass (warnings allowed), 1 the gate failed.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Fail => 1,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_is_the_worst_status() {
        let mut r = Report::default();
        r.checks
            .push(Check::at_most(FixedCheck::MaxLayers, 1, 0, Unit::Count));
        assert_eq!(r.compute_verdict(), Verdict::Pass);
        r.checks
            .push(Check::at_most(FixedCheck::MaxSize, 1, 2, Unit::Bytes));
        assert_eq!(r.compute_verdict(), Verdict::Fail);
        assert_eq!(serde_json::to_value(Status::Warn).unwrap(), "warn");
    }

    /// The renderers print `as_str` (the comment's badge, JUnit, the job outputs) where the
    /// JSON has serde's name: one spelling.
    #[test]
    fn verdict_names_are_the_json_names() {
        use strum::IntoEnumIterator;
        for v in Verdict::iter() {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
    }
}
