#!/usr/bin/env python3
"""Transform a SAM template offline, as `sam package` and CloudFormation would.

Usage: python3 infra/samtransform.py template.yaml > packaged.json

`sam deploy` packages the template (each local CodeUri becomes an S3 URI) and
CloudFormation then applies the AWS::Serverless-2016-10-31 transform. This
does both without an AWS account, with the same translator CloudFormation
runs (aws-sam-translator, installed with cfn-lint), so that `cfn-lint` can
check the plain CloudFormation the stack is really made of: what the
transform generates (roles, permissions, event rules, invoke configs) and
what the translator rejects never reach a deploy unchecked.
"""

import json
import os
import sys

from cfnlint.decode import cfn_yaml
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

# Stands in for the S3 bucket `sam deploy` uploads the built code to.
BUCKET = "selfguard-packaging-example"


class NoIAM(ManagedPolicyLoader):
    """Answers the translator's managed-policy lookups without calling IAM.

    selfguard's functions name their roles; no SAM policy template needs a
    managed policy's ARN looked up, so the map is empty.
    """

    def __init__(self):
        pass

    def load(self):
        return {}


def package(template, bucket=BUCKET):
    """Replace each local CodeUri with the S3 URI `sam package` would give."""
    glob = template.get("Globals", {}).get("Function", {})
    if isinstance(glob.get("CodeUri"), str) and not glob["CodeUri"].startswith("s3://"):
        glob["CodeUri"] = "s3://%s/globals.zip" % bucket
    for name, res in template.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res.setdefault("Properties", {})
        uri = props.get("CodeUri", glob.get("CodeUri"))
        if uri is None or (isinstance(uri, str) and not uri.startswith("s3://")):
            props["CodeUri"] = "s3://%s/%s.zip" % (bucket, name)
    return template


def translate(path, bucket=BUCKET):
    """Read the SAM template at path, package it and apply the transform."""
    # The translator fills AWS::Region from the environment; any region does
    # for a check (the partition comes from it too).
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path, encoding="utf-8") as f:
        template = cfn_yaml.loads(f.read(), path)
    return transform(package(json.loads(json.dumps(template)), bucket), {}, NoIAM())


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out = translate(argv[1])
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
