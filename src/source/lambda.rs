//! `--function NAME[:QUALIFIER]`: the image a Lambda function runs, by digest.
//!
//! Lambda's `GetFunction` names the image (`Code.ImageUri`) and the digest it resolved at
//! deploy time (`Code.ResolvedImageUri`; `Configuration.CodeSha256` is the same digest's hex).
//! The tag may have moved since; the digest is what runs, so the image is read by digest.
//! ECR wants a token from `GetAuthorizationToken` as Basic credentials (`AWS:<password>`).
//! Both calls are signed with SigV4 (aws-sigv4, as the Invoke driver does) from the
//! credentials a CI job has (environment, or the shared credentials file's profile).

use anyhow::{anyhow, bail, Result};
use aws_credential_types::Credentials;
use base64::Engine;
use serde::Deserialize;

use super::reference::{check_digest, Name};
use super::registry::auth;

/// Where the AWS APIs are (a local emulator in tests, the real endpoints otherwise).
#[derive(Debug, Clone, Default)]
pub struct Aws {
    pub region: Option<String>,
    /// Lambda API endpoint (default `https://lambda.{region}.amazonaws.com`,
    /// or `AWS_ENDPOINT_URL_LAMBDA` / `AWS_ENDPOINT_URL`).
    pub lambda_endpoint: Option<String>,
    /// ECR API endpoint (default `https://api.ecr.{region}.amazonaws.com`,
    /// or `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL`).
    pub ecr_endpoint: Option<String>,
}

/// What the report says about the deployed image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub function: String,
    pub qualifier: Option<String>,
    pub function_arn: Option<String>,
    pub version: Option<String>,
    pub image_uri: String,
    pub digest: String,
    /// The image read: the repository at the resolved digest.
    pub resolved: Name,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetFunction {
    configuration: Configuration,
    #[serde(default)]
    code: Option<Code>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Configuration {
    #[serde(default)]
    function_arn: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    package_type: Option<String>,
    #[serde(default)]
    code_sha256: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Code {
    #[serde(default)]
    image_uri: Option<String>,
    #[serde(default)]
    resolved_image_uri: Option<String>,
}

impl Aws {
    pub fn region(&self) -> Result<String> {
        self.region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok().filter(|v| !v.is_empty()))
            .or_else(|| {
                std::env::var("AWS_DEFAULT_REGION")
                    .ok()
                    .filter(|v| !v.is_empty())
            })
            .ok_or_else(|| {
                anyhow!("--function needs a region: --region, AWS_REGION or AWS_DEFAULT_REGION")
            })
    }

    /// The ECR endpoint named for this run (`--ecr-endpoint`, `AWS_ENDPOINT_URL_ECR`), if any.
    pub fn explicit_ecr_endpoint(&self) -> Option<String> {
        self.ecr_endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_ECR").ok())
            .filter(|v| !v.is_empty())
    }

    fn endpoint(&self, given: &Option<String>, service: &str, default_host: String) -> String {
        given
            .clone()
            .or_else(|| {
                std::env::var(format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase())).ok()
            })
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .filter(|v| !v.is_empty())
            .map(|e| e.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("https://{default_host}"))
    }
}

impl Deployed {
    pub fn to_report(&self) -> crate::model::DeployedImage {
        crate::model::DeployedImage {
            function: self.function.clone(),
            qualifier: self.qualifier.clone(),
            function_arn: self.function_arn.clone(),
            version: self.version.clone(),
            image_uri: self.image_uri.clone(),
            digest: self.digest.clone(),
        }
    }
}

/// `NAME[:QUALIFIER]` — a name or ARN, then an optional alias or version. An ARN's own
/// colons are kept: only a qualifier after the function name is split off.
pub fn split_function(spec: &str) -> Result<(String, Option<String>)> {
    let spec = spec.trim();
    if spec.is_empty() {
        bail!("--function: empty function name");
    }
    let (name, qualifier) = if let Some(rest) = spec.strip_prefix("arn:") {
        // arn:aws:lambda:region:acct:function:name[:qualifier]
        let parts: Vec<&str> = rest.split(':').collect();
        match parts.len() {
            6 => (spec.to_string(), None),
            7 => {
                let (n, q) = spec.rsplit_once(':').unwrap_or((spec, ""));
                (n.to_string(), Some(q.to_string()))
            }
            _ => bail!("--function {spec:?}: not a Lambda function ARN"),
        }
    } else {
        match spec.split_once(':') {
            Some((n, q)) => (n.to_string(), Some(q.to_string())),
            None => (spec.to_string(), None),
        }
    };
    if let Some(q) = &qualifier {
        if q.is_empty()
            || !q
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_$".contains(&b))
        {
            bail!("--function {spec:?}: qualifier {q:?} is not a version or alias");
        }
    }
    if name.is_empty() || name.contains(['/', '?', '#', ' ']) {
        bail!("--function {spec:?}: not a function name or ARN");
    }
    Ok((name, qualifier))
}

fn signed(
    creds: &Option<Credentials>,
    region: &str,
    service: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<(String, String)>> {
    let Some(creds) = creds else {
        bail!("no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or a profile in ~/.aws/credentials)");
    };
    crate::aws::sign_headers(creds, region, service, method, url, headers, body)
}

fn client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| anyhow!("cannot set up the HTTP client: {e}"))
}

/// `GetFunction` → the deployed image, by digest.
pub fn deployed(spec: &str, aws: &Aws) -> Result<Deployed> {
    let (function, qualifier) = split_function(spec)?;
    let region = aws.region()?;
    let endpoint = aws.endpoint(
        &aws.lambda_endpoint,
        "lambda",
        format!("lambda.{region}.amazonaws.com"),
    );
    let mut url = format!(
        "{endpoint}/2015-03-31/functions/{}",
        crate::aws::segment(&function)
    );
    if let Some(q) = &qualifier {
        url.push_str(&format!("?Qualifier={}", crate::aws::segment(q)));
    }
    let creds = crate::aws::credentials().map_err(|e| anyhow!("--function {spec}: {e:#}"))?;
    let headers = signed(&creds, &region, "lambda", "GET", &url, &[], b"")
        .map_err(|e| anyhow!("--function {spec}: {e:#}"))?;
    let mut req = client()?.get(&url);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req
        .send()
        .map_err(|e| anyhow!("--function {spec}: GetFunction at {endpoint}: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .bytes()
        .map_err(|e| anyhow!("--function {spec}: GetFunction: {e}"))?;
    if status != 200 {
        bail!(
            "--function {spec}: GetFunction answered HTTP {status}: {}",
            aws_message(&body)
        );
    }
    let gf: GetFunction = serde_json::from_slice(&body).map_err(|e| {
        anyhow!("--function {spec}: GetFunction's answer is not what Lambda returns: {e}")
    })?;
    if gf
        .configuration
        .package_type
        .as_deref()
        .is_some_and(|p| p != "Image")
    {
        bail!(
            "--function {spec}: the function is packaged as {}, not a container image",
            gf.configuration.package_type.as_deref().unwrap_or_default()
        );
    }
    let code = gf.code.unwrap_or(Code {
        image_uri: None,
        resolved_image_uri: None,
    });
    let image_uri = code
        .image_uri
        .ok_or_else(|| anyhow!("--function {spec}: GetFunction names no image (Code.ImageUri)"))?;
    let base = Name::parse(&image_uri)
        .map_err(|e| anyhow!("--function {spec}: Code.ImageUri {image_uri:?}: {e:#}"))?;
    // ResolvedImageUri is `repo@sha256:…` for the same repository; where it is missing or
    // malformed (moto writes `host@sha256:<CodeSha256>`), a digest-pinned ImageUri is the
    // digest itself, and CodeSha256 (the digest's hex on AWS) is the last resort.
    let from_resolved = code
        .resolved_image_uri
        .as_deref()
        .and_then(|r| Name::parse(r).ok())
        .filter(|r| r.registry == base.registry && r.repository == base.repository)
        .and_then(|r| r.digest);
    let from_sha = gf
        .configuration
        .code_sha256
        .as_deref()
        .map(|h| format!("sha256:{}", h.to_ascii_lowercase()))
        .filter(|d| check_digest(d).is_ok());
    let digest = from_resolved
        .or_else(|| base.digest.clone())
        .or(from_sha)
        .ok_or_else(|| {
            anyhow!("--function {spec}: GetFunction gives no image digest (ResolvedImageUri or CodeSha256)")
        })?;
    let resolved = Name {
        digest: Some(digest.clone()),
        ..base
    };
    Ok(Deployed {
        function,
        qualifier,
        function_arn: gf.configuration.function_arn,
        version: gf.configuration.version,
        image_uri,
        digest,
        resolved,
    })
}

/// The DNS suffixes of ECR's private registries in every partition, as AWS's own
/// amazon-ecr-credential-helper lists them: commercial, China, the European Sovereign Cloud,
/// the dual-stack `on.aws` names, and the isolated regions (ISO, ISO-B, ISO-E, ISO-F).
const ECR_SUFFIXES: &[&str] = &[
    "amazonaws.com",
    "amazonaws.com.cn",
    "amazonaws.eu",
    "on.aws",
    "on.amazonwebservices.com.cn",
    "c2s.ic.gov",
    "sc2s.sgov.gov",
    "cloud.adc-e.uk",
    "csp.hci.ic.gov",
];

/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com` (and `dkr.ecr-fips`, dual-stack `dkr-ecr[-fips]`,
/// the other partitions' suffixes) → (account, region). Exactly that grammar: a 12-digit
/// account, one region label, a known suffix at the very end, any port. Anything else is not
/// ECR and gets no ECR token.
pub fn ecr_host(host: &str) -> Option<(String, String)> {
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return None,
        None => host,
    };
    let host = host.to_ascii_lowercase();
    let (account, rest) = host.split_once('.')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = ["dkr.ecr.", "dkr.ecr-fips.", "dkr-ecr.", "dkr-ecr-fips."]
        .iter()
        .find_map(|p| rest.strip_prefix(p))?;
    let (region, suffix) = rest.split_once('.')?;
    let region_ok = region
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (region_ok && ECR_SUFFIXES.contains(&suffix)).then(|| (account.to_string(), region.to_string()))
}

/// With an ECR endpoint named (`--ecr-endpoint`, `AWS_ENDPOINT_URL_ECR`: an emulator serving
/// its registry on its own host), whether `registry` is that endpoint's host (any port): only
/// then is it taken for ECR without having an ECR name.
pub fn is_endpoint_host(registry: &str, endpoint: &str) -> bool {
    let Ok(e) = reqwest::Url::parse(endpoint) else {
        return false;
    };
    let Ok(r) = reqwest::Url::parse(&format!("https://{registry}")) else {
        return false;
    };
    e.host_str()
        .zip(r.host_str())
        .is_some_and(|(a, b)| !a.is_empty() && a.eq_ignore_ascii_case(b))
}

/// ECR's `GetAuthorizationToken` → Basic credentials for the registry.
pub fn ecr_credentials(
    account: Option<&str>,
    region: &str,
    aws: &Aws,
) -> Result<auth::Credentials> {
    let endpoint = aws.endpoint(
        &aws.ecr_endpoint,
        "ecr",
        format!("api.ecr.{region}.amazonaws.com"),
    );
    let url = format!("{endpoint}/");
    let body = match account {
        Some(a) => serde_json::json!({ "registryIds": [a] }).to_string(),
        None => "{}".to_string(),
    };
    let target = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
    let ctype = "application/x-amz-json-1.1";
    let creds = crate::aws::credentials().map_err(|e| anyhow!("ECR: {e:#}"))?;
    let headers = signed(
        &creds,
        region,
        "ecr",
        "POST",
        &url,
        &[("content-type", ctype), ("x-amz-target", target)],
        body.as_bytes(),
    )
    .map_err(|e| anyhow!("ECR GetAuthorizationToken: {e:#}"))?;
    let mut req = client()?
        .post(&url)
        .header("content-type", ctype)
        .header("x-amz-target", target)
        .body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req
        .send()
        .map_err(|e| anyhow!("ECR GetAuthorizationToken at {endpoint}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .bytes()
        .map_err(|e| anyhow!("ECR GetAuthorizationToken: {e}"))?;
    if status != 200 {
        bail!(
            "ECR GetAuthorizationToken answered HTTP {status}: {}",
            aws_message(&text)
        );
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        authorization_data: Vec<Data>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        authorization_token: String,
    }
    let out: Out = serde_json::from_slice(&text)
        .map_err(|e| anyhow!("ECR GetAuthorizationToken: unexpected answer: {e}"))?;
    let tok = out
        .authorization_data
        .first()
        .ok_or_else(|| anyhow!("ECR GetAuthorizationToken returned no authorization data"))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(tok.authorization_token.trim())
        .map_err(|_| anyhow!("ECR GetAuthorizationToken: the token is not base64"))?;
    let raw = String::from_utf8_lossy(&raw);
    let (u, p) = raw
        .split_once(':')
        .ok_or_else(|| anyhow!("ECR GetAuthorizationToken: the token is not user:password"))?;
    Ok(auth::Credentials {
        username: u.to_string(),
        secret: p.to_string(),
        source: "ECR GetAuthorizationToken".into(),
    })
}

fn aws_message(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    v.get("message")
        .or_else(|| v.get("Message"))
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_specs_split_at_the_qualifier() {
        assert_eq!(split_function("app").unwrap(), ("app".into(), None));
        assert_eq!(
            split_function("app:live").unwrap(),
            ("app".into(), Some("live".into()))
        );
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:app";
        assert_eq!(split_function(arn).unwrap(), (arn.into(), None));
        assert_eq!(
            split_function(&format!("{arn}:7")).unwrap(),
            (arn.into(), Some("7".into()))
        );
        assert!(split_function("app:").is_err());
        assert!(split_function("a/b").is_err());
    }

    #[test]
    fn ecr_hosts_are_recognised() {
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(("123456789012".into(), "eu-west-1".into()))
        );
        assert_eq!(ecr_host("ghcr.io"), None);
        assert_eq!(ecr_host("127.0.0.1:5000"), None);
        let a = "123456789012";
        for (host, region) in [
            (
                format!("{a}.dkr.ecr.us-east-1.amazonaws.com:443"),
                "us-east-1",
            ),
            (
                format!("{a}.dkr.ecr.cn-north-1.amazonaws.com.cn"),
                "cn-north-1",
            ),
            (
                format!("{a}.dkr.ecr.us-gov-west-1.amazonaws.com"),
                "us-gov-west-1",
            ),
            (
                format!("{a}.dkr.ecr-fips.us-east-1.amazonaws.com"),
                "us-east-1",
            ),
            (format!("{a}.dkr-ecr.eu-west-1.on.aws"), "eu-west-1"),
            (format!("{a}.dkr-ecr-fips.us-west-2.on.aws"), "us-west-2"),
            (
                format!("{a}.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn"),
                "cn-northwest-1",
            ),
            (
                format!("{a}.dkr.ecr.eusc-de-east-1.amazonaws.eu"),
                "eusc-de-east-1",
            ),
            (
                format!("{a}.dkr.ecr.us-iso-east-1.c2s.ic.gov"),
                "us-iso-east-1",
            ),
            (
                format!("{a}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov"),
                "us-isob-east-1",
            ),
            (
                format!("{a}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk"),
                "eu-isoe-west-1",
            ),
            (
                format!("{a}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov"),
                "us-isof-south-1",
            ),
            (format!("{a}.DKR.ECR.US-EAST-1.AMAZONAWS.COM"), "us-east-1"),
        ] {
            assert_eq!(ecr_host(&host), Some((a.into(), region.into())), "{host}");
        }
        for evil in [
            "x.dkr.ecr.evil.amazonaws.com.attacker.net",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com:443",
            "12345678901.dkr.ecr.us-east-1.amazonaws.com",
            "1234567890123.dkr.ecr.us-east-1.amazonaws.com",
            "12345678901a.dkr.ecr.us-east-1.amazonaws.com",
            "x.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.evil.amazonaws.com",
            "123456789012.dkr.ecr..amazonaws.com",
            "123456789012.dkr.ecr.-x.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.on.aws.evil.com",
            "123456789012.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecrx.us-east-1.amazonaws.com",
            "evil.com/123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com:x",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.",
            "public.ecr.aws",
            "",
        ] {
            assert_eq!(ecr_host(evil), None, "{evil}");
        }
    }

    #[test]
    fn an_explicit_endpoint_is_ecr_for_its_own_host_only() {
        let e = "http://127.0.0.1:5000";
        assert!(is_endpoint_host("127.0.0.1:6000", e));
        assert!(is_endpoint_host("127.0.0.1", e));
        assert!(!is_endpoint_host("localhost:5000", e));
        assert!(!is_endpoint_host("ghcr.io", e));
        assert!(is_endpoint_host(
            "LocalStack.Example:4566",
            "http://localstack.example:4566/"
        ));
        assert!(!is_endpoint_host(
            "localstack.example.evil.com",
            "http://localstack.example"
        ));
        assert!(!is_endpoint_host("ghcr.io", "not a url"));
    }
}
