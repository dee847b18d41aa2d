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

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, assert_unknown, Given};
    use super::check;

    fn neither() -> Given {
        let mut g = Given::function();
        g.function.dead_letter_target = None;
        g
    }

    #[test]
    fn a_dlq_or_an_on_failure_destination_is_enough() {
        assert_pass(check(&Given::function().ctx()));
        let mut g = neither();
        g.function.on_failure_destination =
            Some("arn:aws:sqs:us-east-1:123456789012:failed".into());
        assert_pass(check(&g.ctx()));
    }

    #[test]
    fn neither_fails() {
        assert_fail(
            check(&neither().ctx()),
            &[
                "fn has no dead-letter queue and no on-failure destination",
                "dropped after two retries",
            ],
            &["DeadLetterQueue", "OnFailure"],
        );
    }

    #[test]
    fn an_unknown_target_is_not_checked_unless_the_other_is_known() {
        let mut g = Given::template();
        g.function.dead_letter_target = Some("${aws_sqs_queue.dlq.arn}".into());
        g.function
            .unknown
            .insert("dead_letter_target".into(), "known after apply".into());
        assert_unknown(check(&g.ctx()), &["known after apply"]);
        g.function.on_failure_destination = Some("arn:aws:sns:us-east-1:123456789012:t".into());
        assert_pass(check(&g.ctx()));
    }
}
