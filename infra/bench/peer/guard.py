"""The boto3 peer of the Lambda guard's containment path (figure 2).

It does the same check and containment as selfguard for one code-update
event: GetFunction, decide "unsigned" (no signing profile recorded),
PutFunctionConcurrency 0. Nothing more: no ledger, no alert, no settings,
which favours the peer. Usage: python3 guard.py EVENT_FILE. The endpoint and
credentials come from the environment (AWS_ENDPOINT_URL_LAMBDA, AWS_*).
"""
import json
import sys

import boto3


def handle(event, client):
    params = event["detail"]["requestParameters"]
    name = params["functionName"]
    conf = client.get_function(FunctionName=name)["Configuration"]
    if conf.get("SigningProfileVersionArn"):
        return {"function": name, "action": "none"}
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    return {"function": name, "action": "contain"}


def main():
    with open(sys.argv[1]) as f:
        event = json.load(f)
    client = boto3.client("lambda")
    print(json.dumps(handle(event, client)))


if __name__ == "__main__":
    main()
