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
