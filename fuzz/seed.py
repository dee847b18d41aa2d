#!/usr/bin/env python3
"""Seeds the fuzz corpora from the real fixtures (../shared/fixtures) and the repo's own
gate.toml files. Run once before a first fuzzing session; what the fuzzers then add is
minimised (scripts/fuzz.sh --minimize) and committed."""
import hashlib, io, os, pathlib, sys, tarfile

root = pathlib.Path(__file__).resolve().parent.parent
fixtures = pathlib.Path(os.environ.get("LAMBDA_GATE_FIXTURES", root.parent / "shared/fixtures"))
if not fixtures.is_dir():
    fixtures = pathlib.Path("/work/shared/fixtures")
corpus = root / "fuzz/corpus"
LIMIT = 64 * 1024

def put(target, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)

for img in sorted((fixtures / "images").glob("*.tar")):
    data = img.read_bytes()
    if len(data) <= LIMIT:
        put("archive", data)
    # Uncompressed layer tars inside the archive seed the layer walk.
    with tarfile.open(img) as t:
        for m in t.getmembers():
            if not m.isfile() or m.size > LIMIT:
                continue
            blob = t.extractfile(m).read()
            if len(blob) >= 512 and blob[257:262] == b"ustar":
                put("layer", blob)

# Hand-made layers for what the fixtures lack: a hard link whose target goes, long names.
def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data, link in entries:
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.size = len(data) if kind == tarfile.REGTYPE else 0
            ti.linkname = link
            t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buf.getvalue()

put("layer", layer([("a/f", tarfile.REGTYPE, b"x" * 1000, ""), ("a/l", tarfile.LNKTYPE, b"", "a/f"),
                    ("a/.wh.f", tarfile.REGTYPE, b"", "")]))
put("layer", layer([("d/" + "n/" * 40 + "f", tarfile.REGTYPE, b"y", ""), ("d/.wh..wh..opq", tarfile.REGTYPE, b"", ""),
                    ("s", tarfile.SYMTYPE, b"", "s")]))

parsers = {"trivy": 0, "trivy-local": 0, "grype": 1, "cargo-audit": 2, "cyclonedx": 3, "sarif": 4}
for sub, sel in parsers.items():
    for f in sorted((fixtures / "reports" / sub).glob("*")):
        data = f.read_bytes()
        if len(data) <= LIMIT:
            put("scanners", bytes([sel]) + data)

for toml in [*root.glob("src/*/gate.toml"), root / "function/gate.toml"]:
    put("policy", toml.read_bytes())

for t in ["p95 < 800ms", "p99<=1s", "success_rate >= 99%", "cold_start_rate <= 20%",
          "med < 5", "init_avg > 1s", "max == 0", "p99.9 < 2000"]:
    put("threshold", t.encode())

put("render", b"\xff".join(s.encode() for s in
    ["<script>alert(1)</script>", "`a``b`", "\x1b[31mred\x07", "\u202eevil", "**b**|c|\n# h"]))
put("render", b"x")
