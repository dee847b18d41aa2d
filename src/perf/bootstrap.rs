//! Confidence intervals for the change between two runs (A: this build, B: the reference),
//! by a seeded percentile bootstrap over the requests each side recorded.
//!
//! Method: each of `RESAMPLES` (1000) rounds draws n_A requests with replacement from A's
//! samples and n_B from B's (the reservoirs of samples.rs: every request up to 20k per side,
//! a uniform sample of 20k above), computes every statistic on both draws, and records the
//! relative change A/B − 1 and the difference A − B. The 95% interval is the 2.5th to the
//! 97.5th percentile of those 1000 changes. The random draws come from one wyrand generator
//! seeded with the run's `--seed` (printed in the report), so the same samples and seed give
//! the same interval. A percentile of a draw is taken as the HDR histogram takes it (the
//! smallest value whose cumulative count reaches ⌈q·n⌉), so the interval is about the same
//! figure the report prints. Each round is O(n): a draw is a count per request over the
//! samples sorted once by latency, and every statistic is one pass over those counts.
//!
//! How many more requests a result needs: an interval's width shrinks as 1/√n, so an
//! interval of half-width w centred c away from the budget by d = |c − budget| stops
//! straddling it at about n·(w/d)² requests.

use std::collections::BTreeMap;

use strum::{EnumIter, IntoEnumIterator, IntoStaticStr};

use crate::image::arch::Arch;

use super::pricing;
use super::samples::Rec;

/// Bootstrap rounds per comparison.
pub const RESAMPLES: usize = 1000;
/// The interval's coverage.
pub const CONFIDENCE: f64 = 0.95;

/// What is compared, by its name in a budget (`p95 change < +10%`) and in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, EnumIter, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Stat {
    P50,
    P90,
    P95,
    P99,
    Mean,
    SuccessRate,
    ColdStartRate,
    /// Mean init duration of the cold starts (Invoke mode, from the REPORT lines).
    InitDuration,
    /// Mean billed duration (Invoke mode).
    BilledDuration,
    /// USD per million invocations like these (Invoke mode).
    CostPerMillion,
}

/// The unit a statistic's values (and a budget's absolute change) are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatUnit {
    Ms,
    Ratio,
    Usd,
}

impl Stat {
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// By name; `avg` is `mean`, `cold_start_share` is `cold_start_rate`.
    pub fn parse(name: &str) -> Option<Stat> {
        let name = match name {
            "avg" => "mean",
            "cold_start_share" => "cold_start_rate",
            n => n,
        };
        Stat::iter().find(|s| s.name() == name)
    }

    pub fn unit(self) -> StatUnit {
        match self {
            Stat::SuccessRate | Stat::ColdStartRate => StatUnit::Ratio,
            Stat::CostPerMillion => StatUnit::Usd,
            _ => StatUnit::Ms,
        }
    }

    fn quantile(self) -> Option<f64> {
        match self {
            Stat::P50 => Some(0.5),
            Stat::P90 => Some(0.9),
            Stat::P95 => Some(0.95),
            Stat::P99 => Some(0.99),
            _ => None,
        }
    }

    pub fn names() -> String {
        Stat::iter().map(Stat::name).collect::<Vec<_>>().join(", ")
    }
}

/// One side's recorded requests, and what one of its invocations costs (Invoke mode).
#[derive(Debug, Clone, Default)]
pub struct Side {
    /// Sorted by latency.
    recs: Vec<Rec>,
    price: Option<(f64, Arch)>,
}

impl Side {
    /// `price`: the function's memory (MB) and architecture, when cost is measured.
    pub fn new(recs: &[Rec], price: Option<(f64, Arch)>) -> Side {
        let mut recs = recs.to_vec();
        recs.sort_by_key(|r| r.latency_us);
        Side { recs, price }
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Every statistic over all the samples (None: not measured, or nothing recorded).
    pub fn values(&self) -> BTreeMap<Stat, f64> {
        let ones = vec![1u32; self.recs.len()];
        self.weighted(&ones, self.recs.len() as u64)
    }

    /// Every statistic over a draw given as a count per sample (summing to `n`).
    fn weighted(&self, counts: &[u32], n: u64) -> BTreeMap<Stat, f64> {
        let mut out = BTreeMap::new();
        if n == 0 {
            return out;
        }
        let qs = [Stat::P50, Stat::P90, Stat::P95, Stat::P99];
        let ranks: Vec<u64> = qs
            .iter()
            .map(|s| ((s.quantile().unwrap_or(0.5) * n as f64).ceil() as u64).max(1))
            .collect();
        let mut next = 0;
        let mut cum = 0u64;
        let (mut lat, mut ok, mut cold) = (0.0, 0u64, 0u64);
        let (mut init, mut init_n, mut billed, mut billed_n) = (0.0, 0u64, 0.0, 0u64);
        for (r, &c) in self.recs.iter().zip(counts) {
            if c == 0 {
                continue;
            }
            let c64 = u64::from(c);
            cum += c64;
            while next < ranks.len() && cum >= ranks[next] {
                out.insert(qs[next], f64::from(r.latency_us) / 1000.0);
                next += 1;
            }
            lat += f64::from(c) * f64::from(r.latency_us);
            ok += if r.success { c64 } else { 0 };
            cold += if r.cold { c64 } else { 0 };
            if r.init_us > 0 {
                init += f64::from(c) * f64::from(r.init_us);
                init_n += c64;
            }
            if r.billed_us > 0 {
                billed += f64::from(c) * f64::from(r.billed_us);
                billed_n += c64;
            }
        }
        let nf = n as f64;
        out.insert(Stat::Mean, lat / nf / 1000.0);
        out.insert(Stat::SuccessRate, ok as f64 / nf);
        out.insert(Stat::ColdStartRate, cold as f64 / nf);
        if init_n > 0 {
            out.insert(Stat::InitDuration, init / init_n as f64 / 1000.0);
        }
        if billed_n > 0 {
            let b = billed / billed_n as f64 / 1000.0;
            out.insert(Stat::BilledDuration, b);
            if let Some((memory, arch)) = self.price {
                out.insert(Stat::CostPerMillion, pricing::per_million(b, memory, arch));
            }
        }
        out
    }

    /// One bootstrap draw: n samples with replacement, as counts.
    fn draw(&self, rng: &mut fastrand::Rng, counts: &mut [u32]) {
        counts.fill(0);
        let n = self.recs.len();
        for _ in 0..n {
            counts[rng.usize(0..n)] += 1;
        }
    }
}

/// The 95% intervals of one statistic's change, A against B.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Of A/B − 1 (None when B is 0 in too many draws for a relative change to mean much).
    pub rel: Option<(f64, f64)>,
    /// Of A − B, in the statistic's unit.
    pub abs: (f64, f64),
}

/// The intervals for every statistic both sides measured.
pub fn intervals(a: &Side, b: &Side, seed: u64, resamples: usize) -> BTreeMap<Stat, Interval> {
    let mut out = BTreeMap::new();
    if a.is_empty() || b.is_empty() || resamples == 0 {
        return out;
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut ca, mut cb) = (vec![0u32; a.len()], vec![0u32; b.len()]);
    let mut rel: BTreeMap<Stat, Vec<f64>> = BTreeMap::new();
    let mut abs: BTreeMap<Stat, Vec<f64>> = BTreeMap::new();
    for _ in 0..resamples {
        a.draw(&mut rng, &mut ca);
        b.draw(&mut rng, &mut cb);
        let va = a.weighted(&ca, a.len() as u64);
        let vb = b.weighted(&cb, b.len() as u64);
        for (s, x) in &va {
            let Some(y) = vb.get(s) else { continue };
            abs.entry(*s).or_default().push(x - y);
            if *y > 0.0 {
                rel.entry(*s).or_default().push(x / y - 1.0);
            }
        }
    }
    for (s, mut d) in abs {
        let Some(abs) = bounds(&mut d) else { continue };
        // A relative change only when (nearly) every draw had a B to divide by.
        let rel = rel
            .get_mut(&s)
            .filter(|r| r.len() * 100 >= resamples * 99)
            .and_then(|r| bounds(r));
        out.insert(s, Interval { rel, abs });
    }
    out
}

/// The central `CONFIDENCE` share of the values.
fn bounds(v: &mut [f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    let n = v.len();
    let lo = ((n as f64 * tail).floor() as usize).min(n - 1);
    let hi = ((n as f64 * (1.0 - tail)).ceil() as usize)
        .saturating_sub(1)
        .min(n - 1);
    Some((v[lo], v[hi]))
}

/// About how many more requests (both sides together, on top of `n`) would make an interval
/// clear of `budget`, from its width shrinking as 1/√n. None when the interval is centred on
/// the budget (or so nearly that it would take over 100 times this run to tell).
pub fn more_requests(n: u64, interval: (f64, f64), budget: f64) -> Option<u64> {
    let (lo, hi) = interval;
    let centre = (lo + hi) / 2.0;
    let half = (hi - lo).abs() / 2.0;
    let d = (centre - budget).abs();
    if d <= half * 1e-3 || !d.is_finite() || n == 0 {
        return None;
    }
    let need = n as f64 * (half / d).powi(2);
    // Past a hundred times this run, the estimate says nothing useful: the change is at the
    // budget, as far as any affordable run can tell.
    if !need.is_finite() || need > n as f64 * 100.0 {
        return None;
    }
    Some((need.ceil() as u64).saturating_sub(n).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Log-normal latencies (µs) around `median_ms`, by Box–Muller from a seeded generator.
    fn lognormal(rng: &mut fastrand::Rng, n: usize, median_ms: f64, sigma: f64) -> Vec<Rec> {
        (0..n)
            .map(|_| {
                let (u1, u2) = (rng.f64().max(1e-12), rng.f64());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                Rec {
                    latency_us: (median_ms * 1000.0 * (sigma * z).exp()) as u32,
                    success: true,
                    ..Rec::default()
                }
            })
            .collect()
    }

    fn recs(latencies_ms: &[f64]) -> Vec<Rec> {
        latencies_ms
            .iter()
            .map(|l| Rec {
                latency_us: (l * 1000.0) as u32,
                success: true,
                ..Rec::default()
            })
            .collect()
    }

    #[test]
    fn percentiles_are_taken_as_the_histogram_takes_them() {
        let ms: Vec<f64> = (1..=100).map(f64::from).collect();
        let v = Side::new(&recs(&ms), None).values();
        assert_eq!(v[&Stat::P50], 50.0);
        assert_eq!(v[&Stat::P95], 95.0);
        assert_eq!(v[&Stat::P99], 99.0);
        assert_eq!(v[&Stat::Mean], 50.5);
        assert_eq!(v[&Stat::SuccessRate], 1.0);
        assert!(!v.contains_key(&Stat::InitDuration));
    }

    #[test]
    fn constant_sides_give_a_point_interval_at_the_true_change() {
        let a = Side::new(&recs(&[10.0; 200]), None);
        let b = Side::new(&recs(&[8.0; 300]), None);
        let i = intervals(&a, &b, 1, 200);
        for s in [Stat::P50, Stat::P95, Stat::Mean] {
            let (lo, hi) = i[&s].rel.unwrap();
            assert!(
                (lo - 0.25).abs() < 1e-9 && (hi - 0.25).abs() < 1e-9,
                "{s:?}"
            );
            assert_eq!(i[&s].abs, (2.0, 2.0));
        }
        assert_eq!(i[&Stat::SuccessRate].abs, (0.0, 0.0));
    }

    #[test]
    fn the_mean_difference_interval_has_the_textbook_width() {
        // Two normal samples, sd 10, n 2000 each: the 95% interval of the difference of means
        // is ±1.96·√(2·100/2000) = ±0.62 around the true difference 5.
        let mut rng = fastrand::Rng::with_seed(42);
        let mut normal = |mu: f64| {
            let (u1, u2) = (rng.f64().max(1e-12), rng.f64());
            mu + 10.0 * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let a: Vec<f64> = (0..2000).map(|_| normal(105.0)).collect();
        let b: Vec<f64> = (0..2000).map(|_| normal(100.0)).collect();
        let i = intervals(
            &Side::new(&recs(&a), None),
            &Side::new(&recs(&b), None),
            9,
            RESAMPLES,
        );
        let (lo, hi) = i[&Stat::Mean].abs;
        assert!(lo < 5.0 && 5.0 < hi, "{lo}…{hi}");
        let half = (hi - lo) / 2.0;
        assert!((half - 0.62).abs() < 0.62 * 0.2, "half-width {half}");
    }

    #[test]
    fn a_rate_difference_has_the_binomial_width() {
        // 90% against 95% over 2000 each: ±1.96·√(.09/2000 + .0475/2000) = ±0.0167 around −0.05.
        let side = |fail_every: usize| {
            let r: Vec<Rec> = (0..2000)
                .map(|i| Rec {
                    latency_us: 1000,
                    success: i % fail_every != 0,
                    ..Rec::default()
                })
                .collect();
            Side::new(&r, None)
        };
        let i = intervals(&side(10), &side(20), 5, RESAMPLES);
        let (lo, hi) = i[&Stat::SuccessRate].abs;
        assert!(lo < -0.05 && -0.05 < hi, "{lo}…{hi}");
        assert!(((hi - lo) / 2.0 - 0.0167).abs() < 0.004, "{lo}…{hi}");
    }

    #[test]
    fn a_20_percent_slower_side_is_found_with_the_right_sign() {
        let mut rng = fastrand::Rng::with_seed(3);
        let a = Side::new(&lognormal(&mut rng, 3000, 24.0, 0.3), None);
        let b = Side::new(&lognormal(&mut rng, 3000, 20.0, 0.3), None);
        let i = intervals(&a, &b, 11, RESAMPLES);
        for s in [Stat::P50, Stat::P90, Stat::P95, Stat::Mean] {
            let (lo, hi) = i[&s].rel.unwrap();
            assert!(lo > 0.0, "{s:?}: {lo}…{hi}");
            assert!(lo < 0.2 && 0.2 < hi, "{s:?}: {lo}…{hi} misses +20%");
        }
    }

    #[test]
    fn an_a_a_comparison_flags_a_regression_in_at_most_5_of_100_seeds() {
        let mut flagged = std::collections::BTreeMap::<Stat, usize>::new();
        for seed in 0..100u64 {
            // Both sides from the same distribution (with 2% slow outliers), new draws each seed.
            let mut rng = fastrand::Rng::with_seed(1000 + seed);
            let mut side = || {
                let mut r = lognormal(&mut rng, 1000, 20.0, 0.25);
                for x in r.iter_mut().step_by(50) {
                    x.latency_us *= 10;
                }
                Side::new(&r, None)
            };
            let (a, b) = (side(), side());
            let i = intervals(&a, &b, seed, 400);
            for s in [Stat::P50, Stat::P95, Stat::Mean] {
                if i[&s].rel.unwrap().0 > 0.0 {
                    *flagged.entry(s).or_default() += 1;
                }
            }
        }
        eprintln!("A/A, 100 seeds: regressions flagged {flagged:?}");
        for (s, n) in &flagged {
            assert!(*n <= 5, "{s:?}: flagged in {n} of 100 seeds");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_interval() {
        let mut rng = fastrand::Rng::with_seed(8);
        let a = Side::new(&lognormal(&mut rng, 500, 20.0, 0.3), None);
        let b = Side::new(&lognormal(&mut rng, 500, 20.0, 0.3), None);
        assert_eq!(intervals(&a, &b, 77, 300), intervals(&a, &b, 77, 300));
        assert_ne!(
            intervals(&a, &b, 77, 300)[&Stat::P95],
            intervals(&a, &b, 78, 300)[&Stat::P95]
        );
    }

    #[test]
    fn invoke_figures_and_cost_follow_the_billed_duration() {
        let side = |billed_ms: u32| {
            let r: Vec<Rec> = (0..100)
                .map(|i| Rec {
                    latency_us: 1000,
                    success: true,
                    cold: i == 0,
                    init_us: if i == 0 { 300_000 } else { 0 },
                    billed_us: billed_ms * 1000,
                })
                .collect();
            Side::new(&r, Some((128.0, Arch::X86_64)))
        };
        let (a, b) = (side(200), side(100));
        let v = a.values();
        assert_eq!(v[&Stat::InitDuration], 300.0);
        assert_eq!(v[&Stat::ColdStartRate], 0.01);
        let i = intervals(&a, &b, 1, 100);
        let (lo, hi) = i[&Stat::BilledDuration].rel.unwrap();
        assert!((lo - 1.0).abs() < 1e-9 && (hi - 1.0).abs() < 1e-9);
        // $0.617 against $0.408 per million (pricing.rs): +51%.
        let (lo, _) = i[&Stat::CostPerMillion].rel.unwrap();
        let want = pricing::per_million(200.0, 128.0, Arch::X86_64)
            / pricing::per_million(100.0, 128.0, Arch::X86_64)
            - 1.0;
        assert!((lo - want).abs() < 1e-9, "{lo} vs {want}");
    }

    #[test]
    fn more_requests_scales_with_the_square_of_the_width() {
        // Interval −2…+6 (centre 2, half-width 4) against a budget of 10: clear at n·(4/8)².
        // Against a budget of 4: d = 2, n·(4/2)² = 4n, so 3n more.
        assert_eq!(more_requests(1000, (-2.0, 6.0), 4.0), Some(3000));
        assert_eq!(more_requests(1000, (0.0, 8.0), 4.0), None);
        // 0.1 from the budget with a half-width of 4: 1600 times the run, past the cap.
        assert_eq!(more_requests(1000, (-0.1, 7.9), 4.0), None);
        // Budget 5: d = 3, 100·(4/3)² = 177.8, so 78 more.
        assert_eq!(more_requests(100, (-2.0, 6.0), 5.0), Some(78));
    }

    #[test]
    fn names_parse_back() {
        for s in Stat::iter() {
            assert_eq!(Stat::parse(s.name()), Some(s));
        }
        assert_eq!(Stat::parse("avg"), Some(Stat::Mean));
        assert_eq!(Stat::parse("p96"), None);
    }
}
