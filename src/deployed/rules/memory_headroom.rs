//! `lambda-memory-headroom`: the most memory the function used (Lambda's REPORT lines) against
//! the size it is given. Too tight and one larger event is an out-of-memory kill; far too
//! loose and every invocation pays for memory it never touches.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;
use crate::perf::pricing;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaMemoryHeadroom,
    check,
    fields: &["memory_mb"],
};

/// Lambda's smallest size; suggestions are rounded up to a multiple of this step.
const MIN_MB: u64 = 128;
const STEP_MB: u64 = 64;

fn check(ctx: &Ctx) -> Outcome {
    let Some(used) = ctx.perf.and_then(|p| p.max_memory_used_mb) else {
        let why = match ctx.perf.map(|p| p.mode) {
            Some(Some(crate::model::perf::Mode::Invoke)) => "the Invoke API sent no REPORT line (Lambda puts Max Memory Used in the log tail of each call; this endpoint did not)",
            Some(_) => "a URL run has no REPORT lines: Max Memory Used comes from gate perf --function (the Invoke API)",
            None => "no load test in this run",
        };
        return Outcome::Unknown(why.into());
    };
    let size = ctx.function.memory_mb;
    let headroom = ctx.cfg.memory_headroom;
    let suggest = suggested_mb(used, headroom);
    let share = used / size as f64;
    if share > 1.0 - headroom {
        return Outcome::Fail {
            message: format!(
                "used up to {used:.0} of {size} MB ({:.0}%): less than the {:.0}% headroom the policy keeps",
                share * 100.0,
                headroom * 100.0
            ),
            fix: format!("raise MemorySize to {suggest} MB"),
        };
    }
    if share < ctx.cfg.memory_overprovisioned && suggest < size {
        let cost = cost_change(ctx, size, suggest);
        return Outcome::Fail {
            message: format!(
                "used up to {used:.0} of {size} MB ({:.0}%): the rest is paid for and never used",
                share * 100.0
            ),
            fix: format!(
                "lower MemorySize to {suggest} MB (keeps {:.0}% headroom){cost}; CPU scales with memory, so run the load test again at that size",
                headroom * 100.0
            ),
        };
    }
    Outcome::Pass
}

/// The size that keeps `headroom` free above `used`, in Lambda's steps.
pub fn suggested_mb(used: f64, headroom: f64) -> u64 {
    let need = (used / (1.0 - headroom)).ceil() as u64;
    need.div_ceil(STEP_MB).max(MIN_MB.div_ceil(STEP_MB)) * STEP_MB
}

/// ": $A → $B per million invocations at the measured billed duration", when the run billed.
fn cost_change(ctx: &Ctx, from: u64, to: u64) -> String {
    let Some(billed) = ctx.perf.and_then(|p| p.billed_avg_ms) else {
        return String::new();
    };
    let arch = pricing::arch_of(&ctx.function.architecture);
    format!(
        ": ${:.2} → ${:.2} per million invocations at the measured {billed:.0} ms billed",
        pricing::per_million(billed, from as f64, arch),
        pricing::per_million(billed, to as f64, arch)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions_keep_the_headroom_in_steps() {
        // 100 MB used, 20% free: 125 MB → the 128 MB floor.
        assert_eq!(super::suggested_mb(100.0, 0.2), 128);
        // 300 MB / 0.8 = 375 → 384.
        assert_eq!(super::suggested_mb(300.0, 0.2), 384);
    }
}
