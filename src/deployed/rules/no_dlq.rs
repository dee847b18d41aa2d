//! `lambda-no-dlq`: an asynchronous invocation that fails is retried twice and then dropped,
//! silently, unless a dead-letter queue or an on-failure destination catches it.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaNoDlq,
    check,
    // Either one is enough, so an unknown one is weighed here, not by `run`.
    fields: &[],
};

fn check(ctx: &Ctx) -> Outcome {
    let f = ctx.function;
    let known = |field: &str, v: &Option<String>| v.is_some() && !f.unknown.contains_key(field);
    if known("dead_letter_target", &f.dead_letter_target)
        || known("on_failure_destination", &f.on_failure_destination)
    {
        return Outcome::Pass;
    }
    if let Some(why) = ["dead_letter_target", "on_failure_destination"]
        .iter()
        .find_map(|k| f.unknown.get(*k))
    {
        return Outcome::Unknown(why.clone());
    }
    Outcome::Fail {
        message: format!(
            "{} has no dead-letter queue and no on-failure destination: a failed asynchronous event is dropped after two retries",
            f.name
        ),
        fix: "add `DeadLetterQueue: {Type: SQS, TargetArn: …}` to the function (SAM), or an on-failure destination (`EventInvokeConfig.DestinationConfig.OnFailure`)".into(),
    }
}
