#!/usr/bin/env python3
"""Translates a SAM template (function/template.yaml) to plain CloudFormation JSON, locally,
with the same aws-sam-translator that cfn-lint and `sam deploy` use: for linting the
translated template (cfn-lint misses errors in SAM that the translation exposes) and for
emulators that do not apply the SAM transform (moto).

    scripts/sam-translate.py function/template.yaml > build/template.json

The managed-policy loader is a stub (no IAM call): the template names no managed policy
by name, so the translation does not need the real ARNs.
"""
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    def load(self):
        return {}


def main(path):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path) as f:
        sam = yaml_parse(f.read())
    out = transform(sam, {}, NoManagedPolicies())
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: sam-translate.py TEMPLATE")
    main(sys.argv[1])
