//! One HTTP/1.1 fake for the tests: bound on 127.0.0.1 at a port the OS picks, one thread per
//! connection (keep-alive: requests are read until the client closes), every request recorded,
//! each answered by the test's handler. The handler sees the request and says what to send,
//! or to hold the connection open and never answer (a server that hangs).

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::{read_request, Request};

/// An answer: a status, headers, a body. `content-length` is added from the body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send only this many body bytes, then close (`content-length` stays the full length).
    pub cut_at: Option<usize>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            cut_at: None,
        }
    }

    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply::status(200).body(body)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// The body as JSON, with its content type.
    pub fn json(self, value: &serde_json::Value) -> Reply {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }
}

/// What the handler does with one request.
pub enum Answer {
    Send(Reply),
    /// Keep the connection open and never answer.
    Hang,
}

impl From<Reply> for Answer {
    fn from(r: Reply) -> Answer {
        Answer::Send(r)
    }
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

pub struct Fake {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    /// Connections the handler said to hang, held open for the fake's life.
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Fake {
    /// Serves `handler` for the test binary's life (the listener thread is never joined).
    pub fn start<A: Into<Answer>>(handler: impl Fn(&Request) -> A + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(move |r: &Request| handler(r).into());
        {
            let (requests, held) = (Arc::clone(&requests), Arc::clone(&held));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let (h, requests, held) = (
                        Arc::clone(&handler),
                        Arc::clone(&requests),
                        Arc::clone(&held),
                    );
                    std::thread::spawn(move || connection(stream, &*h, &requests, &held));
                }
            });
        }
        Fake {
            addr,
            requests,
            held,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in the order they were read.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn connection(
    stream: TcpStream,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    held: &Mutex<Vec<TcpStream>>,
) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    while let Some(req) = read_request(&mut reader) {
        let answer = handler(&req);
        requests.lock().unwrap().push(req);
        let reply = match answer {
            Answer::Send(r) => r,
            Answer::Hang => {
                held.lock().unwrap().push(stream);
                return;
            }
        };
        let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", reply.body.len()));
        let sent = &reply.body[..reply.cut_at.unwrap_or(usize::MAX).min(reply.body.len())];
        // One write: a head and a body in two small segments would wait on Nagle's algorithm
        // and the client's delayed ACK (40 ms a reply), which the perf tests would measure.
        let mut out = head.into_bytes();
        out.extend_from_slice(sent);
        if stream.write_all(&out).is_err() {
            return;
        }
        let _ = stream.flush();
        if sent.len() < reply.body.len() {
            return;
        }
        let close = reply
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"));
        if close {
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}
