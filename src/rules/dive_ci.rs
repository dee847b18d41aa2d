//! dive's CI rules (`dive --ci` with a `.dive-ci` file), evaluated exactly as dive evaluates
//! them, so a team can replace `dive --ci` with `gate` and get the same pass/fail.
//!
//! dive (runtime/ci/rules.go): `lowestEfficiency` fails when threshold > efficiency;
//! `highestWastedBytes` (go-humanize units: kB = 1000, KiB = 1024) fails when wasted >
//! threshold; `highestUserWastedPercent` fails when threshold < wasted/user bytes (layers after
//! the first). All comparisons strict; a rule set to "disabled" is skipped; a value that does
//! not parse, or a ratio outside 0–1, is a misconfiguration and fails the run. Keys left out
//! take dive's defaults: 0.9, disabled, 0.1.

use std::path::Path;

use anyhow::{anyhow, Result};

use crate::image::dive::DiveScore;
use crate::model::{Check, CheckName, Status, Unit};
use crate::units::parse_size;

#[derive(Debug, Clone, PartialEq)]
pub struct DiveCi {
    pub lowest_efficiency: String,
    pub highest_wasted_bytes: String,
    pub highest_user_wasted_percent: String,
}

impl Default for DiveCi {
    fn default() -> Self {
        DiveCi {
            lowest_efficiency: "0.9".into(),
            highest_wasted_bytes: "disabled".into(),
            highest_user_wasted_percent: "0.1".into(),
        }
    }
}

impl DiveCi {
    pub fn load(path: &Path) -> Result<DiveCi> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("{}: cannot read the dive CI file: {e}", path.display()))?;
        DiveCi::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
    }

    /// Reads the `rules:` map of a .dive-ci file. Hand-written: the file is one flat YAML map
    /// of three scalar keys (plus plugin entries we ignore), which does not justify a YAML
    /// library; anything else in the file is left alone, as dive leaves it.
    pub fn parse(text: &str) -> Result<DiveCi> {
        let mut ci = DiveCi::default();
        let mut in_rules = false;
        for (n, raw) in text.lines().enumerate() {
            let line = strip_comment(raw);
            if line.trim().is_empty() || line.trim() == "---" {
                continue;
            }
            let indented = line.starts_with(' ') || line.starts_with('\t');
            if !indented {
                in_rules = line.trim_end() == "rules:";
                continue;
            }
            if !in_rules {
                continue;
            }
            let Some((key, value)) = line.trim().split_once(':') else {
                return Err(anyhow!(
                    "line {}: expected `key: value` under rules:",
                    n + 1
                ));
            };
            let value = value
                .trim()
                .trim_matches('"')
                .trim_matches('\'')
                .to_string();
            match key.trim() {
                "lowestEfficiency" => ci.lowest_efficiency = value,
                "highestWastedBytes" => ci.highest_wasted_bytes = value,
                "highestUserWastedPercent" => ci.highest_user_wasted_percent = value,
                _ => {} // plugin rules and future keys: dive ignores what it does not know
            }
        }
        Ok(ci)
    }

    /// One check per rule, named `dive-<rule>`.
    pub fn evaluate(&self, dive: &DiveScore) -> Vec<Check> {
        vec![
            rule(
                "lowest-efficiency",
                &self.lowest_efficiency,
                dive.efficiency.into(),
                Unit::Ratio,
                |v| {
                    let t = ratio(v)?;
                    Ok((
                        t.into(),
                        t > dive.efficiency,
                        format!(
                            "image efficiency is too low (efficiency={} < threshold={t})",
                            dive.efficiency
                        ),
                    ))
                },
            ),
            rule(
                "highest-wasted-bytes",
                &self.highest_wasted_bytes,
                dive.wasted_bytes.into(),
                Unit::Bytes,
                |v| {
                    let t = parse_size(v)?;
                    Ok((
                        t.into(),
                        dive.wasted_bytes > t,
                        format!(
                            "too many bytes wasted (wasted-bytes={} > threshold={t})",
                            dive.wasted_bytes
                        ),
                    ))
                },
            ),
            rule(
                "highest-user-wasted-percent",
                &self.highest_user_wasted_percent,
                dive.user_wasted_percent.into(),
                Unit::Ratio,
                |v| {
                    let t = ratio(v)?;
                    Ok((
                        t.into(),
                        t < dive.user_wasted_percent,
                        format!(
                            "too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes={} > threshold={t})",
                            dive.user_wasted_percent
                        ),
                    ))
                },
            ),
        ]
    }
}

fn strip_comment(line: &str) -> &str {
    match line
        .find(" #")
        .or_else(|| line.trim_start().starts_with('#').then_some(0))
    {
        Some(0) => "",
        Some(i) => &line[..i],
        None => line,
    }
}

fn ratio(v: &str) -> Result<f64> {
    let t: f64 = v.parse().map_err(|_| anyhow!("{v:?} is not a number"))?;
    if !(0.0..=1.0).contains(&t) {
        return Err(anyhow!("{v} is outside the allowed range (0-1)"));
    }
    Ok(t)
}

type Eval<'a> = dyn Fn(&str) -> Result<(serde_json::Value, bool, String)> + 'a;

fn rule(
    name: &str,
    value: &str,
    actual: serde_json::Value,
    unit: Unit,
    eval: impl Fn(&str) -> Result<(serde_json::Value, bool, String)>,
) -> Check {
    let eval: &Eval = &eval;
    let mut check = Check {
        name: CheckName::Dive(name.into()),
        limit: value.into(),
        actual,
        status: Status::Pass,
        unit: Some(unit),
        detail: None,
    };
    if value == "disabled" || value == "off" {
        check.detail = Some("rule disabled".into());
        return check;
    }
    match eval(value) {
        Ok((limit, failed, message)) => {
            check.limit = limit;
            if failed {
                check.status = Status::Fail;
                check.detail = Some(message);
            }
        }
        Err(e) => {
            check.status = Status::Fail;
            check.detail = Some(format!("misconfigured .dive-ci: {e}"));
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score() -> DiveScore {
        // dive's own figures for its test image.
        DiveScore {
            efficiency: 0.9844212134184309,
            wasted_bytes: 32025,
            user_size_bytes: 66237,
            user_wasted_percent: 0.4834911001404049,
        }
    }

    fn statuses(ci: &DiveCi) -> Vec<Status> {
        ci.evaluate(&score()).iter().map(|c| c.status).collect()
    }

    #[test]
    fn dives_evaluator_test_table() {
        // runtime/ci/evaluator_test.go: "allFail" and "allDisabled".
        let all_fail = DiveCi {
            lowest_efficiency: "0.99".into(),
            highest_wasted_bytes: "1B".into(),
            highest_user_wasted_percent: "0.01".into(),
        };
        assert_eq!(statuses(&all_fail), vec![Status::Fail; 3]);
        let disabled = DiveCi {
            lowest_efficiency: "disabled".into(),
            highest_wasted_bytes: "disabled".into(),
            highest_user_wasted_percent: "disabled".into(),
        };
        assert_eq!(statuses(&disabled), vec![Status::Pass; 3]);
    }

    #[test]
    fn comparisons_are_strict_and_units_are_go_humanize() {
        let exact = DiveCi {
            lowest_efficiency: "0.9844212134184309".into(),
            highest_wasted_bytes: "32025".into(),
            highest_user_wasted_percent: "0.4834911001404049".into(),
        };
        assert_eq!(statuses(&exact), vec![Status::Pass; 3]);
        let kb = DiveCi {
            highest_wasted_bytes: "32kB".into(),
            ..DiveCi::default()
        };
        assert_eq!(kb.evaluate(&score())[1].status, Status::Fail); // 32,000 < 32,025
        let kib = DiveCi {
            highest_wasted_bytes: "32KiB".into(),
            ..DiveCi::default()
        };
        assert_eq!(kib.evaluate(&score())[1].status, Status::Pass); // 32,768
    }

    #[test]
    fn misconfiguration_fails() {
        let bad = DiveCi {
            lowest_efficiency: "1.5".into(),
            ..DiveCi::default()
        };
        let c = &bad.evaluate(&score())[0];
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.as_deref().unwrap().contains("misconfigured"));
    }

    #[test]
    fn parses_dives_own_ci_file() {
        let text = "---\nplugins:\n  - plugin1\n\nrules:\n  # comment\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20Mb # trailing\n  highestUserWastedPercent: 0.5\n  plugin1/rule1: error\n";
        let ci = DiveCi::parse(text).unwrap();
        assert_eq!(ci.lowest_efficiency, "0.95");
        assert_eq!(ci.highest_wasted_bytes, "20Mb");
        assert_eq!(ci.highest_user_wasted_percent, "0.5");
        let defaults = DiveCi::parse("rules:\n  lowestEfficiency: 0.8\n").unwrap();
        assert_eq!(defaults.highest_user_wasted_percent, "0.1");
    }
}
