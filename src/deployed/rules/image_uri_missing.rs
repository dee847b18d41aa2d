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

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, Given};
    use super::check;

    fn image_function(uri: Option<&str>) -> Given {
        let mut g = Given::template();
        g.function.package_type = Some("Image".into());
        g.function.image_uri = uri.map(Into::into);
        g
    }

    #[test]
    fn an_image_function_without_a_uri_fails() {
        assert_fail(
            check(&image_function(None).ctx()),
            &[
                "fn is an image function with no image URI",
                "the deploy fails",
            ],
            &["`ImageUri` (SAM)", "`image_uri` (Terraform)"],
        );
    }

    #[test]
    fn a_uri_a_zip_function_or_an_unresolved_uri_passes() {
        assert_pass(check(
            &image_function(Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1")).ctx(),
        ));
        let mut zip = image_function(None);
        zip.function.package_type = Some("Zip".into());
        assert_pass(check(&zip.ctx()));
        assert_pass(check(&Given::template().ctx()));
        // `ImageUri: !Ref Image`: set, only not known yet.
        let mut unresolved = image_function(None);
        unresolved
            .function
            .unknown
            .insert("image_uri".into(), "!Ref Image".into());
        assert_pass(check(&unresolved.ctx()));
    }
}
