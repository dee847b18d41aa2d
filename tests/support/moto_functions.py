#!/usr/bin/env python3
"""Test support for tests/deployment.rs: creates Lambda functions on a moto server, each
configured as a JSON spec on stdin says, through the real Lambda and CloudWatch Logs APIs
(boto3), so the gate reads them back the way it reads a real account.

spec: [{"name", "arch", "timeout", "memory", "tracing", "reserved", "on_failure",
        "log_retention": int | null (group without retention) | "none" (no group),
        "digest", "alias"}]
"""
import json
import sys

import boto3

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
iam = boto3.client("iam", **kw)
lam = boto3.client("lambda", **kw)
logs = boto3.client("logs", **kw)
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": "lambda.amazonaws.com"}}]}
role = iam.create_role(RoleName="gate-test", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
for f in json.load(sys.stdin):
    lam.create_function(
        FunctionName=f["name"], Role=role, PackageType="Image",
        Code={"ImageUri": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/fn@{f['digest']}"},
        Timeout=f["timeout"], MemorySize=f["memory"], Architectures=[f["arch"]],
        TracingConfig={"Mode": f["tracing"]},
    )
    if f.get("reserved") is not None:
        lam.put_function_concurrency(FunctionName=f["name"], ReservedConcurrentExecutions=f["reserved"])
    if f.get("on_failure"):
        lam.put_function_event_invoke_config(
            FunctionName=f["name"], DestinationConfig={"OnFailure": {"Destination": f["on_failure"]}})
    if f.get("alias"):
        v = lam.publish_version(FunctionName=f["name"])["Version"]
        lam.create_alias(FunctionName=f["name"], Name=f["alias"], FunctionVersion=v)
    group = f"/aws/lambda/{f['name']}"
    if f.get("log_retention") != "none":
        logs.create_log_group(logGroupName=group)
        if f.get("log_retention") is not None:
            logs.put_retention_policy(logGroupName=group, retentionInDays=f["log_retention"])
print("ok")
