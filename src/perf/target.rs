//! What the load is sent to: a URL (a Function URL, API Gateway, a local server), or the Lambda
//! Invoke API. Each call returns one Sample with everything the request taught us.

use std::collections::BTreeSet;
use std::sync::Mutex;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName};

use super::h1;
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

    /// Cold start and required headers; `get` looks a response header up (borrowed values on
    /// the hot path, no allocation per request).
    fn apply_headers<V: AsRef<str>>(&self, s: &mut Sample, get: impl Fn(&str) -> Option<V>) {
        s.cold |=
            get(&self.cold_header).is_some_and(|v| v.as_ref().trim().eq_ignore_ascii_case("true"));
        for h in &self.required_headers {
            if get(h).is_none() {
                s.missing_headers.push(h.clone());
            }
        }
    }
}

pub struct Http {
    /// Used only when a proxy from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, minus
    /// NO_PROXY) applies to the URL; otherwise requests go over hyper connections (h1.rs).
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

/// A worker's connection, kept from one request to the next (URL mode; empty otherwise).
pub type Slot = Option<h1::Conn>;

/// A target made ready for load: the request built once, the client chosen.
pub struct Load {
    kind: Kind,
    /// The open model's idle connections: each request takes one (or opens one) and puts it
    /// back when it can carry another.
    idle: Mutex<Vec<h1::Conn>>,
}

enum Kind {
    /// One hyper HTTP/1.1 connection per worker (h1.rs): the fast path.
    H1(h1::Client, Checks, Names),
    /// Through reqwest, which knows proxies; used when one from the environment applies.
    Proxied(Http, Checks),
    Invoke(super::invoke::Invoke, Checks),
}

impl Target {
    pub fn prepare(self) -> anyhow::Result<Load> {
        let kind = match self {
            Target::Http(h, checks) => {
                let uri: hyper::Uri = h.url.as_str().parse()?;
                if hyper_util::client::proxy::matcher::Matcher::from_system()
                    .intercept(&uri)
                    .is_some()
                {
                    Kind::Proxied(h, checks)
                } else {
                    let body = h.body.map(Bytes::from).unwrap_or_default();
                    let client = h1::Client::new(h.method, h.url.as_str(), h.headers, body)?;
                    let names = Names::new(&checks);
                    Kind::H1(client, checks, names)
                }
            }
            Target::Invoke(i, checks) => Kind::Invoke(i, checks),
        };
        Ok(Load {
            kind,
            idle: Mutex::new(Vec::new()),
        })
    }
}

impl Load {
    /// One request over the worker's connection in `slot`.
    pub async fn call(&self, slot: &mut Slot) -> Sample {
        match &self.kind {
            Kind::H1(client, checks, names) => match client.send(slot).await {
                Ok(resp) => {
                    let status = resp.status.as_u16();
                    let mut s = Sample {
                        status: Some(status),
                        success: checks.success.contains(&status),
                        ..Default::default()
                    };
                    names.apply(checks, &mut s, &resp.headers);
                    s
                }
                Err(kind) => Sample {
                    error: Some(kind),
                    ..Default::default()
                },
            },
            // Boxed: their futures are large, and would make the H1 path's future as large.
            Kind::Proxied(h, checks) => Box::pin(proxied(h, checks)).await,
            Kind::Invoke(i, checks) => Box::pin(i.call(checks)).await,
        }
    }

    /// One request over an idle connection from the shared pool, or a new one (open model,
    /// where requests are not tied to workers).
    pub async fn call_pooled(&self) -> Sample {
        let mut slot = self.idle.lock().expect("pool lock").pop();
        let s = self.call(&mut slot).await;
        if let Some(c) = slot {
            self.idle.lock().expect("pool lock").push(c);
        }
        s
    }
}

/// The checked headers' names, parsed once rather than on every lookup. A name that is not a
/// valid header name is never found, as with a lookup by that string.
struct Names {
    cold: Option<HeaderName>,
    required: Vec<Option<HeaderName>>,
}

impl Names {
    fn new(checks: &Checks) -> Names {
        let parse = |n: &str| HeaderName::from_bytes(n.as_bytes()).ok();
        Names {
            cold: parse(&checks.cold_header),
            required: checks.required_headers.iter().map(|h| parse(h)).collect(),
        }
    }

    /// As `Checks::apply_headers`, by these names.
    fn apply(&self, checks: &Checks, s: &mut Sample, headers: &HeaderMap) {
        let get = |n: &Option<HeaderName>| {
            n.as_ref()
                .and_then(|n| headers.get(n))
                .and_then(|v| v.to_str().ok())
        };
        s.cold |= get(&self.cold).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        for (h, n) in checks.required_headers.iter().zip(&self.required) {
            if get(n).is_none() {
                s.missing_headers.push(h.clone());
            }
        }
    }
}

async fn proxied(h: &Http, checks: &Checks) -> Sample {
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
            checks.apply_headers(&mut s, |k| headers.get(k).and_then(|v| v.to_str().ok()));
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
