//! The package policy's rule ids (fixed in DESIGN.md) and what each means.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    PackageDenied,
    PackageWarned,
    PackageGrowth,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::PackageDenied,
        Code::PackageWarned,
        Code::PackageGrowth,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Code::PackageDenied => "package-denied",
            Code::PackageWarned => "package-warned",
            Code::PackageGrowth => "package-growth",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Code::PackageDenied => "a package that [packages] deny names is installed",
            Code::PackageWarned => "a package that [packages] warn names is installed",
            Code::PackageGrowth => {
                "more new packages, or a package grew more, than [packages] allows against the baseline"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_ones_design_md_fixes() {
        let ids: Vec<&str> = Code::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(ids, ["package-denied", "package-warned", "package-growth"]);
        for c in Code::ALL {
            // No clash with the image rules' ids.
            assert!(crate::rules::diags::Code::from_id(c.id()).is_none());
            assert!(!c.description().is_empty());
        }
    }
}
