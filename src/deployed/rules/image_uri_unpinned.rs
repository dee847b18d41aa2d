//! `lambda-image-uri-unpinned`: the image URI a template deploys is not an ECR repository
//! (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO`, the only registry Lambda pulls from), or names
//! a tag rather than a digest: a tag can move between plan and apply, so what deploys is not
//! what was gated.

use super::super::{Ctx, Outcome, Rule};
use crate::model::RuleId;

pub const RULE: Rule = Rule {
    id: RuleId::LambdaImageUriUnpinned,
    check,
    fields: &["image_uri"],
};

fn check(ctx: &Ctx) -> Outcome {
    let Some(uri) = &ctx.function.image_uri else {
        return Outcome::Pass;
    };
    let (repo, digest) = match uri.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (uri.as_str(), None),
    };
    if !is_ecr(repo) {
        return Outcome::Fail {
            message: format!(
                "image URI {uri:?} is not an ECR repository (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO): Lambda runs images from ECR only"
            ),
            fix: "push the gated image to ECR and deploy it as ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…".into(),
        };
    }
    if !digest.is_some_and(is_digest) {
        return Outcome::Fail {
            message: format!(
                "image URI {uri:?} is not pinned by digest: the tag can move between this check and the deploy"
            ),
            fix: "deploy the gated image by digest: REPO@sha256:… (`gate check` prints it; `skopeo inspect` gives it for a tag)".into(),
        };
    }
    Outcome::Pass
}

/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPO[:TAG]`, as Lambda accepts it.
pub fn is_ecr(repo: &str) -> bool {
    let Some((host, path)) = repo.split_once('/') else {
        return false;
    };
    let Some(rest) = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('.').collect();
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-".contains(&b))
    };
    matches!(parts.as_slice(), [account, "dkr", "ecr", region]
        if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && name_ok(region))
        && !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:".contains(&b))
}

fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_repositories_in_lambdas_form() {
        assert!(is_ecr("123456789012.dkr.ecr.us-east-1.amazonaws.com/repo"));
        assert!(is_ecr(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b:tag"
        ));
        assert!(is_ecr(
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/repo"
        ));
        assert!(!is_ecr("s3://bucket/key"));
        assert!(!is_ecr("some_image_uri"));
        assert!(!is_ecr("public.ecr.aws/lambda/python"));
        assert!(!is_ecr("12345.dkr.ecr.us-east-1.amazonaws.com/repo"));
        assert!(!is_ecr("123456789012.dkr.ecr.us-east-1.amazonaws.com/"));
        assert!(is_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_digest("sha256:abc"));
    }
}

#[cfg(test)]
mod rule_tests {
    use super::super::testing::{assert_fail, assert_pass, Given};
    use super::check;

    const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app";

    fn uri(u: &str) -> Given {
        let mut g = Given::template();
        g.function.image_uri = Some(u.into());
        g
    }

    #[test]
    fn ecr_by_digest_passes_with_or_without_a_tag() {
        let d = super::super::testing::digest('a');
        assert_pass(check(&uri(&format!("{ECR}@{d}")).ctx()));
        assert_pass(check(&uri(&format!("{ECR}:1.2@{d}")).ctx()));
        assert_pass(check(&Given::template().ctx()));
    }

    #[test]
    fn a_tag_or_a_malformed_digest_is_unpinned() {
        for u in [
            format!("{ECR}:latest"),
            ECR.to_string(),
            format!("{ECR}@sha256:abc"),
        ] {
            assert_fail(
                check(&uri(&u).ctx()),
                &["is not pinned by digest", "the tag can move"],
                &["REPO@sha256:…"],
            );
        }
    }

    #[test]
    fn another_registry_is_not_ecr_even_by_digest() {
        let d = super::super::testing::digest('a');
        assert_fail(
            check(&uri(&format!("public.ecr.aws/lambda/python@{d}")).ctx()),
            &[
                "is not an ECR repository",
                "Lambda runs images from ECR only",
            ],
            &["push the gated image to ECR"],
        );
    }
}
