//! The sticky pull-request comment: one per gate (per `--comment-id`), found by a hidden
//! marker and updated in place, so a PR shows the latest result instead of a growing thread.
//! Other comments, including other bots', are never touched.

use anyhow::Result;
use octocrab::models::CommentId;
use octocrab::Octocrab;

use super::context::Context;

/// The hidden marker that identifies this gate's comment.
pub fn marker(comment_id: Option<&str>) -> String {
    match comment_id {
        Some(id) => format!("<!-- lambda-gate:comment:{} -->", id.replace("--", "-")),
        None => "<!-- lambda-gate:comment -->".to_string(),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created(u64),
    Updated(u64),
    /// Nothing to do here (not a pull request, no token): said, not failed.
    Skipped(String),
    /// GitHub refused (a fork's read-only token): a warning, never a failed gate.
    Refused(String),
}

/// Posts or updates the comment whose body carries `marker`.
pub fn upsert(ctx: &Context, marker: &str, markdown: &str) -> Result<Outcome> {
    let Some(pr) = ctx.pr else {
        return Ok(Outcome::Skipped(
            "not a pull request (push, schedule or manual run): no comment posted".into(),
        ));
    };
    let Some(token) = ctx.token.clone() else {
        return Ok(Outcome::Skipped(
            "no GitHub token (set GITHUB_TOKEN or --github-token): no comment posted".into(),
        ));
    };
    let body = format!("{marker}\n{markdown}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let gh = Octocrab::builder().base_uri(ctx.api_url.as_str())?.personal_token(token).build()?;
        match post(&gh, ctx, pr, marker, &body).await {
            Ok(o) => Ok(o),
            Err(octocrab::Error::GitHub { source, .. }) if matches!(source.status_code.as_u16(), 401 | 403 | 404) => Ok(Outcome::Refused(format!(
                "GitHub answered {} ({}): the token cannot comment on this pull request (a fork's read-only token?)",
                source.status_code.as_u16(),
                source.message
            ))),
            Err(e) => Err(anyhow::anyhow!("posting the pull-request comment: {e}")),
        }
    })
}

async fn post(
    gh: &Octocrab,
    ctx: &Context,
    pr: u64,
    marker: &str,
    body: &str,
) -> octocrab::Result<Outcome> {
    let issues = gh.issues(&ctx.owner, &ctx.repo);
    let mut page = issues.list_comments(pr).per_page(100).send().await?;
    let mut found: Option<CommentId> = None;
    loop {
        if let Some(c) = page
            .items
            .iter()
            .find(|c| c.body.as_deref().is_some_and(|b| b.starts_with(marker)))
        {
            found = Some(c.id);
            break;
        }
        match gh.get_page(&page.next).await? {
            Some(next) => page = next,
            None => break,
        }
    }
    Ok(match found {
        Some(id) => {
            issues.update_comment(id, body).await?;
            Outcome::Updated(id.0)
        }
        None => Outcome::Created(issues.create_comment(pr, body).await?.id.0),
    })
}
