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
