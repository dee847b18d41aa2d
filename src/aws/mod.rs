//! Calling an AWS API as a CI job would: credentials from the environment, a profile or a
//! web identity token (`credentials`, `web_identity`), requests signed with SigV4 (the aws-sigv4 crate), errors
//! turned into one line with the API's own error code and message.
//!
//! Not the AWS SDK: it would bring a second HTTP stack and minutes of build for the handful
//! of read-only calls the gate makes; aws-sigv4 is the SDK's own signer.

pub mod ecr;
pub mod lambda;
pub mod web_identity;

use std::time::{Duration, SystemTime};

use anyhow::{anyhow, Result};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

/// Where this run's AWS APIs are, as the flags name them (`--region`, `--lambda-endpoint`,
/// `--ecr-endpoint`); the environment fills the rest when a client is made. Cheap: no
/// credentials are read until a call needs them.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub region: Option<String>,
    /// Lambda API endpoint (default `https://lambda.{region}.amazonaws.com`,
    /// or `AWS_ENDPOINT_URL_LAMBDA` / `AWS_ENDPOINT_URL`).
    pub lambda_endpoint: Option<String>,
    /// ECR API endpoint (default `https://api.ecr.{region}.amazonaws.com`,
    /// or `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL`).
    pub ecr_endpoint: Option<String>,
}

impl Settings {
    pub fn region(&self) -> Result<String> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        self.region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .ok_or_else(|| {
                anyhow!("--function needs a region: --region, AWS_REGION or AWS_DEFAULT_REGION")
            })
    }

    /// The ECR endpoint named for this run (`--ecr-endpoint`, `AWS_ENDPOINT_URL_ECR`), if any.
    pub fn explicit_ecr_endpoint(&self) -> Option<String> {
        self.service_endpoint("ecr")
    }

    /// The flag's endpoint for `service`, else `AWS_ENDPOINT_URL_{SERVICE}` (the client falls
    /// back to `AWS_ENDPOINT_URL`, then the region's).
    fn service_endpoint(&self, service: &str) -> Option<String> {
        let given = match service {
            "lambda" => &self.lambda_endpoint,
            "ecr" => &self.ecr_endpoint,
            _ => &None,
        };
        given
            .clone()
            .or_else(|| {
                std::env::var(format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase())).ok()
            })
            .filter(|v| !v.is_empty())
    }

    /// A client for `service` in `region` (ECR's region is its registry host's), signing with
    /// the credentials a CI job has; an error when there are none: these calls read private
    /// resources and an unsigned one is only ever refused.
    pub fn client(&self, service: &str, region: &str, timeout: Duration) -> Result<Aws> {
        let endpoint = self.service_endpoint(service);
        let aws = Aws::new(Some(region), endpoint.as_deref(), timeout)?;
        if aws.credentials.is_none() {
            return Err(anyhow!("no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or a profile in ~/.aws/credentials)"));
        }
        Ok(aws)
    }
}

/// One region's APIs, or every API behind one endpoint (moto, LocalStack: `--endpoint` or
/// `AWS_ENDPOINT_URL`, which route by the service named in the signature).
pub struct Aws {
    http: reqwest::Client,
    pub region: String,
    endpoint: Option<String>,
    credentials: Option<Credentials>,
}

/// Written by hand: only whether there are credentials, and whose (the access key id is
/// not secret; the secret key and session token never appear).
impl std::fmt::Debug for Aws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aws")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field(
                "credentials",
                &self
                    .credentials
                    .as_ref()
                    .map(|c| c.access_key_id().to_string()),
            )
            .finish_non_exhaustive()
    }
}

/// A non-2xx answer: the HTTP status, the API's error code (`ResourceNotFoundException`) and
/// its message.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}", self.status, self.code)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl Aws {
    pub fn new(region: Option<&str>, endpoint: Option<&str>, timeout: Duration) -> Result<Aws> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let region = region
            .map(str::to_string)
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .ok_or_else(|| anyhow!("no AWS region: give --region, or set AWS_REGION"))?;
        let endpoint = endpoint
            .map(str::to_string)
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .map(|e| e.trim_end_matches('/').to_string());
        if let Some(e) = &endpoint {
            let u = reqwest::Url::parse(e).map_err(|err| anyhow!("--endpoint {e:?}: {err}"))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(anyhow!("--endpoint {e:?}: expected an http or https URL"));
            }
        }
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()?;
        Ok(Aws {
            http,
            region,
            endpoint,
            credentials: credentials()?,
        })
    }

    /// Other credentials than the environment's (tests; a role assumed by the caller).
    pub fn with_credentials(mut self, credentials: Option<Credentials>) -> Aws {
        self.credentials = credentials;
        self
    }

    /// The base URL of `service` (`lambda`, `logs`): the endpoint given, else the region's.
    pub fn base(&self, service: &str) -> String {
        self.endpoint
            .clone()
            .unwrap_or_else(|| format!("https://{service}.{}.amazonaws.com", self.region))
    }

    /// Sends one signed request; a non-2xx answer is an `ApiError` (downcast to tell a 404).
    pub async fn send(
        &self,
        method: &str,
        service: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<u8>> {
        let url = format!("{}{path_and_query}", self.base(service));
        let mut req = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes())?,
            reqwest::Url::parse(&url).map_err(|e| anyhow!("{url}: {e}"))?,
        );
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        for (k, v) in self.sign(method, service, &url, headers, body)? {
            req = req.header(k, v);
        }
        let resp = req.body(body.to_vec()).send().await.map_err(|e| {
            anyhow!(
                "{service} {}: {}",
                self.base(service),
                ErrorKind::of_reqwest(&e)
            )
        })?;
        let status = resp.status().as_u16();
        let amzn_type = resp
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp.bytes().await?.to_vec();
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(api_error(status, amzn_type, &bytes).into())
    }

    fn sign(
        &self,
        method: &str,
        service: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>> {
        match &self.credentials {
            Some(creds) => sign_headers(creds, &self.region, service, method, url, headers, body),
            None => Ok(Vec::new()),
        }
    }
}

/// Credentials as a CI job has them, in the AWS SDKs' order: the environment (as the
/// configure-credentials action sets it), the shared credentials file's profile
/// ($AWS_PROFILE or "default"), then a web identity token exchanged with STS (GitHub's OIDC
/// token, an EKS service account). None when there are none; an error when a web identity
/// is set up but STS refused it — the job asked for a role and must not run as nobody.
pub fn credentials() -> Result<Option<Credentials>> {
    if let Some(c) = from_env_or_profile() {
        return Ok(Some(c));
    }
    match web_identity::credentials() {
        Some(Ok(c)) => Ok(Some(c)),
        Some(Err(e)) => Err(anyhow!(e)),
        None => Ok(None),
    }
}

fn from_env_or_profile() -> Option<Credentials> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(ak), Some(sk)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        return Some(Credentials::new(
            ak,
            sk,
            env("AWS_SESSION_TOKEN"),
            None,
            "environment",
        ));
    }
    let path = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| env("HOME").map(|h| std::path::Path::new(&h).join(".aws/credentials")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let (mut ak, mut sk, mut tok, mut inside) = (None, None, None, false);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line.trim_matches(|c| c == '[' || c == ']').trim() == profile;
            continue;
        }
        if !inside {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = Some(v.trim().to_string());
            match k.trim() {
                "aws_access_key_id" => ak = v,
                "aws_secret_access_key" => sk = v,
                "aws_session_token" => tok = v,
                _ => {}
            }
        }
    }
    Some(Credentials::new(ak?, sk?, tok, None, "profile"))
}

/// How a request failed. The perf report counts failures by these names (the keys of its
/// `errors`, so the names are part of the JSON), and an AWS call's error names its cause
/// the same way; it lives here, in the lowest layer that sends requests, so both can use it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::Display, strum::EnumIter,
)]
#[strum(serialize_all = "kebab-case")]
pub enum ErrorKind {
    /// Refused, unreachable, or the name did not resolve.
    Connect,
    Tls,
    /// Closed or reset before the exchange ended.
    Reset,
    Timeout,
    /// A malformed response.
    BadResponse,
    /// Invoke mode: the function ran and failed (`X-Amz-Function-Error`).
    FunctionError,
    /// Still in flight when the run's deadline cut it off.
    Deadline,
    /// Still in flight when Ctrl-C or SIGTERM ended the run.
    Interrupted,
    /// Invoke mode: the request could not be signed.
    Signing,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What the operating system or rustls said, found among an error's causes: the rule
    /// both HTTP clients (reqwest, and perf's own hyper client) sort by first.
    pub fn in_causes(e: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
        let mut src = Some(e);
        while let Some(s) = src {
            if s.is::<rustls::Error>() {
                return Some(ErrorKind::Tls);
            }
            let Some(io) = s.downcast_ref::<std::io::Error>() else {
                src = s.source();
                continue;
            };
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkUnreachable
                | std::io::ErrorKind::AddrNotAvailable => return Some(ErrorKind::Connect),
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => return Some(ErrorKind::Reset),
                std::io::ErrorKind::TimedOut => return Some(ErrorKind::Timeout),
                _ => {}
            }
            // An io::Error's source() skips the error it wraps (rustls's, or another
            // io::Error, as hyper-rustls wraps tokio-rustls's): descend into that one instead.
            src = match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => s.source(),
            };
        }
        None
    }

    /// A reqwest error: its timeout flag, then the causes, then what its messages say (reqwest
    /// does not expose hyper's error kinds).
    pub fn of_reqwest(e: &reqwest::Error) -> ErrorKind {
        if e.is_timeout() {
            return ErrorKind::Timeout;
        }
        if let Some(k) = ErrorKind::in_causes(e) {
            return k;
        }
        let mut chain = String::new();
        let mut src: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = src {
            chain.push_str(&s.to_string().to_lowercase());
            chain.push(' ');
            src = s.source();
        }
        if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake") {
            ErrorKind::Tls
        } else if chain.contains("connection closed")
            || chain.contains("reset")
            || chain.contains("incomplete message")
        {
            ErrorKind::Reset
        } else if e.is_connect() {
            ErrorKind::Connect
        } else {
            ErrorKind::BadResponse
        }
    }
}

/// The headers SigV4 adds to a request (`authorization`, `x-amz-date`, and the session
/// token's): every AWS call the gate makes is signed here.
pub fn sign_headers(
    creds: &Credentials,
    region: &str,
    service: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<(String, String)>> {
    let identity = creds.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()?
        .into();
    let req = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )?;
    let (instructions, _) = sign(req, &params)?.into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// AWS answers errors as JSON with the code in `__type`, `Type`, `code` or the
/// `x-amzn-ErrorType` header, and the text in `message` or `Message`.
fn api_error(status: u16, header: Option<String>, body: &[u8]) -> ApiError {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let field = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(|x| x.as_str()))
            .map(str::to_string)
    };
    let code = header
        .or_else(|| field(&["__type", "Type", "code", "Code"]))
        .map(|c| {
            // "ResourceNotFoundException:http://…" and "com.amazon…#Code" both happen.
            let c = c.split(':').next().unwrap_or_default();
            c.rsplit('#').next().unwrap_or_default().to_string()
        })
        .unwrap_or_else(|| "error".into());
    let message = field(&["message", "Message", "errorMessage"]).unwrap_or_default();
    ApiError {
        status,
        code,
        message: message.chars().take(300).collect(),
    }
}

/// Whether `e` is the API saying "there is no such thing" (an optional setting not made).
pub fn is_not_found(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ApiError>()
        .is_some_and(|a| a.status == 404 || a.code.ends_with("NotFoundException"))
}

/// Percent-encodes a path segment the way SigV4 expects it to be sent: every byte but
/// RFC 3986's unreserved ones.
pub fn segment(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_in_every_shape_aws_uses() {
        let e = api_error(
            404,
            None,
            br#"{"Type":"User","Message":"Function not found: arn:x"}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("User", "Function not found: arn:x")
        );
        let e = api_error(
            400,
            Some("ResourceNotFoundException:http://internal.amazon.com/".into()),
            b"",
        );
        assert_eq!(e.code, "ResourceNotFoundException");
        let e = api_error(
            400,
            None,
            br#"{"__type":"com.amazonaws.logs#AccessDeniedException","message":"no"}"#,
        );
        assert_eq!(e.code, "AccessDeniedException");
        assert_eq!(e.to_string(), "HTTP 400 AccessDeniedException: no");
    }

    #[test]
    fn error_kinds_keep_the_names_the_report_counts_by() {
        use strum::IntoEnumIterator;
        let names: Vec<&str> = ErrorKind::iter().map(ErrorKind::as_str).collect();
        assert_eq!(ErrorKind::BadResponse.to_string(), "bad-response");
        assert_eq!(
            names,
            [
                "connect",
                "tls",
                "reset",
                "timeout",
                "bad-response",
                "function-error",
                "deadline",
                "interrupted",
                "signing"
            ]
        );
        // docs/report-json.md's list of the report's error kinds is held to the enum.
        let page = include_str!("../../docs/report-json.md");
        let row = page
            .lines()
            .find(|l| l.starts_with("| `perf` |"))
            .expect("the perf row of docs/report-json.md");
        for n in names {
            assert!(
                row.contains(&format!("`{n}`")),
                "docs/report-json.md misses error kind {n}"
            );
        }
    }

    #[test]
    fn no_debug_prints_the_secret_key_or_session_token() {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "S3CR3T-KEY",
            Some("S3CR3T-SESSION".into()),
            None,
            "test",
        );
        let aws = Aws::new(
            Some("eu-west-1"),
            Some("http://127.0.0.1:9"),
            Duration::from_secs(1),
        )
        .unwrap()
        .with_credentials(Some(creds.clone()));
        for shown in [format!("{aws:?}"), format!("{creds:?}")] {
            assert!(!shown.contains("S3CR3T"), "{shown}");
        }
        assert!(format!("{aws:?}").contains("AKIDEXAMPLE"));
    }

    #[test]
    fn causes_sort_by_what_the_system_said() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(ErrorKind::in_causes(&refused), Some(ErrorKind::Connect));
        let wrapped =
            std::io::Error::other(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        assert_eq!(ErrorKind::in_causes(&wrapped), Some(ErrorKind::Reset));
        let other = std::io::Error::other("something else");
        assert_eq!(ErrorKind::in_causes(&other), None);
    }
}
