//! A layer's history entry (`created_by` in the image config) read back as the Dockerfile
//! line and the shell commands that made the layer.
//!
//! Builders record a RUN as `/bin/sh -c <script>`, BuildKit and buildah prefix the build
//! args (`|2 A=1 B=x y /bin/sh -c …`), COPY/ADD as `/bin/sh -c #(nop) COPY …`. A finding about
//! a pip cache is about the `pip install …` in a long `&&` chain, not the `mkdir` it starts
//! with, so the script is split into its commands (outside quotes), and a command that only
//! runs a build arg (`eval "$INSTALL_TOOLS"`) is replaced by that arg's commands. This is a
//! reader for the common shapes, not a shell: nothing here is executed, and what it cannot
//! split stays one command.

/// `/bin/sh -c #(nop) COPY file:… in /app` → `COPY file:… in /app`, `/bin/sh -c pip …` →
/// `RUN pip …`, whitespace folded, cut at `max` characters with an ellipsis.
pub fn shorten(created_by: &str, max: usize) -> String {
    cut(&instruction(created_by), max)
}

/// The Dockerfile line a history entry stands for, whitespace folded, not cut.
pub fn instruction(created_by: &str) -> String {
    if let Some(script) = script(created_by) {
        return fold(&format!("RUN {script}"));
    }
    let s = without_args(created_by.trim());
    let s = s.strip_prefix("/bin/sh -c #(nop)").unwrap_or(s);
    fold(s.trim_end_matches("# buildkit"))
}

/// `text` with whitespace folded, cut at `max` characters with an ellipsis.
pub fn cut(text: &str, max: usize) -> String {
    let folded = fold(text);
    if folded.chars().count() <= max {
        folded
    } else {
        let kept: String = folded.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    }
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The entry without BuildKit's `RUN ` and `|N A=1 B=2 ` prefixes.
fn without_args(s: &str) -> &str {
    let s = s.strip_prefix("RUN ").map_or(s, str::trim_start);
    if let Some(rest) = s.strip_prefix('|') {
        if let Some(i) = rest.find("/bin/sh -c") {
            return &rest[i..];
        }
    }
    s
}

/// The build args BuildKit and buildah record before the command (`|1 TOOLS=gcc make /bin/sh
/// -c …`). Values may hold spaces, so an arg runs until the next `NAME=` word.
pub fn build_args(created_by: &str) -> Vec<(String, String)> {
    let s = created_by.trim();
    let s = s.strip_prefix("RUN ").map_or(s, str::trim_start);
    let Some(rest) = s.strip_prefix('|') else {
        return Vec::new();
    };
    let Some(end) = rest.find("/bin/sh -c") else {
        return Vec::new();
    };
    let mut args: Vec<(String, String)> = Vec::new();
    // Skip the count, then read NAME=value words.
    for word in rest[..end].split_whitespace().skip(1) {
        match word.split_once('=') {
            Some((name, value)) if is_name(name) => args.push((name.into(), value.into())),
            _ => {
                if let Some(last) = args.last_mut() {
                    if !last.1.is_empty() {
                        last.1.push(' ');
                    }
                    last.1.push_str(word);
                }
            }
        }
    }
    args
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The script of a RUN entry (`None` for COPY, ADD and other metadata entries).
pub fn script(created_by: &str) -> Option<&str> {
    let s = without_args(created_by.trim());
    if s.starts_with("/bin/sh -c #(nop)") {
        return None;
    }
    if let Some(rest) = s.strip_prefix("/bin/sh -c") {
        return Some(rest.trim().trim_end_matches("# buildkit").trim());
    }
    // BuildKit's own history: `RUN /bin/sh -c apt-get … # buildkit`, or a shell form
    // other than /bin/sh.
    if let Some(rest) = created_by.trim().strip_prefix("RUN ") {
        return Some(rest.trim().trim_end_matches("# buildkit").trim());
    }
    None
}

/// The commands a RUN entry ran, in order: its script split at `&&`, `||`, `;` and newlines
/// outside quotes, each whitespace-folded; a command that only runs a recorded build arg
/// (`eval "$X"`, `$X`, `sh -c "$X"`) stands for that arg's commands. Empty for non-RUN
/// entries.
pub fn commands(created_by: &str) -> Vec<String> {
    let Some(script) = script(created_by) else {
        return Vec::new();
    };
    let args = build_args(created_by);
    let mut out = Vec::new();
    for cmd in split(script) {
        match runs_arg(&cmd).and_then(|name| args.iter().find(|(n, _)| *n == name)) {
            Some((_, value)) => out.extend(split(value)),
            None => out.push(cmd),
        }
    }
    out
}

/// The build arg a command only runs: `eval "$X"`, `eval ${X}`, `$X`, `sh -c "$X"`.
fn runs_arg(cmd: &str) -> Option<&str> {
    let mut words: Vec<&str> = cmd.split_whitespace().collect();
    if words.first() == Some(&"eval") {
        words.remove(0);
    } else if words.len() == 3 && matches!(words[0], "sh" | "/bin/sh" | "bash" | "/bin/bash") {
        if words[1] != "-c" {
            return None;
        }
        words.drain(..2);
    }
    let [word] = words[..] else {
        return None;
    };
    let word = word.trim_matches('"');
    let name = word.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    is_name(name).then_some(name)
}

/// A shell script split into its commands at `&&`, `||`, `;` and newlines that are not
/// quoted or escaped.
fn split(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = script.chars().peekable();
    let (mut single, mut double) = (false, false);
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let f = fold(cur);
        if !f.is_empty() {
            out.push(f);
        }
        cur.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '\\' if !single => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    // A line continuation is whitespace; any other escape is kept as written.
                    if n == '\n' {
                        cur.pop();
                        cur.push(' ');
                    } else {
                        cur.push(n);
                    }
                }
                continue;
            }
            _ => {}
        }
        let quoted = single || double;
        if !quoted && (c == ';' || c == '\n') {
            flush(&mut cur, &mut out);
            continue;
        }
        if !quoted && (c == '&' || c == '|') && chars.peek() == Some(&c) {
            chars.next();
            flush(&mut cur, &mut out);
            continue;
        }
        cur.push(c);
    }
    flush(&mut cur, &mut out);
    out
}

/// A program and the subcommands of it that matter (none: any use of it).
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// Names as typed, without a path or a version suffix (`pip` matches `pip3.12` and
    /// `/var/lang/bin/pip`).
    pub names: &'static [&'static str],
    pub subcommands: &'static [&'static str],
}

impl Program {
    /// Whether `command` runs this program with one of its subcommands. Leading `VAR=value`
    /// assignments, `sudo`, `env` and `python -m` are looked through.
    pub fn runs(&self, command: &str) -> bool {
        let words: Vec<&str> = command.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            let assignment = w.split_once('=').is_some_and(|(n, _)| is_name(n));
            if assignment || matches!(w, "sudo" | "env" | "command" | "exec" | "time") {
                i += 1;
            } else {
                break;
            }
        }
        let Some(&first) = words.get(i) else {
            return false;
        };
        let mut name = base_name(first);
        if name == "python" && words.get(i + 1) == Some(&"-m") {
            let Some(&module) = words.get(i + 2) else {
                return false;
            };
            name = base_name(module);
            i += 2;
        }
        if !self.names.contains(&name) {
            return false;
        }
        if self.subcommands.is_empty() {
            return true;
        }
        words[i + 1..]
            .iter()
            .find(|w| !w.starts_with('-'))
            .is_some_and(|sub| self.subcommands.contains(sub))
    }
}

/// `/usr/bin/pip3.12` → `pip`; `python3` → `python`; `apt-get` stays.
fn base_name(word: &str) -> &str {
    let base = word
        .trim_matches(|c| c == '"' || c == '\'')
        .rsplit('/')
        .next()
        .unwrap_or(word);
    base.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
}

/// The first command any of `programs` runs.
pub fn command_running<'a>(commands: &'a [String], programs: &[Program]) -> Option<&'a str> {
    commands
        .iter()
        .find(|c| programs.iter().any(|p| p.runs(c)))
        .map(String::as_str)
}

/// The first command naming `path` or a directory above it (`rm -rf /tmp/wheels` for
/// `/tmp/wheels/a.whl`; `/tmp/wheels/*` counts as `/tmp/wheels`).
pub fn command_naming<'a>(commands: &'a [String], path: &str) -> Option<&'a str> {
    let path = path.trim_end_matches('/');
    commands
        .iter()
        .find(|c| {
            c.split_whitespace().any(|w| {
                let w = w
                    .trim_matches(|c| c == '"' || c == '\'')
                    .trim_end_matches('*')
                    .trim_end_matches('/');
                w.starts_with('/')
                    && w.len() > 1
                    && (path == w || path.strip_prefix(w).is_some_and(|r| r.starts_with('/')))
            })
        })
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIP: Program = Program {
        names: &["pip"],
        subcommands: &["install", "wheel"],
    };
    const APT_INSTALL: Program = Program {
        names: &["apt-get", "apt"],
        subcommands: &["install"],
    };

    #[test]
    fn instructions_read_like_the_dockerfile() {
        assert_eq!(
            shorten("/bin/sh -c #(nop) ADD file:abc in / ", 80),
            "ADD file:abc in /"
        );
        assert_eq!(
            shorten("/bin/sh -c pip install  -r\trequirements.txt", 80),
            "RUN pip install -r requirements.txt"
        );
        assert_eq!(
            shorten("RUN /bin/sh -c apt-get update # buildkit", 80),
            "RUN apt-get update"
        );
        assert_eq!(
            shorten("RUN |1 A=b /bin/sh -c make # buildkit", 80),
            "RUN make"
        );
        assert_eq!(shorten("|1 PY=3.11 /bin/sh -c make", 80), "RUN make");
        assert_eq!(shorten("COPY . /var/task", 8), "COPY .…");
    }

    #[test]
    fn a_chain_splits_into_its_commands_outside_quotes() {
        let c = commands(
            "/bin/sh -c mkdir -p /root/.cache/pip && cp /tmp/w/* /root/.cache/pip; \
             pip install --no-index -f /tmp/w 'a&&b' \"x;y\" || true",
        );
        assert_eq!(
            c,
            [
                "mkdir -p /root/.cache/pip",
                "cp /tmp/w/* /root/.cache/pip",
                "pip install --no-index -f /tmp/w 'a&&b' \"x;y\"",
                "true"
            ]
        );
        assert_eq!(
            command_running(&c, &[PIP]),
            Some("pip install --no-index -f /tmp/w 'a&&b' \"x;y\"")
        );
        assert!(commands("/bin/sh -c #(nop) COPY a in /b").is_empty());
        assert_eq!(
            commands("RUN /bin/sh -c apt-get update \\\n  && apt-get install -y gcc # buildkit"),
            ["apt-get update", "apt-get install -y gcc"]
        );
    }

    #[test]
    fn a_command_that_runs_a_build_arg_stands_for_its_commands() {
        let entry = "|10 INSTALL_TOOLS=apt-get update && apt-get install -y --no-install-recommends gcc make libc6-dev /bin/sh -c eval \"$INSTALL_TOOLS\"";
        assert_eq!(
            build_args(entry),
            [(
                "INSTALL_TOOLS".to_string(),
                "apt-get update && apt-get install -y --no-install-recommends gcc make libc6-dev"
                    .to_string()
            )]
        );
        let c = commands(entry);
        assert_eq!(
            command_running(&c, &[APT_INSTALL]),
            Some("apt-get install -y --no-install-recommends gcc make libc6-dev")
        );
        assert_eq!(shorten(entry, 80), "RUN eval \"$INSTALL_TOOLS\"");
        assert_eq!(
            build_args("|2 A=1 B=x y /bin/sh -c true"),
            [("A".into(), "1".into()), ("B".into(), "x y".into())]
        );
    }

    #[test]
    fn programs_match_through_paths_versions_sudo_and_python_m() {
        for yes in [
            "pip install x",
            "/var/lang/bin/pip3.12 --disable-pip-version-check install x",
            "PIP_NO_CACHE_DIR=0 pip wheel x",
            "python3 -m pip install x",
            "sudo pip install x",
        ] {
            assert!(PIP.runs(yes), "{yes}");
        }
        for no in [
            "pip freeze",
            "pipx install x",
            "echo pip install",
            "python3 -m venv x",
        ] {
            assert!(!PIP.runs(no), "{no}");
        }
        assert!(APT_INSTALL.runs("DEBIAN_FRONTEND=noninteractive apt-get -y install gcc"));
    }

    #[test]
    fn the_command_naming_a_path_or_its_parent() {
        let c = commands("/bin/sh -c pip wheel -w /tmp/wheels -r r.txt && rm -rf /tmp/wheels/*");
        assert_eq!(
            command_naming(&c, "/tmp/wheels/a.whl"),
            Some("pip wheel -w /tmp/wheels -r r.txt")
        );
        assert_eq!(command_naming(&c, "/tmp/wheelsx/a"), None);
        assert_eq!(command_naming(&c, "/"), None);
    }
}
