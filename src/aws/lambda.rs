//! The Lambda control-plane calls the gate makes, and the one reading of `--function
//! NAME[:QUALIFIER]`. `gate check --function` reads the deployed image and the deployed
//! configuration from one `GetFunction` answer: the image by digest (`source::lambda`), the
//! settings held to `[lambda]` (`deployed::api`).

use anyhow::{anyhow, bail, Result};
use serde::Deserialize;

use super::{is_not_found, segment, ApiError, Aws};

/// A function as the Lambda API names it: a name or ARN, and an alias or version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    pub name: String,
    pub qualifier: Option<String>,
}

impl FunctionSpec {
    /// `NAME[:QUALIFIER]` — a name or ARN, then an optional alias or version; `qualifier`,
    /// when given (`gate perf --qualifier`), wins over one in the spec. An ARN's own colons
    /// are kept: only a qualifier after the function name is split off. A qualifier is
    /// Lambda's alias/version alphabet, and a name holds nothing that would change the URL
    /// path it is sent in.
    pub fn parse(spec: &str, qualifier: Option<&str>) -> Result<FunctionSpec> {
        let spec = spec.trim();
        if spec.is_empty() {
            bail!("--function: empty function name");
        }
        let (name, in_spec) = if let Some(rest) = spec.strip_prefix("arn:") {
            // arn:aws:lambda:region:acct:function:name[:qualifier]
            match rest.split(':').count() {
                6 => (spec.to_string(), None),
                7 => {
                    let (n, q) = spec.rsplit_once(':').unwrap_or((spec, ""));
                    (n.to_string(), Some(q.to_string()))
                }
                _ => bail!("--function {spec:?}: not a Lambda function ARN"),
            }
        } else {
            match spec.split_once(':') {
                Some((n, q)) => (n.to_string(), Some(q.to_string())),
                None => (spec.to_string(), None),
            }
        };
        let qualifier = qualifier.map(str::to_string).or(in_spec);
        if let Some(q) = &qualifier {
            if q.is_empty()
                || !q
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_$".contains(&b))
            {
                bail!("--function {spec:?}: qualifier {q:?} is not a version or alias");
            }
        }
        if name.is_empty() || name.contains(['/', '?', '#', ' ']) {
            bail!("--function {spec:?}: not a function name or ARN");
        }
        Ok(FunctionSpec { name, qualifier })
    }

    /// `NAME[:QUALIFIER]`, as the user wrote it (messages).
    pub fn display(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{}:{q}", self.name),
            None => self.name.clone(),
        }
    }

    /// `?Qualifier=…`, or nothing.
    fn query(&self) -> String {
        self.qualifier
            .as_deref()
            .map(|q| format!("?Qualifier={}", segment(q)))
            .unwrap_or_default()
    }
}

/// What `GetFunction` answers, the parts the gate reads (every field optional: an emulator
/// leaves some out, and each reader says which ones it cannot do without).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetFunction {
    pub configuration: Configuration,
    #[serde(default)]
    pub code: Option<Code>,
    #[serde(default)]
    pub concurrency: Option<Concurrency>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Configuration {
    pub function_name: Option<String>,
    pub function_arn: Option<String>,
    pub version: Option<String>,
    pub package_type: Option<String>,
    pub code_sha256: Option<String>,
    pub memory_size: Option<u64>,
    pub timeout: Option<u64>,
    #[serde(default)]
    pub architectures: Vec<String>,
    pub tracing_config: Option<TracingConfig>,
    pub dead_letter_config: Option<DeadLetterConfig>,
    pub logging_config: Option<LoggingConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfig {
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    pub target_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    pub log_group: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    pub image_uri: Option<String>,
    pub resolved_image_uri: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Concurrency {
    pub reserved_concurrent_executions: Option<u64>,
}

impl Aws {
    /// `GetFunction`: configuration, image and reserved concurrency in one call.
    pub async fn get_function(&self, f: &FunctionSpec) -> Result<GetFunction> {
        let path = format!("/2015-03-31/functions/{}{}", segment(&f.name), f.query());
        let body = self
            .send("GET", "lambda", &path, &[], b"")
            .await
            .map_err(|e| match e.downcast_ref::<ApiError>() {
                Some(a) => anyhow!("GetFunction answered {a}"),
                None => anyhow!("GetFunction: {e:#}"),
            })?;
        serde_json::from_slice(&body)
            .map_err(|e| anyhow!("GetFunction's answer is not what Lambda returns: {e}"))
    }

    /// `GetFunctionConcurrency` (older answers and emulators leave it out of GetFunction);
    /// `None` when none is reserved.
    pub async fn function_concurrency(&self, f: &FunctionSpec) -> Result<Option<u64>> {
        let path = format!("/2019-09-30/functions/{}/concurrency", segment(&f.name));
        Ok(self.optional(&path).await?.and_then(|v| {
            serde_json::from_slice::<serde_json::Value>(&v).ok()?["ReservedConcurrentExecutions"]
                .as_u64()
        }))
    }

    /// `GetFunctionEventInvokeConfig`: the on-failure destination of asynchronous invokes.
    pub async fn on_failure_destination(&self, f: &FunctionSpec) -> Result<Option<String>> {
        let path = format!(
            "/2019-09-25/functions/{}/event-invoke-config{}",
            segment(&f.name),
            f.query()
        );
        Ok(self.optional(&path).await?.and_then(|v| {
            serde_json::from_slice::<serde_json::Value>(&v).ok()?["DestinationConfig"]["OnFailure"]
                ["Destination"]
                .as_str()
                .filter(|d| !d.is_empty())
                .map(str::to_string)
        }))
    }

    /// `GetProvisionedConcurrencyConfig` of the qualifier: what is allocated, when any is.
    pub async fn provisioned_concurrency(&self, f: &FunctionSpec) -> Result<Option<u64>> {
        let path = format!(
            "/2019-09-30/functions/{}/provisioned-concurrency{}",
            segment(&f.name),
            f.query()
        );
        Ok(self.optional(&path).await?.and_then(|v| {
            serde_json::from_slice::<serde_json::Value>(&v).ok()?
                ["AllocatedProvisionedConcurrentExecutions"]
                .as_u64()
                .filter(|&n| n > 0)
        }))
    }

    /// A GET of an optional setting: a 404 means "not configured", an answer not an error.
    async fn optional(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match self.send("GET", "lambda", path, &[], b"").await {
            Ok(b) => Ok(Some(b)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inputs both former parsers took (`source::lambda::split_function` and
    /// `deployed::api::split_qualifier`) read the same way here.
    #[test]
    fn function_specs_split_at_the_qualifier() {
        let p = |s: &str, q: Option<&str>| FunctionSpec::parse(s, q).map(|f| (f.name, f.qualifier));
        assert_eq!(p("app", None).unwrap(), ("app".into(), None));
        assert_eq!(
            p("app:live", None).unwrap(),
            ("app".into(), Some("live".into()))
        );
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:app";
        assert_eq!(p(arn, None).unwrap(), (arn.into(), None));
        assert_eq!(
            p(&format!("{arn}:7"), None).unwrap(),
            (arn.into(), Some("7".into()))
        );
        // The qualifier given apart wins (gate perf --qualifier).
        assert_eq!(
            p("f:live", Some("3")).unwrap(),
            ("f".into(), Some("3".into()))
        );
        assert_eq!(
            p("f", Some("$LATEST")).unwrap().1.as_deref(),
            Some("$LATEST")
        );
        assert!(p("app:", None).is_err());
        assert!(p("a/b", None).is_err());
        assert!(p("", None).is_err());
    }

    /// What the lenient parser of the deployed configuration let through and the stricter
    /// one refuses: a qualifier outside Lambda's alphabet, an ARN of the wrong shape, a name
    /// that would change the request's path.
    #[test]
    fn the_stricter_validation_holds_for_every_caller() {
        for bad in [
            "f:a:b",
            "f:live?x=1",
            "arn:aws:lambda:us-east-1:123:function",
            "arn:aws:lambda:us-east-1:123:function:f:7:8",
            "f#frag",
            "f?Qualifier=x",
        ] {
            assert!(FunctionSpec::parse(bad, None).is_err(), "{bad}");
        }
        assert!(FunctionSpec::parse("f", Some("a/b")).is_err());
        assert!(FunctionSpec::parse("f", Some("")).is_err());
    }

    #[test]
    fn an_answer_without_optional_parts_reads() {
        let g: GetFunction =
            serde_json::from_str(r#"{"Configuration":{"FunctionName":"f","MemorySize":128}}"#)
                .unwrap();
        assert_eq!(g.configuration.memory_size, Some(128));
        assert!(g.code.is_none() && g.concurrency.is_none());
        assert!(serde_json::from_str::<GetFunction>("{}").is_err());
    }
}
