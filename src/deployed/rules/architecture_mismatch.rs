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
