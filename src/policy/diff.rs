//! Two policies compared: the base's and the pull request's, setting by setting, each change
//! marked as loosening (the gate gets easier to pass) or tightening.
//!
//! Which way is loose is a property of each setting, so each is listed here with its own:
//! a `max_*` budget raised or removed loosens, a `min_*` lowered loosens, a rule level lowered
//! (deny → warn → allow) loosens, an ignore added or made to expire later loosens, a package
//! taken off a deny list loosens. A file the pull request deletes compares as the defaults, as
//! does a file it adds against a base without one: that is what the gate would read.
//!
//! Settings that only say how to run (the perf target, its request count) are not compared:
//! they do not change what passes.

use std::collections::{BTreeMap, BTreeSet};

use super::Policy;
use crate::budget::{ImagePolicy, Pair};
use crate::model::policy_changes::{Direction, PolicyChange};
use crate::model::Level;
use crate::rules::dive_ci::DiveCi;
use crate::security::cfg::Ignore;
use crate::units::{format_size, Increase};

/// Every setting that differs between `base` and `head`, in the file's order.
pub fn compare(base: &Policy, head: &Policy) -> Vec<PolicyChange> {
    let mut out = Changes(Vec::new());
    image(&mut out, base, head);
    rules(&mut out, base, head);
    security(&mut out, base, head);
    packages(&mut out, base, head);
    lambda(&mut out, base, head);
    perf(&mut out, base, head);
    out.0
}

struct Changes(Vec<PolicyChange>);

impl Changes {
    fn push(&mut self, setting: String, old: Option<String>, new: Option<String>, d: Direction) {
        self.0.push(PolicyChange {
            setting,
            old,
            new,
            direction: d,
        });
    }

    /// An upper bound: `None` is unlimited, the loosest.
    fn at_most<T: PartialOrd + Copy>(
        &mut self,
        setting: &str,
        old: Option<T>,
        new: Option<T>,
        show: impl Fn(T) -> String,
    ) {
        self.bound(setting, old, new, show, |a, b| b > a);
    }

    /// A lower bound: `None` is unchecked, the loosest.
    fn at_least<T: PartialOrd + Copy>(
        &mut self,
        setting: &str,
        old: Option<T>,
        new: Option<T>,
        show: impl Fn(T) -> String,
    ) {
        self.bound(setting, old, new, show, |a, b| b < a);
    }

    /// A limit that `None` lifts; `looser(old, new)` says which way a changed value moved.
    fn bound<T: PartialOrd + Copy>(
        &mut self,
        setting: &str,
        old: Option<T>,
        new: Option<T>,
        show: impl Fn(T) -> String,
        looser: fn(T, T) -> bool,
    ) {
        let d = match (old, new) {
            (Some(a), Some(b)) if a == b => return,
            (None, None) => return,
            (Some(a), Some(b)) => by(looser(a, b)),
            (Some(_), None) => Direction::Loosening,
            (None, Some(_)) => Direction::Tightening,
        };
        self.push(setting.into(), old.map(&show), new.map(&show), d);
    }

    /// A switch: `loose` is the value that lets more through.
    fn switch(&mut self, setting: &str, old: bool, new: bool, loose: bool) {
        if old != new {
            let d = if new == loose {
                Direction::Loosening
            } else {
                Direction::Tightening
            };
            self.push(
                setting.into(),
                Some(old.to_string()),
                Some(new.to_string()),
                d,
            );
        }
    }

    /// A value with no direction (a platform, an architecture).
    fn changed(&mut self, setting: &str, old: Option<String>, new: Option<String>) {
        if old != new {
            self.push(setting.into(), old, new, Direction::Changed);
        }
    }

    fn level(&mut self, setting: String, old: Level, new: Level) {
        if old != new {
            let d = if rank(new) < rank(old) {
                Direction::Loosening
            } else {
                Direction::Tightening
            };
            self.push(
                setting,
                Some(old.as_str().into()),
                Some(new.as_str().into()),
                d,
            );
        }
    }

    /// Entries of a list (ignored paths, denied packages): one added moves the gate `added`.
    fn set(
        &mut self,
        table: &str,
        old: &BTreeSet<String>,
        new: &BTreeSet<String>,
        added: Direction,
    ) {
        let removed = match added {
            Direction::Loosening => Direction::Tightening,
            Direction::Tightening => Direction::Loosening,
            Direction::Changed => Direction::Changed,
        };
        for e in old.difference(new) {
            self.push(format!("{table} {e}"), Some(e.clone()), None, removed);
        }
        for e in new.difference(old) {
            self.push(format!("{table} {e}"), None, Some(e.clone()), added);
        }
    }

    fn increase(&mut self, setting: &str, old: Option<Increase>, new: Option<Increase>) {
        let show = |i: Increase| match i {
            Increase::Bytes(b) => exact_size(b),
            Increase::Percent(p) => format!("{p}%"),
        };
        let d = match (old, new) {
            (None, None) => return,
            (Some(a), Some(b)) if a == b => return,
            (Some(_), None) => Direction::Loosening,
            (None, Some(_)) => Direction::Tightening,
            (Some(Increase::Bytes(a)), Some(Increase::Bytes(b))) => by(b > a),
            (Some(Increase::Percent(a)), Some(Increase::Percent(b))) => by(b > a),
            // A share turned into a size (or back) depends on the image: no direction.
            _ => Direction::Changed,
        };
        self.push(setting.into(), old.map(show), new.map(show), d);
    }
}

fn by(looser: bool) -> Direction {
    if looser {
        Direction::Loosening
    } else {
        Direction::Tightening
    }
}

fn rank(l: Level) -> u8 {
    match l {
        Level::Allow => 0,
        Level::Warn => 1,
        Level::Deny => 2,
    }
}

/// A size as people read it, with the exact bytes when rounding would hide the change.
fn exact_size(b: u64) -> String {
    let s = format_size(b);
    if crate::units::parse_size(&s.replace(' ', "")).ok() == Some(b) {
        s
    } else {
        format!("{s} ({b} bytes)")
    }
}

/// Each budget as `budget.rs` declares it: its kind says which way is looser.
fn image(out: &mut Changes, base: &Policy, head: &Policy) {
    let (a, b) = (&base.image, &head.image);
    for (key, pair) in ImagePolicy::side_by_side(a, b) {
        let setting = format!("[image] {key}");
        match pair {
            Pair::Size(o, n) => out.at_most(&setting, o, n, exact_size),
            Pair::Count(o, n) => out.at_most(&setting, o, n, |v| v.to_string()),
            Pair::Ratio(o, n) => out.at_least(&setting, o, n, |v| v.to_string()),
            Pair::Increase(o, n) => out.increase(&setting, o, n),
        }
    }
    out.changed("[image] platform", a.platform.clone(), b.platform.clone());
}

fn rules(out: &mut Changes, base: &Policy, head: &Policy) {
    let (a, b) = (&base.rules, &head.rules);
    out.at_most(
        "[rules] min_bytes",
        Some(a.min_bytes),
        Some(b.min_bytes),
        exact_size,
    );
    let globs = |r: &crate::rules::cfg::RulesConfig| -> BTreeSet<String> {
        r.ignore_paths().iter().cloned().collect()
    };
    out.set(
        "[rules] ignore_paths",
        &globs(a),
        &globs(b),
        Direction::Loosening,
    );
    out.changed(
        "[rules] architecture",
        a.architecture().map(String::from),
        b.architecture().map(String::from),
    );
    for code in crate::model::RuleId::of(crate::model::Family::Image) {
        out.level(
            format!("[rules] {}", code.id()),
            a.level(code),
            b.level(code),
        );
    }
}

fn security(out: &mut Changes, base: &Policy, head: &Policy) {
    let (a, b) = (&base.security, &head.security);
    // A higher bar to fail on lets more through.
    out.at_most(
        "[security] fail_on",
        Some(a.fail_on),
        Some(b.fail_on),
        |s| s.as_str().into(),
    );
    out.switch("[security] only_fixed", a.only_fixed, b.only_fixed, true);
    out.switch("[security] secrets", a.secrets, b.secrets, false);
    out.switch("[security] new_only", a.new_only, b.new_only, true);
    // Advisories without a score rated lower fail less.
    out.at_least(
        "[security] default_severity",
        Some(a.default_severity),
        Some(b.default_severity),
        |s| s.as_str().into(),
    );
    let (old, new) = (ignores(&a.ignore), ignores(&b.ignore));
    for key in old.keys().chain(new.keys()).collect::<BTreeSet<_>>() {
        let setting = format!("[[security.ignore]] {key}");
        let show = |e: &Option<String>| e.clone().unwrap_or_else(|| "no expiry".into());
        match (old.get(key), new.get(key)) {
            (Some(x), Some(y)) if x == y => {}
            (Some(x), None) => out.push(setting, Some(show(x)), None, Direction::Tightening),
            (None, Some(y)) => out.push(setting, None, Some(show(y)), Direction::Loosening),
            (Some(x), Some(y)) => {
                // No expiry is the latest of all.
                let later = match (x, y) {
                    (Some(_), None) => true,
                    (Some(p), Some(q)) => q > p,
                    _ => false,
                };
                out.push(setting, Some(show(x)), Some(show(y)), by(later));
            }
            (None, None) => {}
        }
    }
}

/// The ignores (gate.toml's and the ignore files') by what they silence, each with the expiry
/// that counts: an id listed twice is ignored until the later of the two.
fn ignores(list: &[Ignore]) -> BTreeMap<String, Option<String>> {
    let mut out: BTreeMap<String, Option<(time::Date, String)>> = BTreeMap::new();
    for i in list {
        let key = match &i.package {
            Some(p) => format!("{} (package {p})", i.id),
            None => i.id.clone(),
        };
        let this = i.expires.as_ref().map(|e| (e.date, e.text.clone()));
        match out.get_mut(&key) {
            None => {
                out.insert(key, this);
            }
            Some(kept) => {
                let later = match (&*kept, &this) {
                    (Some(_), None) => true,
                    (Some(k), Some(t)) => t.0 > k.0,
                    _ => false,
                };
                if later {
                    *kept = this;
                }
            }
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, v.map(|(_, text)| text)))
        .collect()
}

fn packages(out: &mut Changes, base: &Policy, head: &Policy) {
    let (a, b) = (&base.packages, &head.packages);
    let names = |list: &[crate::package_policy::cfg::Ban]| -> BTreeSet<String> {
        list.iter()
            .map(|x| match &x.ecosystem {
                Some(e) => format!("{e}:{}", x.name),
                None => x.name.clone(),
            })
            .collect()
    };
    out.set(
        "[packages] deny",
        &names(&a.deny),
        &names(&b.deny),
        Direction::Tightening,
    );
    out.set(
        "[packages] warn",
        &names(&a.warn),
        &names(&b.warn),
        Direction::Tightening,
    );
    out.at_most(
        "[packages] max_new_packages",
        a.max_new_packages,
        b.max_new_packages,
        |v| v.to_string(),
    );
    out.increase(
        "[packages] max_package_growth",
        a.max_package_growth,
        b.max_package_growth,
    );
    out.level(
        "[packages] growth_level".into(),
        a.growth_level(),
        b.growth_level(),
    );
}

fn lambda(out: &mut Changes, base: &Policy, head: &Policy) {
    let (a, b) = (&base.lambda, &head.lambda);
    let num = |v: f64| v.to_string();
    // A smaller margin over the slowest call, or less memory kept free, lets more through.
    out.at_least(
        "[lambda] timeout_margin",
        Some(a.timeout_margin),
        Some(b.timeout_margin),
        num,
    );
    out.at_most(
        "[lambda] max_timeout_ratio",
        Some(a.max_timeout_ratio),
        Some(b.max_timeout_ratio),
        num,
    );
    out.at_least(
        "[lambda] memory_headroom",
        Some(a.memory_headroom),
        Some(b.memory_headroom),
        num,
    );
    out.at_least(
        "[lambda] memory_overprovisioned",
        Some(a.memory_overprovisioned),
        Some(b.memory_overprovisioned),
        num,
    );
    out.at_most(
        "[lambda] max_log_retention_days",
        a.max_log_retention_days,
        b.max_log_retention_days,
        |v| v.to_string(),
    );
    for r in crate::deployed::RULES {
        out.level(format!("[lambda] {}", r.id), a.level(r.id), b.level(r.id));
    }
}

fn perf(out: &mut Changes, base: &Policy, head: &Policy) {
    use crate::perf::threshold::{Op, Rule};
    let (a, b) = (&base.perf, &head.perf);
    // A threshold (a level, or a change budget against the comparison) is matched by its
    // metric and the side it bounds; its `value` orders two limits on that side and
    // `inclusive` breaks a tie (`<=` lets the limit itself through, so it is the looser).
    struct Limit {
        key: String,
        bound: Bound,
        value: f64,
        inclusive: bool,
        text: String,
    }
    #[derive(PartialEq, Clone, Copy)]
    enum Bound {
        Upper,
        Lower,
        Exact,
    }
    let side_of = |op: Op| match op {
        Op::Lt => (Bound::Upper, false),
        Op::Le => (Bound::Upper, true),
        Op::Gt => (Bound::Lower, false),
        Op::Ge => (Bound::Lower, true),
        Op::Eq => (Bound::Exact, true),
    };
    let limit = |r: &Rule| -> Limit {
        let (metric, change, bound, value, inclusive, text) = match r {
            Rule::Level(t) => {
                let (bound, inclusive) = side_of(t.op);
                let name = t.metric.name().to_string();
                (name, "", bound, t.value, inclusive, t.to_string())
            }
            Rule::Change(c) => {
                let (bound, inclusive) = side_of(c.op);
                let name = c.stat.name().to_string();
                let kind = if c.relative { " change %" } else { " change" };
                (name, kind, bound, c.value, inclusive, c.to_string())
            }
        };
        let side = match bound {
            Bound::Upper => "<",
            Bound::Lower => ">",
            Bound::Exact => "=",
        };
        Limit {
            key: format!("{metric}{change} {side}"),
            bound,
            value,
            inclusive,
            text,
        }
    };
    let by_key = |list: &[Rule]| -> BTreeMap<String, Limit> {
        list.iter().map(limit).map(|l| (l.key.clone(), l)).collect()
    };
    let (old, new) = (by_key(&a.thresholds), by_key(&b.thresholds));
    for k in old.keys().chain(new.keys()).collect::<BTreeSet<_>>() {
        let setting = format!(
            "[perf] thresholds {}",
            k.rsplit_once(' ').map_or(k.as_str(), |x| x.0)
        );
        match (old.get(k), new.get(k)) {
            (Some(x), None) => out.push(setting, Some(x.text.clone()), None, Direction::Loosening),
            (None, Some(y)) => out.push(setting, None, Some(y.text.clone()), Direction::Tightening),
            (Some(x), Some(y)) if x.value == y.value && x.inclusive == y.inclusive => {}
            (Some(x), Some(y)) => {
                let d = match x.bound {
                    Bound::Upper if x.value != y.value => by(y.value > x.value),
                    Bound::Lower if x.value != y.value => by(y.value < x.value),
                    Bound::Upper | Bound::Lower => by(y.inclusive),
                    Bound::Exact => Direction::Changed,
                };
                out.push(setting, Some(x.text.clone()), Some(y.text.clone()), d);
            }
            (None, None) => {}
        }
    }
    let headers = |p: &crate::perf::cfg::PerfConfig| -> BTreeSet<String> {
        p.required_headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect()
    };
    out.set(
        "[perf] required_headers",
        &headers(a),
        &headers(b),
        Direction::Tightening,
    );
}

/// dive's CI rules (`.dive-ci`): no file is no dive checks, the loosest; `disabled` turns one
/// rule off. dive's own defaults fill the keys a file leaves out.
pub fn compare_dive_ci(base: Option<&DiveCi>, head: Option<&DiveCi>) -> Vec<PolicyChange> {
    let mut out = Changes(Vec::new());
    let side = |c: Option<&DiveCi>| {
        c.map(|c| {
            [
                c.lowest_efficiency.clone(),
                c.highest_wasted_bytes.clone(),
                c.highest_user_wasted_percent.clone(),
            ]
        })
    };
    let (a, b) = (side(base), side(head));
    let keys = [
        ("lowestEfficiency", false),
        ("highestWastedBytes", true),
        ("highestUserWastedPercent", true),
    ];
    for (i, (key, upper)) in keys.iter().enumerate() {
        let old = a.as_ref().map(|v| v[i].clone());
        let new = b.as_ref().map(|v| v[i].clone());
        if old == new {
            continue;
        }
        // A number (or size) to compare; `None`: no check (no file, or `disabled`).
        let limit = |v: &Option<String>| -> Option<f64> {
            let v = v.as_deref()?.trim();
            if v.eq_ignore_ascii_case("disabled") {
                return None;
            }
            v.parse::<f64>()
                .ok()
                .or_else(|| crate::units::parse_size(v).ok().map(|b| b as f64))
        };
        let (x, y) = (limit(&old), limit(&new));
        let d = match (x, y) {
            // Disabled on one side, no file on the other: no check either way.
            (None, None) => continue,
            (Some(_), None) => Direction::Loosening,
            (None, Some(_)) => Direction::Tightening,
            (Some(x), Some(y)) if x == y => Direction::Changed,
            (Some(x), Some(y)) => by(if *upper { y > x } else { y < x }),
        };
        out.push(format!("[.dive-ci] {key}"), old, new, d);
    }
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn policy(text: &str) -> Policy {
        Policy::from_toml(text, Path::new("gate.toml")).unwrap()
    }

    fn find<'a>(c: &'a [PolicyChange], setting: &str) -> &'a PolicyChange {
        c.iter()
            .find(|c| c.setting == setting)
            .unwrap_or_else(|| panic!("no change to {setting} in {c:#?}"))
    }

    #[test]
    fn the_same_policy_has_no_changes() {
        let text = "[image]\nmax_size = \"500MB\"\n[rules]\npip-cache = \"deny\"\n[[security.ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2027-01-01\"\n";
        assert!(compare(&policy(text), &policy(text)).is_empty());
        assert!(compare(&Policy::default(), &Policy::default()).is_empty());
        // Written differently, meaning the same: no change.
        assert!(compare(
            &policy("[image]\nmax_size = \"500MB\"\n"),
            &policy("[image]\nmax_size = 500000000\n")
        )
        .is_empty());
    }

    #[test]
    fn budgets_raised_rules_lowered_and_ignores_added_loosen() {
        let base = policy("[image]\nmax_size = \"500MB\"\nmin_efficiency = 0.95\n[rules]\npip-cache = \"deny\"\n[security]\nfail_on = \"high\"\n[[security.ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2027-01-01\"\n");
        let head = policy("[image]\nmax_size = \"900MB\"\nmin_efficiency = 0.5\n[rules]\npip-cache = \"allow\"\nlambda-entrypoint = \"warn\"\n[security]\nfail_on = \"critical\"\nonly_fixed = true\n[[security.ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2028-01-01\"\n[[security.ignore]]\nid = \"CVE-2024-3094\"\nreason = \"later\"\n");
        let c = compare(&base, &head);
        let max = find(&c, "[image] max_size");
        assert_eq!(
            (max.old.as_deref(), max.new.as_deref()),
            (Some("500 MB"), Some("900 MB"))
        );
        for s in [
            "[image] max_size",
            "[image] min_efficiency",
            "[rules] pip-cache",
            "[rules] lambda-entrypoint",
            "[security] fail_on",
            "[security] only_fixed",
            "[[security.ignore]] CVE-1",
            "[[security.ignore]] CVE-2024-3094",
        ] {
            assert_eq!(find(&c, s).direction, Direction::Loosening, "{s}");
        }
        let e = find(&c, "[rules] lambda-entrypoint");
        assert_eq!(
            (e.old.as_deref(), e.new.as_deref()),
            (Some("deny"), Some("warn"))
        );
        let added = find(&c, "[[security.ignore]] CVE-2024-3094");
        assert_eq!(
            (added.old.as_deref(), added.new.as_deref()),
            (None, Some("no expiry"))
        );
        assert_eq!(c.len(), 8, "{c:#?}");
    }

    #[test]
    fn the_reverse_tightens() {
        let loose = policy("[image]\nmax_size = \"900MB\"\n[rules]\npip-cache = \"allow\"\n[[security.ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2028-01-01\"\n[[security.ignore]]\nid = \"CVE-2\"\nreason = \"r\"\n");
        let tight = policy("[image]\nmax_size = \"500MB\"\n[rules]\npip-cache = \"deny\"\n[[security.ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2027-01-01\"\n");
        let c = compare(&loose, &tight);
        assert!(!c.is_empty());
        for ch in &c {
            assert_eq!(ch.direction, Direction::Tightening, "{ch:?}");
        }
    }

    #[test]
    fn a_deleted_file_is_every_setting_back_to_its_default() {
        let base = policy("[image]\nmax_size = \"500MB\"\nmax_layers = 20\n[rules]\nignore_paths = [\"/opt/x/**\"]\npip-cache = \"deny\"\nlambda-size-limit = \"allow\"\n[packages]\ndeny = [{ name = \"gcc*\", reason = \"no compilers\" }]\n[perf]\nthresholds = [\"p95 < 800ms\"]\n");
        let c = compare(&base, &Policy::default());
        let settings: Vec<(&str, Direction)> = c
            .iter()
            .map(|c| (c.setting.as_str(), c.direction))
            .collect();
        assert_eq!(
            settings,
            [
                ("[image] max_size", Direction::Loosening),
                ("[image] max_layers", Direction::Loosening),
                ("[rules] ignore_paths /opt/x/**", Direction::Tightening),
                ("[rules] pip-cache", Direction::Loosening),
                // Back to deny from the base's allow: that one tightens.
                ("[rules] lambda-size-limit", Direction::Tightening),
                ("[packages] deny gcc*", Direction::Loosening),
                ("[perf] thresholds p95", Direction::Loosening),
            ]
        );
        assert_eq!(c[0].new, None);
    }

    #[test]
    fn dive_ci_limits_raised_disabled_or_deleted_loosen() {
        let base = DiveCi::parse("rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n")
            .unwrap();
        let head = DiveCi::parse("rules:\n  lowestEfficiency: 0.5\n  highestWastedBytes: disabled\n  highestUserWastedPercent: 0.05\n").unwrap();
        let c = compare_dive_ci(Some(&base), Some(&head));
        let dirs: Vec<(&str, Direction)> = c
            .iter()
            .map(|c| (c.setting.as_str(), c.direction))
            .collect();
        assert_eq!(
            dirs,
            [
                ("[.dive-ci] lowestEfficiency", Direction::Loosening),
                ("[.dive-ci] highestWastedBytes", Direction::Loosening),
                ("[.dive-ci] highestUserWastedPercent", Direction::Tightening),
            ]
        );
        let deleted = compare_dive_ci(Some(&base), None);
        assert!(deleted.iter().all(|c| c.direction == Direction::Loosening));
        assert_eq!(deleted.len(), 3);
        assert!(compare_dive_ci(None, None).is_empty());
    }

    #[test]
    fn thresholds_lambda_margins_and_package_lists_know_their_direction() {
        let base = policy("[perf]\nthresholds = [\"p95 < 800ms\", \"success_rate >= 99%\"]\n[lambda]\ntimeout_margin = 2.0\nmax_log_retention_days = 30\n[packages]\nmax_package_growth = \"10MB\"\n");
        let head = policy("[perf]\nthresholds = [\"p95 < 1s\", \"success_rate >= 95%\"]\n[lambda]\ntimeout_margin = 1.2\n[packages]\nmax_package_growth = \"20%\"\n");
        let c = compare(&base, &head);
        for s in [
            "[perf] thresholds p95",
            "[perf] thresholds success_rate",
            "[lambda] timeout_margin",
            "[lambda] max_log_retention_days",
        ] {
            assert_eq!(find(&c, s).direction, Direction::Loosening, "{s}");
        }
        assert_eq!(
            find(&c, "[packages] max_package_growth").direction,
            Direction::Changed
        );
    }

    #[test]
    fn a_regression_budget_raised_or_dropped_is_loosening() {
        let base = policy("[perf]\nthresholds = [\"p95 change < +10%\", \"init_duration change < +100ms\", \"p99 change < +20%\"]\n");
        let head = policy(
            "[perf]\nthresholds = [\"p95 change < +25%\", \"init_duration change < +50ms\"]\n",
        );
        let c = compare(&base, &head);
        let p95 = find(&c, "[perf] thresholds p95 change %");
        assert_eq!(p95.direction, Direction::Loosening);
        assert_eq!(p95.old.as_deref(), Some("p95 change < +10%"));
        let init = find(&c, "[perf] thresholds init_duration change");
        assert_eq!(init.direction, Direction::Tightening);
        let p99 = find(&c, "[perf] thresholds p99 change %");
        assert_eq!(
            (p99.direction, p99.new.as_deref()),
            (Direction::Loosening, None)
        );
    }
}
