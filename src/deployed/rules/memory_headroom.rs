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

#[cfg(test)]
mod rule_tests {
    use super::super::testing::{assert_fail, assert_pass, assert_unknown, Given};
    use super::check;

    fn used(size_mb: u64, used_mb: f64) -> Given {
        let mut g = Given::function().with_perf(|p| p.max_memory_used_mb = Some(used_mb));
        g.function.memory_mb = size_mb;
        g
    }

    #[test]
    fn without_report_lines_it_says_why_it_is_not_checked() {
        assert_unknown(
            check(&Given::function().ctx()),
            &["no load test in this run"],
        );
        let invoke = Given::function().perf(10.0, 20.0);
        assert_unknown(
            check(&invoke.ctx()),
            &["the Invoke API sent no REPORT line"],
        );
        let url = Given::function().with_perf(|p| p.mode = Some(crate::model::perf::Mode::Url));
        assert_unknown(check(&url.ctx()), &["a URL run has no REPORT lines"]);
    }

    #[test]
    fn used_exactly_at_the_headroom_passes_and_a_megabyte_more_fails() {
        // 20% free of 1000 MB: up to 800 MB used.
        assert_pass(check(&used(1000, 800.0).ctx()));
        assert_fail(
            check(&used(1000, 801.0).ctx()),
            &[
                "used up to 801 of 1000 MB (80%)",
                "less than the 20% headroom",
            ],
            // 801 / 0.8 = 1001.25 → 1002 → the next 64 MB step.
            &["raise MemorySize to 1024 MB"],
        );
    }

    #[test]
    fn the_policys_headroom_is_the_one_applied() {
        let mut g = used(1000, 700.0);
        assert_pass(check(&g.ctx()));
        g.cfg.memory_headroom = 0.4;
        assert_fail(
            check(&g.ctx()),
            &["less than the 40% headroom"],
            &["1216 MB"],
        );
    }

    #[test]
    fn a_quarter_used_is_enough_and_less_is_paid_for_unused() {
        assert_pass(check(&used(1024, 256.0).ctx()));
        assert_fail(
            check(&used(1024, 255.0).ctx()),
            &["used up to 255 of 1024 MB (25%)", "paid for and never used"],
            // 255 / 0.8 = 318.75 → 320.
            &[
                "lower MemorySize to 320 MB (keeps 20% headroom)",
                "run the load test again",
            ],
        );
    }

    #[test]
    fn the_cost_before_and_after_is_given_when_the_run_billed() {
        let g = used(1024, 200.0).with_perf(|p| p.billed_avg_ms = Some(100.0));
        // x86_64: 0.1 s × 1 GB and × 0.25 GB at $0.0000166667, plus $0.20 per million.
        assert_fail(
            check(&g.ctx()),
            &["paid for"],
            &[
                "lower MemorySize to 256 MB",
                ": $1.87 → $0.62 per million invocations at the measured 100 ms billed",
            ],
        );
        let unbilled = used(1024, 200.0);
        let crate::deployed::Outcome::Fail { fix, .. } = check(&unbilled.ctx()) else {
            panic!("expected a failure");
        };
        assert!(!fix.contains("per million"), "{fix}");
    }

    #[test]
    fn no_smaller_size_than_lambdas_smallest_is_suggested() {
        // 20 of 128 MB is little, but 128 MB is the floor: nothing to lower.
        assert_pass(check(&used(128, 20.0).ctx()));
    }
}
