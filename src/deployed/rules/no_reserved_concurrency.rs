//! `lambda-no-reserved-concurrency`: without reserved concurrency the function shares the
//! account's pool: a burst can starve every other function in the region, or be starved by
//! them, and nothing caps what a runaway caller costs.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaNoReservedConcurrency,
    check,
    fields: &["reserved_concurrency"],
};

fn check(ctx: &Ctx) -> Outcome {
    match ctx.function.reserved_concurrency {
        Some(0) => Outcome::Fail {
            message: "reserved concurrency is 0: every invocation is throttled".into(),
            fix: "set ReservedConcurrentExecutions to the concurrency the function needs".into(),
        },
        Some(_) => Outcome::Pass,
        None => Outcome::Fail {
            message: "no reserved concurrency: a burst can take the account's whole pool, or be throttled by other functions".into(),
            fix: "set `ReservedConcurrentExecutions` (SAM/CloudFormation) to the peak the function should ever reach".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, Given};
    use super::check;

    #[test]
    fn none_fails_zero_throttles_and_one_passes() {
        let mut g = Given::function();
        g.function.reserved_concurrency = None;
        assert_fail(
            check(&g.ctx()),
            &["no reserved concurrency", "the account's whole pool"],
            &["ReservedConcurrentExecutions"],
        );
        g.function.reserved_concurrency = Some(0);
        assert_fail(
            check(&g.ctx()),
            &["reserved concurrency is 0", "every invocation is throttled"],
            &["ReservedConcurrentExecutions"],
        );
        g.function.reserved_concurrency = Some(1);
        assert_pass(check(&g.ctx()));
    }
}
