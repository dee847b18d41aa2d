#!/usr/bin/env python3
"""Test support for tests/deployment.rs: deploys the translated SAM template on a moto server
and reads back what was created, as JSON on stdout.

moto (5.2.5) models neither AWS::Lambda::Url nor AWS::Lambda::Alias in CloudFormation: a
template that holds them fails to create (500). So the stack deployed here is the translated
template less those resources and whatever names them; the list of what was left out is
printed too, and the test asserts it is exactly those types, so nothing else is dropped
silently. Their shape is checked on the translated template itself.
"""
import json
import sys
import time

import boto3

UNMODELLED = {"AWS::Lambda::Url", "AWS::Lambda::Alias"}


def refs(node):
    """Every logical id a Ref or GetAtt (or a Sub's ${...}) in node names."""
    out = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                out.add(v[0] if isinstance(v, list) else v.split(".")[0])
            elif k == "Fn::Sub":
                s = v[0] if isinstance(v, list) else v
                out.update(p.split("}")[0].split(".")[0] for p in s.split("${")[1:])
            out |= refs(v)
    elif isinstance(node, list):
        for v in node:
            out |= refs(v)
    return out


def deployable(template):
    res = template["Resources"]
    drop = {k for k, v in res.items() if v["Type"] in UNMODELLED}
    changed = True
    while changed:
        changed = False
        for k, v in res.items():
            if k not in drop and refs(v) & drop:
                drop.add(k)
                changed = True
    left_out = {k: res[k]["Type"] for k in sorted(drop)}
    t = dict(template)
    t["Resources"] = {k: v for k, v in res.items() if k not in drop}
    outs = template.get("Outputs", {})
    t["Outputs"] = {k: v for k, v in outs.items() if not refs(v) & drop}
    dropped_outputs = sorted(set(outs) - set(t["Outputs"]))
    return t, left_out, dropped_outputs


def main(endpoint, template_path, params):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1",
              aws_access_key_id="testing", aws_secret_access_key="testing")
    template, left_out, dropped_outputs = deployable(json.load(open(template_path)))
    cf = boto3.client("cloudformation", **kw)
    cf.create_stack(
        StackName="gatefn",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    for _ in range(200):
        stack = cf.describe_stacks(StackName="gatefn")["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.1)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = {r.get("LogicalResourceId"): r.get("ResourceType")
                 for r in cf.describe_stack_resources(StackName="gatefn")["StackResources"]}
    lam = boto3.client("lambda", **kw)
    fn = lam.get_function(FunctionName=outputs["FunctionName"])
    sqs = boto3.client("sqs", **kw)
    queue = sqs.get_queue_attributes(QueueUrl=outputs["DeadLetterQueueUrl"],
                                     AttributeNames=["MessageRetentionPeriod"])["Attributes"]
    logs = boto3.client("logs", **kw)
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/gatefn")["logGroups"]
    json.dump({
        "status": stack["StackStatus"],
        "left_out": left_out,
        "dropped_outputs": dropped_outputs,
        "outputs": outputs,
        "resources": resources,
        "function": fn["Configuration"],
        "concurrency": fn.get("Concurrency"),
        "queue": queue,
        "log_groups": {g["logGroupName"]: g.get("retentionInDays") for g in groups},
    }, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:]))
