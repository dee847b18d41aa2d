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

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_fail, assert_pass, assert_unknown, digest, Given};
    use super::check;

    fn deployed(runs: char, gated: &[String]) -> Given {
        let mut g = Given::function().image("linux/amd64", gated);
        g.function.image_digest = Some(digest(runs));
        g
    }

    #[test]
    fn the_gated_digest_deployed_passes_among_several() {
        assert_pass(check(&deployed('a', &[digest('a')]).ctx()));
        assert_pass(check(&deployed('b', &[digest('a'), digest('b')]).ctx()));
    }

    #[test]
    fn another_digest_fails_naming_both_short() {
        assert_fail(
            check(&deployed('b', &[digest('a')]).ctx()),
            &["fn runs sha256:bbbbbbbbbbbb but this run gated sha256:aaaaaaaaaaaa"],
            &[
                "deploy the gated image by digest",
                "gate check --function NAME",
            ],
        );
    }

    #[test]
    fn what_cannot_be_compared_is_not_checked() {
        let mut no_image = deployed('a', &[]);
        no_image.image = None;
        assert_unknown(check(&no_image.ctx()), &["no image gated"]);
        assert_unknown(
            check(&deployed('a', &[]).ctx()),
            &["records no manifest digest", "docker-archive"],
        );
        let mut unresolved = deployed('a', &[digest('a')]);
        unresolved.function.image_digest = None;
        assert_unknown(
            check(&unresolved.ctx()),
            &["the Lambda API gave no resolved image digest"],
        );
        let mut before = Given::template().image("linux/amd64", &[digest('a')]);
        before.function.image_uri =
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1".into());
        assert_unknown(check(&before.ctx()), &["names a tag, not a digest"]);
    }
}
