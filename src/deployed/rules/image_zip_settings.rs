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
