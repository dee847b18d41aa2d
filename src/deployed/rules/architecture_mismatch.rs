//! `lambda-architecture-mismatch`: the function's configured architecture against the image's
//! platform. Lambda refuses to start an arm64 image on x86_64 (and the other way round), so
//! this fails at the first invocation, not at deploy time.

use super::super::{Ctx, Outcome, Rule};
use crate::image::arch::Arch;
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaArchitectureMismatch,
    check,
    fields: &["architecture"],
};

fn check(ctx: &Ctx) -> Outcome {
    let Some(image) = ctx.image else {
        return Outcome::Unknown(
            "no image in this run (gate check IMAGE --function NAME, or IMAGE --deployment FILE)"
                .into(),
        );
    };
    let image_arch = image.platform.split('/').nth(1).unwrap_or_default();
    let (Some(want), Some(have)) = (
        Arch::parse(&ctx.function.architecture),
        Arch::parse(image_arch),
    ) else {
        return Outcome::Unknown(format!(
            "architectures {:?} / {:?} are not Lambda's",
            ctx.function.architecture, image.platform
        ));
    };
    if want == have {
        return Outcome::Pass;
    }
    Outcome::Fail {
        message: format!(
            "the function runs {} but the image is {}: Lambda cannot start it",
            ctx.function.architecture, image.platform
        ),
        fix: format!(
            "set Architectures to [{}], or build the image for linux/{}",
            have.lambda_name(),
            want.oci_name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, assert_unknown, Given};
    use super::check;

    #[test]
    fn without_an_image_it_is_not_checked() {
        assert_unknown(check(&Given::function().ctx()), &["no image in this run"]);
    }

    #[test]
    fn the_same_architecture_under_its_oci_name_passes() {
        assert_pass(check(&Given::function().image("linux/amd64", &[]).ctx()));
        let mut g = Given::function().image("linux/arm64/v8", &[]);
        g.function.architecture = "arm64".into();
        assert_pass(check(&g.ctx()));
    }

    #[test]
    fn an_arm64_function_on_an_amd64_image_fails_with_both_ways_out() {
        let mut g = Given::function().image("linux/amd64", &[]);
        g.function.architecture = "arm64".into();
        assert_fail(
            check(&g.ctx()),
            &[
                "the function runs arm64 but the image is linux/amd64",
                "cannot start it",
            ],
            &[
                "set Architectures to [x86_64]",
                "build the image for linux/arm64",
            ],
        );
    }

    #[test]
    fn an_architecture_lambda_does_not_run_is_not_a_verdict() {
        let g = Given::function().image("linux/s390x", &[]);
        assert_unknown(check(&g.ctx()), &["are not Lambda's", "linux/s390x"]);
    }
}
