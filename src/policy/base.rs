//! The policy of a pull request: obeyed from its base commit, compared with its own.
//!
//! A pull request that raises `max_size`, turns a rule to `allow` or adds an ignore for a
//! critical CVE would pass a gate that read its own gate.toml. So on a pull request the gate
//! reads gate.toml and the ignore files it names from the base commit's objects (`git`), never
//! from the working tree; the pull request's own files are read too, only to show the reviewer
//! what they would change (`policy_changes`) and to raise `policy-loosened` when they loosen.
//! `policy-from: head` trusts the pull request's files instead, and still shows the changes.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

use super::git::{Repo, MAX_FILE_BYTES};
use super::{Flags, Policy, DEFAULT_FILE};
use crate::model::policy_changes::PolicyChanges;
use crate::model::RuleId;
use crate::model::{Finding, Severity};
use crate::rules::dive_ci::DiveCi;
use crate::security::cfg::Ignore;

/// Whose policy the gate obeys when there is a base to compare with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum PolicyFrom {
    /// The base commit's: the pull request cannot change what it is held to.
    #[default]
    Base,
    /// The pull request's own files: what a run outside a pull request reads.
    Head,
}

impl PolicyFrom {
    pub fn parse(s: &str) -> Result<PolicyFrom, String> {
        s.trim()
            .parse()
            .map_err(|_| format!("{s:?}: expected base or head"))
    }

    /// As `policy_changes.obeyed` writes it.
    fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What the gate runs with, and what the pull request changes.
#[derive(Debug)]
pub struct Resolved {
    /// The policy obeyed, the flags over it.
    pub policy: Policy,
    /// `None` only under `policy-from: head` when the base could not be read (a note says so).
    pub changes: Option<PolicyChanges>,
    /// `policy-loosened`, at the level the base's policy gives it.
    pub finding: Option<Finding>,
    pub notes: Vec<String>,
    /// dive's CI rules (`.dive-ci`) of the side obeyed, `None` when that side has no file.
    pub dive_ci: Option<DiveCi>,
}

/// dive's CI file, looked for beside gate.toml as `dive --ci` does.
pub const DIVE_CI_FILE: &str = ".dive-ci";

/// The policy for a run against the base `rev` (a commit id from the event, or any ref).
/// `explicit` is `--policy`, `dive_ci` is `--dive-ci`: the same paths are read at the base
/// and in the working tree.
pub fn resolve(
    explicit: Option<&Path>,
    dive_ci: Option<&Path>,
    flags: &Flags,
    rev: &str,
    from: PolicyFrom,
    dir: &Path,
) -> Result<Resolved> {
    let dive_path = dive_ci
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DIVE_CI_FILE));
    let head_dive = match read_worktree(&dive_path, dir)? {
        Some(t) => Some(DiveCi::parse(&t).map_err(|e| anyhow!("{}: {e}", dive_path.display()))?),
        None => None,
    };
    let path = explicit
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_FILE));
    let head_text = read_worktree(&path, dir)?;
    if explicit.is_some() && head_text.is_none() && from == PolicyFrom::Head {
        bail!("{}: cannot read policy file: not found", path.display());
    }
    let mut head = match &head_text {
        Some(t) => Policy::from_toml(t, &path)?,
        None => Policy::default(),
    };
    fold_worktree_ignores(&mut head, flags, dir)?;

    let base = match read_base(&path, &dive_path, flags, rev, dir) {
        Ok(b) => b,
        Err(e) if from == PolicyFrom::Head => {
            let policy = head.with_flags(&without_ignore_file(flags))?;
            return Ok(Resolved {
                policy,
                changes: None,
                finding: None,
                dive_ci: head_dive,
                notes: vec![format!(
                    "policy-from: head: the pull request's own policy was obeyed, and not \
                     compared with its base: {e:#}"
                )],
            });
        }
        Err(e) => return Err(e),
    };
    if explicit.is_some() && head_text.is_none() && base.file.is_none() {
        bail!("{}: cannot read policy file: not found", path.display());
    }

    let changes = PolicyChanges {
        base: base.commit.clone(),
        obeyed: from.as_str().into(),
        base_file: base.file.clone(),
        head_file: head_text.is_some().then(|| path.display().to_string()),
        changes: {
            let mut c = super::diff::compare(&base.policy, &head);
            c.extend(super::diff::compare_dive_ci(
                base.dive_ci.as_ref(),
                head_dive.as_ref(),
            ));
            c
        },
    };
    let finding = loosened(&changes, &base.policy, &path);
    let short = &base.commit[..12.min(base.commit.len())];
    let note =
        match from {
            PolicyFrom::Base => format!(
            "policy: {} at the base commit {short} (the pull request's own policy is compared, \
             not obeyed)",
            base.file.as_deref().unwrap_or("the defaults (no policy file)")
        ),
            PolicyFrom::Head => format!(
                "policy-from: head: the pull request's own policy was obeyed (compared with the \
             base commit {short})"
            ),
        };
    let (obeyed, dive_ci) = match from {
        PolicyFrom::Base => (base.policy, base.dive_ci),
        PolicyFrom::Head => (head, head_dive),
    };
    Ok(Resolved {
        policy: obeyed.with_flags(&without_ignore_file(flags))?,
        changes: Some(changes),
        finding,
        notes: vec![note],
        dive_ci,
    })
}

/// The base's side: its commit, its policy (the defaults when it has no file) with the
/// ignores of its ignore file folded in.
struct Base {
    commit: String,
    file: Option<String>,
    policy: Policy,
    dive_ci: Option<DiveCi>,
}

fn read_base(path: &Path, dive: &Path, flags: &Flags, rev: &str, dir: &Path) -> Result<Base> {
    let repo = Repo::new(dir);
    let commit = repo.commit(rev)?;
    let blob = repo.read(&commit, path)?;
    let mut policy = match &blob {
        Some(b) => Policy::from_toml(&b.text, Path::new(&b.origin))?,
        None => Policy::default(),
    };
    if let Some(file) = ignore_file(&policy, flags) {
        let entries = match repo.read(&commit, &file)? {
            Some(b) => crate::security::policy::parse_trivyignore(&b.text, Path::new(&b.origin))?,
            // The base has no such file: nothing ignored there.
            None => Vec::new(),
        };
        fold(&mut policy, entries);
    }
    let dive_ci = match repo.read(&commit, dive)? {
        Some(b) => Some(DiveCi::parse(&b.text).map_err(|e| anyhow!("{}: {e}", b.origin))?),
        None => None,
    };
    Ok(Base {
        commit,
        file: blob.map(|_| path.display().to_string()),
        policy,
        dive_ci,
    })
}

/// The .trivyignore a side reads: the flag's, else its policy's.
fn ignore_file(p: &Policy, flags: &Flags) -> Option<PathBuf> {
    flags
        .trivyignore
        .clone()
        .or_else(|| p.security.trivyignore.clone())
}

/// The ignore file's entries become the policy's own ignores, so the security job never reads
/// the file again from the working tree, whose copy is the pull request's.
fn fold(p: &mut Policy, entries: Vec<Ignore>) {
    p.security.ignore.extend(entries);
    p.security.trivyignore = None;
}

fn fold_worktree_ignores(p: &mut Policy, flags: &Flags, dir: &Path) -> Result<()> {
    if let Some(file) = ignore_file(p, flags) {
        let entries = match read_worktree(&file, dir)? {
            Some(text) => crate::security::policy::parse_trivyignore(&text, &file)?,
            None => Vec::new(),
        };
        fold(p, entries);
    }
    Ok(())
}

fn without_ignore_file(flags: &Flags) -> Flags {
    Flags {
        trivyignore: None,
        ..flags.clone()
    }
}

/// A file of the pull request's working tree, read as untrusted: not through a symbolic link,
/// at most [`MAX_FILE_BYTES`]. `None` when there is none.
fn read_worktree(path: &Path, dir: &Path) -> Result<Option<String>> {
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(path)
    };
    let meta = match std::fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("{}: cannot read: {e}", path.display()),
    };
    if meta.file_type().is_symlink() {
        bail!(
            "{}: is a symbolic link in the pull request: the gate does not follow links to \
             find policy files",
            path.display()
        );
    }
    if !meta.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    let mut text = Vec::new();
    std::fs::File::open(&full)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut text))
        .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        bail!(
            "{}: over the {} MiB a policy file may be",
            path.display(),
            MAX_FILE_BYTES >> 20
        );
    }
    String::from_utf8(text)
        .map(Some)
        .map_err(|_| anyhow!("{}: not UTF-8 text", path.display()))
}

/// `policy-loosened`: one finding listing what loosens, at the level the base gives the rule.
fn loosened(changes: &PolicyChanges, base: &Policy, path: &Path) -> Option<Finding> {
    let loose: Vec<String> = changes
        .loosening()
        .map(|c| {
            format!(
                "`{}` {} → {}",
                c.setting,
                c.old.as_deref().unwrap_or("unset"),
                c.new.as_deref().unwrap_or("unset")
            )
        })
        .collect();
    if loose.is_empty() {
        return None;
    }
    let severity: Severity = base.rules.level(RuleId::PolicyLoosened).severity()?;
    const SHOWN: usize = 5;
    let more = loose.len().saturating_sub(SHOWN);
    let list = loose
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    Some(Finding {
        rule: RuleId::PolicyLoosened,
        severity,
        message: format!(
            "the pull request loosens the gate's policy: {list}{}",
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
        bytes: 0,
        layer: None,
        created_by: None,
        paths: vec![path.display().to_string()],
        fix: "have the policy change reviewed on its own (branch protection can require a \
              second review for it); until it is merged the base's policy applies"
            .into(),
        references: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--policy-from` reads what `policy_changes.obeyed` writes, in any case.
    #[test]
    fn policy_from_reads_what_it_writes() {
        for from in [PolicyFrom::Base, PolicyFrom::Head] {
            assert_eq!(PolicyFrom::parse(from.as_str()), Ok(from));
        }
        assert_eq!(PolicyFrom::parse(" HEAD "), Ok(PolicyFrom::Head));
        assert_eq!(
            PolicyFrom::parse("main").unwrap_err(),
            "\"main\": expected base or head"
        );
        assert_eq!(PolicyFrom::Base.as_str(), "base");
    }
}
