//! The per-request samples a comparison's bootstrap resamples, kept bounded: a uniform
//! reservoir (Vitter's Algorithm R) of at most `CAP` requests per side, drawn with the run's
//! seed. Below the cap every request is kept, so a run of up to 20k requests per side is
//! bootstrapped from all of them; above it, from a uniform sample of that many. The HDR
//! histograms still hold every request: point estimates come from them, only the intervals
//! from the reservoir.

use anyhow::{bail, Result};

use crate::model::perf::Samples;

/// Requests kept per side (≈ 0.3 MB of JSON in a report).
pub const CAP: usize = 20_000;

/// One request, as the bootstrap needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rec {
    pub latency_us: u32,
    pub success: bool,
    pub cold: bool,
    /// 0: no init duration reported (a warm start, or URL mode).
    pub init_us: u32,
    /// 0: no billed duration reported (URL mode).
    pub billed_us: u32,
}

/// A bounded uniform sample of the requests seen.
#[derive(Debug, Clone)]
pub struct Reservoir {
    cap: usize,
    seen: u64,
    items: Vec<Rec>,
    rng: fastrand::Rng,
}

impl Default for Reservoir {
    fn default() -> Self {
        Reservoir::new(CAP, 0)
    }
}

impl Reservoir {
    pub fn new(cap: usize, seed: u64) -> Reservoir {
        Reservoir {
            cap: cap.max(1),
            seen: 0,
            items: Vec::new(),
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// Every request offered goes through here: kept with probability cap/seen.
    pub fn push(&mut self, r: Rec) {
        self.seen += 1;
        if self.items.len() < self.cap {
            self.items.push(r);
        } else {
            let j = self.rng.u64(0..self.seen);
            if (j as usize) < self.cap {
                self.items[j as usize] = r;
            }
        }
    }

    /// Both reservoirs as one over all the requests both saw: each kept slot is drawn from
    /// one side or the other in proportion to the requests that side has left undrawn, so the
    /// result stays a uniform sample of the union. Exact (everything kept) when the two
    /// together fit in the cap.
    pub fn merge(&mut self, o: &Reservoir) {
        let seen = self.seen + o.seen;
        if self.items.len() + o.items.len() <= self.cap
            && self.items.len() as u64 == self.seen
            && o.items.len() as u64 == o.seen
        {
            self.items.extend_from_slice(&o.items);
            self.seen = seen;
            return;
        }
        let mut mine = std::mem::take(&mut self.items);
        let mut theirs = o.items.clone();
        self.rng.shuffle(&mut mine);
        self.rng.shuffle(&mut theirs);
        // How many of a uniform draw of `cap` from all the requests seen fall on each side
        // (hypergeometric: each draw takes one request from what remains of either side).
        let (mut ra, mut rb) = (self.seen, o.seen);
        let want = self.cap.min(mine.len() + theirs.len());
        let mut out = Vec::with_capacity(want);
        while out.len() < want {
            let take_a = match (mine.is_empty(), theirs.is_empty()) {
                (false, true) => true,
                (true, false) => false,
                _ => self.rng.u64(0..(ra + rb).max(1)) < ra,
            };
            if take_a {
                out.push(mine.pop().expect("not empty"));
                ra = ra.saturating_sub(1);
            } else {
                out.push(theirs.pop().expect("not empty"));
                rb = rb.saturating_sub(1);
            }
        }
        self.items = out;
        self.seen = seen;
    }

    pub fn items(&self) -> &[Rec] {
        &self.items
    }

    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// As the report keeps it.
    pub fn to_model(&self) -> Samples {
        let colds: Vec<u32> = positions(&self.items, |r| r.cold);
        let any = |f: fn(&Rec) -> u32| self.items.iter().any(|r| f(r) > 0);
        Samples {
            seen: self.seen,
            latency_us: self.items.iter().map(|r| r.latency_us).collect(),
            failed: positions(&self.items, |r| !r.success),
            cold: colds,
            init_us: if any(|r| r.init_us) {
                self.items.iter().map(|r| r.init_us).collect()
            } else {
                Vec::new()
            },
            billed_us: if any(|r| r.billed_us) {
                self.items.iter().map(|r| r.billed_us).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// From a report (the attacker's file in a PR's workflow): refused, naming what is wrong,
    /// when it holds more than the cap or its columns do not line up.
    pub fn from_model(s: &Samples, seed: u64) -> Result<Reservoir> {
        let n = s.latency_us.len();
        if n > CAP {
            bail!("samples: {n} kept, more than the {CAP} a report holds");
        }
        if s.seen < n as u64 {
            bail!("samples: {n} kept of {} seen", s.seen);
        }
        for (what, col) in [("init_us", &s.init_us), ("billed_us", &s.billed_us)] {
            if !col.is_empty() && col.len() != n {
                bail!("samples: {what} has {} values for {n} requests", col.len());
            }
        }
        let mut items: Vec<Rec> = s
            .latency_us
            .iter()
            .enumerate()
            .map(|(i, l)| Rec {
                latency_us: *l,
                success: true,
                cold: false,
                init_us: s.init_us.get(i).copied().unwrap_or(0),
                billed_us: s.billed_us.get(i).copied().unwrap_or(0),
            })
            .collect();
        for (what, col) in [("failed", &s.failed), ("cold", &s.cold)] {
            for &i in col.iter() {
                let Some(r) = items.get_mut(i as usize) else {
                    bail!("samples: {what} names request {i} of {n}");
                };
                if what == "failed" {
                    r.success = false;
                } else {
                    r.cold = true;
                }
            }
        }
        Ok(Reservoir {
            cap: CAP,
            seen: s.seen,
            items,
            rng: fastrand::Rng::with_seed(seed),
        })
    }
}

fn positions(items: &[Rec], f: impl Fn(&Rec) -> bool) -> Vec<u32> {
    items
        .iter()
        .enumerate()
        .filter(|(_, r)| f(r))
        .map(|(i, _)| i as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(l: u32) -> Rec {
        Rec {
            latency_us: l,
            success: l % 7 != 0,
            cold: l % 11 == 0,
            ..Rec::default()
        }
    }

    #[test]
    fn below_the_cap_everything_is_kept_and_survives_the_report() {
        let mut r = Reservoir::new(100, 1);
        (1..=50).for_each(|l| r.push(rec(l)));
        let back = Reservoir::from_model(&r.to_model(), 1).unwrap();
        assert_eq!(back.items(), r.items());
        assert_eq!(back.seen(), 50);
    }

    #[test]
    fn above_the_cap_the_sample_is_bounded_and_uniform() {
        let mut r = Reservoir::new(1000, 7);
        (0..100_000u32).for_each(|l| r.push(rec(l)));
        assert_eq!((r.items().len(), r.seen()), (1000, 100_000));
        // Uniform over 0..100k: the mean is near 50k (sd of the mean ≈ 28867/√1000 ≈ 913).
        let mean = r.items().iter().map(|x| x.latency_us as f64).sum::<f64>() / 1000.0;
        assert!((mean - 50_000.0).abs() < 4_000.0, "{mean}");
    }

    #[test]
    fn merging_weights_each_side_by_what_it_saw() {
        let mut a = Reservoir::new(1000, 3);
        let mut b = Reservoir::new(1000, 4);
        (0..9_000).for_each(|_| a.push(rec(1)));
        (0..1_000).for_each(|_| b.push(rec(2)));
        a.merge(&b);
        assert_eq!((a.items().len(), a.seen()), (1000, 10_000));
        let from_b = a.items().iter().filter(|r| r.latency_us == 2).count();
        assert!((50..=150).contains(&from_b), "{from_b} of 1000 from b");
        // Small ones are joined exactly.
        let mut x = Reservoir::new(1000, 0);
        let mut y = Reservoir::new(1000, 0);
        (0..10).for_each(|l| x.push(rec(l)));
        (10..20).for_each(|l| y.push(rec(l)));
        x.merge(&y);
        let ls: Vec<u32> = x.items().iter().map(|r| r.latency_us).collect();
        assert_eq!(ls, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn a_bad_report_is_refused() {
        let mut s = Reservoir::new(10, 0);
        (0..5).for_each(|l| s.push(rec(l)));
        let mut m = s.to_model();
        m.failed.push(99);
        let e = Reservoir::from_model(&m, 0).unwrap_err().to_string();
        assert!(e.contains("failed names request 99 of 5"), "{e}");
        let mut m = s.to_model();
        m.latency_us = vec![1; CAP + 1];
        m.seen = CAP as u64 + 1;
        assert!(Reservoir::from_model(&m, 0).is_err());
    }
}
