#!/usr/bin/env bash
# The AWS Lambda Runtime Interface Emulator (shipped inside the PyPI package aws-sam-cli) and
# awslambdaric, to run the bundled function locally as Lambda runs it.
set -euo pipefail
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
python3 -c "import awslambdaric" 2>/dev/null || pip install --quiet awslambdaric==4.2.2
