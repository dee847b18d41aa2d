//! `lambda-image-zip-settings`: `Runtime`, `Handler` or `Layers` on an image function. Lambda
//! refuses them for `PackageType: Image` (the image's ENTRYPOINT/CMD and its own files take
//! their place), so the deploy fails; a template's `Globals` often brings them in unseen.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaImageZipSettings,
    check,
    fields: &["package_type", "runtime", "handler", "layers"],
};

fn check(ctx: &Ctx) -> Outcome {
    let f = ctx.function;
    if f.package_type.as_deref() != Some("Image") {
        return Outcome::Pass;
    }
    let mut set = Vec::new();
    if let Some(r) = &f.runtime {
        set.push(format!("Runtime {r}"));
    }
    if let Some(h) = &f.handler {
        set.push(format!("Handler {h}"));
    }
    if !f.layers.is_empty() {
        set.push(format!("{} Layers", f.layers.len()));
    }
    if set.is_empty() {
        return Outcome::Pass;
    }
    Outcome::Fail {
        message: format!(
            "{} is an image function but sets {}: Lambda refuses these for images",
            f.name,
            set.join(", ")
        ),
        fix: "remove them (for SAM Globals: `IgnoreGlobals: [Runtime, Handler, Layers]` on the function); set the handler as the image's CMD or `ImageConfig.Command`".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, Given};
    use super::check;

    fn image_function() -> Given {
        let mut g = Given::template();
        g.function.package_type = Some("Image".into());
        g
    }

    #[test]
    fn an_image_function_with_zip_settings_fails_naming_each() {
        let mut g = image_function();
        g.function.runtime = Some("python3.12".into());
        g.function.handler = Some("app.handler".into());
        g.function.layers = vec!["arn:l1".into(), "arn:l2".into()];
        assert_fail(
            check(&g.ctx()),
            &["fn is an image function but sets Runtime python3.12, Handler app.handler, 2 Layers"],
            &["IgnoreGlobals: [Runtime, Handler, Layers]", "ImageConfig.Command"],
        );
        let mut one = image_function();
        one.function.layers = vec!["arn:l1".into()];
        assert_fail(check(&one.ctx()), &["sets 1 Layers"], &[]);
    }

    #[test]
    fn a_zip_function_may_set_them_and_a_clean_image_function_passes() {
        assert_pass(check(&image_function().ctx()));
        let mut zip = Given::template();
        zip.function.package_type = Some("Zip".into());
        zip.function.runtime = Some("python3.12".into());
        zip.function.handler = Some("app.handler".into());
        assert_pass(check(&zip.ctx()));
    }
}
