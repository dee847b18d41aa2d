//! URL mode's HTTP client: one keep-alive HTTP/1.1 connection per worker, driven with hyper's
//! low-level client (`hyper::client::conn::http1`).
//!
//! Why not reqwest here (Invoke mode still uses it): a load generator must spend far less CPU
//! per request than the server it measures, or it measures itself. Through reqwest a request
//! cost ~42 µs of client CPU against wrk's ~10 µs — a shared pool behind a mutex, the method,
//! URL and headers cloned and converted per request, its own timer beside the driver's, a
//! spawned task per connection. A load worker needs none of that: it has exactly one request
//! in flight, so it owns exactly one connection, and the request is the same every time.
//! So here:
//!
//! - the request head (method, origin-form URI, `Host`, headers) and body (`Bytes`) are built
//!   once and cloned per request (reference counts and one small header map);
//! - the connection's future is polled in the worker's own task, beside the request, instead
//!   of on a task of its own: no cross-task wake-ups per request;
//! - the body is read to its end and dropped, not buffered;
//! - the only timer is the driver's (one per worker, see driver.rs), none here.
//!
//! Measured with callgrind against a local nginx: ~21,000 user-space instructions per request,
//! most of them in hyper's parsing and dispatch (oha, also on hyper: ~22,000; wrk: ~5,000).
//!
//! Connecting uses crates, not hand-written code: hyper-util's `HttpConnector` (DNS, Happy
//! Eyeballs, TCP_NODELAY) wrapped in hyper-rustls (rustls with ring; the webpki roots, as
//! reqwest's `rustls-tls` has, and the system's), one TLS config shared by every connection so
//! reconnects resume their TLS session. A proxy from the environment is not spoken here: when
//! one applies to the URL, target.rs sends through reqwest instead. HTTP/2 is not offered (no ALPN): each connection carries one request at a
//! time, which is what the closed model's "C connections" means.
//!
//! Errors are sorted into the report's kinds: connect (refused, unreachable, DNS), tls, reset
//! (closed or reset mid-exchange), timeout, bad-response (a malformed response).

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use anyhow::{anyhow, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper::header::{HeaderMap, HeaderValue, ACCEPT, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::aws::ErrorKind;

type Io = MaybeHttpsStream<TokioIo<TcpStream>>;
type Body = Full<Bytes>;

/// What a worker needs to send the same request again and again.
pub struct Client {
    connector: HttpsConnector<HttpConnector>,
    /// Where to connect: scheme and authority.
    dst: Uri,
    method: Method,
    /// Origin-form request target: path and query.
    target: Uri,
    /// The caller's headers plus `Host` (hyper's low-level client adds none).
    headers: HeaderMap,
    body: Bytes,
}

/// A worker's connection: the handle requests go through, and the connection's own future,
/// which the worker polls while it waits for a response.
pub struct Conn {
    sender: SendRequest<Body>,
    /// None once its future has ended (closed by either side, or failed). It is dropped then:
    /// that drops hyper's queue too, which fails a request still queued on it (given back
    /// unsent) instead of leaving it waiting for a connection that will not write it.
    conn: Option<Pin<Box<Connection<Io, Body>>>>,
}

/// A response, read to its end.
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
}

enum Fail {
    /// hyper gave the request back unsent: the connection closed before it was written.
    NotSent(Box<Request<Body>>),
    Kind(ErrorKind),
}

impl Client {
    pub fn new(method: Method, url: &str, mut headers: HeaderMap, body: Bytes) -> Result<Client> {
        let uri: Uri = url.parse().map_err(|e| anyhow!("--url {url:?}: {e}"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(anyhow!(
                "--url {url:?}: expected an absolute http or https URL"
            ));
        };
        let dst = Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query("/")
            .build()?;
        let target = Uri::builder()
            .path_and_query(uri.path_and_query().map_or("/", |p| p.as_str()))
            .build()?;
        if !headers.contains_key(HOST) {
            // As reqwest sends it: no userinfo, the port only when it is not the scheme's own.
            let host = match (authority.port_u16(), scheme.as_str()) {
                (Some(80), "http") | (Some(443), "https") | (None, _) => {
                    authority.host().to_string()
                }
                (Some(p), _) => format!("{}:{p}", authority.host()),
            };
            headers.insert(HOST, HeaderValue::from_str(&host)?);
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Client {
            connector,
            dst,
            method,
            target,
            headers,
            body,
        })
    }

    fn request(&self) -> Request<Body> {
        let mut req = Request::new(Full::new(self.body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.target.clone();
        *req.headers_mut() = self.headers.clone();
        req
    }

    /// Opens a connection. Boxed by its callers: it is rare, and inline its state would make
    /// every request's future kilobytes larger (moved, and copied, once per request).
    async fn connect(&self) -> Result<Conn, ErrorKind> {
        let mut connector = self.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|e| connect_kind(&*e))?;
        let io = connector
            .call(self.dst.clone())
            .await
            .map_err(|e| connect_kind(&*e))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| kind(&e))?;
        Ok(Conn {
            sender,
            conn: Some(Box::pin(conn)),
        })
    }

    /// Sends the request once over the connection in `slot` (opening one when there is none,
    /// or when the server has closed it since), reads the response to its end, and leaves the
    /// connection in `slot` when it can carry the next request. On any error the connection is
    /// dropped, so a request cut off by the driver's timeout never leaves a half-read response
    /// behind for the next one.
    pub async fn send(&self, slot: &mut Option<Conn>) -> Result<Response, ErrorKind> {
        let reusable = match slot.take() {
            Some(mut c) => c.ready().await.then_some(c),
            None => None,
        };
        let (mut conn, mut reused) = match reusable {
            Some(c) => (c, true),
            None => (Box::pin(self.connect()).await?, false),
        };
        let mut req = self.request();
        loop {
            match conn.exchange(req).await {
                Ok(resp) => {
                    if !conn.closed() {
                        *slot = Some(conn);
                    }
                    return Ok(resp);
                }
                // A kept-alive connection the server closed just as we reused it: the request
                // was not written, so it goes once over a new connection (as hyper-util's pool
                // retries such requests); it is still one request.
                Err(Fail::NotSent(r)) if reused => {
                    req = *r;
                    conn = Box::pin(self.connect()).await?;
                    reused = false;
                }
                Err(Fail::NotSent(_)) => return Err(ErrorKind::Reset),
                Err(Fail::Kind(k)) => return Err(k),
            }
        }
    }
}

impl Conn {
    /// Polls the connection's future, unless it has ended.
    fn drive(&mut self, cx: &mut Context<'_>) {
        if let Some(c) = &mut self.conn {
            if c.as_mut().poll(cx).is_ready() {
                self.conn = None;
            }
        }
    }

    fn closed(&self) -> bool {
        self.conn.is_none()
    }

    /// Whether this kept-alive connection can take the next request: it has finished the last
    /// exchange and the server has not closed it meanwhile (idle timeout, request limit).
    async fn ready(&mut self) -> bool {
        poll_fn(|cx| {
            if let Poll::Ready(r) = self.sender.poll_ready(cx) {
                return Poll::Ready(r.is_ok());
            }
            self.drive(cx);
            if self.closed() {
                return Poll::Ready(false);
            }
            match self.sender.poll_ready(cx) {
                Poll::Ready(r) => Poll::Ready(r.is_ok()),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// One request and its whole response, with the connection driven in this task.
    async fn exchange(&mut self, req: Request<Body>) -> Result<Response, Fail> {
        let sent = self.sender.try_send_request(req);
        let mut exchange = pin!(async move {
            let resp = sent.await.map_err(|mut e| match e.take_message() {
                Some(req) => Fail::NotSent(Box::new(req)),
                None => Fail::Kind(kind(e.error())),
            })?;
            let (parts, mut body) = resp.into_parts();
            while let Some(frame) = body.frame().await {
                frame.map_err(|e| Fail::Kind(kind(&e)))?;
            }
            Ok(Response {
                status: parts.status,
                headers: parts.headers,
            })
        });
        poll_fn(|cx| {
            if let Poll::Ready(r) = exchange.as_mut().poll(cx) {
                return Poll::Ready(r);
            }
            // The connection writes the request, reads the response and hands it over; the
            // exchange then usually completes in this same poll.
            self.drive(cx);
            exchange.as_mut().poll(cx)
        })
        .await
    }
}

/// rustls with ring, trusting the webpki (Mozilla) roots, as reqwest's `rustls-tls` does, and
/// also the system's roots when they can be read, so that a CA the runner trusts (a corporate
/// TLS-inspecting proxy, a private CA in front of a test endpoint) is trusted here too.
fn tls_config() -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Unreadable or malformed system certificates are skipped, as reqwest skips them.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(
            rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// The kind of an error from hyper while a request was in flight.
fn kind(e: &hyper::Error) -> ErrorKind {
    if let Some(k) = ErrorKind::in_causes(e) {
        return k;
    }
    if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_parse() || e.is_parse_status() || e.is_user() {
        ErrorKind::BadResponse
    } else {
        // Closed before the response ended (`is_incomplete_message`, `is_closed`,
        // `is_canceled`), a body cut short ("connection error"), or anything else that ended
        // the exchange early without a malformed message.
        ErrorKind::Reset
    }
}

/// The kind of an error while connecting: TCP (connect), then TLS.
fn connect_kind(e: &(dyn std::error::Error + 'static)) -> ErrorKind {
    ErrorKind::in_causes(e).unwrap_or(ErrorKind::Connect)
}
