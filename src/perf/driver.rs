//! The bounded load: a closed model (N requests over C connections) or an open model (R
//! requests per second for D, latency measured from each request's scheduled start so a slow
//! server cannot hide behind a slow client). Always bounded: a request count or a duration,
//! a per-request timeout, an overall deadline, and Ctrl-C — each stops new requests and keeps
//! what was measured. Every request sent is recorded exactly once.

use std::future::{poll_fn, Future};
use std::io::IsTerminal;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::stats::{Sample, Stats};
use super::target::{Load, Slot, Target};

#[derive(Debug, Clone)]
pub struct Plan {
    pub requests: Option<u64>,
    pub duration: Option<Duration>,
    pub concurrency: usize,
    /// Open model when set: requests per second.
    pub rate: Option<f64>,
    pub timeout: Duration,
    pub deadline: Duration,
}

#[derive(Debug)]
pub struct Run {
    pub stats: Stats,
    pub elapsed: Duration,
    pub model: &'static str,
    /// Open model: how late the client fell behind its schedule at worst.
    pub max_lag_ms: f64,
    pub interrupted: bool,
    pub deadline_hit: bool,
}

/// Runs the load on one thread (a current-thread tokio runtime; DNS lookups go to its blocking
/// pool).
///
/// Why one: against a deployed function the client waits on the network, not on its CPU —
/// one core drives thousands of requests per second over TLS (20 connections at 10 ms each is
/// 2,000/s), and the way past one machine is `--shard` across runners. Against a server on the
/// same machine (a local emulator, a benchmark), more client threads only take cores from the
/// server being measured; wrk is run with one thread for the same reason. A single thread also
/// means no work stealing and no cross-thread wake-ups on the hot path.
pub fn run(target: Target, plan: Plan) -> Result<Run> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let load = target.prepare()?;
    rt.block_on(drive(Arc::new(load), plan))
}

async fn drive(target: Arc<Load>, plan: Plan) -> Result<Run> {
    let stop = Arc::new(AtomicBool::new(false));
    let interrupted = Arc::new(AtomicBool::new(false));
    let deadline_hit = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();

    // Ctrl-C and the deadline stop new requests; requests in flight end within the timeout.
    {
        let (s, int) = (stop.clone(), interrupted.clone());
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                int.store(true, Ordering::SeqCst);
                s.store(true, Ordering::SeqCst);
            }
        });
        let (s, hit, deadline) = (stop.clone(), deadline_hit.clone(), plan.deadline);
        tokio::spawn(async move {
            tokio::time::sleep(deadline).await;
            hit.store(true, Ordering::SeqCst);
            s.store(true, Ordering::SeqCst);
        });
        let (s, d, e) = (stop.clone(), done.clone(), errors.clone());
        tokio::spawn(async move { progress(start, s, d, e).await });
    }

    let ends = |issued: u64| -> bool {
        plan.requests.is_some_and(|n| issued >= n)
            || plan.duration.is_some_and(|d| start.elapsed() >= d)
    };
    let mut stats = Stats::default();
    let mut max_lag_ms = 0.0f64;
    let model;
    if let Some(rate) = plan.rate {
        model = "open";
        let mut set = tokio::task::JoinSet::new();
        let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
        let mut i: u64 = 0;
        while !stop.load(Ordering::Relaxed) && !ends(i) {
            let scheduled = start + interval.mul_f64(i as f64);
            if let Some(d) = plan.duration {
                if scheduled.duration_since(start) >= d {
                    break;
                }
            }
            tokio::time::sleep_until(scheduled.into()).await;
            max_lag_ms = max_lag_ms.max(
                Instant::now()
                    .saturating_duration_since(scheduled)
                    .as_secs_f64()
                    * 1000.0,
            );
            let (t, timeout, done, errors) =
                (target.clone(), plan.timeout, done.clone(), errors.clone());
            set.spawn(async move {
                let until = tokio::time::Instant::now() + timeout;
                let mut timer = Timer::new(timeout);
                let s = one(pin!(t.call_pooled()), &mut timer, scheduled, until).await;
                done.fetch_add(1, Ordering::Relaxed);
                if !s.success {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                s
            });
            i += 1;
            while let Some(Ok(s)) = set.try_join_next() {
                stats.record(&s);
            }
        }
        while let Some(r) = set.join_next().await {
            if let Ok(s) = r {
                stats.record(&s);
            }
        }
    } else {
        model = "closed";
        let issued = Arc::new(AtomicU64::new(0));
        let mut workers = Vec::new();
        for _ in 0..plan.concurrency.max(1) {
            let (t, stop, issued, done, errors, plan) = (
                target.clone(),
                stop.clone(),
                issued.clone(),
                done.clone(),
                errors.clone(),
                plan.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut local = Stats::default();
                // This worker's connection: one request in flight at a time, so one connection.
                let mut slot: Slot = None;
                let mut timer = Timer::new(plan.timeout);
                loop {
                    if stop.load(Ordering::Relaxed)
                        || plan.duration.is_some_and(|d| start.elapsed() >= d)
                    {
                        break;
                    }
                    let n = issued.fetch_add(1, Ordering::Relaxed);
                    if plan.requests.is_some_and(|max| n >= max) {
                        break;
                    }
                    // Let the other workers read their responses before this one writes its
                    // next request: the writes then go out together, and the server finds
                    // several requests per wake-up (as wrk's event loop does), which costs it
                    // and us fewer wake-ups and context switches per request.
                    tokio::task::yield_now().await;
                    let from = Instant::now();
                    let until = tokio::time::Instant::from_std(from) + plan.timeout;
                    // Pinned where it is built: a request's future is ~1 KB, not moved again.
                    let s = one(pin!(t.call(&mut slot)), &mut timer, from, until).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    if !s.success {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    local.record(&s);
                }
                local
            }));
        }
        for w in workers {
            if let Ok(local) = w.await {
                stats.merge(&local)?;
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    Ok(Run {
        stats,
        elapsed: start.elapsed(),
        model,
        max_lag_ms,
        interrupted: interrupted.load(Ordering::SeqCst),
        deadline_hit: deadline_hit.load(Ordering::SeqCst),
    })
}

/// One request, timed from `from` (its scheduled start in the open model), cut off at `until`.
/// The timer is the request's only one (connect, TLS, response and body included); when it
/// fires the request is dropped, and with it its connection, so no late response is read as
/// the next one's.
async fn one(
    mut call: Pin<&mut impl Future<Output = Sample>>,
    timer: &mut Timer,
    from: Instant,
    until: tokio::time::Instant,
) -> Sample {
    timer.arm(until);
    let done = poll_fn(|cx| {
        if let Poll::Ready(s) = call.as_mut().poll(cx) {
            return Poll::Ready(Some(s));
        }
        while timer.sleep.as_mut().poll(cx).is_ready() {
            if tokio::time::Instant::now() >= until {
                return Poll::Ready(None);
            }
            timer.sleep.as_mut().reset(until);
        }
        Poll::Pending
    })
    .await;
    let mut s = done.unwrap_or_else(|| Sample {
        error: Some("timeout"),
        ..Default::default()
    });
    s.latency_us = from.elapsed().as_micros() as u64;
    s
}

/// A worker's request timeout: one tokio timer for all its requests, moved only when a request
/// could outlive it — then to that request's deadline plus a little slack, which covers the
/// requests that start in the next few milliseconds. Most requests thus leave the timer wheel
/// alone (a timer per request cost an insertion and a removal, each under the driver's lock).
/// A request that hangs is cut off at most `slack` after its deadline.
struct Timer {
    sleep: Pin<Box<tokio::time::Sleep>>,
    slack: Duration,
}

impl Timer {
    fn new(timeout: Duration) -> Timer {
        Timer {
            // Armed by the first request.
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            slack: (timeout / 100).min(Duration::from_millis(10)),
        }
    }

    fn arm(&mut self, until: tokio::time::Instant) {
        if self.sleep.deadline() < until {
            self.sleep.as_mut().reset(until + self.slack);
        }
    }
}

/// A line every few seconds in CI logs; an updating line on a terminal.
async fn progress(
    start: Instant,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
) {
    let tty = std::io::stderr().is_terminal();
    let every = if tty {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(5)
    };
    let mut last = (Instant::now(), 0u64);
    loop {
        tokio::time::sleep(every).await;
        if stop.load(Ordering::Relaxed) {
            if tty {
                eprint!("\r\x1b[2K");
            }
            return;
        }
        let n = done.load(Ordering::Relaxed);
        let rps = (n - last.1) as f64 / last.0.elapsed().as_secs_f64();
        last = (Instant::now(), n);
        let line = format!(
            "perf: {n} requests, {rps:.0} req/s, {} errors, {:.0} s",
            errors.load(Ordering::Relaxed),
            start.elapsed().as_secs_f64()
        );
        if tty {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }
}
