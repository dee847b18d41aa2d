//! layer-waste: bytes one layer writes and a later layer hides. They are downloaded and
//! stored with the image although no container can see them.

use std::collections::BTreeMap;

use super::{sample_paths, Ctx, Draft, Sink};
use crate::image::history::Program;
use crate::image::overlay::HideReason;
use crate::model::RuleId;
use crate::units::count;
use crate::units::format_size;

/// Commands that remove files: the one a "hides" message quotes when the chain has several.
const REMOVERS: &[Program] = &[Program {
    names: &["rm", "find"],
    subcommands: &[],
}];

/// Hidden files of one (writer, hider) pair, and whether any was removed (not overwritten).
type Group<'a> = (Vec<(&'a str, u64)>, bool);

pub fn check(ctx: &Ctx, sink: &mut Sink) {
    let mut groups: BTreeMap<(usize, usize), Group> = BTreeMap::new();
    for h in ctx.scan.fs.hidden() {
        if ctx.ignored(&h.path) {
            continue;
        }
        let g = groups.entry((h.layer, h.hidden_by)).or_default();
        g.0.push((h.path.as_str(), h.bytes));
        g.1 |= h.reason != HideReason::Overwritten;
    }
    let mut drafts: Vec<Draft> = Vec::new();
    for ((writer, hider), (files, removed)) in groups {
        let bytes: u64 = files.iter().map(|f| f.1).sum();
        if bytes < ctx.cfg.min_bytes {
            continue;
        }
        // The commands that wrote and hid the largest file: the one naming its path (or a
        // directory above it), else for a removal the `rm`.
        let largest = files
            .iter()
            .max_by_key(|f| f.1)
            .map(|f| format!("/{}", f.0));
        let paths: Vec<&str> = largest.iter().map(String::as_str).collect();
        let w = ctx.layer_command(writer, &[], &paths);
        let h = ctx.layer_command(hider, if removed { REMOVERS } else { &[] }, &paths);
        let n = count(files.len() as u64, "file", "files");
        let (message, fix) = if writer == hider {
            (
                format!(
                    "{w} writes {} twice to the same paths ({n})",
                    format_size(bytes)
                ),
                "write each file once (the layer stores every copy)".to_string(),
            )
        } else if removed {
            (
                format!("{h} hides {} written by {w} ({n})", format_size(bytes)),
                format!("delete in the same RUN that creates the files (layer {writer}), or produce them in a build stage and COPY only what the function needs"),
            )
        } else {
            (
                format!("{h} overwrites {} written by {w} ({n})", format_size(bytes)),
                format!("write the final version once: fold layer {hider}'s change into layer {writer}'s instruction (chmod/chown: use COPY --chmod/--chown)"),
            )
        };
        drafts.push(Draft {
            code: RuleId::LayerWaste,
            message,
            bytes,
            layer: Some(hider),
            created_by: ctx.created_by(hider),
            paths: sample_paths(files, 5),
            fix,
            references: Vec::new(),
        });
    }
    drafts.sort_by_key(|d| std::cmp::Reverse(d.bytes));
    for d in drafts {
        sink.push(d);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Severity;
    use crate::rules::testing::{findings, of, rules, ImageBuilder};

    fn written_then_removed() -> ImageBuilder {
        ImageBuilder::new()
            .layer("RUN curl -o /data/model.bin https://example.com/m")
            .file("data/model.bin", 3_000_000)
            .file("data/small.txt", 10)
            .layer("RUN rm -rf /data")
            .remove("data")
    }

    #[test]
    fn bytes_a_later_layer_removes_are_one_finding_at_the_remover() {
        let f = findings(&written_then_removed().build(), &rules(""));
        let waste = of(&f, "layer-waste");
        assert_eq!(waste.len(), 1);
        assert_eq!(waste[0].bytes, 3_000_010);
        assert_eq!(waste[0].layer, Some(1));
        assert_eq!(waste[0].severity, Severity::Warning);
        assert!(
            waste[0].message.contains("hides 3.0 MB"),
            "{}",
            waste[0].message
        );
        assert_eq!(waste[0].paths[0], "/data/model.bin");
    }

    #[test]
    fn overwritten_bytes_say_overwrites() {
        let built = ImageBuilder::new()
            .layer("COPY big /srv/big")
            .file("srv/big", 2_000_000)
            .layer("RUN chmod 600 /srv/big")
            .file("srv/big", 2_000_000)
            .build();
        let f = findings(&built, &rules(""));
        let waste = of(&f, "layer-waste");
        assert_eq!(waste.len(), 1);
        assert!(
            waste[0].message.contains("overwrites"),
            "{}",
            waste[0].message
        );
    }

    #[test]
    fn groups_under_min_bytes_and_ignored_paths_are_left_out() {
        let built = written_then_removed().build();
        assert!(of(
            &findings(&built, &rules("min_bytes = \"5MB\"")),
            "layer-waste"
        )
        .is_empty());
        assert!(of(
            &findings(&built, &rules("ignore_paths = [\"/data/**\"]")),
            "layer-waste"
        )
        .is_empty());
        assert!(of(
            &findings(&built, &rules("layer-waste = \"allow\"")),
            "layer-waste"
        )
        .is_empty());
    }

    #[test]
    fn the_level_sets_the_severity() {
        let f = findings(
            &written_then_removed().build(),
            &rules("layer-waste = \"deny\""),
        );
        assert_eq!(of(&f, "layer-waste")[0].severity, Severity::Error);
    }
}
