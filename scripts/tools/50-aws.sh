#!/usr/bin/env bash
# The AWS side of the tests: moto in server mode (the AWS API emulator: CloudFormation,
# Lambda, SQS, SNS, CloudWatch Logs; boto3 comes with it), cfn-lint, and aws-sam-translator
# (what `sam deploy` and cfn-lint use to translate SAM; moto does not apply the transform).
set -euo pipefail
need=()
command -v moto_server >/dev/null || need+=("moto[server]==5.2.5")
command -v cfn-lint >/dev/null || need+=("cfn-lint==1.58.0")
python3 -c "import samtranslator" 2>/dev/null || need+=("aws-sam-translator==1.110.0")
if [ ${#need[@]} -gt 0 ]; then
  pip install --quiet --disable-pip-version-check "${need[@]}"
fi
