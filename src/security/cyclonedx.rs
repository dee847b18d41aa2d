//! CycloneDX JSON 1.4–1.7 (Trivy, Grype and others write it): the components (the inventory)
//! and the vulnerabilities with their ratings, affected components and VEX analysis. A state
//! of not_affected, false_positive or resolved suppresses the finding, with the justification.
//!
//! Read with our own lenient model of the fields the gate needs: the cyclonedx-bom crate reads
//! spec 1.3–1.5 only and rejects the 1.6/1.7 documents current Trivy and Grype write.

use std::collections::HashMap;
use std::io::Read;

use anyhow::Result;
use serde::Deserialize;

use super::{FindingKind, Inventory, ParseOptions, Parsed, SecurityFinding, Severity};

pub fn detect(head: &str) -> bool {
    head.contains("\"bomFormat\"") && head.contains("CycloneDX")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    components: Vec<Component>,
    #[serde(default)]
    vulnerabilities: Vec<Vuln>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    tools: Option<serde_json::Value>,
    #[serde(default)]
    component: Option<Component>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Component {
    #[serde(default, rename = "bom-ref")]
    bom_ref: Option<String>,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vuln {
    #[serde(default)]
    id: String,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    references: Vec<Reference>,
    #[serde(default)]
    ratings: Vec<Rating>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    recommendation: String,
    #[serde(default)]
    affects: Vec<Affect>,
    #[serde(default)]
    analysis: Option<Analysis>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(default)]
    id: String,
}

#[derive(Deserialize)]
struct Rating {
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    method: Option<String>,
}

#[derive(Deserialize)]
struct Affect {
    #[serde(default, rename = "ref")]
    reference: String,
    #[serde(default)]
    versions: Vec<AffectVersion>,
}

#[derive(Deserialize)]
struct AffectVersion {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct Analysis {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

fn flatten(cs: &[Component], out: &mut Vec<Component>) {
    for c in cs {
        out.push(c.clone());
        flatten(&c.components, out);
    }
}

/// `pkg:pypi/requests@2.0` → "pypi".
fn ecosystem(purl: &str) -> Option<String> {
    purl.strip_prefix("pkg:")?
        .split('/')
        .next()
        .map(|s| s.to_string())
}

fn tool_name(meta: &Option<Metadata>) -> String {
    let text = meta
        .as_ref()
        .and_then(|m| m.tools.as_ref())
        .map(|t| t.to_string().to_lowercase())
        .unwrap_or_default();
    [
        "trivy",
        "grype",
        "syft",
        "cdxgen",
        "snyk",
        "dependency-track",
    ]
    .into_iter()
    .find(|t| text.contains(t))
    .unwrap_or("cyclonedx")
    .to_string()
}

pub fn parse(r: &mut dyn Read, _opts: &ParseOptions) -> Result<Parsed> {
    let bom: Bom = serde_json::from_reader(r)?;
    let tool = tool_name(&bom.metadata);
    let mut all = Vec::new();
    flatten(&bom.components, &mut all);
    let mut inv = Inventory::default();
    let mut by_ref: HashMap<String, Component> = HashMap::new();
    for c in &all {
        inv.components += 1;
        *inv.by_type
            .entry(if c.kind.is_empty() {
                "unknown".into()
            } else {
                c.kind.clone()
            })
            .or_default() += 1;
        if let Some(e) = c.purl.as_deref().and_then(ecosystem) {
            *inv.by_ecosystem.entry(e).or_default() += 1;
        }
        if let Some(r) = &c.bom_ref {
            by_ref.insert(r.clone(), c.clone());
        }
    }
    if let Some(c) = bom.metadata.as_ref().and_then(|m| m.component.clone()) {
        if let Some(r) = &c.bom_ref {
            by_ref.insert(r.clone(), c);
        }
    }
    let mut out = Parsed {
        inventory: Some(inv),
        ..Default::default()
    };
    for v in bom.vulnerabilities {
        let severity = v
            .ratings
            .iter()
            .map(|r| match (&r.severity, r.score) {
                (Some(s), _) if Severity::parse(s).is_some_and(|s| s != Severity::Unknown) => {
                    Severity::from_scanner(s)
                }
                (_, Some(score)) if r.method.as_deref() != Some("other") => {
                    Severity::from_score(score)
                }
                _ => Severity::Unknown,
            })
            .max()
            .unwrap_or_default();
        let aliases: Vec<String> = v
            .references
            .iter()
            .map(|r| r.id.clone())
            .filter(|i| !i.is_empty() && i != &v.id)
            .collect();
        let suppressed = v.analysis.as_ref().and_then(|a| {
            let state = a.state.as_deref()?;
            matches!(state, "not_affected" | "false_positive" | "resolved").then(|| {
                let why = a
                    .justification
                    .as_deref()
                    .or(a.detail.as_deref())
                    .unwrap_or("no justification given");
                format!("VEX {state}: {why}")
            })
        });
        let title = super::title(&v.description);
        let fixed_from_rec = v
            .recommendation
            .rsplit_once("to version ")
            .map(|(_, ver)| ver.trim().to_string());
        let targets: Vec<&Affect> = if v.affects.is_empty() {
            Vec::new()
        } else {
            v.affects.iter().collect()
        };
        let mk = |pkg: String, ver: String, fixed: String| SecurityFinding {
            id: v.id.clone(),
            aliases: aliases.clone(),
            source: vec![tool.clone()],
            kind: Some(FindingKind::Vulnerability),
            severity,
            package: pkg,
            installed: ver,
            fixed,
            title: title.clone(),
            link: v
                .source
                .as_ref()
                .and_then(|s| s.url.clone())
                .unwrap_or_default(),
            suppressed: suppressed.clone(),
            ..Default::default()
        };
        let mut made = Vec::new();
        if targets.is_empty() {
            made.push(mk(
                String::new(),
                String::new(),
                fixed_from_rec.clone().unwrap_or_default(),
            ));
        }
        for a in targets {
            let comp = by_ref.get(&a.reference);
            let fixed = a
                .versions
                .iter()
                .filter(|x| x.status.as_deref() == Some("unaffected"))
                .filter_map(|x| x.version.clone())
                .collect::<Vec<_>>()
                .join(", ");
            let fixed = if fixed.is_empty() {
                fixed_from_rec.clone().unwrap_or_default()
            } else {
                fixed
            };
            made.push(mk(
                comp.map(|c| c.name.clone())
                    .unwrap_or_else(|| a.reference.clone()),
                comp.map(|c| c.version.clone()).unwrap_or_default(),
                fixed,
            ));
        }
        for f in made {
            if f.suppressed.is_some() {
                out.suppressed.push(f);
            } else {
                out.findings.push(f);
            }
        }
    }
    Ok(out)
}
