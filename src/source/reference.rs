//! Image references in skopeo's transport syntax (`docker://`, `docker-archive:`, `oci:`, …)
//! beside the plain paths that always worked, and Docker's reference grammar for names in a
//! registry (`[host[:port]/]repo[:tag][@digest]`, Docker Hub's `library/` default).
//!
//! Hand-written, not `oci_spec::distribution::Reference` (oci-spec 0.8.4, already a dependency
//! for the image types; its `distribution` feature would add no crate). Its parse differs from
//! what the gate takes and reports, in ways users see:
//!
//! - it refuses a registry host that is an IPv6 literal (`[::1]:5000/app`): its domain pattern
//!   has no brackets (distribution/reference accepts them since 2023), and a loopback registry
//!   over IPv6 is one the gate reads (`--plain-http`, registry/trust.rs);
//! - it fills in the tag `latest` when none is written, so `image.source` could no longer show
//!   the reference as written (`docker://docker.io/library/alpine`, not `…:latest`), and it
//!   rewrites `index.docker.io` to `docker.io`;
//! - its tag pattern is `\w`, which in the `regex` crate is Unicode: `app:tägé` would pass,
//!   where a registry (and the gate) takes ASCII only;
//! - it takes sha384/sha512 and upper-case hex digests, which the gate cannot verify (sha256
//!   only, `check_digest`);
//! - every refusal is "invalid reference format", where the gate names the part that is wrong
//!   ("repository component \"App\" is not valid", which tests/source_registry.rs holds).
//!
//! Working round all five would leave a hand parser beside it; the grammar is small and fixed.

use std::fmt;
use std::path::PathBuf;

use anyhow::{bail, Result};

/// Where an image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// An archive or layout path, as `gate check` always took; the format is read from it.
    Path(PathBuf),
    /// `docker-archive:PATH[:NAME|@INDEX]`, `oci-archive:PATH[:NAME]`, `oci:DIR[:NAME]`:
    /// a path plus, optionally, which image in it.
    Archive {
        transport: &'static str,
        path: PathBuf,
        image: Option<String>,
    },
    /// `docker://NAME` — a registry.
    Registry(Name),
    /// `docker-daemon:NAME` or `podman:NAME` — an engine's image store, over its socket.
    Daemon { engine: Engine, name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
}

impl Engine {
    pub fn transport(self) -> &'static str {
        match self {
            Engine::Docker => "docker-daemon",
            Engine::Podman => "podman",
        }
    }
}

/// The transports `parse` knows, for the error that lists them.
pub const TRANSPORTS: &[&str] = &[
    "docker://",
    "docker-archive:",
    "oci-archive:",
    "oci:",
    "docker-daemon:",
    "podman:",
];

impl ImageRef {
    pub fn parse(text: &str) -> Result<ImageRef> {
        let text = text.trim();
        if text.is_empty() {
            bail!("the image reference is empty");
        }
        if let Some(rest) = text.strip_prefix("docker://") {
            return Ok(ImageRef::Registry(Name::parse(rest)?));
        }
        let Some((prefix, rest)) = text.split_once(':') else {
            return Ok(ImageRef::Path(PathBuf::from(text)));
        };
        match prefix {
            "docker-archive" | "oci-archive" | "oci" => {
                let transport = match prefix {
                    "docker-archive" => "docker-archive",
                    "oci-archive" => "oci-archive",
                    _ => "oci",
                };
                // skopeo splits PATH from the image name at the first ':' too.
                let (path, image) = match rest.split_once(':') {
                    Some((p, i)) => (p, Some(i)),
                    None => (rest, None),
                };
                if path.is_empty() {
                    bail!("{text:?}: {transport}: needs a path, e.g. {transport}:image.tar");
                }
                let image = match image {
                    None => None,
                    Some("") => bail!("{text:?}: nothing after the ':' that follows the path"),
                    // skopeo's `@N` is a 0-based index; --image counts from 1.
                    Some(i) if i.starts_with('@') && transport == "docker-archive" => {
                        let n: usize = i[1..].parse().map_err(|_| {
                            anyhow::anyhow!("{text:?}: {i:?} is not an image index (@0, @1, …)")
                        })?;
                        Some((n + 1).to_string())
                    }
                    Some(i) => Some(i.to_string()),
                };
                Ok(ImageRef::Archive {
                    transport,
                    path: PathBuf::from(path),
                    image,
                })
            }
            "docker-daemon" | "podman" => {
                let engine = if prefix == "podman" {
                    Engine::Podman
                } else {
                    Engine::Docker
                };
                if rest.is_empty() {
                    bail!("{text:?}: {prefix}: needs an image name, e.g. {prefix}:app:latest");
                }
                // Validated as a name (an image id also works with the engines).
                if !is_image_id(rest) {
                    Name::parse(rest)?;
                }
                Ok(ImageRef::Daemon {
                    engine,
                    name: rest.to_string(),
                })
            }
            "docker" => bail!(
                "{text:?}: a registry reference is docker://NAME (two slashes), e.g. docker://ghcr.io/org/app:1"
            ),
            p if looks_like_transport(p) && !std::path::Path::new(text).exists() => bail!(
                "{text:?}: unknown transport {p:?}; use a path or one of {}",
                TRANSPORTS.join(" ")
            ),
            _ => Ok(ImageRef::Path(PathBuf::from(text))),
        }
    }

    /// The reference as the user would write it again (for the report's `image.source`).
    pub fn display(&self) -> String {
        match self {
            ImageRef::Path(p) => p.display().to_string(),
            ImageRef::Archive {
                transport,
                path,
                image,
            } => match image {
                Some(i) => format!("{transport}:{}:{i}", path.display()),
                None => format!("{transport}:{}", path.display()),
            },
            ImageRef::Registry(n) => format!("docker://{n}"),
            ImageRef::Daemon { engine, name } => format!("{}:{name}", engine.transport()),
        }
    }
}

fn looks_like_transport(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 20
        && p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_image_id(s: &str) -> bool {
    let h = s.strip_prefix("sha256:").unwrap_or(s);
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A name in a registry: `host[:port]/repo/path`, with a tag, a digest or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// As written, or `docker.io` when the name has no host.
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Name {
    pub fn parse(text: &str) -> Result<Name> {
        let bad = |why: &str| anyhow::anyhow!("image name {text:?}: {why}");
        if text.is_empty() {
            return Err(bad("empty"));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => {
                check_digest(d).map_err(|e| bad(&e))?;
                (r, Some(d.to_string()))
            }
            None => (text, None),
        };
        // A tag is after the last ':' of the last path component (a port has a '/' after it).
        let (path, tag) = match rest.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, Some(t.to_string())),
            _ => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !ok {
                return Err(bad(&format!(
                    "tag {t:?} is not valid (letters, digits, _ . -, at most 128)"
                )));
            }
        }
        let (registry, repository) = match path.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => ("docker.io".to_string(), path.to_string()),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if repository.is_empty() {
            return Err(bad("no repository after the registry host"));
        }
        for c in repository.split('/') {
            let ok = !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.as_bytes()[0].is_ascii_alphanumeric()
                && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric();
            if !ok {
                return Err(bad(&format!(
                    "repository component {c:?} is not valid (lowercase letters, digits, . _ -)"
                )));
            }
        }
        if registry.is_empty() || registry.contains(['@', ' ']) {
            return Err(bad("the registry host is not valid"));
        }
        Ok(Name {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// What the manifest endpoint takes: the digest when there is one, else the tag
    /// (`latest` when neither, as docker does).
    pub fn reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The host the API is served from: Docker Hub's API is not on docker.io.
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `sha256:` and 64 lowercase hex digits: the only digest registries serve that we verify.
pub fn check_digest(d: &str) -> std::result::Result<(), String> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(format!("digest {d:?} has no algorithm (sha256:…)"));
    };
    if algo != "sha256" {
        return Err(format!(
            "digest algorithm {algo:?} is not supported (sha256 only)"
        ));
    }
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!("digest {d:?} is not 64 lowercase hex digits"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_and_paths() {
        let archive = |transport, path: &str, image: Option<&str>| ImageRef::Archive {
            transport,
            path: path.into(),
            image: image.map(Into::into),
        };
        for (text, want) in [
            ("image.tar", ImageRef::Path("image.tar".into())),
            (
                "docker-archive:/tmp/a.tar:app:1",
                archive("docker-archive", "/tmp/a.tar", Some("app:1")),
            ),
            // skopeo's 0-based `@1` is the second image.
            (
                "docker-archive:a.tar:@1",
                archive("docker-archive", "a.tar", Some("2")),
            ),
            ("oci:layout", archive("oci", "layout", None)),
            (
                "podman:localhost/app:1",
                ImageRef::Daemon {
                    engine: Engine::Podman,
                    name: "localhost/app:1".into(),
                },
            ),
        ] {
            assert_eq!(ImageRef::parse(text).unwrap(), want, "{text}");
        }
        for bad in [
            "",
            "docker:app",
            "dockr-archive:x.tar",
            "oci:",
            "docker://",
            "docker://App:1",
            "docker://app:bad tag",
            "docker://app@sha256:1234",
            "docker://app@md5:00",
            "docker-daemon:",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn registry_names_follow_docker() {
        let n = Name::parse("alpine").unwrap();
        assert_eq!(
            (n.registry.as_str(), n.repository.as_str(), n.reference()),
            ("docker.io", "library/alpine", "latest")
        );
        assert_eq!(n.api_host(), "registry-1.docker.io");
        let n = Name::parse("127.0.0.1:5000/team/app:v1.2").unwrap();
        assert_eq!(n.registry, "127.0.0.1:5000");
        assert_eq!(n.repository, "team/app");
        assert_eq!(n.tag.as_deref(), Some("v1.2"));
        let d = format!("sha256:{}", "a".repeat(64));
        let n = Name::parse(&format!("localhost:5000/app:1@{d}")).unwrap();
        assert_eq!(n.reference(), d);
        assert_eq!(n.to_string(), format!("localhost:5000/app:1@{d}"));
        // What oci_spec's Reference would not keep (the module's doc): an IPv6 host, no tag
        // written, ASCII-only tags.
        let n = Name::parse("[::1]:5000/app:1").unwrap();
        assert_eq!(
            (n.registry.as_str(), n.repository.as_str()),
            ("[::1]:5000", "app")
        );
        assert_eq!(
            ImageRef::parse("docker://alpine").unwrap().display(),
            "docker://docker.io/library/alpine"
        );
        assert!(Name::parse("app:t\u{e4}g").is_err());
        let n = Name::parse("localhost:5000/app").unwrap();
        assert_eq!(
            (n.registry.as_str(), n.tag.as_deref()),
            ("localhost:5000", None)
        );
    }
}
