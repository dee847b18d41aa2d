//! The bounded load: a closed model (N requests over C connections) or an open model (R
//! requests per second for D, latency measured from each request's scheduled start so a slow
//! server cannot hide behind a slow client). Always bounded: a request count or a duration,
//! a per-request timeout, a hard deadline on the whole run, a bound on the requests in flight
//! (open model), and Ctrl-C / SIGTERM. The deadline and a signal stop new requests *and* cut
//! off the ones in flight (counted as `deadline` / `interrupted`), so a run never outlives its
//! deadline by more than the timer's slack, whatever the server does. Every request sent is
//! recorded exactly once; a scheduled request that could not be sent because the bound on
//! requests in flight was reached is counted as dropped (k6's `dropped_iterations`).

use std::future::{poll_fn, Future};
use std::io::IsTerminal;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use tokio::sync::Notify;

use crate::aws::ErrorKind;
use crate::model::perf::LoadModel;

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
    /// Hard limit on the load, from its start: requests still in flight then are cut off.
    pub deadline: Duration,
    /// Open model: at most this many requests in flight; a request due while the bound is
    /// reached is dropped (not sent) and counted.
    pub max_in_flight: usize,
    /// Wait until this wall-clock time before the first request (distributed runs: every
    /// shard starts together). A start already past runs at once, and the lateness is kept.
    pub start_at: Option<SystemTime>,
}

/// The open model's default bound on requests in flight: Lambda's default concurrency quota
/// per account and region, past which a Function URL answers 429 anyway.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1000;

#[derive(Debug)]
pub struct Run {
    pub stats: Stats,
    pub elapsed: Duration,
    pub model: LoadModel,
    /// Open model: how late the client fell behind its schedule at worst.
    pub max_lag_ms: f64,
    pub interrupted: bool,
    /// Which signal: "SIGINT" (Ctrl-C) or "SIGTERM" (a cancelled CI job).
    pub signal: Option<&'static str>,
    pub deadline_hit: bool,
    /// Open model: requests due while `max_in_flight` were in flight, not sent.
    pub dropped: u64,
    /// Open model: the most requests in flight at once.
    pub peak_in_flight: u64,
    /// With `start_at`: how late the load started (ms; ≈ 0 when this runner was on time).
    pub start_skew_ms: Option<f64>,
    /// A/B runs: what the second target (the reference) measured; `stats` is the first's.
    pub reference: Option<Stats>,
}

/// Which target the n-th request goes to, of `sides` (1 or 2). With two, requests are taken
/// in pairs and each pair is sent A then B or B then A by a coin seeded with `seed` and the
/// pair's number: the order is random (neither side always goes first, nor in any pattern the
/// server or the network could follow), the same for the same seed, and the two sides never
/// differ by more than one request, whatever the run's length.
pub fn side_of(seed: u64, n: u64, sides: usize) -> usize {
    if sides < 2 {
        return 0;
    }
    let flip = fastrand::Rng::with_seed(seed ^ (n / 2).wrapping_mul(0x9E37_79B9_7F4A_7C15)).bool();
    (usize::from(flip) + (n % 2) as usize) % 2
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
///
/// With two targets (an A/B run), both get the same workers, connections count, pacing and
/// payload: each request goes to one or the other in the seeded order of `side_of`, so both
/// see the same network, the same minutes and the same server load.
pub fn run(targets: Vec<Target>, plan: Plan, seed: u64) -> Result<Run> {
    let rt = crate::runtime::current_thread()?;
    let loads = targets
        .into_iter()
        .map(|t| t.prepare().map(Arc::new))
        .collect::<Result<Vec<_>>>()?;
    let run = rt.block_on(drive(loads, plan, seed));
    // A DNS lookup still running on the blocking pool must not hold the exit (Ctrl-C).
    rt.shutdown_timeout(Duration::from_millis(100));
    run
}

/// Ctrl-C or SIGTERM (what a CI runner sends to cancel a job): fired once, seen by every
/// request in flight. Each request waits on it beside its own response and timer.
#[derive(Default)]
struct Abort {
    fired: AtomicBool,
    notify: Notify,
}

impl Abort {
    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            let mut notified = pin!(notified);
            notified.as_mut().enable();
            if self.fired.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// Resolves on the first Ctrl-C or SIGTERM, with its name.
async fn signalled() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                r = tokio::signal::ctrl_c() => {
                    if r.is_err() {
                        term.recv().await;
                        return "SIGTERM";
                    }
                    return "SIGINT";
                }
                _ = term.recv() => return "SIGTERM",
            }
        }
    }
    match tokio::signal::ctrl_c().await {
        Ok(()) => "SIGINT",
        Err(_) => std::future::pending().await,
    }
}

async fn drive(targets: Vec<Arc<Load>>, plan: Plan, seed: u64) -> Result<Run> {
    let sides = targets.len().clamp(1, 2);
    let stop = Arc::new(AtomicBool::new(false));
    let interrupted = Arc::new(AtomicBool::new(false));
    let signal = Arc::new(std::sync::OnceLock::new());
    let deadline_hit = Arc::new(AtomicBool::new(false));
    let abort = Arc::new(Abort::default());
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));

    // A signal stops new requests and cuts off the ones in flight (as `interrupted`).
    {
        let (s, int, abort, sig) = (
            stop.clone(),
            interrupted.clone(),
            abort.clone(),
            signal.clone(),
        );
        tokio::spawn(async move {
            let _ = sig.set(signalled().await);
            int.store(true, Ordering::SeqCst);
            s.store(true, Ordering::SeqCst);
            abort.fire();
        });
    }

    // Distributed runs: wait for the agreed start (a signal ends the wait).
    let mut start_skew_ms = None;
    if let Some(at) = plan.start_at {
        // Again until the wall clock agrees: the timer runs on the monotonic clock, which NTP
        // may slew against the wall clock the shards agreed on.
        while let Ok(wait) = at.duration_since(SystemTime::now()) {
            if wait.is_zero() || abort.fired.load(Ordering::SeqCst) {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = abort.wait() => break,
            }
        }
        start_skew_ms = Some(match SystemTime::now().duration_since(at) {
            Ok(late) => late.as_secs_f64() * 1000.0,
            Err(early) => -early.duration().as_secs_f64() * 1000.0,
        });
    }
    let start = Instant::now();
    // The hard end: every request's own cut-off is its timeout or this, whichever is first.
    let deadline_at = tokio::time::Instant::from_std(start + plan.deadline);

    {
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
    // A reservoir seed per side and per worker, all from the run's seed.
    let seeded = move |worker: u64, side: usize| {
        Stats::seeded(seed ^ worker.wrapping_mul(0xA076_1D64_78BD_642F) ^ (side as u64 + 1))
    };
    let mut stats: Vec<Stats> = (0..sides).map(|side| seeded(u64::MAX, side)).collect();
    let mut max_lag_ms = 0.0f64;
    let mut dropped = 0u64;
    let mut peak_in_flight = 0u64;
    let model;
    if let Some(rate) = plan.rate {
        model = LoadModel::Open;
        let mut set: tokio::task::JoinSet<(usize, Sample)> = tokio::task::JoinSet::new();
        let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
        let max_in_flight = plan.max_in_flight.max(1);
        let mut i: u64 = 0;
        while !stop.load(Ordering::Relaxed) && !ends(i) {
            let scheduled = start + interval.mul_f64(i as f64);
            if let Some(d) = plan.duration {
                if scheduled.duration_since(start) >= d {
                    break;
                }
            }
            if tokio::time::Instant::from_std(scheduled) >= deadline_at {
                deadline_hit.store(true, Ordering::SeqCst);
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(scheduled.into()) => {}
                _ = abort.wait() => break,
            }
            // A loop running behind its schedule must not send past the deadline.
            if tokio::time::Instant::now() >= deadline_at {
                deadline_hit.store(true, Ordering::SeqCst);
                break;
            }
            max_lag_ms = max_lag_ms.max(
                Instant::now()
                    .saturating_duration_since(scheduled)
                    .as_secs_f64()
                    * 1000.0,
            );
            let side = side_of(seed, i, sides);
            i += 1;
            while let Some(Ok((side, s))) = set.try_join_next() {
                stats[side].record(&s);
            }
            if set.len() >= max_in_flight {
                dropped += 1;
                continue;
            }
            let (t, timeout, done, errors, abort) = (
                targets[side].clone(),
                plan.timeout,
                done.clone(),
                errors.clone(),
                abort.clone(),
            );
            set.spawn(async move {
                let until = (tokio::time::Instant::now() + timeout).min(deadline_at);
                let mut timer = Timer::new(timeout);
                let mut aborted = pin!(abort.wait());
                listen(aborted.as_mut()).await;
                let requests = Requests::new(&abort.fired, deadline_at, &done, &errors);
                let s = requests
                    .send(pin!(t.call_pooled()), &mut timer, scheduled, until)
                    .await;
                (side, s)
            });
            peak_in_flight = peak_in_flight.max(set.len() as u64);
        }
        while let Some(r) = set.join_next().await {
            if let Ok((side, s)) = r {
                stats[side].record(&s);
            }
        }
    } else {
        model = LoadModel::Closed;
        let issued = Arc::new(AtomicU64::new(0));
        let mut workers = Vec::new();
        for worker in 0..plan.concurrency.max(1) {
            let (targets, stop, issued, done, errors, plan, abort) = (
                targets.clone(),
                stop.clone(),
                issued.clone(),
                done.clone(),
                errors.clone(),
                plan.clone(),
                abort.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut local: Vec<Stats> =
                    (0..sides).map(|side| seeded(worker as u64, side)).collect();
                // This worker's connection (one per target): one request in flight at a time.
                let mut slots: Vec<Slot> = (0..sides).map(|_| None).collect();
                let mut timer = Timer::new(plan.timeout);
                // Registered once per worker (its task's waker does not change); each request
                // then reads a flag instead of polling it.
                let mut aborted = pin!(abort.wait());
                listen(aborted.as_mut()).await;
                let requests = Requests::new(&abort.fired, deadline_at, &done, &errors);
                loop {
                    if stop.load(Ordering::Relaxed)
                        || plan.duration.is_some_and(|d| start.elapsed() >= d)
                        || tokio::time::Instant::now() >= deadline_at
                    {
                        break;
                    }
                    let n = issued.fetch_add(1, Ordering::Relaxed);
                    if plan.requests.is_some_and(|max| n >= max) {
                        break;
                    }
                    let side = side_of(seed, n, sides);
                    // Let the other workers read their responses before this one writes its
                    // next request: the writes then go out together, and the server finds
                    // several requests per wake-up (as wrk's event loop does), which costs it
                    // and us fewer wake-ups and context switches per request.
                    tokio::task::yield_now().await;
                    let from = Instant::now();
                    let until =
                        (tokio::time::Instant::from_std(from) + plan.timeout).min(deadline_at);
                    // Pinned where it is built: a request's future is ~1 KB, not moved again.
                    let call = pin!(targets[side].call(&mut slots[side]));
                    let s = requests.send(call, &mut timer, from, until).await;
                    local[side].record(&s);
                }
                local
            }));
        }
        for w in workers {
            if let Ok(local) = w.await {
                for (all, mine) in stats.iter_mut().zip(&local) {
                    all.merge(mine)?;
                }
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    let mut stats = stats.into_iter();
    Ok(Run {
        stats: stats.next().unwrap_or_default(),
        reference: stats.next(),
        elapsed: start.elapsed(),
        model,
        max_lag_ms,
        interrupted: interrupted.load(Ordering::SeqCst),
        signal: signal.get().copied(),
        deadline_hit: deadline_hit.load(Ordering::SeqCst),
        dropped,
        peak_in_flight,
        start_skew_ms,
    })
}

/// Polls a wait for the signal once, so that this task is woken when it comes; afterwards the
/// task reads `Abort::fired`. (Polling the wait on every wake-up of every request took a lock
/// each time.)
async fn listen(wait: Pin<&mut impl Future<Output = ()>>) {
    let mut wait = Some(wait);
    poll_fn(|cx| {
        if let Some(w) = wait.take() {
            let _ = w.poll(cx);
        }
        Poll::Ready(())
    })
    .await
}

/// What every request of a run stops by (a signal, the run's deadline) and is counted in (the
/// progress line's figures), the same in both load models.
struct Requests<'a> {
    aborted: &'a AtomicBool,
    deadline_at: tokio::time::Instant,
    done: &'a AtomicU64,
    errors: &'a AtomicU64,
}

impl<'a> Requests<'a> {
    fn new(
        aborted: &'a AtomicBool,
        deadline_at: tokio::time::Instant,
        done: &'a AtomicU64,
        errors: &'a AtomicU64,
    ) -> Self {
        Requests {
            aborted,
            deadline_at,
            done,
            errors,
        }
    }

    /// One request (see [`one`]), counted when it ends.
    async fn send(
        &self,
        call: Pin<&mut impl Future<Output = Sample>>,
        timer: &mut Timer,
        from: Instant,
        until: tokio::time::Instant,
    ) -> Sample {
        let s = one(call, timer, self.aborted, from, until, self.deadline_at).await;
        self.done.fetch_add(1, Ordering::Relaxed);
        if !s.success {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        s
    }
}

/// One request, timed from `from` (its scheduled start in the open model), cut off at `until`
/// (its timeout, or the run's deadline when that comes first) or by a signal. The timer is the
/// request's only one (connect, TLS, response and body included); when it fires the request is
/// dropped, and with it its connection, so no late response is read as the next one's.
async fn one(
    mut call: Pin<&mut impl Future<Output = Sample>>,
    timer: &mut Timer,
    aborted: &AtomicBool,
    from: Instant,
    until: tokio::time::Instant,
    deadline_at: tokio::time::Instant,
) -> Sample {
    timer.arm(until);
    let done = poll_fn(|cx| {
        if let Poll::Ready(s) = call.as_mut().poll(cx) {
            return Poll::Ready(Ok(s));
        }
        while timer.sleep.as_mut().poll(cx).is_ready() {
            if tokio::time::Instant::now() >= until {
                return Poll::Ready(Err(if until >= deadline_at {
                    ErrorKind::Deadline
                } else {
                    ErrorKind::Timeout
                }));
            }
            timer.sleep.as_mut().reset(until);
        }
        if aborted.load(Ordering::Relaxed) {
            return Poll::Ready(Err(ErrorKind::Interrupted));
        }
        Poll::Pending
    })
    .await;
    let mut s = done.unwrap_or_else(|kind| Sample {
        error: Some(kind),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_a_b_order_is_balanced_random_and_repeatable() {
        let order = |seed: u64| -> Vec<usize> { (0..1000).map(|n| side_of(seed, n, 2)).collect() };
        let a = order(7);
        assert_eq!(a, order(7), "the same seed, the same order");
        assert_ne!(a, order(8));
        // Every pair holds one of each, so the sides never differ by more than one request.
        for pair in a.chunks(2) {
            assert_eq!(pair[0] + pair[1], 1, "{pair:?}");
        }
        // Which side goes first is a coin: neither always, and no alternation to follow.
        let a_first = a.chunks(2).filter(|p| p[0] == 0).count();
        assert!(
            (200..=300).contains(&a_first),
            "{a_first} of 500 pairs start with A"
        );
        assert!((0..1000).all(|n| side_of(7, n, 1) == 0));
    }
}
