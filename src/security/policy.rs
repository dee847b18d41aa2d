//! The policy over the one list: ignores (with a reason, until an expiry), .trivyignore,
//! the baseline (new or existing), then the checks that decide the verdict. Everything stays
//! in the report; only what the policy says counts fails the gate ("report medium, fail on
//! high").

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{anyhow, Result};

use super::cfg::{Expiry, Ignore, SecurityConfig};
use super::{count, FindingKind, SecurityFinding, SecurityReport, Severity};
use crate::model::{Check, FixedCheck, Report, Status};

/// Reads a .trivyignore: one id per line, `#` comments, optional `exp:YYYY-MM-DD`.
pub fn read_trivyignore(path: &Path) -> Result<Vec<Ignore>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?;
    parse_trivyignore(&text, path)
}

/// A .trivyignore's text, read from wherever it came from (the working tree, or a git commit
/// when the policy is the base's); `path` names it in errors and in each ignore's reason.
pub fn parse_trivyignore(text: &str, path: &Path) -> Result<Vec<Ignore>> {
    // Editors on Windows save with a byte-order mark; it would glue itself to the first id.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let id = parts.next().unwrap_or_default().to_string();
        let mut expires = None;
        for p in parts {
            if let Some(d) = p.strip_prefix("exp:") {
                expires = Some(Expiry::parse(d).map_err(|_| {
                    anyhow!(
                        "{}:{}: exp:{d} is not a YYYY-MM-DD date",
                        path.display(),
                        n + 1
                    )
                })?);
            }
        }
        out.push(Ignore {
            id,
            reason: format!("listed in {}", path.display()),
            expires,
            package: None,
        });
    }
    Ok(out)
}

/// Trivy ≥ 0.69 writes misconfiguration ids as `DS-0002` where older versions wrote `DS002`:
/// compare letters and number, ignoring dashes and leading zeros.
fn norm(id: &str) -> String {
    let compact = id.replace('-', "").to_ascii_uppercase();
    let letters: String = compact
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let rest = &compact[letters.len()..];
    if !letters.is_empty()
        && !rest.is_empty()
        && rest.len() <= 6
        && rest.chars().all(|c| c.is_ascii_digit())
    {
        format!("{letters}{}", rest.trim_start_matches('0'))
    } else {
        compact
    }
}

/// The ignores by normalized id, so matching costs one lookup per finding id instead of one
/// comparison per ignore (5,000 ignores × 100,000 findings is half a billion otherwise).
struct IgnoreSet<'a> {
    by_id: HashMap<String, Vec<(usize, &'a Ignore)>>,
}

impl<'a> IgnoreSet<'a> {
    fn new(ignores: impl IntoIterator<Item = &'a Ignore>) -> Self {
        let mut by_id: HashMap<String, Vec<(usize, &'a Ignore)>> = HashMap::new();
        for (i, ig) in ignores.into_iter().enumerate() {
            by_id.entry(norm(&ig.id)).or_default().push((i, ig));
        }
        IgnoreSet { by_id }
    }

    /// The first ignore, in the order given, that names one of the finding's ids (and its
    /// package, when the ignore is scoped to one).
    fn find(&self, f: &SecurityFinding) -> Option<&'a Ignore> {
        std::iter::once(&f.id)
            .chain(f.aliases.iter())
            .filter_map(|id| self.by_id.get(&norm(id)))
            .flatten()
            .filter(|(_, ig)| {
                ig.package
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(&f.package))
            })
            .min_by_key(|(i, _)| *i)
            .map(|(_, ig)| *ig)
    }
}

/// Applies ignores and the baseline to `report` in place, and returns the checks.
pub fn apply(
    report: &mut SecurityReport,
    cfg: &SecurityConfig,
    extra_ignores: &[Ignore],
    baseline: Option<&Report>,
    today: time::Date,
) -> Vec<Check> {
    let ignores = IgnoreSet::new(cfg.ignore.iter().chain(extra_ignores));
    let mut kept = Vec::new();
    for mut f in std::mem::take(&mut report.findings) {
        match ignores.find(&f) {
            Some(i) => {
                let expired = i.expires.as_ref().filter(|e| e.date < today);
                if let Some(e) = expired {
                    f.note = Some(format!(
                        "ignore expired on {} ({}): the finding counts again",
                        e.text, i.reason
                    ));
                    kept.push(f);
                } else {
                    let until = i
                        .expires
                        .as_ref()
                        .map(|e| format!(" until {}", e.text))
                        .unwrap_or_default();
                    f.suppressed = Some(format!("ignored{until}: {}", i.reason));
                    report.suppressed.push(f);
                }
            }
            None => kept.push(f),
        }
    }
    if let Some(base) = baseline {
        let known: HashSet<(String, String)> = base
            .security
            .as_ref()
            .map(|s| {
                s.findings
                    .iter()
                    .flat_map(|f| {
                        std::iter::once(f.id.clone())
                            .chain(f.aliases.iter().cloned())
                            .map(|id| (id, f.package.to_ascii_lowercase()))
                            .collect::<Vec<_>>()
                    })
                    .collect()
            })
            .unwrap_or_default();
        for f in &mut kept {
            let existing = std::iter::once(&f.id)
                .chain(f.aliases.iter())
                .any(|id| known.contains(&(id.clone(), f.package.to_ascii_lowercase())));
            f.status = Some(if existing {
                crate::model::security::FindingStatus::Existing
            } else {
                crate::model::security::FindingStatus::New
            });
        }
    }
    report.findings = kept;
    report.counts = count(&report.findings);

    let counts_toward_gate = |f: &&SecurityFinding| {
        (!cfg.only_fixed || f.fixable())
            && (!cfg.new_only
                || baseline.is_none()
                || f.status == Some(crate::model::security::FindingStatus::New))
    };
    let failing: Vec<&SecurityFinding> = report
        .findings
        .iter()
        .filter(|f| {
            f.kind != Some(FindingKind::Secret)
                && f.severity >= cfg.fail_on
                && f.severity != Severity::Unknown
        })
        .filter(counts_toward_gate)
        .collect();
    let mut checks = vec![Check {
        name: FixedCheck::SecurityFailOn.into(),
        limit: format!("no {} or above", cfg.fail_on.as_str()).into(),
        actual: failing.len().into(),
        status: if failing.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        },
        unit: Some(crate::model::Unit::Count),
        detail: (!failing.is_empty()).then(|| {
            let ids: Vec<String> = failing
                .iter()
                .take(5)
                .map(|f| {
                    if f.package.is_empty() {
                        f.id.clone()
                    } else {
                        format!("{} in {} {}", f.id, f.package, f.installed)
                    }
                })
                .collect();
            format!(
                "{} findings at or above {}{}{}: {}",
                failing.len(),
                cfg.fail_on.as_str(),
                if cfg.only_fixed { " with a fix" } else { "" },
                if cfg.new_only && baseline.is_some() {
                    ", new since the baseline"
                } else {
                    ""
                },
                ids.join(", ")
            )
        }),
    }];
    let secrets: Vec<&SecurityFinding> = report
        .findings
        .iter()
        .filter(|f| f.kind == Some(FindingKind::Secret))
        .filter(counts_toward_gate)
        .collect();
    if cfg.secrets || !secrets.is_empty() {
        checks.push(Check {
            name: FixedCheck::SecuritySecrets.into(),
            limit: 0.into(),
            actual: secrets.len().into(),
            status: if secrets.is_empty() {
                Status::Pass
            } else if cfg.secrets {
                Status::Fail
            } else {
                Status::Warn
            },
            unit: Some(crate::model::Unit::Count),
            detail: (!secrets.is_empty()).then(|| {
                format!(
                    "secrets in {}",
                    secrets
                        .iter()
                        .take(5)
                        .map(|s| format!("{} ({})", s.location, s.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
        });
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: &str, sev: Severity, fixed: &str) -> SecurityFinding {
        SecurityFinding {
            id: id.into(),
            source: vec!["trivy".into()],
            kind: Some(FindingKind::Vulnerability),
            severity: sev,
            package: "openssl".into(),
            installed: "1.0".into(),
            fixed: fixed.into(),
            ..Default::default()
        }
    }

    fn report(fs: Vec<SecurityFinding>) -> SecurityReport {
        SecurityReport {
            findings: fs,
            ..Default::default()
        }
    }

    fn today() -> time::Date {
        Expiry::parse("2026-11-25").unwrap().date
    }

    fn status(checks: &[Check], name: &str) -> Status {
        checks.iter().find(|c| c.name == name).unwrap().status
    }

    #[test]
    fn threshold_reports_medium_and_fails_on_high() {
        let cfg = SecurityConfig::default();
        let mut r = report(vec![f("CVE-1", Severity::Medium, "")]);
        assert_eq!(
            status(&apply(&mut r, &cfg, &[], None, today()), "security-fail-on"),
            Status::Pass
        );
        assert_eq!(r.findings.len(), 1, "still reported");
        let mut r = report(vec![
            f("CVE-1", Severity::Medium, ""),
            f("CVE-2", Severity::Critical, "1.1"),
        ]);
        let checks = apply(&mut r, &cfg, &[], None, today());
        assert_eq!(status(&checks, "security-fail-on"), Status::Fail);
        assert_eq!(checks[0].actual, 1);
    }

    #[test]
    fn only_fixed_ignores_findings_without_a_fix() {
        let cfg = SecurityConfig {
            only_fixed: true,
            ..Default::default()
        };
        let mut r = report(vec![f("CVE-2", Severity::Critical, "")]);
        assert_eq!(
            status(&apply(&mut r, &cfg, &[], None, today()), "security-fail-on"),
            Status::Pass
        );
        assert_eq!(r.counts.unfixable, 1);
    }

    #[test]
    fn live_ignores_suppress_and_expired_ones_come_back_with_a_note() {
        let live = Ignore {
            id: "CVE-2".into(),
            reason: "not reachable".into(),
            expires: Some(Expiry::parse("2027-01-31").unwrap()),
            package: None,
        };
        let cfg = SecurityConfig {
            ignore: vec![live],
            ..Default::default()
        };
        let mut r = report(vec![f("CVE-2", Severity::Critical, "1.1")]);
        assert_eq!(
            status(&apply(&mut r, &cfg, &[], None, today()), "security-fail-on"),
            Status::Pass
        );
        assert_eq!(
            r.suppressed[0].suppressed.as_deref(),
            Some("ignored until 2027-01-31: not reachable")
        );

        let old = Ignore {
            id: "CVE-2".into(),
            reason: "was not reachable".into(),
            expires: Some(Expiry::parse("2025-01-31").unwrap()),
            package: None,
        };
        let cfg = SecurityConfig {
            ignore: vec![old],
            ..Default::default()
        };
        let mut r = report(vec![f("CVE-2", Severity::Critical, "1.1")]);
        assert_eq!(
            status(&apply(&mut r, &cfg, &[], None, today()), "security-fail-on"),
            Status::Fail
        );
        assert!(r.findings[0]
            .note
            .as_deref()
            .unwrap()
            .contains("expired on 2025-01-31"));
    }

    #[test]
    fn ignores_scoped_to_a_package_and_misconfiguration_ids_in_both_spellings() {
        let scoped = Ignore {
            id: "CVE-2".into(),
            reason: "r".into(),
            expires: None,
            package: Some("zlib".into()),
        };
        let cfg = SecurityConfig {
            ignore: vec![scoped],
            ..Default::default()
        };
        let mut r = report(vec![f("CVE-2", Severity::Critical, "1.1")]);
        apply(&mut r, &cfg, &[], None, today());
        assert_eq!(r.findings.len(), 1, "openssl is not zlib");
        let old_style = Ignore {
            id: "DS002".into(),
            reason: "r".into(),
            expires: None,
            package: None,
        };
        let mut m = f("DS-0002", Severity::High, "");
        m.aliases = vec!["DS0002".into()];
        m.package.clear();
        let cfg = SecurityConfig {
            ignore: vec![old_style],
            ..Default::default()
        };
        let mut r = report(vec![m]);
        apply(&mut r, &cfg, &[], None, today());
        assert!(r.findings.is_empty());
        assert_eq!(r.suppressed.len(), 1);
        assert_ne!(norm("CVE-2021-1234"), norm("CVE-2021-12345"));
    }

    #[test]
    fn baseline_marks_new_and_existing_and_new_only_fails_on_new() {
        let base = Report {
            security: Some(report(vec![f("CVE-OLD", Severity::Critical, "")])),
            ..Default::default()
        };
        let cfg = SecurityConfig {
            new_only: true,
            ..Default::default()
        };
        let mut r = report(vec![
            f("CVE-OLD", Severity::Critical, ""),
            f("CVE-NEW", Severity::Low, ""),
        ]);
        let checks = apply(&mut r, &cfg, &[], Some(&base), today());
        assert_eq!(
            r.findings
                .iter()
                .find(|x| x.id == "CVE-OLD")
                .unwrap()
                .status,
            Some(crate::model::security::FindingStatus::Existing)
        );
        assert_eq!(
            r.findings
                .iter()
                .find(|x| x.id == "CVE-NEW")
                .unwrap()
                .status,
            Some(crate::model::security::FindingStatus::New)
        );
        assert_eq!(
            status(&checks, "security-fail-on"),
            Status::Pass,
            "the critical one is old"
        );
        assert_eq!(r.counts.new, 1);
    }

    #[test]
    fn any_secret_fails_by_default() {
        let mut s = f("aws-access-key-id", Severity::Critical, "");
        s.kind = Some(FindingKind::Secret);
        s.location = "/app/secret.env".into();
        let mut r = report(vec![s]);
        let checks = apply(&mut r, &SecurityConfig::default(), &[], None, today());
        assert_eq!(status(&checks, "security-secrets"), Status::Fail);
        assert_eq!(
            status(&checks, "security-fail-on"),
            Status::Pass,
            "secrets have their own check"
        );
    }
}
