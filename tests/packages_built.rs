//! The package inventory on images built here with real package managers: dpkg, pip (into
//! site-packages and with `--target /var/task`), npm (nested and scoped packages) and rpm (an
//! SQLite rpmdb, and a Berkeley DB one made from it). Each inventory is compared with the
//! package manager's own reading of the same final filesystem, computed in the test
//! (`dpkg-query --admindir`, Python's `importlib.metadata`, `npm ls`, `rpm -qa --dbpath`), and
//! with Trivy's CycloneDX inventory of the same image tarball; the differences that remain are
//! Trivy's documented choices, spelled out where they are allowed.
//!
//! Each image is built once per test binary and shared.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::{buildah, gate_json, layer_of, require_tools, run};

type Set = BTreeSet<(String, String)>;

/// Debian packages made here with dpkg-deb and installed with dpkg, one per layer, so the
/// layer each version came from is known: gate-a 1.0, then gate-b (with an epoch), then
/// gate-a upgraded to 2.0. Then pip, system-wide and into /var/task.
const DEBPY: &str = r#"FROM localhost/gate-base:bookworm
COPY debs/ /tmp/debs/
RUN dpkg -i /tmp/debs/gate-a_1.0_all.deb
RUN dpkg -i /tmp/debs/gate-b_1.0_all.deb
RUN dpkg -i /tmp/debs/gate-a_2.0_all.deb
RUN pip install --quiet --no-cache-dir --break-system-packages --disable-pip-version-check six==1.16.0 idna==3.7
RUN pip install --quiet --no-cache-dir --disable-pip-version-check --target /var/task attrs==23.2.0 six==1.16.0
"#;

/// npm runs on the host (the Debian base has no Node); the image gets its node_modules as a
/// Lambda function's build stage would copy them.
const NODE: &str = r#"FROM scratch
COPY app/ /var/task/
"#;

/// Two rpm roots made with rpm --root: the first with gate-rpm-a, the second with gate-rpm-b
/// added, copied as two layers.
const RPM: &str = r#"FROM scratch
COPY stage1/ /
COPY stage2/ /
"#;

struct Image {
    tar: PathBuf,
    /// The package manager's own reading of the final filesystem.
    oracle: Set,
}

struct Built {
    debpy: Image,
    /// importlib.metadata over the same image: (name, version, site directory).
    python: BTreeSet<(String, String, String)>,
    node: Image,
    /// Bytes of each npm package directory on the host (its own files, not nested packages).
    node_bytes: BTreeMap<(String, String), u64>,
    rpm_sqlite: Image,
    rpm_bdb: Image,
}

fn build(dir: &Path, name: &str, ctx: &Path, dockerfile: &str) -> (PathBuf, String) {
    std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
    let tag = format!("localhost/gate-packages-{name}:{}", std::process::id());
    let out = dir.join(format!("{name}.tar"));
    support::build_docker_archive(ctx, &tag, &out);
    (out, tag)
}

/// Mounts the image's final filesystem, runs `f` on it, and removes the container and tag.
fn with_rootfs<T>(tag: &str, f: impl FnOnce(&Path) -> T) -> T {
    let ctr = String::from_utf8(run(buildah().args(["from", "-q", "--pull-never", tag])))
        .unwrap()
        .trim()
        .to_string();
    let mnt = String::from_utf8(run(buildah().args(["mount", &ctr])))
        .unwrap()
        .trim()
        .to_string();
    let out = f(Path::new(&mnt));
    let _ = buildah().args(["rm", &ctr]).output();
    let _ = buildah().args(["rmi", "-f", tag]).output();
    out
}

fn deb(dir: &Path, name: &str, version: &str, payload: usize) -> PathBuf {
    let root = dir.join(format!("{name}-{version}"));
    let data = root.join(format!("usr/share/{name}"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: gate <gate@example.invalid>\nDescription: test package\n"
        ),
    )
    .unwrap();
    std::fs::write(data.join("data.bin"), vec![b'x'; payload]).unwrap();
    let plain = version.split_once(':').map(|(_, v)| v).unwrap_or(version);
    let out = dir.join(format!("{name}_{plain}_all.deb"));
    run(Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group", "-Zgzip"])
        .arg(&root)
        .arg(&out));
    out
}

fn build_debpy(dir: &Path) -> (Image, BTreeSet<(String, String, String)>) {
    let ctx = dir.join("debpy");
    let debs = ctx.join("debs");
    std::fs::create_dir_all(&debs).unwrap();
    let work = dir.join("debsrc");
    deb(&work, "gate-a", "1.0", 30_000);
    deb(&work, "gate-b", "1:1.0", 20_000);
    deb(&work, "gate-a", "2.0", 50_000);
    for f in std::fs::read_dir(&work).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "deb") {
            std::fs::copy(&p, debs.join(p.file_name().unwrap())).unwrap();
        }
    }
    let (tar, tag) = build(dir, "debpy", &ctx, DEBPY);
    let (oracle, python) = with_rootfs(&tag, |root| {
        let out = run(Command::new("dpkg-query")
            .arg(format!(
                "--admindir={}",
                root.join("var/lib/dpkg").display()
            ))
            .args(["-W", "-f", "${db:Status-Status}\t${Package}\t${Version}\n"]));
        let debs: Set = String::from_utf8(out)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let mut f = l.split('\t');
                if f.next()? != "installed" {
                    return None;
                }
                Some((f.next()?.into(), f.next()?.into()))
            })
            .collect();
        (debs, importlib(root))
    });
    (Image { tar, oracle }, python)
}

/// Every distribution Python's importlib.metadata finds in any directory of the tree that
/// holds a `.dist-info` or `.egg-info`.
fn importlib(root: &Path) -> BTreeSet<(String, String, String)> {
    const SCRIPT: &str = r#"
import importlib.metadata as md, json, os, sys
root = sys.argv[1]
dirs = set()
for d, subdirs, files in os.walk(root):
    if any(n.endswith((".dist-info", ".egg-info")) for n in subdirs + files):
        dirs.add(d)
out = []
for d in sorted(dirs):
    for dist in md.distributions(path=[d]):
        out.append([dist.metadata["Name"], dist.version, "/" + os.path.relpath(d, root)])
print(json.dumps(out))
"#;
    let out = run(Command::new("python3").args(["-c", SCRIPT]).arg(root));
    let v: Vec<(String, String, String)> = serde_json::from_slice(&out).unwrap();
    v.into_iter().collect()
}

fn build_node(dir: &Path) -> (Image, BTreeMap<(String, String), u64>) {
    let ctx = dir.join("node");
    let app = ctx.join("app");
    std::fs::create_dir_all(&app).unwrap();
    // debug 2.6.9 needs ms 2.0.0 while the top level has ms 2.1.3: npm nests it.
    run(Command::new("npm")
        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
        .arg(&app)
        .args(["ms@2.1.3", "debug@2.6.9", "@sindresorhus/is@4.6.0"]));
    let ls = run(Command::new("npm")
        .args(["ls", "--all", "--json", "--prefix"])
        .arg(&app));
    let tree: serde_json::Value = serde_json::from_slice(&ls).unwrap();
    let mut oracle = Set::new();
    fn walk(deps: &serde_json::Value, out: &mut Set) {
        if let Some(m) = deps.as_object() {
            for (name, d) in m {
                out.insert((name.clone(), d["version"].as_str().unwrap().into()));
                walk(&d["dependencies"], out);
            }
        }
    }
    walk(&tree["dependencies"], &mut oracle);
    // Each package directory's own bytes, found by walking the host's node_modules.
    let mut bytes = BTreeMap::new();
    fn dir_bytes(d: &Path) -> u64 {
        let mut n = 0;
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if e.file_name() == "node_modules" {
                continue;
            }
            if t.is_dir() {
                n += dir_bytes(&e.path());
            } else if t.is_file() {
                n += e.metadata().unwrap().len();
            }
        }
        n
    }
    fn packages(nm: &Path, bytes: &mut BTreeMap<(String, String), u64>) {
        let Ok(rd) = std::fs::read_dir(nm) else {
            return;
        };
        for e in rd {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with('@') {
                packages(&p, bytes);
                continue;
            }
            let Ok(pj) = std::fs::read(p.join("package.json")) else {
                continue;
            };
            let v: serde_json::Value = serde_json::from_slice(&pj).unwrap();
            bytes.insert(
                (
                    v["name"].as_str().unwrap().into(),
                    v["version"].as_str().unwrap().into(),
                ),
                dir_bytes(&p),
            );
            packages(&p.join("node_modules"), bytes);
        }
    }
    packages(&app.join("node_modules"), &mut bytes);
    let (tar, tag) = build(dir, "node", &ctx, NODE);
    let _ = buildah().args(["rmi", "-f", &tag]).output();
    (Image { tar, oracle }, bytes)
}

fn rpm_cmd(root: &Path) -> Command {
    let mut c = Command::new("rpm");
    c.arg("--root")
        .arg(root)
        .args(["--define", "_dbpath /var/lib/rpm"]);
    c
}

fn rpm_package(dir: &Path, name: &str, epoch: Option<u32>, payload: usize) -> PathBuf {
    let top = dir.join("rpmbuild");
    let epoch = epoch.map(|e| format!("Epoch: {e}\n")).unwrap_or_default();
    let spec = top.join(format!("{name}.spec"));
    std::fs::create_dir_all(&top).unwrap();
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: 1.2\nRelease: 3.amzn2023\n{epoch}Summary: test\nLicense: MIT\nBuildArch: noarch\n%description\ntest\n%install\nmkdir -p %{{buildroot}}/usr/share/{name}\nhead -c {payload} /dev/zero > %{{buildroot}}/usr/share/{name}/data.bin\n%files\n/usr/share/{name}/data.bin\n"
        ),
    )
    .unwrap();
    run(Command::new("rpmbuild")
        .args(["--quiet", "-bb", "--define"])
        .arg(format!("_topdir {}", top.display()))
        .arg(&spec));
    top.join(format!("RPMS/noarch/{name}-1.2-3.amzn2023.noarch.rpm"))
}

fn os_files(root: &Path, version: &str, release: &str) {
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        format!("NAME=\"Amazon Linux\"\nID=\"amzn\"\nVERSION_ID=\"{version}\"\n"),
    )
    .unwrap();
    std::fs::write(root.join("etc/system-release"), format!("{release}\n")).unwrap();
}

fn rpm_qa(dbpath: &Path, extra: &[&str]) -> Set {
    let out = run(Command::new("rpm")
        .arg("--dbpath")
        .arg(dbpath)
        .args(extra)
        .args([
            "-qa",
            "--qf",
            "%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n",
        ]));
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let (n, v) = l.split_once('\t').unwrap();
            (n.to_string(), v.trim_start_matches("0:").to_string())
        })
        .collect()
}

fn build_rpm(dir: &Path) -> (Image, Image) {
    let a = rpm_package(dir, "gate-rpm-a", None, 12_345);
    let b = rpm_package(dir, "gate-rpm-b", Some(2), 23_456);
    let ctx = dir.join("rpm");
    let (s1, s2) = (ctx.join("stage1"), ctx.join("stage2"));
    run(rpm_cmd(&s1).arg("--initdb"));
    run(rpm_cmd(&s1).args(["-i", "--nodeps", "--noscripts"]).arg(&a));
    os_files(&s1, "2023", "Amazon Linux release 2023 (Amazon Linux)");
    run(Command::new("cp").arg("-a").arg(&s1).arg(&s2));
    run(rpm_cmd(&s2).args(["-i", "--nodeps", "--noscripts"]).arg(&b));
    let sqlite_oracle = rpm_qa(&s2.join("var/lib/rpm"), &[]);
    let (tar, tag) = build(dir, "rpm-sqlite", &ctx, RPM);
    let _ = buildah().args(["rmi", "-f", &tag]).output();

    // Berkeley DB cannot be written by Debian's rpm: the same header blobs, loaded into a hash
    // database with db5.3_load. Synthetic — not a file from a real Amazon Linux 2 image.
    let bctx = dir.join("rpm-bdb");
    std::fs::create_dir_all(&bctx).unwrap();
    let mut stages = Vec::new();
    for s in [&s1, &s2] {
        let dst = bctx.join(s.file_name().unwrap());
        run(Command::new("cp").arg("-a").arg(s).arg(&dst));
        let rpmdir = dst.join("var/lib/rpm");
        let rows = run(Command::new("sqlite3")
            .arg(rpmdir.join("rpmdb.sqlite"))
            .arg("SELECT hnum, hex(blob) FROM Packages ORDER BY hnum"));
        let mut dump =
            String::from("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n");
        for line in String::from_utf8(rows).unwrap().lines() {
            let (hnum, hex) = line.split_once('|').unwrap();
            let key: u32 = hnum.parse().unwrap();
            dump.push_str(&format!(
                " {}\n {}\n",
                hex::encode(key.to_le_bytes()),
                hex.to_lowercase()
            ));
        }
        dump.push_str("DATA=END\n");
        for f in std::fs::read_dir(&rpmdir).unwrap() {
            std::fs::remove_file(f.unwrap().path()).unwrap();
        }
        let input = bctx.join("dump.txt");
        std::fs::write(&input, dump).unwrap();
        run(Command::new("db5.3_load")
            .arg("-f")
            .arg(&input)
            .arg(rpmdir.join("Packages")));
        os_files(&dst, "2", "Amazon Linux release 2 (Karoo)");
        stages.push(dst);
    }
    let bdb_oracle = rpm_qa(
        &stages[1].join("var/lib/rpm"),
        &["--define", "_db_backend bdb_ro"],
    );
    let (btar, btag) = build(dir, "rpm-bdb", &bctx, RPM);
    let _ = buildah().args(["rmi", "-f", &btag]).output();
    (
        Image {
            tar,
            oracle: sqlite_oracle,
        },
        Image {
            tar: btar,
            oracle: bdb_oracle,
        },
    )
}

fn built() -> Option<&'static Built> {
    static B: OnceLock<Option<Built>> = OnceLock::new();
    B.get_or_init(|| {
        if !support::base_image()
            || !require_tools(&[
                "dpkg-deb",
                "dpkg-query",
                "npm",
                "rpm",
                "rpmbuild",
                "db5.3_load",
                "sqlite3",
                "trivy",
            ])
        {
            return None;
        }
        let dir = support::static_dir("packages_built");
        let (debpy, python) = build_debpy(&dir);
        let (node, node_bytes) = build_node(&dir);
        let (rpm_sqlite, rpm_bdb) = build_rpm(&dir);
        Some(Built {
            debpy,
            python,
            node,
            node_bytes,
            rpm_sqlite,
            rpm_bdb,
        })
    })
    .as_ref()
}

/// gate's report of an image (cached per image: the tests read it several times).
fn report(tar: &Path) -> serde_json::Value {
    static CACHE: OnceLock<std::sync::Mutex<BTreeMap<PathBuf, serde_json::Value>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.lock().unwrap().get(tar) {
        return r.clone();
    }
    let (code, r) = gate_json(&["check", tar.to_str().unwrap(), "--policy", "/dev/null"]);
    assert!(code == 0 || code == 1, "gate exit {code}");
    cache.lock().unwrap().insert(tar.to_path_buf(), r.clone());
    r
}

fn packages<'a>(r: &'a serde_json::Value, eco: &str) -> Vec<&'a serde_json::Value> {
    r["packages"]
        .as_array()
        .map(|a| a.iter().filter(|p| p["ecosystem"] == eco).collect())
        .unwrap_or_default()
}

fn set(r: &serde_json::Value, eco: &str) -> Set {
    packages(r, eco)
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn package<'a>(r: &'a serde_json::Value, eco: &str, name: &str) -> &'a serde_json::Value {
    packages(r, eco)
        .into_iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {eco} package {name}"))
}

/// Trivy's CycloneDX inventory of the image: (purl type, name, version), run offline with a
/// fresh cache (NOTES.md: the only way this Trivy build writes one).
fn trivy(tar: &Path) -> BTreeSet<(String, String, String)> {
    let bom = support::trivy_cyclonedx(tar);
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let purl = c["purl"].as_str()?;
            let ty = purl.strip_prefix("pkg:")?.split('/').next()?.to_string();
            let name = match (ty.as_str(), c["group"].as_str()) {
                ("npm", Some(g)) if !g.is_empty() => format!("{g}/{}", c["name"].as_str()?),
                _ => c["name"].as_str()?.to_string(),
            };
            Some((ty, name, c["version"].as_str()?.to_string()))
        })
        .collect()
}

fn by_type(t: &BTreeSet<(String, String, String)>, ty: &str) -> Set {
    t.iter()
        .filter(|(k, _, _)| k == ty)
        .map(|(_, n, v)| (n.clone(), v.clone()))
        .collect()
}

#[test]
fn dpkg_inventory_equals_dpkg_query_and_layers_are_the_installing_ones() {
    let Some(b) = built() else { return };
    let r = report(&b.debpy.tar);
    let gate = set(&r, "deb");
    assert!(gate.len() > 50, "a Debian base has more than 50 packages");
    assert_eq!(gate, b.debpy.oracle, "gate vs dpkg-query --admindir");

    // Each version's layer is the one whose RUN installed it, though every later dpkg run
    // rewrote the status file.
    let a = package(&r, "deb", "gate-a");
    let bp = package(&r, "deb", "gate-b");
    assert_eq!(a["version"], "2.0");
    assert_eq!(a["layer"], layer_of(&r, "gate-a_2.0_all.deb"));
    assert_eq!(bp["layer"], layer_of(&r, "gate-b_1.0_all.deb"));
    let base = package(&r, "deb", "python3");
    assert_eq!(
        base["layer"], 0,
        "the base's packages come from the base layer"
    );
    // Bytes: the visible files of each package, the upgraded one its new file only.
    assert_eq!(a["bytes"], 50_000);
    assert_eq!(a["files"], 1);
    assert_eq!(bp["bytes"], 20_000);
    assert_eq!(bp["version"], "1:1.0");
    assert_eq!(
        bp["purl"],
        "pkg:deb/debian/gate-b@1.0?arch=all&distro=debian-12&epoch=1"
    );
    assert_eq!(bp["location"], "/var/lib/dpkg/status");
    // bash's files are listed as /bin/… and live under /usr/bin (merged /usr): still counted.
    assert!(package(&r, "deb", "bash")["bytes"].as_u64().unwrap() > 1_000_000);
}

#[test]
fn python_inventory_equals_importlib_metadata() {
    let Some(b) = built() else { return };
    let r = report(&b.debpy.tar);
    let gate: BTreeSet<(String, String, String)> = packages(&r, "pypi")
        .iter()
        .map(|p| {
            let loc = p["location"].as_str().unwrap();
            // location is …/site/NAME.dist-info/METADATA (or …/site/NAME.egg-info[/PKG-INFO]).
            let meta_dir = if loc.ends_with(".egg-info") {
                loc
            } else {
                loc.rsplit_once('/').unwrap().0
            };
            let site = meta_dir.rsplit_once('/').unwrap().0;
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
                site.to_string(),
            )
        })
        .collect();
    assert_eq!(gate, b.python, "gate vs importlib.metadata");
    // Both installs are there: system-wide and --target /var/task.
    assert!(gate.contains(&("six".into(), "1.16.0".into(), "/var/task".into())));
    assert!(gate.contains(&(
        "six".into(),
        "1.16.0".into(),
        "/usr/local/lib/python3.11/dist-packages".into()
    )));
    let attrs = package(&r, "pypi", "attrs");
    assert_eq!(attrs["layer"], layer_of(&r, "--target /var/task"));
    assert_eq!(attrs["purl"], "pkg:pypi/attrs@23.2.0");
    assert!(attrs["bytes"].as_u64().unwrap() > 50_000);
    assert_eq!(attrs["license"], "MIT");
}

#[test]
fn npm_inventory_equals_npm_ls_with_nested_and_scoped_packages() {
    let Some(b) = built() else { return };
    let r = report(&b.node.tar);
    let gate = set(&r, "npm");
    assert_eq!(gate, b.node.oracle, "gate vs npm ls --all");
    assert!(gate.contains(&("ms".into(), "2.0.0".into())), "nested");
    assert!(gate.contains(&("ms".into(), "2.1.3".into())));
    let is = package(&r, "npm", "@sindresorhus/is");
    assert_eq!(is["purl"], "pkg:npm/%40sindresorhus/is@4.6.0");
    assert_eq!(is["license"], "MIT");
    for p in packages(&r, "npm") {
        let key = (
            p["name"].as_str().unwrap().to_string(),
            p["version"].as_str().unwrap().to_string(),
        );
        assert_eq!(p["bytes"], b.node_bytes[&key], "bytes of {key:?}");
    }
}

#[test]
fn rpm_sqlite_and_bdb_inventories_equal_rpm_qa() {
    let Some(b) = built() else { return };
    for (img, db) in [(&b.rpm_sqlite, "rpmdb.sqlite"), (&b.rpm_bdb, "Packages")] {
        let r = report(&img.tar);
        assert_eq!(set(&r, "rpm"), img.oracle, "gate vs rpm -qa ({db})");
        let a = package(&r, "rpm", "gate-rpm-a");
        let bp = package(&r, "rpm", "gate-rpm-b");
        assert_eq!(a["location"], format!("/var/lib/rpm/{db}"));
        assert_eq!(
            (a["layer"].as_u64(), bp["layer"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(
            (a["bytes"].as_u64(), bp["bytes"].as_u64()),
            (Some(12_345), Some(23_456))
        );
        assert_eq!(bp["version"], "2:1.2-3.amzn2023");
        assert_eq!(a["license"], "MIT");
    }
    let r = report(&b.rpm_sqlite.tar);
    assert_eq!(
        package(&r, "rpm", "gate-rpm-b")["purl"],
        "pkg:rpm/amzn/gate-rpm-b@1.2-3.amzn2023?arch=noarch&distro=amzn-2023&epoch=2"
    );
}

#[test]
fn inventories_equal_trivys() {
    let Some(b) = built() else { return };

    // Debian: Trivy writes versions without the epoch (it keeps it in the purl); gate keeps
    // dpkg's own version string.
    let r = report(&b.debpy.tar);
    let t = trivy(&b.debpy.tar);
    assert_eq!(
        without_epoch(set(&r, "deb")),
        by_type(&t, "deb"),
        "deb vs Trivy"
    );

    // Python: Trivy leaves out the distributions that a Debian package installed under
    // /usr/lib/python3/dist-packages (python3-pip's pip, …); gate lists them, with no bytes
    // of their own when the Debian package already claimed their files.
    let dist_packages: Set = packages(&r, "pypi")
        .iter()
        .filter(|p| {
            p["location"]
                .as_str()
                .unwrap()
                .starts_with("/usr/lib/python3/dist-packages/")
        })
        .map(|p| {
            assert_eq!(p["bytes"], 0, "{} is the Debian package's", p["name"]);
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!dist_packages.is_empty());
    let ours: Set = packages(&r, "pypi")
        .iter()
        .filter(|p| {
            !p["location"]
                .as_str()
                .unwrap()
                .starts_with("/usr/lib/python3/dist-packages/")
        })
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(ours, by_type(&t, "pypi"), "pypi vs Trivy");

    let r = report(&b.node.tar);
    assert_eq!(
        set(&r, "npm"),
        by_type(&trivy(&b.node.tar), "npm"),
        "npm vs Trivy"
    );

    // rpm: the same — Trivy's version is VERSION-RELEASE, the epoch only in the purl.
    for img in [&b.rpm_sqlite, &b.rpm_bdb] {
        let r = report(&img.tar);
        let t = trivy(&img.tar);
        assert_eq!(
            without_epoch(set(&r, "rpm")),
            by_type(&t, "rpm"),
            "rpm vs Trivy ({:?})",
            img.tar
        );
    }
}

/// Versions as Trivy writes them for deb and rpm: without the `EPOCH:` prefix.
fn without_epoch(s: Set) -> Set {
    s.into_iter()
        .map(|(n, v)| match v.split_once(':') {
            Some((e, rest)) if e.chars().all(|c| c.is_ascii_digit()) => (n, rest.to_string()),
            _ => (n, v),
        })
        .collect()
}

/// A docker-archive of one layer holding `files`, written here (no build tool needed).
fn archive(dir: &Path, files: &[(&str, Vec<u8>)]) -> PathBuf {
    use sha2::Digest;
    let mut layer = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        layer.append_data(&mut h, name, &data[..]).unwrap();
    }
    let layer = layer.into_inner().unwrap();
    let diff_id = hex::encode(sha2::Sha256::digest(&layer));
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": "config.json", "RepoTags": ["bad:1"], "Layers": ["layer.tar"]}
    ]))
    .unwrap();
    let out = dir.join("image.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&out).unwrap());
    for (name, data) in [
        ("layer.tar", layer),
        ("config.json", config),
        ("manifest.json", manifest),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.finish().unwrap();
    out
}

/// Broken or oversized package databases are notes in the report, never a failed run: the
/// image is still checked, the rest of the inventory still read.
#[test]
fn broken_and_oversized_databases_are_notes() {
    let dir = tempfile::tempdir().unwrap();
    let tar = archive(
        dir.path(),
        &[
            // Over the 64 MiB capture limit: not read.
            ("var/lib/dpkg/status", vec![b'\n'; (64 << 20) + 1]),
            // Not an SQLite database, and a BDB file of garbage.
            (
                "var/lib/rpm/rpmdb.sqlite",
                b"SQLite format 3\0garbage".repeat(40),
            ),
            ("usr/lib/sysimage/rpm/Packages", vec![0xAB; 8192]),
            // Not JSON; and a good package beside it.
            ("app/node_modules/bad/package.json", b"{".to_vec()),
            (
                "app/node_modules/good/package.json",
                br#"{"name":"good","version":"1.0.0"}"#.to_vec(),
            ),
            ("app/node_modules/good/index.js", vec![b'x'; 1000]),
        ],
    );
    let (code, r) = gate_json(&["check", tar.to_str().unwrap(), "--policy", "/dev/null"]);
    // (1: the image has no entrypoint — a Lambda finding, not the inventory's.)
    assert!(code == 0 || code == 1, "{r}");
    let notes = r["notes"].to_string();
    assert!(notes.contains("too large to read"), "{notes}");
    assert!(notes.contains("/var/lib/dpkg/status"), "{notes}");
    assert!(
        notes.contains("/var/lib/rpm/rpmdb.sqlite: not read as an rpm database"),
        "{notes}"
    );
    assert!(
        notes.contains("/usr/lib/sysimage/rpm/Packages: not read"),
        "{notes}"
    );
    assert_eq!(
        set(&r, "npm"),
        [("good".to_string(), "1.0.0".to_string())].into()
    );
    assert_eq!(package(&r, "npm", "good")["bytes"], 1000 + 33);
}
