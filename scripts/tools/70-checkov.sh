#!/usr/bin/env bash
# checkov, the policy-as-code scanner users already run on their SAM templates, Terraform and
# plans: tests/deployment_checkov.rs compares the gate's pre-deploy verdicts with its checks
# (CKV_AWS_116 DLQ, CKV_AWS_50 X-Ray, CKV_AWS_115 concurrency) on the same files. A virtualenv
# of its own (build/tools/checkov-venv): checkov pins dozens of libraries (boto3, networkx,
# jsonschema …) that would fight the test tools' in build/tools/venv. The binary is linked
# into build/tools/bin, first on PATH in scripts/test.sh.
. "$(dirname "$0")/lib.sh"
venv="$tools/checkov-venv"
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$PY_CHECKOV"
ln -sf "$venv/bin/checkov" "$bin/checkov"
