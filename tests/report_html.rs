//! The HTML report (`--html`) opened in real headless Chromium (Debian's `chromium`): the page
//! renders with no console message and no network request (every host unresolvable, and the
//! NetLog read back), the treemap's rectangles tile the canvas with areas in proportion to
//! their bytes and add up to the image's visible bytes, every finding is on the page, and a
//! hostile-names image puts no live element on it. Everything is read from the DOM Chromium
//! dumps after it ran the page, parsed by Python's html.parser: never from our own source.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use support::{gate, require_tools, static_dir};

/// Reads a dumped DOM on stdin; prints what the assertions need as JSON: every element with
/// its attributes and its text (titles and text are what the parser decoded, so an escaped
/// `&lt;img&gt;` is text here and a live `<img>` would be an element).
const DOM_READER: &str = r#"
import json, sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.out = [], []
    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.out.append(el)
        if tag not in ("meta", "input", "br", "hr", "link", "img", "source", "wbr", "area", "col", "embed", "param", "track"):
            self.stack.append(el)
    def handle_startendtag(self, tag, attrs):
        self.out.append({"tag": tag, "attrs": dict(attrs), "text": ""})
    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break
    def handle_data(self, data):
        for el in self.stack:
            el["text"] += data

p = P()
p.feed(sys.stdin.read())
json.dump(p.out, sys.stdout)
"#;

struct Page {
    elements: Vec<Value>,
    /// Chromium's own log (stderr): console messages show up as `CONSOLE` lines.
    log: String,
    /// URLs Chromium tried to fetch, from its NetLog.
    requests: Vec<String>,
}

impl Page {
    fn all(&self, tag: &str) -> Vec<&Value> {
        self.elements.iter().filter(|e| e["tag"] == tag).collect()
    }
    fn with_class(&self, tag: &str, class: &str) -> Vec<&Value> {
        self.all(tag)
            .into_iter()
            .filter(|e| {
                e["attrs"]["class"]
                    .as_str()
                    .is_some_and(|c| c.split(' ').any(|x| x == class))
            })
            .collect()
    }
    fn console(&self) -> Vec<&str> {
        self.log
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Refused to"))
            .collect()
    }
}

/// Opens `html` in headless Chromium with every host unresolvable and returns the DOM after
/// the page's script ran, Chromium's log and the NetLog's URLs.
fn open(html: &Path) -> Page {
    let tmp = tempfile::tempdir().unwrap();
    let netlog = tmp.path().join("net.json");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            tmp.path().join("profile").display()
        ))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut py = Command::new("python3")
        .args(["-c", DOM_READER])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        py.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    }
    let parsed = py.wait_with_output().unwrap();
    assert!(parsed.status.success());
    let elements: Vec<Value> = serde_json::from_slice(&parsed.stdout).unwrap();
    assert!(
        elements.len() > 20,
        "Chromium dumped almost nothing: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    Page {
        elements,
        log: String::from_utf8_lossy(&out.stderr).into_owned(),
        requests: netlog_urls(&netlog),
    }
}

/// Every URL the page asked for: requests whose initiator is an origin (a `file://` page's is
/// "null"); the browser's own background requests (update checks, accounts) have "not an
/// origin" and fail anyway, every host being unresolvable. Chromium writes the NetLog as it
/// goes and may leave the closing brackets out when it exits, so it is read line by line.
fn netlog_urls(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.contains("\"constants\""),
        "no NetLog written at {}",
        path.display()
    );
    let mut urls = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_end_matches(',');
        let Ok(ev) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let p = &ev["params"];
        if let (Some(u), Some(initiator)) = (p["url"].as_str(), p["initiator"].as_str()) {
            if initiator != "not an origin" {
                urls.push(u.to_string());
            }
        }
    }
    urls
}

fn chromium() -> bool {
    require_tools(&["chromium", "python3"])
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A report from a real image checked by the gate (dirs, layers' largest files): the dive
/// test image, with a policy strict enough to fail checks and raise findings.
fn dive_report() -> &'static (PathBuf, Value) {
    static R: OnceLock<(PathBuf, Value)> = OnceLock::new();
    R.get_or_init(|| {
        let dir = static_dir("report_html_dive");
        let html = dir.join("dive.html");
        let json = dir.join("dive.json");
        let out = gate(&[
            "check",
            repo()
                .join("tests/data/dive-test-docker-image.tar")
                .to_str()
                .unwrap(),
            "--max-wasted",
            "1kB",
            "--min-efficiency",
            "0.99",
            "--html",
            html.to_str().unwrap(),
            "--output",
            json.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        (html, v)
    })
}

#[test]
fn a_real_image_report_renders_with_no_console_message_and_no_request() {
    if !chromium() {
        return;
    }
    let (html, _) = dive_report();
    let page = open(html);
    assert!(page.console().is_empty(), "console: {:?}", page.console());
    let fetched: Vec<&String> = page
        .requests
        .iter()
        .filter(|u| {
            !u.starts_with("file://") && !u.starts_with("data:") && !u.starts_with("about:")
        })
        .collect();
    assert!(fetched.is_empty(), "the page fetched {fetched:?}");
    // The script ran (CSP allowed it by its hash): it shows the search box it hides without JS.
    let search = &page.all("input")[0];
    assert_eq!(search["attrs"]["id"], "search");
    assert!(
        search["attrs"].get("hidden").is_none(),
        "the page's script did not run: {search}"
    );
}

/// The detector itself: a page whose script the CSP blocks is reported on the console, and a
/// page that loads an image over the network shows up in the NetLog. Without this the two
/// assertions above could pass by never seeing anything.
#[test]
fn the_console_and_network_checks_see_what_they_look_for() {
    if !chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        r#"<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src http:"></head>
<body><p>x</p><p>y</p><img src="http://example.invalid/pixel.png"><script>console.log("ran")</script>
<div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div><div></div></body></html>"#,
    )
    .unwrap();
    let page = open(&bad);
    assert!(
        page.console()
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "a blocked script is not seen on the console: {}",
        page.log
    );
    assert!(
        page.requests.iter().any(|u| u.contains("example.invalid")),
        "a request is not seen in the NetLog: {:?}",
        page.requests
    );
}

/// The naive function's report as `gate check build/function/naive.tar --policy
/// function/gate.toml` wrote it (tests/data: 998 directories, caches, a toolchain, waste),
/// rendered to a page.
fn naive_page() -> (PathBuf, Value, tempfile::TempDir) {
    let text =
        std::fs::read_to_string(repo().join("tests/data/function-naive-full-report.json")).unwrap();
    let typed: lambda_gate::report::Report = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("naive.html");
    std::fs::write(&html, lambda_gate::report::html::render(&typed)).unwrap();
    (html, serde_json::from_str(&text).unwrap(), dir)
}

#[test]
fn the_treemap_tiles_the_canvas_in_proportion_to_the_visible_bytes() {
    if !chromium() {
        return;
    }
    let (html, report) = dive_report();
    assert_treemap(&open(html), report);
    let (html, report, _dir) = naive_page();
    let page = open(&html);
    assert!(page.console().is_empty(), "console: {:?}", page.console());
    assert_treemap(&page, &report);
    // Coloured by kind: the function's code, and the caches and toolchain the findings name.
    let classes: Vec<&str> = page
        .with_class("rect", "leaf")
        .iter()
        .filter_map(|l| l["attrs"]["class"].as_str())
        .collect();
    for kind in ["k-code", "k-left", "k-other"] {
        assert!(
            classes.iter().any(|c| c.contains(kind)),
            "no {kind} rectangle"
        );
    }
    let hidden = page
        .all("svg")
        .into_iter()
        .find(|s| s["attrs"]["id"] == "hiddenmap")
        .expect("the hidden bytes beside the map");
    assert_eq!(
        hidden["attrs"]["data-bytes"].as_str().unwrap(),
        report["image"]["wasted_bytes"].to_string()
    );
}

fn assert_treemap(page: &Page, report: &Value) {
    let svg = page
        .all("svg")
        .into_iter()
        .find(|s| s["attrs"]["id"] == "treemap")
        .expect("a treemap");
    let attr = |e: &Value, k: &str| -> f64 {
        e["attrs"][k]
            .as_str()
            .unwrap_or_else(|| panic!("{k} missing on {e}"))
            .parse()
            .unwrap()
    };
    let canvas = attr(svg, "data-width") * attr(svg, "data-height");
    let final_bytes = report["image"]["final_bytes"].as_u64().unwrap();
    // The directory summary's root is the visible total, and the map draws exactly it.
    let root = report["dirs"][0]["bytes"].as_u64().unwrap();
    assert_eq!(report["dirs"][0]["path"], "/");
    assert_eq!(root, final_bytes);
    assert_eq!(attr(svg, "data-bytes") as u64, final_bytes);
    let leaves = page.with_class("rect", "leaf");
    assert!(leaves.len() > 3, "{} leaves", leaves.len());
    let mut area = 0.0;
    let mut bytes = 0u64;
    for l in &leaves {
        let (w, h) = (attr(l, "width"), attr(l, "height"));
        let b = attr(l, "data-bytes") as u64;
        area += w * h;
        bytes += b;
        // Each rectangle's share of the canvas is its share of the bytes, within the 0.01
        // rounding of its edges.
        let want = b as f64 / final_bytes as f64 * canvas;
        assert!(
            (w * h - want).abs() <= 0.01 * (w + h) + 1e-6,
            "{} is {w}×{h} for {b} bytes, want area {want}",
            l["text"]
        );
        assert!(
            l["text"].as_str().unwrap().contains(" · "),
            "a <title> with path and size"
        );
    }
    assert_eq!(bytes, final_bytes);
    assert!(
        (area - canvas).abs() / canvas < 1e-4,
        "areas add up to {area}, the canvas is {canvas}"
    );
}

#[test]
fn every_finding_and_check_is_on_the_page() {
    if !chromium() {
        return;
    }
    let (html, report) = dive_report();
    assert_findings(&open(html), report);
    let (html, report, _dir) = naive_page();
    assert_findings(&open(&html), &report);
}

fn assert_findings(page: &Page, report: &Value) {
    let articles = page.with_class("article", "finding");
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert_eq!(articles.len(), findings.len());
    for (f, a) in findings.iter().zip(&articles) {
        let text = a["text"].as_str().unwrap();
        assert_eq!(a["attrs"]["data-rule"], f["rule"]);
        for field in ["message", "fix"] {
            assert!(
                text.contains(f[field].as_str().unwrap()),
                "{field} of {f} not in {text}"
            );
        }
    }
    let rows = page.with_class("tr", "check");
    assert_eq!(rows.len(), report["checks"].as_array().unwrap().len());
    // Every layer can be opened.
    let layers = page.with_class("details", "layer");
    assert_eq!(
        layers.len(),
        report["image"]["layers"].as_array().unwrap().len()
    );
}

/// The naive function's real report renders under the 1 MB budget (147 kB when written), and
/// so does the same report with the largest directory summary the gate writes (2,000
/// directories, src/image/dirs.rs).
#[test]
fn the_naive_functions_report_stays_under_one_megabyte() {
    let (html, _, _dir) = naive_page();
    let real = std::fs::metadata(&html).unwrap().len();
    assert!(real < 1_000_000, "{real} bytes");
    let mut r: lambda_gate::report::Report = serde_json::from_slice(
        &std::fs::read(repo().join("tests/data/function-naive-report.json")).unwrap(),
    )
    .unwrap();
    let mut dirs = vec![lambda_gate::report::DirSize {
        path: "/".into(),
        bytes: 0,
        files: 0,
    }];
    for i in 0..40 {
        for j in 0..49 {
            dirs.push(lambda_gate::report::DirSize {
                path: format!(
                    "/var/lang/lib/python3.12/site-packages/package_{i:03}/submodule_{j:03}"
                ),
                bytes: 10_000 + (i * 49 + j) as u64 * 37,
                files: 3,
            });
        }
    }
    let total: u64 = dirs.iter().map(|d| d.bytes).sum();
    dirs[0].bytes = total;
    r.dirs = dirs;
    let html = lambda_gate::report::html::render(&r);
    assert!(
        html.len() < 1_000_000,
        "{} bytes for the naive function's report",
        html.len()
    );
    eprintln!(
        "naive report: {real} bytes of HTML; with 2,000 dirs: {} bytes",
        html.len()
    );
}

/// A hostile-names image: file names, an instruction and a cache path that are HTML, SVG and
/// attribute breakers, and a control character. The gate checks the image (a docker-archive
/// written here), Chromium opens the page, and the DOM has no element or event handler that
/// came from a name, while the names are there as text.
#[test]
fn a_hostile_names_image_puts_no_live_element_on_the_page() {
    if !chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let evil = [
        "<img src=x onerror=alert(1)>",
        "\"><svg onload=alert(2)>",
        "</title><script>alert(3)</script>",
        "';alert(4);'",
        "x\u{1b}[31mred",
    ];
    let mut layer0: Files = Vec::new();
    for (i, e) in evil.iter().enumerate() {
        layer0.push((format!("var/task/{e}/f{i}.py"), vec![b'x'; 2000 * (i + 1)]));
        // Above the cache rules' 1 MB default together, so the paths make a finding.
        layer0.push((format!("root/.cache/pip/{e}.whl"), vec![b'y'; 300_000]));
        layer0.push((format!("tmp/{e}.bin"), vec![b'z'; 3000]));
    }
    let layer1: Files = evil
        .iter()
        .map(|e| (format!("tmp/.wh.{e}.bin"), Vec::new()))
        .collect();
    let tar = dir.path().join("evil.tar");
    write_docker_archive(
        &tar,
        &[
            (layer0, format!("/bin/sh -c #(nop) COPY {} /", evil[0])),
            (layer1, format!("RUN rm {}", evil[2])),
        ],
    );
    let html = dir.path().join("evil.html");
    let json = dir.path().join("evil.json");
    let out = gate(&[
        "check",
        tar.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--output",
        json.to_str().unwrap(),
    ]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "pip-cache"),
        "the hostile cache paths make a finding: {}",
        report["findings"]
    );
    let page = open(&html);
    assert!(page.console().is_empty(), "console: {:?}", page.console());
    let ours = [
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "span",
        "p",
        "code",
        "div",
        "input",
        "section",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "svg",
        "rect",
        "text",
        "figure",
        "figcaption",
        "button",
        "details",
        "summary",
        "article",
        "ul",
        "li",
        "strong",
        "footer",
        "script",
        "i",
    ];
    for e in &page.elements {
        let tag = e["tag"].as_str().unwrap();
        assert!(ours.contains(&tag), "an element the page never writes: {e}");
        for (name, _) in e["attrs"].as_object().unwrap() {
            assert!(!name.starts_with("on"), "an event handler: {e}");
        }
    }
    assert_eq!(page.all("script").len(), 1, "only the page's own script");
    // The names are on the page, as text: in the treemap's titles, the layers, the finding.
    let text: String = page.all("body")[0]["text"].as_str().unwrap().to_string();
    for e in &evil[..4] {
        assert!(text.contains(e), "{e:?} is not on the page as text");
    }
    assert!(text.contains("x\u{1b}[31mred"));
}

/// A docker-archive of plain layers: (files, created_by) per layer.
/// A layer's files, (path, content).
type Files = Vec<(String, Vec<u8>)>;

fn write_docker_archive(path: &Path, layers: &[(Files, String)]) {
    use sha2::{Digest, Sha256};
    let mut outer = tar::Builder::new(std::fs::File::create(path).unwrap());
    let mut names = Vec::new();
    let mut diff_ids = Vec::new();
    for (i, (files, _)) in layers.iter().enumerate() {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, &data[..]).unwrap();
        }
        let t = b.into_inner().unwrap();
        diff_ids.push(format!("sha256:{}", hex::encode(Sha256::digest(&t))));
        let name = format!("layer{i}/layer.tar");
        append(&mut outer, &name, &t);
        names.push(name);
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["app.handler"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().map(|(_, c)| serde_json::json!({"created_by": c})).collect::<Vec<_>>(),
    });
    append(
        &mut outer,
        "config.json",
        &serde_json::to_vec(&config).unwrap(),
    );
    let manifest =
        serde_json::json!([{"Config": "config.json", "RepoTags": ["evil:1"], "Layers": names}]);
    append(
        &mut outer,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    outer.finish().unwrap();
}

fn append<W: std::io::Write>(b: &mut tar::Builder<W>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, name, data).unwrap();
}

/// The PR comment links the HTML report when the workflow says where it opens, and only to a
/// plain web URL.
#[test]
fn the_comment_links_the_html_report_when_its_url_is_known() {
    let image = repo().join("tests/data/dive-test-docker-image.tar");
    let markdown = |url: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gate"));
        cmd.args(["check", image.to_str().unwrap(), "--format", "markdown"]);
        match url {
            Some(u) => cmd.env("GATE_HTML_REPORT_URL", u),
            None => cmd.env_remove("GATE_HTML_REPORT_URL"),
        };
        let out = cmd.output().unwrap();
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let url = "https://github.com/o/r/actions/runs/42/artifacts/7";
    let (md, _) = markdown(Some(url));
    assert!(md.contains(&format!("]({url})")), "{md}");
    let (md, _) = markdown(None);
    assert!(!md.contains("HTML report"), "{md}");
    let (md, err) = markdown(Some("javascript:alert(1)"));
    assert!(!md.contains("javascript:"), "{md}");
    assert!(err.contains("GATE_HTML_REPORT_URL"), "{err}");
}

/// numpy's wheel ships its vendored libraries (OpenBLAS, libgfortran: 28 MB) in `numpy.libs/`
/// beside `numpy/`, and its RECORD lists them, so `packages[]` counts them in numpy's bytes.
/// The treemap must paint them numpy's too, not the function's code: pip installs the real
/// wheel (fetched by scripts/tools/60-python.sh) into a function directory, buildah builds the image, and the page gate writes is
/// read back with Python's html.parser.
#[test]
fn a_wheels_vendored_libraries_are_painted_as_its_package() {
    if !require_tools(&["buildah", "python3"]) {
        return;
    }
    let dir = static_dir("report_html_numpy");
    let ctx = dir.join("ctx");
    support::run(
        Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--no-deps"])
            // From the wheel scripts/tools/60-python.sh fetched: no network here.
            .args(["--no-index", "--find-links"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("build/tools/wheels"))
            .args(["--disable-pip-version-check", "--target"])
            .arg(ctx.join("task"))
            .arg("numpy==2.4.6"),
    );
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY task/ /var/task/\n",
    )
    .unwrap();
    let tag = format!("localhost/gate-html-numpy:{}", std::process::id());
    let tar = dir.join("numpy.tar");
    support::build_docker_archive(&ctx, &tag, &tar);
    let _ = support::buildah().args(["rmi", "-f", &tag]).output();
    let (json, html) = (dir.join("r.json"), dir.join("r.html"));
    let out = gate(&[
        "check",
        tar.to_str().unwrap(),
        "--policy",
        "/dev/null",
        "-o",
        json.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    // The premise: numpy.libs is there, and numpy's bytes include it.
    let libs = report["dirs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "/var/task/numpy.libs")
        .expect("numpy.libs in the directory summary")["bytes"]
        .as_u64()
        .unwrap();
    assert!(libs > 10_000_000, "numpy.libs is {libs} bytes");
    let numpy = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "numpy")
        .expect("numpy in packages[]");
    assert!(numpy["bytes"].as_u64().unwrap() > libs);

    let mut py = Command::new("python3")
        .args(["-c", DOM_READER])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let page = std::fs::read(&html).unwrap();
        py.stdin.take().unwrap().write_all(&page).unwrap();
    }
    let parsed = py.wait_with_output().unwrap();
    assert!(parsed.status.success());
    let elements: Vec<Value> = serde_json::from_slice(&parsed.stdout).unwrap();
    let rect = |path: &str| -> String {
        let title = format!("{path} ·");
        elements
            .iter()
            .find(|e| e["tag"] == "rect" && e["text"].as_str().unwrap().starts_with(&title))
            .unwrap_or_else(|| panic!("no rectangle for {path}"))["attrs"]["class"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let class = rect("/var/task/numpy.libs");
    assert!(class.contains("k-pypi"), "numpy.libs painted {class}");
    let class = rect("/var/task/numpy (files directly in it)");
    assert!(class.contains("k-pypi"), "numpy painted {class}");
}
