//! `lambda-timeout-margin`: the timeout against the slowest calls the load test measured. Too
//! close and the function times out under load; far too long and every hung call bills the
//! whole timeout.

use super::super::{human_ms, Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaTimeoutMargin,
    check,
    fields: &["timeout_s"],
};

/// Timeouts up to this are never called too long: API Gateway's own limit is 29 s, and a
/// short timeout costs nothing when calls are fast.
const NEVER_TOO_LONG_MS: f64 = 30_000.0;

fn check(ctx: &Ctx) -> Outcome {
    let Some(p) = ctx.perf.filter(|p| p.requests > 0) else {
        return Outcome::Unknown("no load test in this run to compare the timeout with".into());
    };
    let timeout_ms = ctx.function.timeout_s as f64 * 1000.0;
    let (p99, max) = (p.latency_ms.p99, p.latency_ms.max);
    let need = (p99 * ctx.cfg.timeout_margin).max(max);
    if timeout_ms < need {
        return Outcome::Fail {
            message: format!(
                "timeout {} is below {} (p99 {} × {} margin, slowest call {}): under load the function will time out",
                human_ms(timeout_ms),
                human_ms(need),
                human_ms(p99),
                ctx.cfg.timeout_margin,
                human_ms(max)
            ),
            fix: format!(
                "raise Timeout to at least {} s, or make the slow calls faster (more MemorySize also means more CPU)",
                (need / 1000.0).ceil() as u64
            ),
        };
    }
    if timeout_ms > NEVER_TOO_LONG_MS && timeout_ms > max * ctx.cfg.max_timeout_ratio {
        let suggest = ((need * 10.0 / 1000.0).ceil() as u64).max(3);
        return Outcome::Fail {
            message: format!(
                "timeout {} is {:.0} × the slowest measured call ({}): a hung call bills the whole timeout",
                human_ms(timeout_ms),
                timeout_ms / max.max(1.0),
                human_ms(max)
            ),
            fix: format!("lower Timeout to about {suggest} s (ten times what the slowest call needs)"),
        };
    }
    Outcome::Pass
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, assert_unknown, Given};
    use super::check;

    #[test]
    fn without_a_load_test_it_is_not_checked() {
        assert_unknown(check(&Given::function().ctx()), &["no load test"]);
        let ran_nothing = Given::function().with_perf(|p| p.requests = 0);
        assert_unknown(check(&ran_nothing.ctx()), &["no load test"]);
    }

    #[test]
    fn a_timeout_exactly_at_the_margin_passes_and_a_second_less_fails() {
        // p99 2 s × 1.5 = 3 s, above the slowest call (2.5 s).
        let mut g = Given::function().perf(2000.0, 2500.0);
        g.function.timeout_s = 3;
        assert_pass(check(&g.ctx()));
        g.function.timeout_s = 2;
        assert_fail(
            check(&g.ctx()),
            &[
                "timeout 2.0 s is below 3.0 s",
                "p99 2.0 s × 1.5 margin",
                "slowest call 2.5 s",
            ],
            &["raise Timeout to at least 3 s"],
        );
    }

    #[test]
    fn the_slowest_call_counts_when_it_is_above_the_margin() {
        // p99 1 s × 1.5 = 1.5 s, but one call took 4.2 s: the timeout must cover it.
        let mut g = Given::function().perf(1000.0, 4200.0);
        g.function.timeout_s = 4;
        assert_fail(
            check(&g.ctx()),
            &["below 4.2 s", "slowest call 4.2 s"],
            &["at least 5 s"],
        );
        g.function.timeout_s = 5;
        assert_pass(check(&g.ctx()));
    }

    #[test]
    fn the_policys_margin_is_the_one_applied() {
        let mut g = Given::function().perf(2000.0, 2000.0);
        g.function.timeout_s = 3;
        g.cfg.timeout_margin = 2.0;
        assert_fail(
            check(&g.ctx()),
            &["below 4.0 s", "× 2 margin"],
            &["at least 4 s"],
        );
    }

    #[test]
    fn a_timeout_far_above_the_slowest_call_fails_past_30_s_only() {
        // 100 ms at most: 30 s is 300 × that, and still never called too long.
        let mut g = Given::function().perf(50.0, 100.0);
        g.function.timeout_s = 30;
        assert_pass(check(&g.ctx()));
        g.function.timeout_s = 31;
        assert_fail(
            check(&g.ctx()),
            &[
                "timeout 31 s is 310 × the slowest measured call (100 ms)",
                "bills the whole timeout",
            ],
            // Ten times what the slowest call needs, never under 3 s.
            &["lower Timeout to about 3 s"],
        );
    }

    #[test]
    fn exactly_the_ratio_over_the_slowest_call_passes() {
        // 60 s = 100 × 600 ms: at the ratio, not above it.
        let mut g = Given::function().perf(500.0, 600.0);
        g.function.timeout_s = 60;
        assert_pass(check(&g.ctx()));
        let mut g = Given::function().perf(500.0, 599.0);
        g.function.timeout_s = 60;
        // need = max(750, 599) ms → 7.5 s → 8 s.
        assert_fail(check(&g.ctx()), &["100 ×"], &["about 8 s"]);
    }
}
