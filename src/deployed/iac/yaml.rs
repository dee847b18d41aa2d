//! A template as a tree that remembers lines: YAML (and JSON, which YAML 1.2 reads) through
//! saphyr, whose marked nodes keep each value's position and CloudFormation's short-form tags
//! (`!Ref`, `!GetAtt`, `!Sub`) as written. serde_json keeps no lines and serde_yaml drops
//! unknown tags, so neither can point a finding at the line to change.

use anyhow::{anyhow, Result};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// Deeper than this is no template; saphyr bounds its own recursion, this bounds ours.
const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based.
    pub line: u64,
    pub v: V,
}

#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
    /// `!Ref x` → `Tag("Ref", x)`: the tag's name without the `!`.
    Tag(String, Box<Node>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.v {
            V::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.v {
            V::Map(m) => m,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            V::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses the first document of `text`; an error names the file and the line.
pub fn parse(file: &str, text: &str) -> Result<Node> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        anyhow!(
            "{file}:{}: not YAML or JSON: {}",
            e.marker().line(),
            e.info()
        )
    })?;
    let Some(doc) = docs.first() else {
        return Err(anyhow!("{file}:1: empty document"));
    };
    convert(file, doc, 0)
}

fn convert(file: &str, y: &MarkedYaml, depth: usize) -> Result<Node> {
    let line = y.span.start.line() as u64;
    if depth > MAX_DEPTH {
        return Err(anyhow!(
            "{file}:{line}: nested deeper than {MAX_DEPTH} levels"
        ));
    }
    let v = match &y.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(s, _, _) => V::Str(s.to_string()),
        YamlData::Sequence(items) => V::Seq(
            items
                .iter()
                .map(|i| convert(file, i, depth + 1))
                .collect::<Result<_>>()?,
        ),
        YamlData::Mapping(m) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let key = match &k.data {
                    YamlData::Value(s) => match scalar(s) {
                        V::Str(s) => s,
                        V::Int(i) => i.to_string(),
                        V::Bool(b) => b.to_string(),
                        V::Float(f) => f.to_string(),
                        _ => String::new(),
                    },
                    YamlData::Representation(s, _, _) => s.to_string(),
                    _ => {
                        return Err(anyhow!(
                            "{file}:{}: a mapping key that is not a scalar",
                            k.span.start.line()
                        ))
                    }
                };
                out.push((key, convert(file, v, depth + 1)?));
            }
            V::Map(out)
        }
        YamlData::Tagged(tag, inner) => {
            let mut inner = convert(file, inner, depth + 1)?;
            // saphyr gives the tagged node the span, not what it wraps.
            if inner.line == 0 {
                inner.line = line;
            }
            if tag.is_yaml_core_schema() {
                inner.v
            } else {
                V::Tag(tag.suffix.clone(), Box::new(inner))
            }
        }
        YamlData::Alias(_) | YamlData::BadValue => V::Null,
    };
    Ok(Node { line, v })
}

fn scalar(s: &Scalar) -> V {
    match s {
        Scalar::Null => V::Null,
        Scalar::Boolean(b) => V::Bool(*b),
        Scalar::Integer(i) => V::Int(*i),
        Scalar::FloatingPoint(f) => V::Float(f.into_inner()),
        Scalar::String(s) => V::Str(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_short_form_tags() {
        let n = parse("t.yaml", "A:\n  B: !Ref P\n  C: [1, two]\n").unwrap();
        let b = n.get("A").unwrap().get("B").unwrap();
        assert_eq!(b.line, 2);
        assert_eq!(
            b.v,
            V::Tag(
                "Ref".into(),
                Box::new(Node {
                    line: 2,
                    v: V::Str("P".into())
                })
            )
        );
        assert_eq!(n.get("A").unwrap().get("C").unwrap().line, 3);
    }

    #[test]
    fn a_syntax_error_names_file_and_line() {
        let e = parse("t.yaml", "A:\n  B: [1, 2\n").unwrap_err().to_string();
        assert!(e.starts_with("t.yaml:"), "{e}");
    }
}
