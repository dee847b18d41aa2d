//! The bounded load: a closed model (N requests over C connections) or an open model (R
//! requests per second for D, latency measured from each request's scheduled start so a slow
//! server cannot hide behind a slow client). Always bounded: a request count or a duration,
//! a per-request timeout, an overall deadline, and Ctrl-C — each stops new requests and keeps
//! what was measured. Every request sent is recorded exactly once.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::stats::{Sample, Stats};
use super::target::Target;

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

pub fn run(target: Target, plan: Plan) -> Result<Run> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(drive(Arc::new(target), plan))
}

async fn drive(target: Arc<Target>, plan: Plan) -> Result<Run> {
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
                let s = one(&t, timeout, scheduled).await;
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
                    let s = one(&t, plan.timeout, Instant::now()).await;
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

/// One request, timed from `from` (its scheduled start in the open model).
async fn one(target: &Target, timeout: Duration, from: Instant) -> Sample {
    let mut s = match tokio::time::timeout(timeout, target.call()).await {
        Ok(s) => s,
        Err(_) => Sample {
            error: Some("timeout"),
            ..Default::default()
        },
    };
    s.latency_us = from.elapsed().as_micros() as u64;
    s
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
