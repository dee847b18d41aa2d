//! What the rules' unit tests build a `Ctx` from, with no emulator and no Lambda API: a
//! function as GetFunction would describe it — one that passes every rule, so each test
//! changes only the value its case is about — and the load test and image beside it.

use super::super::{Ctx, Outcome};
use crate::model::{ConfigSource, DeployedFunction, DiveScore, ImageSummary};
use crate::perf::{Latency, PerfReport};

use super::super::cfg::LambdaConfig;

/// Everything a rule may read, owned; `ctx()` lends it as the rules see it.
pub struct Given {
    pub function: DeployedFunction,
    pub perf: Option<PerfReport>,
    pub image: Option<ImageSummary>,
    pub image_digests: Vec<String>,
    pub cfg: LambdaConfig,
}

/// A manifest digest of 64 hex digits made of one repeated digit.
pub fn digest(hex: char) -> String {
    format!("sha256:{}", hex.to_string().repeat(64))
}

impl Given {
    /// A deployed x86_64 function of 1024 MB and 10 s, traced, with a DLQ, reserved
    /// concurrency and a log group kept 30 days; no load test, no image, the default policy.
    pub fn function() -> Given {
        Given {
            function: DeployedFunction {
                name: "fn".into(),
                version: "$LATEST".into(),
                memory_mb: 1024,
                timeout_s: 10,
                architecture: "x86_64".into(),
                tracing: "Active".into(),
                dead_letter_target: Some("arn:aws:sqs:us-east-1:123456789012:dlq".into()),
                reserved_concurrency: Some(10),
                log_group: "/aws/lambda/fn".into(),
                log_group_read: true,
                log_retention_days: Some(30),
                ..DeployedFunction::default()
            },
            perf: None,
            image: None,
            image_digests: Vec::new(),
            cfg: LambdaConfig::default(),
        }
    }

    /// The same function as a template describes it, before the deploy.
    pub fn template() -> Given {
        let mut g = Given::function();
        g.function.source = ConfigSource::Template;
        g.function.file = Some("template.yaml".into());
        g
    }

    /// A load test of 100 calls through the Invoke API with this p99 and slowest call.
    pub fn perf(mut self, p99_ms: f64, max_ms: f64) -> Given {
        self.perf = Some(PerfReport {
            requests: 100,
            success_rate: 1.0,
            mode: Some(crate::model::perf::Mode::Invoke),
            latency_ms: Latency {
                p99: p99_ms,
                max: max_ms,
                ..Latency::default()
            },
            ..PerfReport::default()
        });
        self
    }

    /// The run's load test, changed by `f` (a load test is added first if there is none).
    pub fn with_perf(mut self, f: impl FnOnce(&mut PerfReport)) -> Given {
        if self.perf.is_none() {
            self = self.perf(100.0, 100.0);
        }
        f(self.perf.as_mut().expect("set above"));
        self
    }

    /// A gated image for `platform` (`linux/amd64`), known by `digests`.
    pub fn image(mut self, platform: &str, digests: &[String]) -> Given {
        // Built from its JSON: the fields a rule reads are set, the rest at their defaults.
        let image = serde_json::json!({
            "source": "app.tar",
            "format": "oci-archive",
            "platform": platform,
            "size_bytes": 0,
            "compressed_bytes": 0,
            "final_bytes": 0,
            "wasted_bytes": 0,
            "efficiency": 1.0,
            "file_count": 0,
            "layers": [],
            "dive": DiveScore::default(),
        });
        self.image = Some(serde_json::from_value(image).expect("an ImageSummary"));
        self.image_digests = digests.to_vec();
        self
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            function: &self.function,
            perf: self.perf.as_ref(),
            image: self.image.as_ref(),
            image_digests: self.image_digests.clone(),
            cfg: &self.cfg,
        }
    }
}

/// The outcome in words, for a failed assertion's message.
fn shown(o: &Outcome) -> String {
    match o {
        Outcome::Pass => "Pass".into(),
        Outcome::Fail { message, fix } => format!("Fail {{ message: {message:?}, fix: {fix:?} }}"),
        Outcome::Unknown(why) => format!("Unknown({why:?})"),
    }
}

#[track_caller]
pub fn assert_pass(o: Outcome) {
    assert!(matches!(o, Outcome::Pass), "expected a pass: {}", shown(&o));
}

/// A failure whose message holds each of `message` and whose fix holds each of `fix`.
#[track_caller]
pub fn assert_fail(o: Outcome, message: &[&str], fix: &[&str]) {
    let Outcome::Fail { message: m, fix: f } = &o else {
        panic!("expected a failure: {}", shown(&o));
    };
    for w in message {
        assert!(m.contains(w), "the message lacks {w:?}: {m:?}");
    }
    for w in fix {
        assert!(f.contains(w), "the fix lacks {w:?}: {f:?}");
    }
}

/// "Not checked", with each of `why` in the reason.
#[track_caller]
pub fn assert_unknown(o: Outcome, why: &[&str]) {
    let Outcome::Unknown(reason) = &o else {
        panic!("expected not checked: {}", shown(&o));
    };
    for w in why {
        assert!(reason.contains(w), "the reason lacks {w:?}: {reason:?}");
    }
}
