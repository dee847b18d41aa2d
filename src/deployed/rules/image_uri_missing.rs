//! `lambda-image-uri-missing`: `PackageType: Image` with no image URI. CloudFormation refuses
//! the stack (Terraform the apply) only when it is deployed; the pull request can say so.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaImageUriMissing,
    check,
    // An unknown URI (an unresolved `!Ref`) is set all the same: not weighed by `run`.
    fields: &["package_type"],
};

fn check(ctx: &Ctx) -> Outcome {
    let f = ctx.function;
    if f.package_type.as_deref() != Some("Image")
        || f.image_uri.is_some()
        || f.unknown.contains_key("image_uri")
    {
        return Outcome::Pass;
    }
    Outcome::Fail {
        message: format!("{} is an image function with no image URI: the deploy fails", f.name),
        fix: "set `ImageUri` (SAM), `Code.ImageUri` (CloudFormation) or `image_uri` (Terraform) to the gated image in ECR, by digest".into(),
    }
}
