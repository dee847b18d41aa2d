//! What the load is sent to: a URL (a Function URL, API Gateway, a local server), or the Lambda
//! Invoke API. Each call returns one Sample with everything the request taught us.

use std::collections::BTreeSet;

use reqwest::header::HeaderMap;

use super::stats::Sample;

#[derive(Debug, Clone)]
pub struct Checks {
    /// Status codes that count as success (default 2xx). oha counts 5xx as success: we do not.
    pub success: BTreeSet<u16>,
    /// The header the function sets on a cold start (value "true").
    pub cold_header: String,
    pub required_headers: Vec<String>,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            success: (200..300).collect(),
            cold_header: "x-cold-start".into(),
            required_headers: Vec::new(),
        }
    }
}

impl Checks {
    /// Parses `200-299,304` style lists.
    pub fn parse_statuses(text: &str) -> anyhow::Result<BTreeSet<u16>> {
        let mut out = BTreeSet::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                anyhow::anyhow!(
                    "success statuses {text:?}: {part:?} is not a status or a range like 200-299"
                )
            };
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b): (u16, u16) = (
                        a.trim().parse().map_err(|_| bad())?,
                        b.trim().parse().map_err(|_| bad())?,
                    );
                    if a > b || b > 599 {
                        return Err(bad());
                    }
                    out.extend(a..=b);
                }
                None => {
                    out.insert(part.parse().map_err(|_| bad())?);
                }
            }
        }
        Ok(out)
    }

    fn apply_headers(&self, s: &mut Sample, get: impl Fn(&str) -> Option<String>) {
        s.cold |= get(&self.cold_header).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        for h in &self.required_headers {
            if get(h).is_none() {
                s.missing_headers.push(h.clone());
            }
        }
    }
}

pub struct Http {
    pub client: reqwest::Client,
    pub method: reqwest::Method,
    pub url: reqwest::Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
}

pub enum Target {
    Http(Http, Checks),
    Invoke(super::invoke::Invoke, Checks),
}

impl Target {
    pub async fn call(&self) -> Sample {
        match self {
            Target::Http(h, checks) => {
                let mut req = h
                    .client
                    .request(h.method.clone(), h.url.clone())
                    .headers(h.headers.clone());
                if let Some(b) = &h.body {
                    req = req.body(b.clone());
                }
                match req.send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let mut s = Sample {
                            status: Some(status),
                            success: checks.success.contains(&status),
                            ..Default::default()
                        };
                        let headers = resp.headers();
                        checks.apply_headers(&mut s, |k| {
                            headers
                                .get(k)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string)
                        });
                        if let Err(e) = resp.bytes().await {
                            s.success = false;
                            s.error = Some(error_kind(&e));
                        }
                        s
                    }
                    Err(e) => Sample {
                        error: Some(error_kind(&e)),
                        ..Default::default()
                    },
                }
            }
            Target::Invoke(i, checks) => i.call(checks).await,
        }
    }
}

impl Checks {
    pub fn record_headers(&self, s: &mut Sample, get: impl Fn(&str) -> Option<String>) {
        self.apply_headers(s, get)
    }
}

/// Sorts a client error into the kinds the report counts.
pub fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        return "timeout";
    }
    let mut chain = String::new();
    let mut src: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = src {
        chain.push_str(&s.to_string().to_lowercase());
        chain.push(' ');
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connect",
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe => return "reset",
                std::io::ErrorKind::TimedOut => return "timeout",
                _ => {}
            }
        }
        src = s.source();
    }
    if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake") {
        "tls"
    } else if chain.contains("connection closed")
        || chain.contains("reset")
        || chain.contains("incomplete message")
    {
        "reset"
    } else if e.is_connect() {
        "connect"
    } else {
        "bad-response"
    }
}
