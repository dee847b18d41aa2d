//! `gate action`: the GitHub Action's entrypoint. The runner hands a Docker action its inputs
//! as `INPUT_<NAME>` variables; this turns them into the flags of `gate check` (or of
//! `gate perf` when no image is given) and runs that, so the Action and the CLI can never
//! disagree about what an option means.

use std::ffi::OsString;

use anyhow::{bail, Result};
use clap::Args;

#[derive(Args, Debug)]
pub struct ActionCmd {
    /// Print the command the inputs make and stop.
    #[arg(long)]
    pub dry_run: bool,
}

/// An action input and the flag it becomes. `Many` inputs take one value per line (or
/// comma-separated), each becoming its own flag; `Switch` inputs are "true"/"false".
enum Kind {
    One,
    Many,
    Switch,
}

/// (input, flag under `gate check`, flag under `gate perf`, kind). `None`: not in that mode.
const INPUTS: &[(&str, Option<&str>, Option<&str>, Kind)] = &[
    ("policy", Some("--policy"), Some("--policy"), Kind::One),
    ("policy-from", Some("--policy-from"), None, Kind::One),
    ("policy-base", Some("--policy-base"), None, Kind::One),
    ("platform", Some("--platform"), None, Kind::One),
    ("image-ref", Some("--image"), None, Kind::One),
    ("function", Some("--function"), None, Kind::One),
    ("region", Some("--region"), None, Kind::One),
    ("dockerfile", Some("--dockerfile"), None, Kind::One),
    ("max-size", Some("--max-size"), None, Kind::One),
    ("max-compressed", Some("--max-compressed"), None, Kind::One),
    ("max-wasted", Some("--max-wasted"), None, Kind::One),
    ("min-efficiency", Some("--min-efficiency"), None, Kind::One),
    (
        "max-size-increase",
        Some("--max-size-increase"),
        None,
        Kind::One,
    ),
    (
        "architecture",
        Some("--architecture"),
        Some("--architecture"),
        Kind::One,
    ),
    ("trivy-report", Some("--trivy"), None, Kind::Many),
    ("audit-report", Some("--audit"), None, Kind::Many),
    ("sbom", Some("--sbom"), None, Kind::Many),
    ("grype-report", Some("--grype"), None, Kind::Many),
    ("sarif", Some("--sarif"), None, Kind::Many),
    ("rustsec-db", Some("--rustsec-db"), None, Kind::One),
    ("fail-on", Some("--fail-on"), None, Kind::One),
    ("only-fixed", Some("--only-fixed"), None, Kind::Switch),
    ("new-only", Some("--new-only"), None, Kind::Switch),
    (
        "baseline",
        Some("--baseline"),
        Some("--baseline"),
        Kind::One,
    ),
    ("history", Some("--history"), Some("--history"), Kind::One),
    ("perf-url", Some("--perf-url"), Some("--url"), Kind::One),
    ("perf-function", None, Some("--function"), Kind::One),
    ("perf-region", None, Some("--region"), Kind::One),
    ("perf-qualifier", None, Some("--qualifier"), Kind::One),
    ("perf-payload", None, Some("--payload"), Kind::One),
    ("perf-report", Some("--perf-report"), None, Kind::One),
    ("deployment", Some("--deployment"), None, Kind::One),
    (
        "deployment-parameters",
        Some("--parameter"),
        None,
        Kind::Many,
    ),
    (
        "deployment-function",
        Some("--deployment-function"),
        None,
        Kind::One,
    ),
    (
        "perf-requests",
        Some("--perf-requests"),
        Some("--requests"),
        Kind::One,
    ),
    (
        "perf-concurrency",
        Some("--perf-concurrency"),
        Some("--concurrency"),
        Kind::One,
    ),
    ("perf-duration", None, Some("--duration"), Kind::One),
    ("perf-rate", None, Some("--rate"), Kind::One),
    (
        "perf-threshold",
        Some("--perf-threshold"),
        Some("--threshold"),
        Kind::Many,
    ),
    (
        "perf-require-header",
        Some("--perf-require-header"),
        Some("--require-header"),
        Kind::Many,
    ),
    ("report", Some("--output"), Some("--output"), Kind::One),
    (
        "markdown-report",
        Some("--markdown-output"),
        Some("--markdown-output"),
        Kind::One,
    ),
    ("sarif-report", Some("--sarif-output"), None, Kind::One),
    ("sbom-output", Some("--sbom-output"), None, Kind::One),
    ("html-report", Some("--html"), Some("--html"), Kind::One),
    ("junit-report", Some("--junit"), Some("--junit"), Kind::One),
    (
        "comment",
        Some("--comment"),
        Some("--comment"),
        Kind::Switch,
    ),
    (
        "comment-id",
        Some("--comment-id"),
        Some("--comment-id"),
        Kind::One,
    ),
    (
        "github-token",
        Some("--github-token"),
        Some("--github-token"),
        Kind::One,
    ),
];

/// The runner upper-cases input names and keeps their hyphens (`INPUT_TRIVY-REPORT`); some
/// wrappers turn hyphens into underscores, so both are read.
fn input(name: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    [
        format!("INPUT_{upper}"),
        format!("INPUT_{}", upper.replace('-', "_")),
    ]
    .iter()
    .find_map(|k| std::env::var(k).ok())
    .map(|v| v.trim().to_string())
    .filter(|v| !v.is_empty())
}

fn switch(name: &str, default: bool) -> Result<bool> {
    match input(name)
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Ok(default),
        Some("true" | "yes" | "1") => Ok(true),
        Some("false" | "no" | "0") => Ok(false),
        Some(other) => bail!("input {name}: {other:?} is not true or false"),
    }
}

/// The command line the inputs describe, without the program name.
pub fn argv() -> Result<Vec<OsString>> {
    let image = input("image");
    // `function` checks the deployed function's image: check mode without an image argument.
    // `deployment` checks a template or plan: check mode too, with or without an image.
    let perf_only = image.is_none() && input("function").is_none() && input("deployment").is_none();
    if perf_only && input("perf-url").is_none() && input("perf-function").is_none() {
        bail!("the action needs an image (input image), a deployed function's image (function), a template or plan (deployment) or a deployed function to drive (perf-url or perf-function)");
    }
    let mut args: Vec<OsString> = Vec::new();
    match &image {
        Some(img) => args.extend(["check".into(), img.into()]),
        None if !perf_only => args.push("check".into()),
        None => args.push("perf".into()),
    }
    for (name, check_flag, perf_flag, kind) in INPUTS {
        let flag = if perf_only { perf_flag } else { check_flag };
        let Some(flag) = flag else {
            if input(name).is_some() {
                let mode = if perf_only {
                    "without an image"
                } else {
                    "with an image"
                };
                bail!("input {name} has no meaning {mode}");
            }
            continue;
        };
        match kind {
            Kind::Switch => {
                if switch(name, false)? {
                    args.push(flag.into());
                }
            }
            Kind::One => {
                if let Some(v) = input(name) {
                    args.extend([flag.into(), v.into()]);
                }
            }
            Kind::Many => {
                for v in input(name)
                    .unwrap_or_default()
                    .split(['\n', ','])
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                {
                    args.extend([(*flag).into(), v.into()]);
                }
            }
        }
    }
    Ok(args)
}

/// The command line for the log, the token masked (GitHub masks it too, but only when it
/// knows the value).
pub fn shown(args: &[OsString]) -> String {
    let mut out = vec!["gate".to_string()];
    let mut mask = false;
    for a in args {
        let a = a.to_string_lossy();
        out.push(if mask {
            "***".into()
        } else if a.contains(' ') || a.is_empty() {
            format!("'{a}'")
        } else {
            a.to_string()
        });
        mask = a == "--github-token";
    }
    out.join(" ")
}

/// Whether a failed verdict fails the step (input fail-on-findings, default true): teams
/// adopting the gate start by reporting only.
pub fn fail_on_findings() -> Result<bool> {
    switch("fail-on-findings", true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs live in the process environment, so one test sets and reads them all.
    #[test]
    fn inputs_become_flags_of_check_or_perf() {
        let set = |k: &str, v: &str| std::env::set_var(k, v);
        set("INPUT_IMAGE", "build/app.tar");
        set("INPUT_TRIVY-REPORT", "trivy.json\n\n secrets.json ");
        set("INPUT_COMMENT", "true");
        set("INPUT_MAX_SIZE", "500MB");
        set("INPUT_PERF-THRESHOLD", "p95 < 800ms, success_rate >= 99%");
        let got: Vec<String> = argv()
            .unwrap()
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "check",
                "build/app.tar",
                "--max-size",
                "500MB",
                "--trivy",
                "trivy.json",
                "--trivy",
                "secrets.json",
                "--perf-threshold",
                "p95 < 800ms",
                "--perf-threshold",
                "success_rate >= 99%",
                "--comment"
            ]
        );

        // No image: a post-deploy perf run, where image-only inputs are a mistake.
        std::env::remove_var("INPUT_IMAGE");
        std::env::set_var("INPUT_PERF-URL", "https://example.test/health");
        let err = argv().unwrap_err().to_string();
        assert!(
            err.contains("max-size has no meaning without an image"),
            "{err}"
        );
        for k in ["INPUT_TRIVY-REPORT", "INPUT_MAX_SIZE"] {
            std::env::remove_var(k);
        }
        let got: Vec<String> = argv()
            .unwrap()
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect();
        assert_eq!(got[..3], ["perf", "--url", "https://example.test/health"]);
        assert!(got.contains(&"--threshold".to_string()));

        set("INPUT_FAIL-ON-FINDINGS", "maybe");
        assert!(fail_on_findings().is_err());
        set("INPUT_FAIL-ON-FINDINGS", "false");
        assert!(!fail_on_findings().unwrap());
        std::env::remove_var("INPUT_PERF-URL");
        assert!(argv().is_err());

        // A template alone: check mode with no image argument.
        set("INPUT_DEPLOYMENT", "function/template.yaml");
        set(
            "INPUT_DEPLOYMENT-PARAMETERS",
            "ImageUri=1.dkr.ecr.r.amazonaws.com/x@sha256:ab\nMemorySize=1024",
        );
        let got: Vec<String> = argv()
            .unwrap()
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect();
        assert_eq!(
            got[..3],
            ["check", "--deployment", "function/template.yaml"]
        );
        let want = [
            "--parameter",
            "ImageUri=1.dkr.ecr.r.amazonaws.com/x@sha256:ab",
            "--parameter",
            "MemorySize=1024",
        ];
        assert!(got.windows(4).any(|w| w == want), "{got:?}");
        for k in ["INPUT_DEPLOYMENT", "INPUT_DEPLOYMENT-PARAMETERS"] {
            std::env::remove_var(k);
        }
    }
}
