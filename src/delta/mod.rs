//! What changed against `--baseline`: packages added, removed, upgraded and downgraded, and the
//! directories that grew or shrank most — the answer to a reviewer's "what did this PR add?".
//!
//! Both sides are reports (`packages[]`, `dirs[]`), so the diff needs no image, and a base
//! report written by an older gate (no inventory) simply yields no package changes.
//!
//! **Matching packages.** One name may be installed several times (npm's nested copies, a
//! Python distribution in both site-packages and `/var/task`, rpm's parallel kernels). Within
//! an ecosystem + name, copies are paired in this order:
//! 1. the same *slot* — where the copy lives: the directory holding a Python `*.dist-info` /
//!    `*.egg-info` (its own name carries the version, so it is left out), else the record's
//!    location (`node_modules/a/node_modules/b/package.json`, `/var/lib/dpkg/status`);
//!    within one slot, equal versions pair first;
//! 2. the same version elsewhere (the copy moved: no change to report);
//! 3. when exactly one copy is left on each side, those two (it moved and changed version,
//!    e.g. site-packages of python3.11 → 3.12);
//!
//! and whatever is left is added or removed. A pair whose versions differ is an upgrade or
//! a downgrade by its ecosystem's ordering (`version`); two spellings its ordering holds
//! equal (`1.0` and `1.0.0` under PEP 440) count as upgraded, since the record did change.

pub mod version;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::model::{Delta, DirChange, DirSize, Ecosystem, Package, PackageChange, Report};
use crate::units::format_delta;

/// How many changes of each kind the JSON keeps (largest first); renderers show fewer.
pub const MAX_PACKAGE_CHANGES: usize = 1000;
/// How many directories the JSON keeps (largest change first).
pub const MAX_DIR_CHANGES: usize = 20;

/// `base` → `now`: the package and directory changes, each list sorted by |bytes| and capped.
pub fn diff(base: &Report, now: &Report) -> Delta {
    let mut delta = Delta::default();
    diff_packages(&base.packages, &now.packages, &mut delta);
    delta.dirs = diff_dirs(&base.dirs, &now.dirs, MAX_DIR_CHANGES);
    delta
}

fn diff_packages(old: &[Package], new: &[Package], delta: &mut Delta) {
    type Group<'a> = (Vec<&'a Package>, Vec<&'a Package>);
    let mut groups: BTreeMap<(&str, &str), Group> = BTreeMap::new();
    for p in old {
        groups.entry(key(p)).or_default().0.push(p);
    }
    for p in new {
        groups.entry(key(p)).or_default().1.push(p);
    }
    for (_, (mut olds, mut news)) in groups {
        // Stable input order whatever order the readers listed copies in.
        olds.sort_by(|a, b| (slot(a), &a.version).cmp(&(slot(b), &b.version)));
        news.sort_by(|a, b| (slot(a), &a.version).cmp(&(slot(b), &b.version)));
        let mut pairs = Vec::new();
        take_pairs(&mut olds, &mut news, &mut pairs, |a, b| {
            slot(a) == slot(b) && a.version == b.version
        });
        take_pairs(&mut olds, &mut news, &mut pairs, |a, b| slot(a) == slot(b));
        take_pairs(&mut olds, &mut news, &mut pairs, |a, b| {
            a.version == b.version
        });
        if olds.len() == 1 && news.len() == 1 {
            pairs.push((olds.remove(0), news.remove(0)));
        }
        for (o, n) in pairs {
            if o.version == n.version {
                continue;
            }
            let change = change(Some(o), Some(n));
            match version::compare(n.ecosystem.as_str(), &o.version, &n.version) {
                Ordering::Greater => delta.downgraded.push(change),
                _ => delta.upgraded.push(change),
            }
        }
        delta
            .removed
            .extend(olds.into_iter().map(|o| change(Some(o), None)));
        delta
            .added
            .extend(news.into_iter().map(|n| change(None, Some(n))));
    }
    for list in [
        &mut delta.added,
        &mut delta.removed,
        &mut delta.upgraded,
        &mut delta.downgraded,
    ] {
        list.sort_by(|a, b| {
            b.bytes_delta
                .unsigned_abs()
                .cmp(&a.bytes_delta.unsigned_abs())
                .then_with(|| (a.ecosystem.as_str(), &a.name).cmp(&(b.ecosystem.as_str(), &b.name)))
        });
        list.truncate(MAX_PACKAGE_CHANGES);
    }
}

fn key(p: &Package) -> (&str, &str) {
    (p.ecosystem.as_str(), p.name.as_str())
}

/// Where a copy of a package lives, without the parts that name its version.
fn slot(p: &Package) -> &str {
    let loc = p.location.as_str();
    if p.ecosystem == Ecosystem::Pypi {
        let mut start = 0;
        for part in loc.split('/') {
            if part.ends_with(".dist-info") || part.ends_with(".egg-info") {
                return loc[..start].trim_end_matches('/');
            }
            start += part.len() + 1;
        }
    }
    loc
}

/// Moves every (old, new) for which `same` holds, first match first, into `pairs`.
fn take_pairs<'a>(
    olds: &mut Vec<&'a Package>,
    news: &mut Vec<&'a Package>,
    pairs: &mut Vec<(&'a Package, &'a Package)>,
    same: impl Fn(&Package, &Package) -> bool,
) {
    let mut i = 0;
    while i < olds.len() {
        if let Some(j) = news.iter().position(|n| same(olds[i], n)) {
            pairs.push((olds.remove(i), news.remove(j)));
        } else {
            i += 1;
        }
    }
}

fn change(old: Option<&Package>, new: Option<&Package>) -> PackageChange {
    let any = old.or(new).expect("one side");
    let (ob, nb) = (old.map_or(0, |p| p.bytes), new.map_or(0, |p| p.bytes));
    PackageChange {
        ecosystem: any.ecosystem,
        name: any.name.clone(),
        old_version: old.map(|p| p.version.clone()),
        new_version: new.map(|p| p.version.clone()),
        old_bytes: ob,
        new_bytes: nb,
        bytes_delta: nb as i64 - ob as i64,
    }
}

/// The directories whose size changed most, leaving out each directory whose change one of
/// its subdirectories already shows (so not `/`, `/usr`, `/usr/lib` … all saying the same
/// thing as `/usr/lib/python3/x`). "Shows" allows 1% of the change: a Dockerfile's COPY of a
/// 4-byte-longer requirements file must not keep `/` in the list beside `/var/task`.
///
/// A directory listed on one side only is new (or gone) — unless that side's list was cut
/// at its size cap (`image::dirs::MAX_DIRS`, smallest left out), where its absence says
/// nothing; then the directory is skipped rather than reported as a change it may not be.
pub fn diff_dirs(old: &[DirSize], new: &[DirSize], cap: usize) -> Vec<DirChange> {
    let full = |list: &[DirSize]| list.len() < crate::image::dirs::MAX_DIRS;
    let (old_full, new_full) = (full(old), full(new));
    let olds: BTreeMap<&str, u64> = old.iter().map(|d| (d.path.as_str(), d.bytes)).collect();
    let news: BTreeMap<&str, u64> = new.iter().map(|d| (d.path.as_str(), d.bytes)).collect();
    let mut paths: Vec<&str> = olds.keys().chain(news.keys()).copied().collect();
    paths.sort_unstable();
    paths.dedup();
    let changes: BTreeMap<&str, DirChange> = paths
        .into_iter()
        .filter_map(|p| {
            let o = olds.get(p).copied().or(old_full.then_some(0))?;
            let n = news.get(p).copied().or(new_full.then_some(0))?;
            (o != n).then(|| {
                (
                    p,
                    DirChange {
                        path: p.to_string(),
                        old_bytes: o,
                        new_bytes: n,
                        bytes_delta: n as i64 - o as i64,
                    },
                )
            })
        })
        .collect();
    let explained_by_child = |c: &DirChange| {
        let prefix = if c.path == "/" {
            "/".to_string()
        } else {
            format!("{}/", c.path)
        };
        changes
            .range::<str, _>((
                std::ops::Bound::Excluded(prefix.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(p, _)| p.starts_with(&prefix))
            .any(|(_, d)| explains(d.bytes_delta, c.bytes_delta))
    };
    let mut out: Vec<DirChange> = changes
        .values()
        .filter(|c| !explained_by_child(c))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        b.bytes_delta
            .unsigned_abs()
            .cmp(&a.bytes_delta.unsigned_abs())
            .then_with(|| a.path.cmp(&b.path))
    });
    out.truncate(cap);
    out
}

/// Whether a subdirectory's change `child` accounts for its parent's change `parent`: same
/// direction, within 1%.
fn explains(child: i64, parent: i64) -> bool {
    child.signum() == parent.signum()
        && (parent - child).unsigned_abs() * 100 <= parent.unsigned_abs()
}

/// "pyarrow 14.0.2 → 17.0.0 (+31 MB)", "numpy 2.1.0 added (+18 MB)".
pub fn describe(c: &PackageChange) -> String {
    let what = match (&c.old_version, &c.new_version) {
        (Some(o), Some(n)) => format!("{} {o} → {n}", c.name),
        (None, Some(n)) => format!("{} {n} added", c.name),
        (Some(o), None) => format!("{} {o} removed", c.name),
        (None, None) => c.name.clone(),
    };
    format!("{what} ({})", format_delta(c.bytes_delta as i128))
}

/// The few package and directory changes that explain growth, biggest first:
/// "pyarrow 14.0 → 17.0 (+31 MB), /var/task/data (+6 MB)". Empty when nothing grew.
pub fn explain_growth(delta: &Delta) -> String {
    let mut pkgs: Vec<&PackageChange> = delta
        .added
        .iter()
        .chain(&delta.upgraded)
        .chain(&delta.downgraded)
        .filter(|c| c.bytes_delta > 0)
        .collect();
    pkgs.sort_by_key(|c| std::cmp::Reverse(c.bytes_delta));
    let mut parts: Vec<String> = pkgs.iter().take(3).map(|c| describe(c)).collect();
    parts.extend(
        delta
            .dirs
            .iter()
            .filter(|d| d.bytes_delta > 0)
            .take(2)
            .map(|d| format!("{} ({})", d.path, format_delta(d.bytes_delta as i128))),
    );
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(eco: &str, name: &str, ver: &str, bytes: u64, loc: &str) -> Package {
        Package {
            ecosystem: eco.parse().unwrap(),
            name: name.into(),
            version: ver.into(),
            purl: format!("pkg:{eco}/{name}@{ver}"),
            bytes,
            files: 1,
            layer: Some(1),
            license: None,
            location: loc.into(),
            source: None,
            build_only: false,
        }
    }

    fn dir(path: &str, bytes: u64) -> DirSize {
        DirSize {
            path: path.into(),
            bytes,
            files: 1,
        }
    }

    fn report(packages: Vec<Package>, dirs: Vec<DirSize>) -> Report {
        Report {
            packages,
            dirs,
            ..Report::default()
        }
    }

    fn names(list: &[PackageChange]) -> Vec<String> {
        list.iter()
            .map(|c| {
                format!(
                    "{} {}→{} {:+}",
                    c.name,
                    c.old_version.as_deref().unwrap_or("-"),
                    c.new_version.as_deref().unwrap_or("-"),
                    c.bytes_delta
                )
            })
            .collect()
    }

    #[test]
    fn added_removed_upgraded_downgraded_with_byte_deltas() {
        let sp = "/var/lang/lib/python3.12/site-packages";
        let base = report(
            vec![
                pkg(
                    "pypi",
                    "pyarrow",
                    "14.0.2",
                    90_000_000,
                    &format!("{sp}/pyarrow-14.0.2.dist-info/METADATA"),
                ),
                pkg(
                    "pypi",
                    "six",
                    "1.16.0",
                    40_000,
                    &format!("{sp}/six-1.16.0.dist-info/METADATA"),
                ),
                pkg(
                    "deb",
                    "curl",
                    "7.88.1-10+deb12u5",
                    500_000,
                    "/var/lib/dpkg/status",
                ),
                pkg(
                    "deb",
                    "libc6",
                    "2.36-9+deb12u4",
                    12_000_000,
                    "/var/lib/dpkg/status",
                ),
            ],
            vec![],
        );
        let now = report(
            vec![
                pkg(
                    "pypi",
                    "pyarrow",
                    "17.0.0",
                    121_000_000,
                    &format!("{sp}/pyarrow-17.0.0.dist-info/METADATA"),
                ),
                pkg(
                    "pypi",
                    "numpy",
                    "2.1.0",
                    18_000_000,
                    &format!("{sp}/numpy-2.1.0.dist-info/METADATA"),
                ),
                pkg("deb", "curl", "1:7.0-1", 400_000, "/var/lib/dpkg/status"),
                pkg("deb", "libc6", "2.36-9", 11_900_000, "/var/lib/dpkg/status"),
            ],
            vec![],
        );
        let d = diff(&base, &now);
        assert_eq!(names(&d.added), ["numpy -→2.1.0 +18000000"]);
        assert_eq!(names(&d.removed), ["six 1.16.0→- -40000"]);
        // The epoch makes 1:7.0 newer than 7.88; upgrades sort by |bytes|.
        assert_eq!(
            names(&d.upgraded),
            [
                "pyarrow 14.0.2→17.0.0 +31000000",
                "curl 7.88.1-10+deb12u5→1:7.0-1 -100000"
            ]
        );
        assert_eq!(
            names(&d.downgraded),
            ["libc6 2.36-9+deb12u4→2.36-9 -100000"]
        );
        assert_eq!(
            explain_growth(&d),
            "pyarrow 14.0.2 → 17.0.0 (+31.0 MB), numpy 2.1.0 added (+18.0 MB)"
        );
    }

    #[test]
    fn nested_npm_copies_pair_by_location() {
        let ms = |version: &str, bytes: u64, under: &str| {
            pkg(
                "npm",
                "ms",
                version,
                bytes,
                &format!("/var/task/node_modules/{under}ms/package.json"),
            )
        };
        let base = report(
            vec![
                ms("2.0.0", 100, "debug/node_modules/"),
                ms("2.1.3", 200, ""),
            ],
            vec![],
        );
        let now = report(
            vec![
                ms("2.0.0", 100, "debug/node_modules/"),
                ms("2.1.2", 190, ""),
                ms("3.0.0", 300, "send/node_modules/"),
            ],
            vec![],
        );
        let d = diff(&base, &now);
        assert_eq!(names(&d.downgraded), ["ms 2.1.3→2.1.2 -10"]);
        assert_eq!(names(&d.added), ["ms -→3.0.0 +300"]);
        assert!(d.upgraded.is_empty() && d.removed.is_empty());
    }

    #[test]
    fn a_python_copy_that_moved_and_changed_is_one_upgrade() {
        let base = report(
            vec![pkg(
                "pypi",
                "requests",
                "2.31.0",
                10,
                "/var/lang/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
            )],
            vec![],
        );
        let now = report(
            vec![pkg(
                "pypi",
                "requests",
                "2.32.3",
                12,
                "/var/lang/lib/python3.12/site-packages/requests-2.32.3.dist-info/METADATA",
            )],
            vec![],
        );
        let d = diff(&base, &now);
        assert_eq!(names(&d.upgraded), ["requests 2.31.0→2.32.3 +2"]);
        // Two copies in two places, one upgraded: the site-packages copy pairs by slot.
        let two = |v: &str| {
            report(
                vec![
                    pkg(
                        "pypi",
                        "boto3",
                        "1.34.0",
                        5,
                        "/var/runtime/boto3-1.34.0.dist-info/METADATA",
                    ),
                    pkg(
                        "pypi",
                        "boto3",
                        v,
                        5,
                        &format!("/var/task/boto3-{v}.dist-info/METADATA"),
                    ),
                ],
                vec![],
            )
        };
        let d = diff(&two("1.34.0"), &two("1.35.1"));
        assert_eq!(names(&d.upgraded), ["boto3 1.34.0→1.35.1 +0"]);
        assert!(d.added.is_empty() && d.removed.is_empty());
    }

    #[test]
    fn directories_explained_by_a_child_are_left_out() {
        let base = vec![
            dir("/", 1000),
            dir("/usr", 600),
            dir("/usr/lib", 500),
            dir("/usr/lib/x", 100),
            dir("/usr-x", 5),
            dir("/var", 400),
            dir("/var/task", 400),
            dir("/var/task/data", 10),
            dir("/var/task/app", 390),
        ];
        let now = vec![
            dir("/", 1303),
            dir("/usr", 900),
            dir("/usr/lib", 800),
            dir("/usr/lib/x", 400),
            dir("/usr-x", 6),
            dir("/var", 400),
            dir("/var/task", 400),
            dir("/var/task/data", 60),
            dir("/var/task/app", 340),
            dir("/opt", 0),
        ];
        let d = diff_dirs(&base, &now, 10);
        let got: Vec<(&str, i64)> = d.iter().map(|c| (c.path.as_str(), c.bytes_delta)).collect();
        // / +303, /usr +300, /usr/lib +300 are all /usr/lib/x (`/usr-x` sorts between
        // `/usr` and `/usr/lib` but is no child); /var/task nets to zero.
        assert_eq!(
            got,
            [
                ("/usr/lib/x", 300),
                ("/var/task/app", -50),
                ("/var/task/data", 50),
                ("/usr-x", 1)
            ]
        );
        assert_eq!(diff_dirs(&base, &now, 1).len(), 1);
    }

    #[test]
    fn a_side_cut_at_the_cap_does_not_invent_changes() {
        let mut base: Vec<DirSize> = (0..crate::image::dirs::MAX_DIRS)
            .map(|i| dir(&format!("/d{i:04}"), 10_000 - i as u64))
            .collect();
        base.insert(0, dir("/", 1));
        let now = vec![dir("/", 2), dir("/d0000", 10_000)];
        let d = diff_dirs(&base, &now, 10);
        // /d0001… are missing from the new side, which was not cut: really gone.
        assert!(d.iter().any(|c| c.path == "/d0001" && c.new_bytes == 0));
        // /gone is missing from a side that was cut: unknown, so not reported.
        let d = diff_dirs(&[dir("/", 1), dir("/gone", 5)], &base, 10);
        assert!(d.iter().all(|c| c.path != "/gone"), "{d:?}");
    }
}
