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
