//! Which of two versions of one package is newer, by the rules of its ecosystem: an upgrade
//! and a downgrade are told apart the way the package manager itself would.
//!
//! Each ecosystem's ordering comes from a crate that implements it: Debian's (epochs, `~`
//! sorting before everything) from `debversion`, RPM's `rpmvercmp` from `rpm-version`,
//! PEP 440 from `pep440_rs`, semver (npm, Cargo, Go modules) from `semver`. No crate
//! implements apk's ordering; apk versions (`1.36.1-r2`) are compared with the generic
//! digit-run ordering below, which agrees with apk on numbers and `-rN` revisions (it sorts
//! `_rc1` suffixes after the release, where apk sorts them before). A version that its
//! ecosystem's parser rejects falls back to the same generic ordering rather than failing.

use std::cmp::Ordering;

/// Orders `a` against `b` as `ecosystem`'s package manager does.
pub fn compare(ecosystem: &str, a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let specific = match ecosystem {
        "deb" => deb(a, b),
        "rpm" => Some(rpm_version::rpm_evr_compare(a, b)),
        "pypi" => pypi(a, b),
        "npm" | "cargo" | "golang" => semver(a, b),
        _ => None,
    };
    specific.unwrap_or_else(|| generic(a, b))
}

fn deb(a: &str, b: &str) -> Option<Ordering> {
    let a: debversion::Version = a.parse().ok()?;
    let b: debversion::Version = b.parse().ok()?;
    Some(a.cmp(&b))
}

fn pypi(a: &str, b: &str) -> Option<Ordering> {
    let a: pep440_rs::Version = a.parse().ok()?;
    let b: pep440_rs::Version = b.parse().ok()?;
    Some(a.cmp(&b))
}

/// npm and Go write semver, Go with a leading `v` (`v1.2.3`, pseudo-versions included).
fn semver(a: &str, b: &str) -> Option<Ordering> {
    let parse = |s: &str| semver::Version::parse(s.trim().trim_start_matches(['v', '='])).ok();
    Some(parse(a)?.cmp_precedence(&parse(b)?))
}

/// Runs of digits compare as numbers, other runs as text, the shorter version first when
/// one is a prefix of the other: `1.9` < `1.10` < `1.10.1`, `r2` < `r10`.
pub fn generic(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        match (x.is_empty(), y.is_empty()) {
            (true, true) => return a.cmp(b),
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let (rx, tx) = split_run(x);
        let (ry, ty) = split_run(y);
        let digits = |r: &str| r.starts_with(|c: char| c.is_ascii_digit());
        let ord = match (digits(rx), digits(ry)) {
            (true, true) => {
                let (nx, ny) = (rx.trim_start_matches('0'), ry.trim_start_matches('0'));
                nx.len().cmp(&ny.len()).then_with(|| nx.cmp(ny))
            }
            // A number sorts after text in the same place: `1.0a` < `1.0.1`.
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => rx.cmp(ry),
        };
        if ord != Ordering::Equal {
            return ord;
        }
        (x, y) = (tx, ty);
    }
}

/// The leading run of digits or of non-digits, and the rest.
fn split_run(s: &str) -> (&str, &str) {
    let digit = s.starts_with(|c: char| c.is_ascii_digit());
    let end = s
        .find(|c: char| c.is_ascii_digit() != digit)
        .unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn debian_epochs_and_tildes() {
        assert_eq!(compare("deb", "1:1.0", "2.0"), Greater);
        assert_eq!(compare("deb", "1.0~rc1", "1.0"), Less);
        assert_eq!(
            compare("deb", "7.88.1-10+deb12u5", "7.88.1-10+deb12u12"),
            Less
        );
        assert_eq!(compare("deb", "2.36-9+deb12u4", "2.36-9"), Greater);
    }

    #[test]
    fn rpm_orders_as_rpmvercmp() {
        assert_eq!(compare("rpm", "1.0-1.amzn2023", "1.0-2.amzn2023"), Less);
        assert_eq!(compare("rpm", "1:0.9-1", "1.0-1"), Greater);
        assert_eq!(compare("rpm", "1.0~beta-1", "1.0-1"), Less);
        assert_eq!(compare("rpm", "2.9.10-1", "2.10-1"), Less);
    }

    #[test]
    fn pep440_pre_post_and_dev_releases() {
        assert_eq!(compare("pypi", "2.0.0rc1", "2.0.0"), Less);
        assert_eq!(compare("pypi", "1.26.4", "1.26.4.post1"), Less);
        assert_eq!(compare("pypi", "14.0.2", "17.0.0"), Less);
        assert_eq!(compare("pypi", "1.0.dev1", "1.0a1"), Less);
        // Equal under PEP 440 though spelt differently.
        assert_eq!(compare("pypi", "1.0", "1.0.0"), Equal);
    }

    #[test]
    fn semver_for_npm_and_go() {
        assert_eq!(compare("npm", "1.0.0-beta.2", "1.0.0"), Less);
        assert_eq!(compare("npm", "4.17.21", "4.9.0"), Greater);
        assert_eq!(compare("golang", "v0.21.0", "v0.3.0"), Greater);
    }

    #[test]
    fn unparseable_versions_fall_back_to_digit_runs() {
        assert_eq!(compare("apk", "1.36.1-r2", "1.36.1-r10"), Less);
        assert_eq!(compare("npm", "latest-2", "latest-10"), Less);
        assert_eq!(generic("1.9", "1.10"), Less);
        assert_eq!(generic("1.10", "1.10.1"), Less);
        assert_eq!(generic("007", "7"), "007".cmp("7"));
    }
}
