#!/usr/bin/env bash
# Every Python tool the tests drive, pinned, in one virtualenv of the project's own
# (build/tools/venv; scripts/test.sh puts its bin/ first on PATH, so its python3 is the one the
# tests run): moto in server mode (the AWS API emulator), cfn-lint, aws-sam-translator (what
# `sam deploy` and cfn-lint use to translate SAM; moto does not apply the transform),
# check-jsonschema, jsonschema with `referencing` (tests/sbom_output.rs validates CycloneDX
# 1.5), xmlschema and junitparser (tests/report_junit.rs). The system Python may carry older
# moto and cfn-lint; nothing here reads it.
. "$(dirname "$0")/lib.sh"
venv="$tools/venv"
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  "moto[server]==$PY_MOTO" "cfn-lint==$PY_CFN_LINT" "aws-sam-translator==$PY_AWS_SAM_TRANSLATOR" \
  "check-jsonschema==$PY_CHECK_JSONSCHEMA" "jsonschema==$PY_JSONSCHEMA" \
  "referencing==$PY_REFERENCING" "xmlschema==$PY_XMLSCHEMA" "junitparser==$PY_JUNITPARSER"
# A real wheel that vendors shared libraries (numpy.libs/), for tests/report_html.rs: fetched
# here, with the virtualenv's own interpreter (the one the tests run), so the test installs it
# from this folder and needs no network.
wheels="$tools/wheels"
if ! ls "$wheels"/numpy-2.4.6-*.whl >/dev/null 2>&1; then
  "$venv/bin/python3" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: -d "$wheels" numpy==2.4.6
fi
