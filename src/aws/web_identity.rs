//! Credentials from a web identity token: the OIDC token a CI job (GitHub Actions with
//! `id-token: write`, EKS service accounts) is given, exchanged with STS
//! `AssumeRoleWithWebIdentity` for the role in `AWS_ROLE_ARN` — the same variables and the
//! same call the AWS SDKs' default chain makes, so a job set up for the AWS CLI works here.
//!
//! The call is unsigned (the token is the proof), so it needs no credentials to start with.
//! It is made once per run and kept: ECR, Lambda and CloudWatch reads share it.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use aws_credential_types::Credentials;

/// Where the token and the role come from; None when the job is not set up for it.
pub struct Setup {
    pub token_file: String,
    pub role_arn: String,
    pub session_name: String,
    pub endpoint: String,
}

impl Setup {
    pub fn from_env() -> Option<Setup> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE")?;
        let role_arn = env("AWS_ROLE_ARN")?;
        let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
        let endpoint = env("AWS_ENDPOINT_URL_STS")
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| match region {
                Some(r) => format!("https://sts.{r}.amazonaws.com"),
                None => "https://sts.amazonaws.com".into(),
            });
        let session_name = env("AWS_ROLE_SESSION_NAME").unwrap_or_else(|| {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("lambda-gate-{secs}")
        });
        Some(Setup {
            token_file,
            role_arn,
            session_name,
            endpoint,
        })
    }
}

/// The credentials for the environment's web identity setup, fetched on first use. Err
/// when the setup is there but the exchange failed: a job that asked for a role must not
/// quietly fall back to some other identity.
pub fn credentials() -> Option<Result<Credentials, String>> {
    static CACHE: OnceLock<Option<Result<Credentials, String>>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let setup = Setup::from_env()?;
            // On a thread of its own: callers may be inside a tokio runtime, where a
            // blocking HTTP client must not run.
            let got = std::thread::spawn(move || assume(&setup).map_err(|e| format!("{e:#}")))
                .join()
                .unwrap_or_else(|_| Err("the web identity exchange stopped unexpectedly".into()));
            Some(got)
        })
        .clone()
}

/// One `AssumeRoleWithWebIdentity` call.
pub fn assume(setup: &Setup) -> Result<Credentials> {
    let token = std::fs::read_to_string(&setup.token_file)
        .with_context(|| format!("AWS_WEB_IDENTITY_TOKEN_FILE {}", setup.token_file))?;
    let token = token.trim();
    if token.is_empty() {
        bail!("AWS_WEB_IDENTITY_TOKEN_FILE {} is empty", setup.token_file);
    }
    let form = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", setup.role_arn.as_str()),
        ("RoleSessionName", setup.session_name.as_str()),
        ("WebIdentityToken", token),
    ];
    let what = format!("STS AssumeRoleWithWebIdentity for {}", setup.role_arn);
    let resp = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?
        .post(&setup.endpoint)
        .form(&form)
        .send()
        .map_err(|e| anyhow!("{what}: {}: {e}", setup.endpoint))?;
    let status = resp.status();
    let body = resp.text().map_err(|e| anyhow!("{what}: {e}"))?;
    if !status.is_success() {
        let code = tag(&body, "Code").unwrap_or_default();
        let message = tag(&body, "Message").unwrap_or_default();
        bail!("{what}: {status} {code} {message}");
    }
    let (Some(ak), Some(sk)) = (tag(&body, "AccessKeyId"), tag(&body, "SecretAccessKey")) else {
        bail!("{what}: the answer holds no credentials");
    };
    Ok(Credentials::new(
        ak,
        sk,
        tag(&body, "SessionToken"),
        None,
        "web-identity",
    ))
}

/// The text of the first `<name>` element. STS answers in the query protocol's XML, flat and
/// without attributes on these elements, each unique in the document.
fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    quick_xml::escape::unescape(xml[start..end].trim())
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_credentials_and_errors_from_sts_xml() {
        let ok = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>s3cr3t&amp;key</SecretAccessKey>
      <SessionToken>tok</SessionToken>
      <Expiration>2026-12-01T23:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"#;
        assert_eq!(tag(ok, "AccessKeyId").as_deref(), Some("ASIAEXAMPLE"));
        assert_eq!(tag(ok, "SecretAccessKey").as_deref(), Some("s3cr3t&key"));
        assert_eq!(tag(ok, "Nope"), None);
        let err = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider found</Message></Error></ErrorResponse>";
        assert_eq!(tag(err, "Code").as_deref(), Some("InvalidIdentityToken"));
    }
}
