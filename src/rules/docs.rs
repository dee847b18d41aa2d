//! The image rules described as data (`model::RuleDoc`): the renderers sit below the rules
//! and get their descriptions, and what their bytes are, from here rather than reading
//! `Code` themselves.

use super::caches::KINDS;
use super::diags::Code;
use crate::model::{RuleDoc, RuleKind};

/// Every image rule, in the order of `Code`'s variants.
pub fn rule_docs() -> Vec<RuleDoc> {
    Code::all()
        .map(|c| RuleDoc {
            id: c.id(),
            description: c.description(),
            kind: kind(c),
        })
        .collect()
}

/// A rule is a cache rule when it has a row in the cache table, not by the look of its id.
fn kind(c: Code) -> RuleKind {
    if KINDS.iter().any(|k| k.code == c) {
        RuleKind::Cache
    } else if c == Code::BuildToolchain {
        RuleKind::BuildTools
    } else {
        RuleKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_and_build_tools_are_told_apart() {
        let docs = rule_docs();
        let of = |id: &str| docs.iter().find(|d| d.id == id).unwrap().kind;
        assert_eq!(of("pip-cache"), RuleKind::Cache);
        assert_eq!(of("apt-lists"), RuleKind::Cache);
        assert_eq!(of("build-toolchain"), RuleKind::BuildTools);
        assert_eq!(of("layer-waste"), RuleKind::Other);
        assert_eq!(docs.len(), Code::all().count());
    }
}
