//! `--sbom-output`: the inventory as a CycloneDX JSON SBOM, for Trivy, Grype and
//! Dependency-Track-style consumers.
//!
//! Written with the `cyclonedx-bom` crate in the newest spec version it writes (1.5). The
//! image is the root `metadata.component` (type `container`), its digest, platform, sizes
//! and layers as properties; each package is a `library` component with its purl, license,
//! and the gate's own facts (layer, bytes, files, where it was read) as `lambda-gate:*`
//! properties. The root depends on every package, so consumers see one tree. A build-only
//! crate has `scope: excluded`; a crate not from crates.io, its source as a property.

use std::collections::HashSet;

use anyhow::{bail, Result};
use cyclonedx_bom::models::component::Classification;
use cyclonedx_bom::models::dependency::{Dependencies, Dependency};
use cyclonedx_bom::models::license::{License, LicenseChoice, Licenses};
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::models::tool::{Tool, Tools};
use cyclonedx_bom::prelude::*;

use super::{Package, Report};

/// The spec version written (the newest `cyclonedx-bom` 0.8 supports).
pub const SPEC_VERSION: &str = "1.5";

/// The `bom-ref` of the image, the root of the dependency tree.
const ROOT_REF: &str = "image";

/// The CycloneDX JSON document for `report`'s image and inventory.
pub fn render(report: &Report) -> Result<String> {
    let mut bom = Bom {
        spec_version: SpecVersion::V1_5,
        ..Bom::default()
    };
    let mut meta = Metadata::new().map_err(|e| anyhow::anyhow!("SBOM timestamp: {e}"))?;
    meta.tools = Some(Tools::List(vec![Tool::new(
        "lambda-gate",
        "lambda-gate",
        &report.tool.version,
    )]));
    meta.component = Some(root(report));
    bom.metadata = Some(meta);

    let mut refs = HashSet::new();
    let components: Vec<Component> = report
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| component(p, i, &mut refs))
        .collect();
    let mut children: Vec<String> = components
        .iter()
        .filter_map(|c| c.bom_ref.clone())
        .collect();
    children.sort();
    bom.dependencies = Some(Dependencies(vec![Dependency {
        dependency_ref: ROOT_REF.into(),
        dependencies: children,
    }]));
    bom.components = Some(Components(components));

    let check = bom.validate_version(SpecVersion::V1_5);
    if !check.passed() {
        bail!("the SBOM did not pass cyclonedx-bom's own validation: {check:?}");
    }
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)
        .map_err(|e| anyhow::anyhow!("writing the SBOM: {e}"))?;
    let mut text = String::from_utf8(out)?;
    text.push('\n');
    Ok(text)
}

fn prop(name: &str, value: impl ToString) -> Property {
    Property::new(format!("lambda-gate:{name}"), &value.to_string())
}

/// The image: named as the archive names it, its config digest as the version.
fn root(report: &Report) -> Component {
    let img = report.image.as_ref();
    let name = img
        .map(|i| i.reference.clone().unwrap_or_else(|| i.source.clone()))
        .unwrap_or_else(|| "image".into());
    let digest = img
        .and_then(|i| i.config_digest.clone())
        .unwrap_or_default();
    let mut c = Component::new(
        Classification::Container,
        &name,
        &digest,
        Some(ROOT_REF.into()),
    );
    if digest.is_empty() {
        c.version = None;
    }
    if let Some(i) = img {
        let mut props = vec![
            prop("image:source", &i.source),
            prop("image:format", i.format.as_str()),
            prop("image:platform", &i.platform),
            prop("image:size_bytes", i.size_bytes),
            prop("image:compressed_bytes", i.compressed_bytes),
            prop("image:final_bytes", i.final_bytes),
        ];
        if let Some(d) = &i.config_digest {
            props.push(prop("image:config_digest", d));
        }
        for l in &i.layers {
            // One property per layer: "index digest size".
            props.push(prop(
                "image:layer",
                format!("{} {} {}", l.index, l.digest, l.size_bytes),
            ));
            if let Some(d) = &l.diff_id {
                props.push(prop("image:layer_diff_id", format!("{} {d}", l.index)));
            }
        }
        c.properties = Some(Properties(props));
    }
    c
}

fn component(p: &Package, index: usize, refs: &mut HashSet<String>) -> Component {
    let base = if p.purl.is_empty() {
        format!("{}:{}@{}", p.ecosystem, p.name, p.version)
    } else {
        p.purl.clone()
    };
    // A purl names a version, not a copy: nested npm copies share one; bom-refs must not.
    let bom_ref = if refs.insert(base.clone()) {
        base
    } else {
        let r = format!("{base}#{index}");
        refs.insert(r.clone());
        r
    };
    let mut c = Component::new(Classification::Library, &p.name, &p.version, Some(bom_ref));
    let purl = if p.purl.is_empty() {
        Purl::new(p.ecosystem.as_str(), &p.name, &p.version).ok()
    } else {
        p.purl.parse().ok()
    };
    c.purl = purl.filter(|u| cyclonedx_bom::external_models::uri::validate_purl(u).is_ok());
    if let Some(l) = p.license.as_deref().filter(|l| !l.trim().is_empty()) {
        c.licenses = Some(Licenses(vec![LicenseChoice::License(
            License::named_license(l),
        )]));
    }
    let mut props = vec![
        prop("package:ecosystem", p.ecosystem),
        prop("package:bytes", p.bytes),
        prop("package:files", p.files),
    ];
    if let Some(l) = p.layer {
        props.push(prop("package:layer", l));
    }
    if !p.location.is_empty() {
        props.push(prop("package:location", &p.location));
    }
    if let Some(s) = &p.source {
        props.push(prop("package:source", s));
    }
    // CycloneDX 1.5's `scope`: "excluded" is for components not part of the runtime, which a
    // build-only crate is (Trivy and syft leave those out of their SBOMs instead). Other
    // components keep no scope (the spec's default, "required"), as before.
    if p.build_only {
        c.scope = Some(cyclonedx_bom::models::component::Scope::Excluded);
    }
    c.properties = Some(Properties(props));
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{DiveScore, ImageSummary, LayerSummary};

    fn report() -> Report {
        let pkg = |eco: &str, name: &str, ver: &str, purl: &str, loc: &str| Package {
            ecosystem: eco.parse().unwrap(),
            name: name.into(),
            version: ver.into(),
            purl: purl.into(),
            bytes: 1000,
            files: 3,
            layer: Some(1),
            license: Some("MIT".into()),
            location: loc.into(),
            source: None,
            build_only: false,
        };
        Report {
            image: Some(ImageSummary {
                source: "app.tar".into(),
                reference: Some("localhost/app:1".into()),
                format: crate::image::Format::OciArchive,
                platform: "linux/amd64".into(),
                platforms: vec![],
                config_digest: Some("sha256:abc".into()),
                manifest_digest: None,
                index: None,
                size_bytes: 5000,
                compressed_bytes: 2000,
                final_bytes: 4000,
                wasted_bytes: 1000,
                efficiency: 0.9,
                file_count: 10,
                layers: vec![LayerSummary {
                    index: 0,
                    digest: "sha256:l0".into(),
                    diff_id: Some("sha256:d0".into()),
                    media_type: "x".into(),
                    compression: crate::image::blob::Compression::Gzip,
                    size_bytes: 5000,
                    compressed_bytes: 2000,
                    created_by: String::new(),
                    wasted_bytes: 0,
                    file_count: 10,
                    largest: vec![],
                }],
                top_wasted: vec![],
                dive: DiveScore::default(),
                entrypoint: vec![],
                cmd: vec![],
                workdir: String::new(),
            }),
            packages: vec![
                pkg(
                    "npm",
                    "ms",
                    "2.1.3",
                    "pkg:npm/ms@2.1.3",
                    "/a/node_modules/ms/package.json",
                ),
                pkg(
                    "npm",
                    "ms",
                    "2.1.3",
                    "pkg:npm/ms@2.1.3",
                    "/b/node_modules/ms/package.json",
                ),
                pkg(
                    "pypi",
                    "requests",
                    "2.32.3",
                    "",
                    "/var/task/requests-2.32.3.dist-info/METADATA",
                ),
                pkg(
                    "deb",
                    "curl",
                    "7.88.1-10+deb12u5",
                    "not a purl",
                    "/var/lib/dpkg/status",
                ),
            ],
            ..Report::default()
        }
    }

    #[test]
    fn the_image_is_the_root_and_every_package_a_component() {
        let doc: serde_json::Value = serde_json::from_str(&render(&report()).unwrap()).unwrap();
        assert_eq!(doc["bomFormat"], "CycloneDX");
        assert_eq!(doc["specVersion"], SPEC_VERSION);
        let root = &doc["metadata"]["component"];
        assert_eq!(root["type"], "container");
        assert_eq!(root["name"], "localhost/app:1");
        assert_eq!(root["version"], "sha256:abc");
        let props = root["properties"].as_array().unwrap();
        let has = |n: &str, v: &str| {
            props
                .iter()
                .any(|p| p["name"] == format!("lambda-gate:{n}") && p["value"] == v)
        };
        assert!(has("image:size_bytes", "5000"), "{props:?}");
        assert!(has("image:layer", "0 sha256:l0 5000"), "{props:?}");
        let comps = doc["components"].as_array().unwrap();
        assert_eq!(comps.len(), 4);
        let refs: HashSet<&str> = comps
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        assert_eq!(refs.len(), 4, "bom-refs are unique: {refs:?}");
        assert_eq!(comps[2]["purl"], "pkg:pypi/requests@2.32.3");
        assert!(
            comps[3].get("purl").is_none(),
            "an invalid purl is left out"
        );
        assert_eq!(comps[0]["licenses"][0]["license"]["name"], "MIT");
        let deps = &doc["dependencies"][0];
        assert_eq!(deps["ref"], "image");
        assert_eq!(deps["dependsOn"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn build_only_crates_are_excluded_and_other_sources_said() {
        let mut r = report();
        let cargo = |name: &str, source: Option<&str>, build_only: bool| Package {
            ecosystem: crate::model::Ecosystem::Cargo,
            name: name.into(),
            version: "1.0.0".into(),
            purl: format!("pkg:cargo/{name}@1.0.0"),
            bytes: 0,
            files: 0,
            layer: Some(0),
            license: None,
            location: "/var/runtime/bootstrap".into(),
            source: source.map(Into::into),
            build_only,
        };
        r.packages = vec![
            cargo("cc", None, true),
            cargo("mine", Some("local"), false),
            cargo("serde", None, false),
        ];
        let doc: serde_json::Value = serde_json::from_str(&render(&r).unwrap()).unwrap();
        let c = |name: &str| {
            doc["components"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(c("cc")["scope"], "excluded");
        assert!(c("serde").get("scope").is_none());
        assert!(c("mine").get("scope").is_none());
        let source = |name: &str| {
            c(name)["properties"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "lambda-gate:package:source")
                .map(|p| p["value"].clone())
        };
        assert_eq!(source("mine"), Some("local".into()));
        assert_eq!(source("serde"), None);
    }
}
