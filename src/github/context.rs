//! Which repository, pull request, API and token: from the standard GitHub Actions
//! environment, each overridable by a flag.

use anyhow::{anyhow, Result};

#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub repository: Option<String>,
    pub api_url: Option<String>,
    pub pr: Option<u64>,
    pub token: Option<String>,
}

#[derive(Clone)]
pub struct Context {
    pub owner: String,
    pub repo: String,
    pub api_url: String,
    /// None outside a pull request (push, schedule): nothing to comment on.
    pub pr: Option<u64>,
    pub token: Option<String>,
}

impl std::fmt::Debug for Context {
    // Never print the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("api_url", &self.api_url)
            .field("pr", &self.pr)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Context {
    pub fn resolve(o: &Overrides) -> Result<Context> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let repository = o
            .repository
            .clone()
            .or_else(|| env("GITHUB_REPOSITORY"))
            .ok_or_else(|| {
                anyhow!("no repository: set GITHUB_REPOSITORY or --github-repository owner/repo")
            })?;
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| anyhow!("--github-repository {repository:?}: expected owner/repo"))?;
        let pr =
            o.pr.or_else(|| env("GITHUB_EVENT_PATH").and_then(|p| pr_from_event(&p)));
        Ok(Context {
            owner: owner.to_string(),
            repo: repo.to_string(),
            api_url: o
                .api_url
                .clone()
                .or_else(|| env("GITHUB_API_URL"))
                .unwrap_or_else(|| "https://api.github.com".into()),
            pr,
            token: o.token.clone().or_else(|| env("GITHUB_TOKEN")),
        })
    }
}

/// The pull request number of a `pull_request`/`pull_request_target` event, or of an
/// `issue_comment` on a pull request.
fn pr_from_event(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    if let Some(n) = v["pull_request"]["number"].as_u64() {
        return Some(n);
    }
    if v["issue"]["pull_request"].is_object() {
        return v["issue"]["number"].as_u64();
    }
    None
}
