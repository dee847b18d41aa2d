//! Files of one commit, read from the repository's objects rather than from the working tree.
//!
//! In a pull request the working tree is the pull request's: its gate.toml is the file the gate
//! must not obey. The base commit's copy is in the repository's objects (or one fetch away
//! when the checkout is shallow), and reading it there cannot be redirected by anything the
//! pull request planted: a symbolic link in the tree is refused, not followed.
//!
//! git runs as a child with an argument vector (never a shell); the revision and path it is
//! given are checked first; the repository is named a safe directory on the command line (the
//! Actions workspace belongs to another user than the container's, and git refuses it
//! otherwise); it never prompts, and every call has a deadline.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// A policy or ignore file is a few kilobytes; past this it is not one, and is not read.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Local git calls take milliseconds; a fetch of one commit, seconds.
const LOCAL_DEADLINE: Duration = Duration::from_secs(60);
const FETCH_DEADLINE: Duration = Duration::from_secs(180);

/// What a git call may print that the gate reads (object ids, one ls-tree line, messages).
const MAX_OUTPUT: u64 = 64 << 10;

/// The git repository around a directory (the working directory, in practice).
#[derive(Debug, Clone)]
pub struct Repo {
    dir: PathBuf,
}

/// A file as one commit holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub text: String,
    /// `SHORT:path`, for messages and as the origin parse errors name.
    pub origin: String,
}

/// How the one fetch went, for the message that says how to fix the checkout.
struct Output {
    ok: bool,
    stdout: Vec<u8>,
    stderr: String,
}

impl Repo {
    pub fn new(dir: impl Into<PathBuf>) -> Repo {
        Repo { dir: dir.into() }
    }

    /// The commit `rev` names, as a full object id. When the checkout lacks it (a shallow
    /// clone holds only the pull request's commit), that one commit is fetched from `origin`;
    /// when it still cannot be had, the error says how to fix the checkout.
    pub fn commit(&self, rev: &str) -> Result<String> {
        check_rev(rev)?;
        let inside = self.git(&["rev-parse", "--is-inside-work-tree"], LOCAL_DEADLINE)?;
        if !inside.ok {
            bail!(
                "{}: not a git repository ({}): the policy base is read from the repository's \
                 history; check the repository out (actions/checkout) before the gate",
                self.dir.display(),
                last_line(&inside.stderr)
            );
        }
        if let Some(id) = self.resolve(rev)? {
            return Ok(id);
        }
        let fetch = self.git(
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-recurse-submodules",
                "--depth=1",
                "origin",
                rev,
            ],
            FETCH_DEADLINE,
        )?;
        if let Some(id) = self.resolve(rev)? {
            return Ok(id);
        }
        // A branch or tag fetched by name is not a local name: FETCH_HEAD holds it.
        if fetch.ok && !is_object_id(rev) {
            if let Some(id) = self.resolve("FETCH_HEAD")? {
                return Ok(id);
            }
        }
        let why = if fetch.ok {
            "origin does not have it".to_string()
        } else {
            last_line(&fetch.stderr)
        };
        bail!(
            "the policy base {rev} is not in this checkout and `git fetch --depth=1 origin {rev}` \
             failed ({why}): check out with `fetch-depth: 0` (actions/checkout), or run \
             `git fetch --depth=1 origin {rev}` before the gate, or set `policy-from: head` to \
             trust the pull request's own policy"
        )
    }

    fn resolve(&self, rev: &str) -> Result<Option<String>> {
        let spec = format!("{rev}^{{commit}}");
        let out = self.git(
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ],
            LOCAL_DEADLINE,
        )?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok((out.ok && is_object_id(&id)).then_some(id))
    }

    /// `path` (relative to the working directory, as a user types it) as `commit` holds it;
    /// `None` when the commit has no such file. A symbolic link, a directory or a submodule
    /// there is an error, as is a file over [`MAX_FILE_BYTES`] or one that is not UTF-8.
    pub fn read(&self, commit: &str, path: &Path) -> Result<Option<Blob>> {
        check_rev(commit)?;
        let rel = check_path(path)?;
        let origin = format!("{}:{rel}", &commit[..commit.len().min(12)]);
        let out = self.git(&["ls-tree", "-l", "-z", commit, "--", &rel], LOCAL_DEADLINE)?;
        if !out.ok {
            bail!("{origin}: git ls-tree failed: {}", last_line(&out.stderr));
        }
        // `<mode> <type> <object> <size>\t<path>\0`, one per entry; the path is the one asked
        // for or nothing matched.
        let entry = out
            .stdout
            .split(|b| *b == 0)
            .filter_map(|e| std::str::from_utf8(e).ok())
            .filter_map(|e| e.split_once('\t'))
            .find(|(_, p)| *p == rel);
        let Some((meta, _)) = entry else {
            return Ok(None);
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        let [mode, kind, object, size] = fields[..] else {
            bail!("{origin}: unexpected git ls-tree output {meta:?}");
        };
        match (mode, kind) {
            ("120000", _) => bail!(
                "{origin} is a symbolic link in that commit: the gate reads its policy from a \
                 file, never through a link"
            ),
            ("100644" | "100755", "blob") => {}
            (_, "tree") => bail!("{origin} is a directory in that commit, not a file"),
            _ => bail!("{origin} is not a regular file in that commit (mode {mode})"),
        }
        let size: u64 = size
            .parse()
            .map_err(|_| anyhow!("{origin}: unexpected git ls-tree size {size:?}"))?;
        if size > MAX_FILE_BYTES {
            bail!(
                "{origin} is {size} bytes: over the {} MiB a policy file may be",
                MAX_FILE_BYTES >> 20
            );
        }
        check_object_id(object)?;
        let blob = self.git_bounded(&["cat-file", "blob", object], LOCAL_DEADLINE, size)?;
        if !blob.ok {
            bail!("{origin}: git cat-file failed: {}", last_line(&blob.stderr));
        }
        let text =
            String::from_utf8(blob.stdout).map_err(|_| anyhow!("{origin}: not UTF-8 text"))?;
        Ok(Some(Blob { text, origin }))
    }

    fn git(&self, args: &[&str], deadline: Duration) -> Result<Output> {
        self.git_bounded(args, deadline, MAX_OUTPUT)
    }

    /// Runs git with `args`, keeping at most `limit` bytes of what it prints, killed at the
    /// deadline.
    fn git_bounded(&self, args: &[&str], deadline: Duration, limit: u64) -> Result<Output> {
        let safe = format!("safe.directory={}", self.dir.display());
        let mut child = Command::new("git")
            .args(["-c", &safe, "-c", "core.fsmonitor=false", "--no-pager"])
            .args(args)
            .current_dir(&self.dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_LITERAL_PATHSPECS", "1")
            .env("GIT_ASKPASS", "true")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run git (the policy base is read with it): is git installed?")?;
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let out = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut r = stdout.take(limit);
            let _ = r.read_to_end(&mut buf);
            // Drain the rest so git is not blocked writing to a full pipe.
            let _ = std::io::copy(&mut r.into_inner(), &mut std::io::sink());
            buf
        });
        let err = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut r = stderr.take(MAX_OUTPUT);
            let _ = r.read_to_end(&mut buf);
            let _ = std::io::copy(&mut r.into_inner(), &mut std::io::sink());
            buf
        });
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait()? {
                break s;
            }
            if start.elapsed() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "git {} did not finish within {} s",
                    args.first().copied().unwrap_or_default(),
                    deadline.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
        Ok(Output {
            ok: status.success(),
            stdout,
            stderr,
        })
    }
}

/// A revision as a user or an event payload gives it: an object id, a branch, a tag,
/// `HEAD~1`. Nothing git could take for an option, and nothing that is not one word.
fn check_rev(rev: &str) -> Result<()> {
    if rev.is_empty()
        || rev.len() > 255
        || rev.starts_with('-')
        || rev
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ':')
    {
        bail!("policy base {rev:?}: expected a commit id, branch or tag");
    }
    Ok(())
}

fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_object_id(s: &str) -> Result<()> {
    if !is_object_id(s) {
        bail!("unexpected git object id {s:?}");
    }
    Ok(())
}

/// The path as git takes it: relative, no `..`, `/`-separated, UTF-8.
fn check_path(path: &Path) -> Result<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(
                p.to_str()
                    .ok_or_else(|| anyhow!("{}: not a UTF-8 path", path.display()))?,
            ),
            Component::CurDir => {}
            _ => bail!(
                "{}: with a policy base, policy and ignore files must be paths inside the \
                 repository, relative to the working directory (no `..`, not absolute)",
                path.display()
            ),
        }
    }
    if parts.is_empty() || parts.iter().any(|p| p.starts_with('-')) {
        bail!("{}: not a file path", path.display());
    }
    Ok(parts.join("/"))
}

/// git's last line of complaint, which says what went wrong ("fatal: …").
fn last_line(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no message")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_and_paths_that_could_be_options_or_escape_are_refused() {
        for bad in ["", "-c", "--upload-pack=x", "a b", "HEAD:gate.toml", "a\nb"] {
            assert!(check_rev(bad).is_err(), "{bad:?}");
        }
        for good in ["main", "origin/main", "HEAD~1", &"a".repeat(40)] {
            check_rev(good).unwrap();
        }
        for bad in ["/etc/passwd", "../gate.toml", "a/../../b", "-x", "."] {
            assert!(check_path(Path::new(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(
            check_path(Path::new("./team/gate.toml")).unwrap(),
            "team/gate.toml"
        );
    }
}
