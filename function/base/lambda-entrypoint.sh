#!/bin/sh
# As the AWS base images do: under Lambda (AWS_LAMBDA_RUNTIME_API set) run the runtime
# interface client; anywhere else, run it under the Runtime Interface Emulator.
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  exec /usr/local/bin/aws-lambda-rie /var/lang/bin/python3 -m awslambdaric "$@"
else
  exec /var/lang/bin/python3 -m awslambdaric "$@"
fi
