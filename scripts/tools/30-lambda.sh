#!/usr/bin/env bash
# The AWS Lambda Runtime Interface Emulator (shipped inside the PyPI package aws-sam-cli) and a
# virtualenv under build/ with awslambdaric and the function's requirements, so that
# function/run-local.sh runs the function as Lambda runs it without touching the host's Python.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v aws-lambda-rie >/dev/null; then
  tmp=$(mktemp -d)
  pip download --quiet --no-deps aws-sam-cli -d "$tmp"
  python3 - "$tmp" <<'PY'
import glob, sys, zipfile
whl = glob.glob(sys.argv[1] + "/aws_sam_cli-*.whl")[0]
with zipfile.ZipFile(whl) as z, open("/usr/local/bin/aws-lambda-rie", "wb") as out:
    out.write(z.read("samcli/local/rapid/aws-lambda-rie-x86_64"))
PY
  chmod 755 /usr/local/bin/aws-lambda-rie
  rm -rf "$tmp"
fi
venv=build/function-venv
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check awslambdaric==4.2.2 -r function/requirements.txt
