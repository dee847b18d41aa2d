//! The package policy: holds the inventory (`report.packages`) and its changes against the
//! baseline (`report.delta`) to `[packages]` in gate.toml, as findings `package-denied`,
//! `package-warned` and `package-growth`, each naming the package, its layer and a fix.
//!
//! It reads the finished facts of a Report rather than the image, so it runs after the
//! inventory and the diff, and can be tested from Report values alone.

pub mod cfg;

use globset::GlobMatcher;

use crate::model::Level;
use crate::model::RuleId;
use crate::model::{Ecosystem, Finding, Package, PackageChange, Report, Severity, Sink};
use crate::units::{format_delta, format_size, Increase};
use cfg::{pep503, Ban, PackagesConfig};

/// The policy's findings on `report`'s packages and delta (and notes where a budget could
/// not be checked). `base` is the baseline report, when one was given.
pub fn check(report: &Report, base: Option<&Report>, cfg: &PackagesConfig, sink: &mut Sink) {
    sink.findings.extend(bans(report, cfg));
    growth(report, base, cfg, sink);
}

type Compiled<'a> = Vec<(&'a Ban, (GlobMatcher, GlobMatcher))>;

/// Validated with the policy; an entry that still fails to compile matches nothing.
fn compile(list: &[Ban]) -> Compiled<'_> {
    list.iter()
        .filter_map(|b| b.matchers().ok().map(|m| (b, m)))
        .collect()
}

/// The first entry naming `p` (its PyPI name compared PEP 503-normalized too).
fn hit<'a>(list: &Compiled<'a>, p: &Package) -> Option<&'a Ban> {
    let normalized = (p.ecosystem == Ecosystem::Pypi).then(|| pep503(&p.name));
    list.iter()
        .find(|(b, (raw, norm))| {
            b.applies_to(p.ecosystem.as_str())
                && (raw.is_match(&p.name)
                    || normalized.as_deref().is_some_and(|n| norm.is_match(n)))
        })
        .map(|(b, _)| *b)
}

fn bans(report: &Report, cfg: &PackagesConfig) -> Vec<Finding> {
    let (deny, warn) = (compile(&cfg.deny), compile(&cfg.warn));
    let mut out = Vec::new();
    for p in &report.packages {
        if let Some(b) = hit(&deny, p) {
            out.push(ban_finding(report, p, b, RuleId::PackageDenied));
        } else if let Some(b) = hit(&warn, p) {
            out.push(ban_finding(report, p, b, RuleId::PackageWarned));
        }
    }
    out
}

fn created_by(report: &Report, layer: Option<usize>) -> Option<String> {
    let l = report.image.as_ref()?.layers.get(layer?)?;
    (!l.created_by.is_empty()).then(|| l.created_by.clone())
}

fn ban_finding(report: &Report, p: &Package, b: &Ban, code: RuleId) -> Finding {
    let listed = if code == RuleId::PackageDenied {
        "denied"
    } else {
        "on the warn list"
    };
    let fix = if code == RuleId::PackageDenied {
        format!(
            "Remove {} from the image (or the dependency that pulls it in: pip's --no-deps, \
             apt's --no-install-recommends, npm's --omit=dev); if it must ship, move it from \
             [packages] deny to warn.",
            p.name
        )
    } else {
        format!(
            "Check whether {} needs to ship; [packages] warn lists it: {}",
            p.name, b.reason
        )
    };
    Finding {
        rule: code,
        severity: if code == RuleId::PackageDenied {
            Severity::Error
        } else {
            Severity::Warning
        },
        message: format!(
            "{} {} ({}, {}) is {listed} ({:?}): {}",
            p.name,
            p.version,
            p.ecosystem,
            format_size(p.bytes),
            b.name,
            b.reason
        ),
        bytes: p.bytes,
        layer: p.layer,
        created_by: created_by(report, p.layer),
        paths: (!p.location.is_empty())
            .then(|| p.location.clone())
            .into_iter()
            .collect(),
        fix,
        references: Vec::new(),
    }
}

fn growth(report: &Report, base: Option<&Report>, cfg: &PackagesConfig, sink: &mut Sink) {
    let level = cfg.growth_level();
    let wanted = cfg.max_new_packages.is_some() || cfg.max_package_growth.is_some();
    if level == Level::Allow || !wanted {
        return;
    }
    let severity = if level == Level::Deny {
        Severity::Error
    } else {
        Severity::Warning
    };
    let why_not = match (base, &report.delta) {
        (None, _) | (_, None) => Some("there is no baseline report (--baseline)"),
        (Some(b), _) if b.packages.is_empty() => {
            Some("the baseline report has no package inventory")
        }
        _ => None,
    };
    if let Some(why) = why_not {
        sink.note(format!(
            "[packages] max_new_packages / max_package_growth are set but {why}: not checked"
        ));
        return;
    }
    let delta = report.delta.as_ref().expect("checked above");
    let out = &mut sink.findings;
    if let Some(max) = cfg.max_new_packages {
        if delta.added.len() > max {
            let bytes: u64 = delta.added.iter().map(|c| c.new_bytes).sum();
            let names: Vec<String> = delta
                .added
                .iter()
                .take(8)
                .map(|c| format!("{} {}", c.name, c.new_version.as_deref().unwrap_or("")))
                .collect();
            let more = delta.added.len().saturating_sub(names.len());
            out.push(Finding {
                rule: RuleId::PackageGrowth,
                severity,
                message: format!(
                    "{} packages added since the baseline (at most {max} allowed), {}: {}{}",
                    delta.added.len(),
                    format_size(bytes),
                    names.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
                bytes,
                layer: None,
                created_by: None,
                paths: Vec::new(),
                fix: "Check that each new package is needed (new dependencies pull others in: \
                      pip's --no-deps, npm's --omit=dev, apt's --no-install-recommends), or \
                      raise [packages] max_new_packages."
                    .into(),
                references: Vec::new(),
            });
        }
    }
    if let Some(limit) = cfg.max_package_growth {
        let changed = delta
            .upgraded
            .iter()
            .chain(&delta.downgraded)
            // A percent of nothing allows nothing: added packages count against a size only.
            .chain(
                delta
                    .added
                    .iter()
                    .filter(|_| matches!(limit, Increase::Bytes(_))),
            );
        for c in changed {
            let allowed = limit.allowance(c.old_bytes);
            if c.bytes_delta > 0 && c.bytes_delta as u64 > allowed {
                out.push(growth_finding(report, c, limit, severity));
            }
        }
    }
}

fn growth_finding(report: &Report, c: &PackageChange, limit: Increase, sev: Severity) -> Finding {
    let now = report.packages.iter().find(|p| {
        p.ecosystem == c.ecosystem && p.name == c.name && Some(&p.version) == c.new_version.as_ref()
    });
    let versions = match (&c.old_version, &c.new_version) {
        (Some(o), Some(n)) => format!("{o} → {n}"),
        (None, Some(n)) => format!("{n}, added"),
        _ => String::new(),
    };
    Finding {
        rule: RuleId::PackageGrowth,
        severity: sev,
        message: format!(
            "{} ({}, {versions}) grew {} to {}, more than [packages] max_package_growth allows ({})",
            c.name,
            c.ecosystem,
            format_delta(c.bytes_delta as i128),
            format_size(c.new_bytes),
            limit.describe()
        ),
        bytes: c.bytes_delta.max(0) as u64,
        layer: now.and_then(|p| p.layer),
        created_by: created_by(report, now.and_then(|p| p.layer)),
        paths: now
            .filter(|p| !p.location.is_empty())
            .map(|p| p.location.clone())
            .into_iter()
            .collect(),
        fix: match &c.old_version {
            Some(o) => format!(
                "Pin {} to {o} if the new version is not needed, or raise [packages] max_package_growth.",
                c.name
            ),
            None => format!(
                "Check that {} is needed, or raise [packages] max_package_growth.",
                c.name
            ),
        },
        references: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use std::path::Path;

    fn pkg(eco: &str, name: &str, ver: &str, bytes: u64) -> Package {
        Package {
            ecosystem: eco.parse().unwrap(),
            name: name.into(),
            version: ver.into(),
            purl: String::new(),
            bytes,
            files: 1,
            layer: Some(0),
            license: None,
            location: format!("/loc/{name}"),
            source: None,
            build_only: false,
        }
    }

    fn with_packages(packages: Vec<Package>) -> Report {
        Report {
            packages,
            ..Report::default()
        }
    }

    fn policy(toml: &str) -> PackagesConfig {
        Policy::from_toml(toml, Path::new("gate.toml"))
            .unwrap()
            .packages
    }

    /// `check` as the pipeline runs it: what it found, appended to the report.
    fn check(r: &mut Report, base: Option<&Report>, cfg: &PackagesConfig) {
        let mut sink = Sink::default();
        super::check(r, base, cfg, &mut sink);
        r.absorb(sink);
    }

    fn rules(r: &Report) -> Vec<(String, Severity, String)> {
        r.findings
            .iter()
            .map(|f| (f.rule.id().to_string(), f.severity, f.message.clone()))
            .collect()
    }

    #[test]
    fn deny_and_warn_lists_match_globs_per_ecosystem() {
        let cfg = policy(
            r#"
[packages]
deny = [
  { name = "gcc*", reason = "no compilers at run time" },
  { name = "boto3", ecosystem = "pypi", reason = "the Lambda runtime ships it" },
]
warn = [
  { name = "*-dev", ecosystem = "deb", reason = "headers are for building" },
  { name = "gcc-12", reason = "shadowed by the deny entry" },
]
"#,
        );
        let mut r = with_packages(vec![
            pkg("deb", "gcc-12", "12.2.0-14", 50_000_000),
            pkg("deb", "libssl-dev", "3.0.15-1", 3_000_000),
            pkg("npm", "libssl-dev", "1.0.0", 10),
            pkg("pypi", "Boto3", "1.35.0", 80_000_000),
            pkg("npm", "boto3", "0.0.1", 10),
            pkg("deb", "libgcc-s1", "12.2.0-14", 100_000),
        ]);
        check(&mut r, None, &cfg);
        let got = rules(&r);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert_eq!(got[0].0, "package-denied");
        assert_eq!(got[0].1, Severity::Error);
        assert_eq!(
            got[0].2,
            "gcc-12 12.2.0-14 (deb, 50.0 MB) is denied (\"gcc*\"): no compilers at run time"
        );
        assert_eq!(
            (got[1].0.as_str(), got[1].1),
            ("package-warned", Severity::Warning)
        );
        assert!(
            got[1].2.starts_with("libssl-dev 3.0.15-1 (deb"),
            "{}",
            got[1].2
        );
        assert!(got[2].2.starts_with("Boto3 1.35.0 (pypi"), "{}", got[2].2);
        assert_eq!(r.findings[0].paths, ["/loc/gcc-12"]);
        assert_eq!(r.findings[0].bytes, 50_000_000);
        assert!(!r.findings[0].fix.is_empty());
        assert_eq!(r.compute_verdict(), crate::model::Verdict::Fail);
    }

    #[test]
    fn growth_budgets_need_a_baseline() {
        let cfg = policy("[packages]\nmax_new_packages = 1\nmax_package_growth = \"50%\"\n");
        let base = with_packages(vec![
            pkg("pypi", "pyarrow", "14.0.2", 90_000_000),
            pkg("pypi", "six", "1", 10),
        ]);
        let mut now = with_packages(vec![
            pkg("pypi", "pyarrow", "17.0.0", 140_000_000),
            pkg("pypi", "six", "2", 14),
            pkg("pypi", "numpy", "2.1.0", 18_000_000),
            pkg("pypi", "pandas", "2.2.0", 40_000_000),
        ]);
        let mut alone = now.clone();
        check(&mut alone, None, &cfg);
        assert!(alone.findings.is_empty());
        assert!(
            alone.notes[0].contains("no baseline report"),
            "{:?}",
            alone.notes
        );

        now.delta = Some(crate::delta::diff(&base, &now));
        check(&mut now, Some(&base), &cfg);
        let got = rules(&now);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].2.starts_with("2 packages added since the baseline (at most 1 allowed), 58.0 MB: pandas 2.2.0, numpy 2.1.0"), "{}", got[0].2);
        // pyarrow grew 55%, over 50%; six grew 40%, under it.
        assert_eq!(
            got[1].2,
            "pyarrow (pypi, 14.0.2 → 17.0.0) grew +50.0 MB to 140 MB, more than [packages] max_package_growth allows (+50%)"
        );
        assert_eq!(got[1].1, Severity::Error);

        // A size counts added packages whole; warn level only warns.
        let cfg = policy("[packages]\nmax_package_growth = \"30MB\"\ngrowth_level = \"warn\"\n");
        now.findings.clear();
        check(&mut now, Some(&base), &cfg);
        let got = rules(&now);
        let names: Vec<&str> = got.iter().map(|g| g.2.split(' ').next().unwrap()).collect();
        assert_eq!(names, ["pyarrow", "pandas"]);
        assert!(got.iter().all(|g| g.1 == Severity::Warning));
    }

    #[test]
    fn config_errors_name_the_file_the_key_and_what_is_expected() {
        for (text, want) in [
            (
                "[packages]\ndeny = [{ name = \"gcc*\" }]\n",
                "team/gate.toml: [packages] deny[0] (name = \"gcc*\"): reason is missing",
            ),
            (
                "[packages]\nwarn = [{ name = \"x\", ecosystem = \"pip\", reason = \"r\" }]\n",
                "team/gate.toml: [packages] warn[0] (name = \"x\"): ecosystem = \"pip\"; expected one of deb, rpm, apk, pypi, npm, golang, cargo",
            ),
            (
                "[packages]\ndeny = [{ name = \"gcc[\", reason = \"r\" }]\n",
                "team/gate.toml: [packages] deny[0] (name = \"gcc[\"): name is not a valid glob",
            ),
            ("[packages]\nmax_package_growth = \"lots\"\n", "team/gate.toml: "),
            ("[packages]\nmax_new_pkgs = 3\n", "team/gate.toml: "),
        ] {
            let err = Policy::from_toml(text, Path::new("team/gate.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(want), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
