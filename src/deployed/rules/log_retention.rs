//! `lambda-log-retention`: a log group left at "never expire" keeps (and bills) every line
//! forever; the policy may also cap how long logs are kept.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaLogRetention,
    check,
    fields: &["log_group", "log_retention_days"],
};

fn check(ctx: &Ctx) -> Outcome {
    let f = ctx.function;
    if !f.log_group_read {
        return Outcome::Unknown(format!(
            "log group {} could not be read (logs:DescribeLogGroups not granted, or no log yet)",
            f.log_group
        ));
    }
    let fix = format!(
        "set a retention on {} (`RetentionInDays` on an AWS::Logs::LogGroup the function logs to)",
        f.log_group
    );
    match (f.log_retention_days, ctx.cfg.max_log_retention_days) {
        (None, _) => Outcome::Fail {
            message: format!(
                "log group {} never expires: every log line is kept and billed forever",
                f.log_group
            ),
            fix,
        },
        (Some(d), Some(max)) if d > max => Outcome::Fail {
            message: format!(
                "log group {} keeps logs {d} days, over the policy's {max}",
                f.log_group
            ),
            fix,
        },
        _ => Outcome::Pass,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, assert_unknown, Given};
    use super::check;

    #[test]
    fn a_group_that_never_expires_fails() {
        let mut g = Given::function();
        g.function.log_retention_days = None;
        assert_fail(
            check(&g.ctx()),
            &["log group /aws/lambda/fn never expires", "billed forever"],
            &["set a retention on /aws/lambda/fn", "RetentionInDays"],
        );
    }

    #[test]
    fn the_policys_cap_is_inclusive() {
        let mut g = Given::function();
        assert_pass(check(&g.ctx()));
        g.cfg.max_log_retention_days = Some(30);
        assert_pass(check(&g.ctx()));
        g.function.log_retention_days = Some(31);
        assert_fail(
            check(&g.ctx()),
            &["keeps logs 31 days, over the policy's 30"],
            &["RetentionInDays"],
        );
    }

    #[test]
    fn an_unreadable_group_is_not_checked() {
        let mut g = Given::function();
        g.function.log_group_read = false;
        g.function.log_retention_days = None;
        assert_unknown(
            check(&g.ctx()),
            &["could not be read", "logs:DescribeLogGroups"],
        );
    }
}
