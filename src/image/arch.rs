//! The two architectures Lambda runs, under every name they go by: Lambda says x86_64 and
//! arm64, OCI platforms say amd64 and arm64, `uname -m` says aarch64. Parsed once into `Arch`,
//! so pricing, the image rules and the deployed rules cannot disagree on which is which.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::EnumString, strum::EnumIter)]
#[strum(ascii_case_insensitive)]
pub enum Arch {
    #[default]
    #[strum(serialize = "x86_64", serialize = "amd64", serialize = "x86-64")]
    X86_64,
    #[strum(serialize = "arm64", serialize = "aarch64")]
    Arm64,
}

impl Arch {
    /// None: not an architecture Lambda runs.
    pub fn parse(name: &str) -> Option<Arch> {
        name.parse().ok()
    }

    /// As Lambda's `Architectures` writes it.
    pub fn lambda_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// As an OCI platform (`linux/amd64`) writes it.
    pub fn oci_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }
}

/// Lambda's name: the one the gate's flags and messages use.
impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.lambda_name())
    }
}

#[cfg(test)]
mod tests {
    use super::Arch;
    use strum::IntoEnumIterator;

    #[test]
    fn every_name_of_each_architecture() {
        for n in ["x86_64", "amd64", "x86-64", "X86_64", "AMD64"] {
            assert_eq!(Arch::parse(n), Some(Arch::X86_64), "{n}");
        }
        for n in ["arm64", "aarch64", "ARM64", "AArch64"] {
            assert_eq!(Arch::parse(n), Some(Arch::Arm64), "{n}");
        }
        for n in ["", "386", "arm", "riscv64", "s390x"] {
            assert_eq!(Arch::parse(n), None, "{n}");
        }
    }

    #[test]
    fn names_parse_back() {
        for a in Arch::iter() {
            assert_eq!(Arch::parse(a.lambda_name()), Some(a));
            assert_eq!(Arch::parse(a.oci_name()), Some(a));
            assert_eq!(a.to_string(), a.lambda_name());
        }
    }
}
