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

# The packages target: the first byte picks the reader (see fuzz/harness/packages.rs). Issue 24's
# hostile shapes, small: an rpmdb.sqlite whose Packages is a view, a generated blob, a header
# count of 2^32-1, a BDB whose items share one overflow chain; and plain records of each kind.
import sqlite3, struct, tempfile

def rpmdb(sql, rows=()):
    with tempfile.TemporaryDirectory() as d:
        p = pathlib.Path(d) / "rpmdb.sqlite"
        c = sqlite3.connect(p)
        c.executescript(sql)
        if rows:
            c.executemany("INSERT INTO Packages (blob) VALUES (?)", [(r,) for r in rows])
        c.commit()
        c.close()
        return p.read_bytes()

def header(entries):
    index, data = b"", b""
    for tag, ty, payload, count in entries:
        if ty == 4:
            data += b"\0" * (-len(data) % 4)
        index += struct.pack(">IIII", tag, ty, len(data), count)
        data += payload
    return struct.pack(">II", len(entries), len(data)) + index + data

TABLE = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);"
good = header([(1000, 6, b"bash\0", 1), (1001, 6, b"5.2\0", 1), (1002, 6, b"1\0", 1),
               (1117, 8, b"bash\0sh\0", 2), (1118, 8, b"/usr/bin/\0", 1), (1116, 4, b"\0" * 8, 2)])
put("packages", b"\0" + rpmdb(TABLE, [good]))
put("packages", b"\0" + rpmdb(TABLE, [header([(1000, 6, b"x\0", 1), (1001, 6, b"1\0", 1),
                                              (1027, 8, b"\0" * 64, 0xFFFFFFFF)])]))
put("packages", b"\0" + rpmdb("CREATE VIEW Packages AS WITH RECURSIVE n(hnum) AS (SELECT 1 UNION ALL "
                              "SELECT hnum + 1 FROM n WHERE hnum < 20000000) SELECT hnum, zeroblob(100) AS blob FROM n;"))
put("packages", b"\0" + rpmdb("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, n INTEGER, "
                              "blob BLOB AS (zeroblob(n)) VIRTUAL); INSERT INTO Packages (n) VALUES (100000000);"))

def bdb(value, items, page=512):
    """Little-endian hash file: metadata, one hash page of `items` pairs all pointing at one
    two-page overflow chain holding `value`."""
    f = bytearray(page * 4)
    struct.pack_into("<I", f, 12, 0x061561); struct.pack_into("<I", f, 20, page)
    f[25] = 8; struct.pack_into("<I", f, 32, 3)
    h = page
    f[h + 25] = 13; struct.pack_into("<H", f, h + 20, 2 * items)
    for i in range(items):
        key, data = page - (i + 1) * 17, page - (i + 1) * 17 + 5
        struct.pack_into("<HH", f, h + 26 + 4 * i, key, data)
        f[h + key] = 1; struct.pack_into("<I", f, h + key + 1, i)
        f[h + data] = 3; struct.pack_into("<II", f, h + data + 4, 2, len(value))
    a, b = value[:page - 26], value[page - 26:]
    for n, chunk, nxt in ((2, a, 3), (3, b, 0)):
        o = n * page
        f[o + 25] = 7; struct.pack_into("<I", f, o + 16, nxt); struct.pack_into("<H", f, o + 22, len(chunk))
        f[o + 26:o + 26 + len(chunk)] = chunk
    return bytes(f)

padded = good + b"\0" * (600 - len(good))
put("packages", b"\1" + bdb(padded, 1))
put("packages", b"\1" + bdb(padded, 10))
put("packages", b"\2" + b"Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n" * 20)
put("packages", b"\3" + b"".join(b"/usr/share/a/%d\n" % i for i in range(20)) + b"/../../etc/x\n")
put("packages", b"\4" + b"P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\nF:" + b"d/" * 100 + b"\n" + b"R:f\n" * 50
    + b"R:" + b"../" * 120 + b"x\n")
put("packages", b"\5" + b"a/__init__.py,sha256=x,10\n\"odd,name.py\",,\n../../../../../../x,,\n")
put("packages", b"\6" + b'{"name":"@s/y","version":"1.0.0","license":{"type":"MIT"},"licenses":[{"type":"ISC"}]}')
