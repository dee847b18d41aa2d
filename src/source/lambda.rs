//! `--function NAME[:QUALIFIER]`: the image a Lambda function runs, by digest.
//!
//! Lambda's `GetFunction` names the image (`Code.ImageUri`) and the digest it resolved at
//! deploy time (`Code.ResolvedImageUri`; `Configuration.CodeSha256` is the same digest's hex).
//! The tag may have moved since; the digest is what runs, so the image is read by digest.
//! ECR wants a token from `GetAuthorizationToken` as Basic credentials (`AWS:<password>`).
//! Both calls go through `aws::` (signed with SigV4 from the credentials a CI job has); the
//! `GetFunction` answer is read once and shared with the deployed-configuration checks.

use anyhow::{anyhow, bail, Result};

use super::reference::{check_digest, Name};
use super::registry::auth;
use crate::aws::lambda::{FunctionSpec, GetFunction};
use crate::aws::Settings;

/// How long one AWS call of an image source may take.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

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

/// `GetFunction` (for `spec`, with `settings`' region and endpoint): the one call
/// `gate check --function` makes; its answer gives the image here and the configuration to
/// `deployed`.
pub fn get_function(spec: &FunctionSpec, settings: &Settings) -> Result<GetFunction> {
    let region = settings.region()?;
    let aws = settings
        .client("lambda", &region, TIMEOUT)
        .map_err(|e| anyhow!("--function {}: {e:#}", spec.display()))?;
    crate::runtime::block_on(aws.get_function(spec))?
        .map_err(|e| anyhow!("--function {}: {e:#}", spec.display()))
}

/// `GetFunction`'s answer → the deployed image, by digest.
pub fn deployed(f: &FunctionSpec, gf: &GetFunction) -> Result<Deployed> {
    let spec = f.display();
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
    let code = gf.code.clone().unwrap_or_default();
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
        function: f.name.clone(),
        qualifier: f.qualifier.clone(),
        function_arn: gf.configuration.function_arn.clone(),
        version: gf.configuration.version.clone(),
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
    settings: &Settings,
) -> Result<auth::Credentials> {
    let aws = settings
        .client("ecr", region, TIMEOUT)
        .map_err(|e| anyhow!("ECR: {e:#}"))?;
    let (username, secret) = crate::runtime::block_on(aws.ecr_authorization_token(account))??;
    Ok(auth::Credentials {
        username,
        secret,
        source: "ECR GetAuthorizationToken".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
