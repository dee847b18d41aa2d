//! `/etc/os-release` (or `/usr/lib/os-release`, which Debian's `/etc/os-release` links to):
//! the distribution, for the purls' namespace and `distro` qualifier.

use super::Files;

pub fn wants(path: &str) -> bool {
    path == "etc/os-release" || path == "usr/lib/os-release"
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID`: debian, ubuntu, amzn, alpine, …
    pub id: String,
    /// `VERSION_ID`: 12, 2023, 3.19.1, …
    pub version_id: String,
}

impl OsRelease {
    pub fn read(files: &Files) -> OsRelease {
        let data = files
            .visible("etc/os-release")
            .or_else(|| files.visible("usr/lib/os-release"));
        data.map(|(_, d)| OsRelease::parse(&String::from_utf8_lossy(d)))
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> OsRelease {
        let mut os = OsRelease::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
            match k.trim() {
                "ID" => os.id = v,
                "VERSION_ID" => os.version_id = v,
                _ => {}
            }
        }
        os
    }

    /// `debian-12`, as Trivy and syft write the purl's `distro` qualifier.
    pub fn distro(&self) -> String {
        match (self.id.is_empty(), self.version_id.is_empty()) {
            (true, _) => String::new(),
            (false, true) => self.id.clone(),
            (false, false) => format!("{}-{}", self.id, self.version_id),
        }
    }

    /// The purl namespace for the system packages, with `default` when there is no os-release.
    pub fn namespace<'a>(&'a self, default: &'a str) -> &'a str {
        if self.id.is_empty() {
            default
        } else {
            &self.id
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_values() {
        let os = OsRelease::parse(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        );
        assert_eq!(os.distro(), "debian-12");
        assert_eq!(os.namespace("x"), "debian");
    }
}
