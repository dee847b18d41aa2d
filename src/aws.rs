//! Calling an AWS API as a CI job would: credentials from the environment or a profile
//! (`perf::invoke::credentials`), requests signed with SigV4 (the aws-sigv4 crate), errors
//! turned into one line with the API's own error code and message.
//!
//! Not the AWS SDK: it would bring a second HTTP stack and minutes of build for the handful
//! of read-only calls the gate makes; aws-sigv4 is the SDK's own signer.

use std::time::{Duration, SystemTime};

use anyhow::{anyhow, Result};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

/// One region's APIs, or every API behind one endpoint (moto, LocalStack: `--endpoint` or
/// `AWS_ENDPOINT_URL`, which route by the service named in the signature).
pub struct Aws {
    http: reqwest::Client,
    pub region: String,
    endpoint: Option<String>,
    credentials: Option<Credentials>,
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
            credentials: crate::perf::invoke::credentials(),
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
                crate::perf::target::error_kind(&e)
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

/// Percent-encodes a path segment the way SigV4 expects it to be sent.
pub fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
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
}
