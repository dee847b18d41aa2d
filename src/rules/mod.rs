//! Rules: one file per family; each sees the image's facts and emits findings that say which
//! layer, which instruction, how many bytes, and what to change.
//!
//! Adding a family is one file with a `check(ctx, sink)` and one line in `FAMILIES`; adding a
//! cache kind is one variant of `model::RuleId` (its id, description and template note derive
//! from it) and one row in `caches::row`; a test holds docs/rules.md's table to the list.

pub mod binaries;
pub mod caches;
pub mod cfg;
pub mod dive_ci;
pub mod lambda;
pub mod python;
pub mod toolchain;
pub mod waste;

use crate::image::history::{self, Program};
use crate::image::overlay::Node;
use crate::image::{Image, Scan};
use crate::model::RuleId;
use crate::model::{Finding, Level, Severity};
use cfg::RulesConfig;

/// Every rule family, in the order their findings are listed.
const FAMILIES: &[fn(&Ctx, &mut Sink)] = &[
    lambda::check,
    caches::check,
    waste::check,
    toolchain::check,
    python::check,
];

/// What a rule sees: the image, its merged filesystem, and the team's configuration.
pub struct Ctx<'a> {
    pub image: &'a Image,
    pub scan: &'a Scan,
    pub cfg: &'a RulesConfig,
}

impl<'a> Ctx<'a> {
    pub fn new(image: &'a Image, scan: &'a Scan, cfg: &'a RulesConfig) -> Ctx<'a> {
        Ctx { image, scan, cfg }
    }

    /// Paths the team asked to leave out of waste and cache accounting.
    pub fn ignored(&self, path: &str) -> bool {
        self.cfg.ignored(path)
    }

    /// Visible files (path without leading `/`, node), ignored paths left out.
    pub fn files(&self) -> impl Iterator<Item = (&'a str, &'a Node)> + '_ {
        self.scan
            .fs
            .iter()
            .filter(move |(p, n)| n.kind == crate::image::layer::Kind::File && !self.ignored(p))
    }

    /// "layer 3 `RUN pip install -r requirements.txt`", for messages.
    pub fn layer_name(&self, layer: usize) -> String {
        let instr = self.instruction(layer);
        if instr.is_empty() {
            format!("layer {layer}")
        } else {
            format!(
                "layer {layer} {}",
                quote(&history::shorten(instr, QUOTE_CHARS))
            )
        }
    }

    /// "layer 4 `apt-get install -y gcc make`": the layer and the command of its RUN that did
    /// it — the first one running one of `programs`, else the first naming one of `paths` (or
    /// a directory above it). A RUN of one command reads as the whole instruction; so does a
    /// chain where no command fits.
    pub fn layer_command(&self, layer: usize, programs: &[Program], paths: &[&str]) -> String {
        let instr = self.instruction(layer);
        let commands = history::commands(instr);
        let whole = history::script(instr).map(|s| history::cut(s, usize::MAX));
        let picked = history::command_running(&commands, programs).or_else(|| {
            paths
                .iter()
                .find_map(|p| history::command_naming(&commands, p))
        });
        match picked {
            Some(c) if whole.as_deref() != Some(c) => {
                format!("layer {layer} {}", quote(&history::cut(c, QUOTE_CHARS)))
            }
            _ => self.layer_name(layer),
        }
    }

    fn instruction(&self, layer: usize) -> &str {
        self.scan
            .layers
            .get(layer)
            .map(|l| l.created_by.as_str())
            .unwrap_or("")
    }

    pub fn created_by(&self, layer: usize) -> Option<String> {
        self.scan
            .layers
            .get(layer)
            .map(|l| l.created_by.clone())
            .filter(|s| !s.is_empty())
    }
}

/// Collects findings, applying each rule's level (allow drops, warn warns, deny fails).
pub struct Sink<'a> {
    cfg: &'a RulesConfig,
    pub findings: Vec<Finding>,
}

/// A finding as a rule writes it; the sink stamps the severity from the configured level.
pub struct Draft {
    pub code: RuleId,
    pub message: String,
    pub bytes: u64,
    pub layer: Option<usize>,
    pub created_by: Option<String>,
    pub paths: Vec<String>,
    pub fix: String,
    pub references: Vec<String>,
}

impl Draft {
    /// A finding about the image (or a configuration) as a whole: no bytes, layer or path to
    /// point at.
    pub fn whole(code: RuleId, message: String, fix: String) -> Draft {
        Draft {
            code,
            message,
            bytes: 0,
            layer: None,
            created_by: None,
            paths: Vec::new(),
            fix,
            references: Vec::new(),
        }
    }

    /// The finding, at the severity its level gives it.
    pub fn finding(self, severity: Severity) -> Finding {
        Finding {
            rule: self.code,
            severity,
            message: self.message,
            bytes: self.bytes,
            layer: self.layer,
            created_by: self.created_by,
            paths: self.paths,
            fix: self.fix,
            references: self.references,
        }
    }
}

impl<'a> Sink<'a> {
    pub fn new(cfg: &'a RulesConfig) -> Sink<'a> {
        Sink {
            cfg,
            findings: Vec::new(),
        }
    }

    pub fn push(&mut self, d: Draft) {
        if let Some(severity) = self.cfg.level(d.code).severity() {
            self.push_with(d, severity);
        }
    }

    /// For findings that only inform (never fail or warn), whatever the level.
    pub fn inform(&mut self, d: Draft) {
        if self.cfg.level(d.code) != Level::Allow {
            self.push_with(d, Severity::Info);
        }
    }

    fn push_with(&mut self, d: Draft, severity: Severity) {
        self.findings.push(d.finding(severity));
    }
}

/// Runs every rule family over the image's facts.
pub fn run(image: &Image, scan: &Scan, cfg: &RulesConfig) -> Vec<Finding> {
    let ctx = Ctx::new(image, scan, cfg);
    // The families only read the same facts, and on a 20,000-file image several take
    // milliseconds each, all after the scan and before the verdict: one thread each, the
    // findings joined in the families' order.
    std::thread::scope(|s| {
        let running: Vec<_> = FAMILIES
            .iter()
            .map(|family| {
                let ctx = &ctx;
                s.spawn(move || {
                    let mut sink = Sink::new(cfg);
                    family(ctx, &mut sink);
                    sink.findings
                })
            })
            .collect();
        running
            .into_iter()
            .flat_map(|r| r.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// How much of an instruction or command a message quotes.
const QUOTE_CHARS: usize = 100;

/// `text` as a code span in a message: fenced with one backtick more than the longest run it
/// holds (CommonMark), so an instruction with backticks in it stays one span when the
/// Markdown renderer turns it into code.
pub fn quote(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Up to `n` example paths, with a leading `/`, largest first.
pub fn sample_paths(mut files: Vec<(&str, u64)>, n: usize) -> Vec<String> {
    files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    files
        .into_iter()
        .take(n)
        .map(|(p, _)| format!("/{p}"))
        .collect()
}

#[cfg(test)]
pub mod testing;
