//! Trivy JSON (SchemaVersion 2): vulnerabilities of OS and language packages, failed
//! misconfigurations, secrets and licenses, from `Results[]` of every class. Findings Trivy
//! itself suppressed (`ExperimentalModifiedFindings`, from VEX or .trivyignore) are kept as
//! suppressed, with Trivy's statement.

use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

use anyhow::Result;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{FindingKind, ParseOptions, Parsed, SecurityFinding, Severity};

pub fn detect(head: &str) -> bool {
    head.contains("\"SchemaVersion\"")
        && (head.contains("\"Results\"") || head.contains("\"ArtifactName\""))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vuln {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: String,
    #[serde(default)]
    pkg_name: String,
    #[serde(default)]
    installed_version: String,
    #[serde(default)]
    fixed_version: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    primary_url: String,
    #[serde(default)]
    layer: Option<Layer>,
    #[serde(default)]
    vendor_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Layer {
    #[serde(default, rename = "DiffID")]
    diff_id: Option<String>,
    #[serde(default)]
    digest: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Misconf {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(rename = "AVDID", default)]
    avd_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    primary_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Secret {
    #[serde(rename = "RuleID", default)]
    rule_id: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    start_line: Option<u64>,
    #[serde(default)]
    layer: Option<Layer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct License {
    #[serde(default)]
    name: String,
    #[serde(default)]
    pkg_name: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    category: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Modified {
    #[serde(default)]
    status: String,
    #[serde(default)]
    statement: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    finding: Option<Vuln>,
}

fn layer(l: Option<Layer>) -> Option<String> {
    l.and_then(|l| l.diff_id.or(l.digest))
        .filter(|s| !s.is_empty())
}

/// The location is filled in with the result's target once the result is read.
fn vuln(v: Vuln) -> SecurityFinding {
    SecurityFinding {
        aliases: v
            .vendor_ids
            .into_iter()
            .filter(|a| a != &v.vulnerability_id)
            .collect(),
        id: v.vulnerability_id,
        source: vec!["trivy".into()],
        kind: Some(FindingKind::Vulnerability),
        severity: Severity::from_scanner(&v.severity),
        package: v.pkg_name,
        installed: v.installed_version,
        fixed: v.fixed_version,
        title: v.title,
        layer: layer(v.layer),
        link: v.primary_url,
        ..Default::default()
    }
}

pub fn parse(r: &mut dyn Read, _opts: &ParseOptions) -> Result<Parsed> {
    // Streamed: `Results` is visited one result at a time and each array inside it one item
    // at a time, so a 400 MB report never sits in memory; only the findings kept do.
    let mut out = Parsed::default();
    let mut de = serde_json::Deserializer::from_reader(r);
    let found = de::DeserializeSeed::deserialize(OrNull(ReportSeed(&mut out)), &mut de)?;
    de.end()?;
    if !found {
        anyhow::bail!("the report is null");
    }
    Ok(out)
}

/// `null`, read as the seed's default value, or what the seed reads: Trivy writes `null` for
/// an empty list, and a document may be `null` too.
struct OrNull<S>(S);

impl<'de, S: de::DeserializeSeed<'de>> de::DeserializeSeed<'de> for OrNull<S>
where
    S::Value: Default,
{
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: de::DeserializeSeed<'de>> Visitor<'de> for OrNull<S>
where
    S::Value: Default,
{
    type Value = S::Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null or a value")
    }
    fn visit_none<E: de::Error>(self) -> Result<S::Value, E> {
        Ok(S::Value::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<S::Value, E> {
        Ok(S::Value::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(d)
    }
}

/// The top-level object: `SchemaVersion` checked, `Results` streamed, the rest skipped.
/// Yields true (a `null` document, under `OrNull`, false).
struct ReportSeed<'a>(&'a mut Parsed);

impl<'de> de::DeserializeSeed<'de> for ReportSeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ReportSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Trivy JSON report (an object with SchemaVersion and Results)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "SchemaVersion" => {
                    if let Some(v) = map.next_value::<Option<u32>>()? {
                        if v != 2 {
                            return Err(de::Error::custom(format!(
                                "Trivy SchemaVersion {v} (this gate reads SchemaVersion 2)"
                            )));
                        }
                    }
                }
                "Results" => map.next_value_seed(OrNull(ResultsSeed(&mut *self.0)))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(true)
    }
}

/// `Results`: an array (or null) of results, each turned into findings as it is read.
struct ResultsSeed<'a>(&'a mut Parsed);

impl<'de> de::DeserializeSeed<'de> for ResultsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of results")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(ResultSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One result. Its findings are pushed as their arrays stream past; `Target` may come before
/// or after them, so each finding's location holds only its suffix (`:line` for a secret)
/// until the object ends and the target is put in front.
struct ResultSeed<'a>(&'a mut Parsed);

impl<'de> de::DeserializeSeed<'de> for ResultSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResultSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a result object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let (first, first_suppressed) = (out.findings.len(), out.suppressed.len());
        let mut target = String::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Target" => target = map.next_value::<Option<String>>()?.unwrap_or_default(),
                "Vulnerabilities" => map.next_value_seed(each(|v: Vuln| {
                    out.findings.push(vuln(v));
                }))?,
                "Misconfigurations" => map.next_value_seed(each(|m: Misconf| {
                    if let Some(f) = misconf(m) {
                        out.findings.push(f);
                    }
                }))?,
                "Secrets" => map.next_value_seed(each(|s: Secret| {
                    out.findings.push(secret(s));
                }))?,
                "Licenses" => map.next_value_seed(each(|l: License| {
                    out.findings.push(license(l));
                }))?,
                "ExperimentalModifiedFindings" => map.next_value_seed(each(|m: Modified| {
                    if let Some(f) = modified(m) {
                        out.suppressed.push(f);
                    }
                }))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for f in out.findings[first..]
            .iter_mut()
            .chain(out.suppressed[first_suppressed..].iter_mut())
        {
            f.location.insert_str(0, &target);
        }
        Ok(())
    }
}

/// An array (or null) whose items are handed to a closure one at a time.
struct Each<T, F>(F, PhantomData<T>);

fn each<T, F: FnMut(T)>(f: F) -> OrNull<Each<T, F>> {
    OrNull(Each(f, PhantomData))
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> de::DeserializeSeed<'de> for Each<T, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> Visitor<'de> for Each<T, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            (self.0)(item);
        }
        Ok(())
    }
}

fn misconf(m: Misconf) -> Option<SecurityFinding> {
    if !m.status.eq_ignore_ascii_case("FAIL") {
        return None;
    }
    let id = if m.id.is_empty() {
        m.avd_id.clone()
    } else {
        m.id.clone()
    };
    let mut aliases = Vec::new();
    if !m.avd_id.is_empty() && m.avd_id != id {
        aliases.push(m.avd_id.clone());
    }
    // Trivy ≥ 0.69 writes DS-0002 where older versions wrote DS002: keep both.
    let compact = id.replace('-', "");
    if compact != id {
        aliases.push(compact);
    }
    Some(SecurityFinding {
        id,
        aliases,
        source: vec!["trivy".into()],
        kind: Some(FindingKind::Misconfiguration),
        severity: Severity::from_scanner(&m.severity),
        title: if m.resolution.is_empty() {
            m.title
        } else {
            format!("{}: {}", m.title, m.resolution)
        },
        link: m.primary_url,
        ..Default::default()
    })
}

fn secret(s: Secret) -> SecurityFinding {
    SecurityFinding {
        id: s.rule_id,
        source: vec!["trivy".into()],
        kind: Some(FindingKind::Secret),
        severity: Severity::from_scanner(&s.severity),
        title: s.title,
        location: s.start_line.map(|l| format!(":{l}")).unwrap_or_default(),
        layer: layer(s.layer),
        ..Default::default()
    }
}

fn license(l: License) -> SecurityFinding {
    SecurityFinding {
        id: l.name.clone(),
        source: vec!["trivy".into()],
        kind: Some(FindingKind::License),
        severity: Severity::from_scanner(&l.severity),
        package: l.pkg_name,
        title: format!("license {} ({})", l.name, l.category),
        ..Default::default()
    }
}

/// A finding Trivy itself suppressed (VEX, .trivyignore), kept with Trivy's statement.
fn modified(m: Modified) -> Option<SecurityFinding> {
    let v = m.finding?;
    let mut f = vuln(v);
    let why = [m.status.as_str(), m.statement.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(": ");
    f.suppressed = Some(format!(
        "{why} (Trivy, {})",
        if m.source.is_empty() {
            "ignore"
        } else {
            &m.source
        }
    ));
    Some(f)
}
