//! `lambda-tracing-off`: without active X-Ray tracing, a slow call in production cannot be
//! broken down into init, handler and downstream time.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaTracingOff,
    check,
    fields: &["tracing"],
};

fn check(ctx: &Ctx) -> Outcome {
    if ctx.function.tracing == "Active" {
        return Outcome::Pass;
    }
    Outcome::Fail {
        message: format!(
            "tracing is {}: slow calls in production cannot be traced to init, handler or downstream time",
            ctx.function.tracing
        ),
        fix: "set `Tracing: Active` on the function (SAM), or `TracingConfig: {Mode: Active}`".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, Given};
    use super::check;

    #[test]
    fn active_passes_and_anything_else_fails() {
        assert_pass(check(&Given::function().ctx()));
        for mode in ["PassThrough", ""] {
            let mut g = Given::function();
            g.function.tracing = mode.into();
            let said = format!("tracing is {mode}:");
            assert_fail(
                check(&g.ctx()),
                &[said.as_str(), "cannot be traced"],
                &["Tracing: Active"],
            );
        }
    }
}
