#!/usr/bin/env bash
# Runs the function locally as Lambda runs it: the AWS Runtime Interface Emulator in front of
# awslambdaric and app.handler, serving the Invoke API on loopback. One command:
#
#   function/run-local.sh            # port 9000 (PORT=… to choose)
#   curl -s -XPOST http://127.0.0.1:9000/2015-03-31/functions/function/invocations \
#        -d '{"rawPath": "/hello", "requestContext": {"http": {"method": "GET"}}}'
#   gate perf --function function --endpoint http://127.0.0.1:9000 --region us-east-1
#
# A fresh emulator is a fresh execution environment: its first invoke is a cold start.
# scripts/tools/30-lambda.sh installs aws-lambda-rie (build/tools/bin) and the virtualenv (awslambdaric and
# requirements.txt) under build/function-venv.
set -euo pipefail
cd "$(dirname "$0")"
port="${PORT:-9000}"
python=../build/function-venv/bin/python3
# The emulator the installer pinned, before any other on PATH.
PATH="$(cd .. && pwd)/build/tools/bin:$PATH"
command -v aws-lambda-rie >/dev/null && [ -x "$python" ] ||
  { echo "run-local: aws-lambda-rie or build/function-venv missing; run scripts/tools/30-lambda.sh" >&2; exit 2; }
echo "run-local: Invoke API on http://127.0.0.1:$port/2015-03-31/functions/function/invocations" >&2
exec aws-lambda-rie --runtime-interface-emulator-address "127.0.0.1:$port" \
  "$(cd "$(dirname "$python")" && pwd)/python3" -m awslambdaric app.handler
