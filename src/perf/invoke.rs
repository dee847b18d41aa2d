//! The Lambda Invoke API: `POST /2015-03-31/functions/{name}/invocations`, signed with SigV4
//! (the aws-sigv4 crate; credentials from the environment a CI job has, or a profile), with
//! `X-Amz-Log-Type: Tail` so every response carries the last 4 KB of log, base64, ending in
//! Lambda's REPORT line: the exact cold start (Init Duration), billed time and memory.
//! A function error is HTTP 200 with `X-Amz-Function-Error`.

use anyhow::{anyhow, Result};
use aws_credential_types::Credentials;
use base64::Engine;

use crate::aws::{credentials, ErrorKind};

use super::report_line;
use super::response_checks::Checks;
use super::stats::Sample;

pub struct Invoke {
    pub client: reqwest::Client,
    pub url: String,
    pub region: String,
    pub credentials: Option<Credentials>,
    pub payload: Vec<u8>,
}

impl Invoke {
    pub fn new(
        function: &str,
        region: Option<&str>,
        endpoint: Option<&str>,
        qualifier: Option<&str>,
        payload: Vec<u8>,
        client: reqwest::Client,
    ) -> Result<Invoke> {
        let region = region
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .ok_or_else(|| {
                anyhow!("--function needs a region: --region, AWS_REGION or AWS_DEFAULT_REGION")
            })?;
        let endpoint = endpoint
            .map(|e| e.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("https://lambda.{region}.amazonaws.com"));
        let name: String = function
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.:".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let q = qualifier
            .map(|q| format!("?Qualifier={q}"))
            .unwrap_or_default();
        Ok(Invoke {
            client,
            url: format!("{endpoint}/2015-03-31/functions/{name}/invocations{q}"),
            region,
            credentials: credentials()?,
            payload,
        })
    }

    fn signed_headers(&self) -> Result<Vec<(String, String)>> {
        let Some(creds) = &self.credentials else {
            return Ok(Vec::new());
        };
        let headers = [
            ("content-type", "application/json"),
            ("x-amz-log-type", "Tail"),
        ];
        crate::aws::sign_headers(
            creds,
            &self.region,
            "lambda",
            "POST",
            &self.url,
            &headers,
            &self.payload,
        )
    }

    pub async fn call(&self, checks: &Checks) -> Sample {
        let signed = match self.signed_headers() {
            Ok(h) => h,
            Err(_) => {
                return Sample {
                    error: Some(ErrorKind::Signing),
                    ..Default::default()
                }
            }
        };
        let mut req = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-amz-log-type", "Tail")
            .body(self.payload.clone());
        for (k, v) in signed {
            req = req.header(k, v);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Sample {
                    error: Some(ErrorKind::of_reqwest(&e)),
                    ..Default::default()
                }
            }
        };
        let status = resp.status().as_u16();
        let function_error = resp.headers().get("x-amz-function-error").is_some();
        let log = resp
            .headers()
            .get("x-amz-log-result")
            .and_then(|v| v.to_str().ok())
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Sample {
                    status: Some(status),
                    error: Some(ErrorKind::of_reqwest(&e)),
                    ..Default::default()
                }
            }
        };
        let mut s = Sample {
            status: Some(status),
            success: status == 200 && !function_error,
            ..Default::default()
        };
        if function_error {
            s.error = Some(ErrorKind::FunctionError);
        }
        if let Some(r) = log.as_deref().and_then(report_line::parse) {
            s.cold = r.init_ms.is_some() || r.restore_ms.is_some();
            s.init_ms = r.init_ms.or(r.restore_ms);
            s.billed_ms = Some(r.billed_ms + r.billed_restore_ms.unwrap_or(0.0));
            s.memory_size_mb = Some(r.memory_size_mb);
            s.max_memory_used_mb = Some(r.max_memory_used_mb);
        }
        // A proxy response (API Gateway shape): its statusCode and headers are the function's.
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
            if let Some(code) = v.get("statusCode").and_then(|c| c.as_u64()) {
                s.status = Some(code as u16);
                s.success &= checks.success.contains(&(code as u16));
            }
            let headers = v.get("headers").cloned().unwrap_or_default();
            let get = |k: &str| {
                headers
                    .as_object()
                    .and_then(|o| o.iter().find(|(hk, _)| hk.eq_ignore_ascii_case(k)))
                    .map(|(_, v)| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
            };
            if log.is_some() {
                // Lambda's REPORT line is the truth about cold starts; only headers are checked.
                let cold = s.cold;
                checks.record_headers(&mut s, get);
                s.cold = cold;
            } else {
                checks.record_headers(&mut s, get);
            }
        } else {
            checks.record_headers(&mut s, |_| None::<&str>);
        }
        s
    }
}
