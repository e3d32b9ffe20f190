#!/usr/bin/env python3
"""Make the member template of a service-managed StackSet from template.yaml.

Usage: python3 infra/org/transform.py template.yaml > infra/org/member.template.json

Service-managed StackSets accept no transforms (AWS::Serverless included),
so the member stacks are made from template.yaml already transformed, offline,
by the SAM translator CloudFormation itself runs (aws-sam-translator, which
cfn-lint installs). Then, for an organization:

- Code comes from a bucket in each instance's own region (Lambda reads code
  only from its region): CodeBucketPrefix-<region>, key CodeVersion/<Function>.zip.
- Names are GuardName-<region>-... instead of the stack's name: an instance's
  stack is named StackSet-<set>-<uuid>, too long for Lambda and IAM names, and
  IAM names are per account, so each region's instance needs names of its own.
- With CentralAlertTopicArn set, every alert is published to the security
  account's topic as well as the member's own (SELFGUARD_TOPIC_ARN lists both),
  and the guards' roles may publish there (and use CentralAlertKeyArn).

infra/org/member_test.go holds the committed output to this script's output
on the current template.yaml; regenerate with `make org-template`.
"""

import copy
import json
import os
import sys

# The packaging and the offline transform are infra/samtransform.py's, the
# same that `make lint` checks the single-account stack with.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import samtransform  # noqa: E402

PLACEHOLDER_BUCKET = "selfguard-org-placeholder"
NAME = "${GuardName}-${AWS::Region}"

PARAMETERS = {
    "GuardName": {
        "Type": "String", "Default": "selfguard", "AllowedPattern": "^[a-z][a-z0-9-]{0,19}$",
        "Description": "Prefix of the guard's resource names, followed by the region.",
    },
    "CodeBucketPrefix": {
        "Type": "String", "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,40}$",
        "Description": "The guard's code is read from the bucket <CodeBucketPrefix>-<region> in each region "
                       "(its policy admits the organization: aws:PrincipalOrgID).",
    },
    "CodeVersion": {
        "Type": "String", "AllowedPattern": "^[A-Za-z0-9._-]{1,64}$",
        "Description": "Key prefix of the release in the code buckets: <CodeVersion>/<Function>.zip.",
    },
    "CentralAlertTopicArn": {
        "Type": "String", "Default": "",
        "Description": "The security account's alert topic (infra/org/central-alerts.yaml); empty - alerts stay in the account.",
    },
    "CentralAlertKeyArn": {
        "Type": "String", "Default": "",
        "Description": "The KMS key that encrypts the central topic; empty when it is not encrypted with a customer managed key.",
    },
}

CONDITIONS = {
    "HasCentralAlerts": {"Fn::Not": [{"Fn::Equals": [{"Ref": "CentralAlertTopicArn"}, ""]}]},
    "HasCentralAlertKey": {"Fn::Not": [{"Fn::Equals": [{"Ref": "CentralAlertKeyArn"}, ""]}]},
}


def rename(node):
    """Replace the stack's name with GuardName-<region>, everywhere."""
    if isinstance(node, dict):
        if node == {"Ref": "AWS::StackName"}:
            return {"Fn::Sub": NAME}
        if "Fn::Sub" in node and len(node) == 1:
            sub = node["Fn::Sub"]
            if isinstance(sub, str):
                return {"Fn::Sub": sub.replace("${AWS::StackName}", NAME)}
            return {"Fn::Sub": [sub[0].replace("${AWS::StackName}", NAME), rename(sub[1])]}
        return {k: rename(v) for k, v in node.items()}
    if isinstance(node, list):
        return [rename(v) for v in node]
    return node


def publishes_alerts(statement):
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    return statement.get("Effect") == "Allow" and "sns:Publish" in actions and \
        statement.get("Resource") == {"Ref": "AlertTopic"} and "Principal" not in statement


def alert_roles(resources):
    """The roles allowed to publish to the member's alert topic: by their own
    policies, a policy naming them, or a managed policy they attach."""
    roles, managed = [], set()
    for name, res in sorted(resources.items()):
        props = res.get("Properties", {})
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            if any(publishes_alerts(s) for s in props.get("PolicyDocument", {}).get("Statement", [])):
                roles.extend(props.get("Roles", []))
                managed.add(name)
    for name, res in sorted(resources.items()):
        props = res.get("Properties", {})
        if res["Type"] != "AWS::IAM::Role":
            continue
        own = any(publishes_alerts(s) for pol in props.get("Policies", []) for s in pol["PolicyDocument"]["Statement"])
        attached = any(isinstance(a, dict) and a.get("Ref") in managed for a in props.get("ManagedPolicyArns", []))
        if own or attached:
            roles.append({"Ref": name})
    unique = []
    for r in roles:
        if r not in unique:
            unique.append(r)
    return unique


def overlay(t):
    t["Description"] = ("selfguard member stack for a service-managed StackSet, generated by "
                        "infra/org/transform.py from template.yaml - do not edit. " + t.get("Description", ""))
    t["Parameters"].update(copy.deepcopy(PARAMETERS))
    t.setdefault("Conditions", {}).update(copy.deepcopy(CONDITIONS))
    res = t["Resources"]
    for name, r in res.items():
        if r["Type"] != "AWS::Lambda::Function":
            continue
        props = r["Properties"]
        props["Code"] = {"S3Bucket": {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"},
                         "S3Key": {"Fn::Sub": "${CodeVersion}/" + name + ".zip"}}
        env = props.get("Environment", {}).get("Variables", {})
        if "SELFGUARD_TOPIC_ARN" in env:
            own = env["SELFGUARD_TOPIC_ARN"]
            env["SELFGUARD_TOPIC_ARN"] = {"Fn::If": ["HasCentralAlerts",
                                                     {"Fn::Join": [",", [own, {"Ref": "CentralAlertTopicArn"}]]}, own]}
    statements = [{"Sid": "CentralAlert", "Effect": "Allow", "Action": "sns:Publish",
                   "Resource": {"Ref": "CentralAlertTopicArn"}},
                  {"Fn::If": ["HasCentralAlertKey",
                              {"Sid": "CentralAlertKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                               "Resource": {"Ref": "CentralAlertKeyArn"}},
                              {"Ref": "AWS::NoValue"}]}]
    res["CentralAlertPublish"] = {
        "Type": "AWS::IAM::Policy", "Condition": "HasCentralAlerts",
        "Properties": {"PolicyName": "selfguard-central-alerts", "Roles": alert_roles(res),
                       "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}},
    }
    return rename(t)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out = overlay(samtransform.translate(argv[1], PLACEHOLDER_BUCKET))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
