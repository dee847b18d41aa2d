//! What the load is sent to: a URL (a Function URL, API Gateway, a local server), or the Lambda
//! Invoke API. Each call returns one Sample with everything the request taught us.

use std::sync::Mutex;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName};

use crate::aws::ErrorKind;

use super::h1;
use super::invoke::Invoke;
use super::response_checks::Checks;
use super::stats::Sample;

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
    Invoke(Invoke, Checks),
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
    Invoke(Invoke, Checks),
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

    /// As `Checks::record_headers`, by these names.
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
            checks.record_headers(&mut s, |k| headers.get(k).and_then(|v| v.to_str().ok()));
            if let Err(e) = resp.bytes().await {
                s.success = false;
                s.error = Some(ErrorKind::of_reqwest(&e));
            }
            s
        }
        Err(e) => Sample {
            error: Some(ErrorKind::of_reqwest(&e)),
            ..Default::default()
        },
    }
}
