"""Validates a CycloneDX 1.5 JSON document against the official schema in this directory.

usage: python3 validate.py BOM.json   (exit 0 valid; 1 invalid, one line per error)
Relative $refs (spdx.schema.json, jsf-0.82.schema.json) resolve to the files here, by their
$id, so nothing is fetched.
"""
import json
import pathlib
import sys

from jsonschema import Draft7Validator
from referencing import Registry, Resource

here = pathlib.Path(__file__).parent
registry = Registry()
for name in ("bom-1.5.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"):
    schema = json.loads((here / name).read_text())
    registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
main = json.loads((here / "bom-1.5.schema.json").read_text())
validator = Draft7Validator(main, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)
doc = json.loads(pathlib.Path(sys.argv[1]).read_text())
errors = sorted(validator.iter_errors(doc), key=lambda e: e.json_path)
for e in errors:
    print(f"{e.json_path}: {e.message[:300]}")
sys.exit(1 if errors else 0)
