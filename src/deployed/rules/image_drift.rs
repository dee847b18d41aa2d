//! `lambda-image-drift`: the image Lambda runs is not the image this run gated: a deploy
//! picked another tag, or someone deployed by hand. What was checked is then not what runs.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaImageDrift,
    check,
    fields: &["image_uri"],
};

fn check(ctx: &Ctx) -> Outcome {
    if ctx.image.is_none() {
        return Outcome::Unknown("no image gated in this run".into());
    }
    let Some(deployed) = &ctx.function.image_digest else {
        if !ctx.function.source.is_deployed() {
            return Outcome::Unknown(
                "the image URI names a tag, not a digest: which image deploys is decided at the deploy".into(),
            );
        }
        return Outcome::Unknown("the Lambda API gave no resolved image digest".into());
    };
    if ctx.image_digests.is_empty() {
        return Outcome::Unknown(
            "the gated image records no manifest digest (a docker-archive has none: gate the pushed image, docker://…@sha256:…, or an OCI archive)"
                .into(),
        );
    }
    if ctx.image_digests.iter().any(|d| d == deployed) {
        return Outcome::Pass;
    }
    Outcome::Fail {
        message: format!(
            "{} runs {} but this run gated {}",
            ctx.function.name,
            short(deployed),
            ctx.image_digests
                .iter()
                .map(|d| short(d))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        fix: "deploy the gated image by digest (`--image-uri REPO@sha256:…`), or gate what is deployed (`gate check --function NAME`)".into(),
    }
}

fn short(d: &str) -> &str {
    &d[..d.len().min(19)]
}
