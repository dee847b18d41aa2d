#!/usr/bin/env bash
# The AWS Lambda Runtime Interface Emulator (shipped inside the PyPI package aws-sam-cli) into
# build/tools/bin, and a virtualenv under build/ with awslambdaric and the function's
# requirements, so that function/run-local.sh runs the function as Lambda runs it without
# touching the host's Python.
. "$(dirname "$0")/lib.sh"
cd "$root"
if ! stamp_is aws-lambda-rie "$PY_AWS_SAM_CLI" || [ ! -x "$bin/aws-lambda-rie" ]; then
  tmp=$(mktemp -d)
  pip download --quiet --disable-pip-version-check --no-deps "aws-sam-cli==$PY_AWS_SAM_CLI" -d "$tmp"
  python3 - "$tmp" "$bin/aws-lambda-rie" <<'PY'
import glob, sys, zipfile
whl = glob.glob(sys.argv[1] + "/aws_sam_cli-*.whl")[0]
with zipfile.ZipFile(whl) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("samcli/local/rapid/aws-lambda-rie-x86_64"))
PY
  chmod 755 "$bin/aws-lambda-rie"
  rm -rf "$tmp"
  stamp aws-lambda-rie "$PY_AWS_SAM_CLI"
fi
venv=build/function-venv
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "awslambdaric==$PY_AWSLAMBDARIC" -r function/requirements.txt
