#!/usr/bin/env bash
# Python's jsonschema (with `referencing`, its resolver), which tests/sbom_output.rs runs
# through tests/data/cyclonedx-1.5/validate.py to hold `--sbom-output` to the official
# CycloneDX 1.5 schema. check-jsonschema (40-workflows.sh) depends on it too; this says so.
set -euo pipefail
python3 -c 'import jsonschema, referencing' 2>/dev/null ||
  pip install --quiet --disable-pip-version-check 'jsonschema>=4.18'
