//! `lambda-no-dlq`: an asynchronous invocation that fails is retried twice and then dropped,
//! silently, unless a dead-letter queue or an on-failure destination catches it.

use super::super::{Ctx, Outcome, Rule};
use crate::model::Level;

pub const RULE: Rule = Rule {
    id: "lambda-no-dlq",
    default: Level::Warn,
    description: "asynchronous invocations with no dead-letter queue and no on-failure destination",
    check,
};

fn check(ctx: &Ctx) -> Outcome {
    let f = ctx.function;
    if f.dead_letter_target.is_some() || f.on_failure_destination.is_some() {
        return Outcome::Pass;
    }
    Outcome::Fail {
        message: format!(
            "{} has no dead-letter queue and no on-failure destination: a failed asynchronous event is dropped after two retries",
            f.name
        ),
        fix: "add `DeadLetterQueue: {Type: SQS, TargetArn: …}` to the function (SAM), or an on-failure destination (`EventInvokeConfig.DestinationConfig.OnFailure`)".into(),
    }
}
