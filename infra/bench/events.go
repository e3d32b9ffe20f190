package bench

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind is an event kind the benchmarks replay.
type Kind string

// The event kinds of the figures.
const (
	KindCodeUpdate  Kind = "code update"
	KindAliasUpdate Kind = "alias update"
	KindCSCDetach   Kind = "CSC detach"
	KindRepoCreate  Kind = "repository create"
	// KindReadOnly is a read the guard ignores before any call: the
	// cold-start probe, so that only start-up is timed.
	KindReadOnly Kind = "read-only"
)

// Kinds are the kinds the decision and call figures cover, in report order.
var Kinds = []Kind{KindCodeUpdate, KindAliasUpdate, KindCSCDetach, KindRepoCreate}

// Target names what an event is about.
type Target struct {
	Account, Region string
	// Function (or Repository for KindRepoCreate) is the resource name;
	// Alias the alias for KindAliasUpdate.
	Function, Alias, Repository string
	// ActorARN is the deployer's session issuer role.
	ActorARN string
}

// Event returns an EventBridge delivery of the CloudTrail record of a
// successful call of that kind, with the given event id, shaped as
// CloudTrail writes it (camelCase parameters, versioned Lambda event names),
// about a change made now: CloudTrail's eventTime, to the second.
func Event(k Kind, id string, t Target) []byte {
	at := time.Now().UTC().Truncate(time.Second)
	source, name := "lambda.amazonaws.com", ""
	var req, resp any
	readOnly := false
	switch k {
	case KindCodeUpdate:
		name = "UpdateFunctionCode20150331v2"
		req = map[string]any{"functionName": t.Function, "publish": false, "dryRun": false}
		resp = map[string]any{"functionName": t.Function, "functionArn": fnARN(t), "runtime": "provided.al2023",
			"codeSize": 4096, "version": "$LATEST", "lastUpdateStatus": "InProgress", "packageType": "Zip"}
	case KindAliasUpdate:
		name = "UpdateAlias20150331"
		req = map[string]any{"functionName": t.Function, "name": t.Alias, "functionVersion": "$LATEST"}
		resp = map[string]any{"aliasArn": fnARN(t) + ":" + t.Alias, "name": t.Alias, "functionVersion": "$LATEST"}
	case KindCSCDetach:
		name = "DeleteFunctionCodeSigningConfig"
		req = map[string]any{"functionName": t.Function}
	case KindRepoCreate:
		source, name = "codecommit.amazonaws.com", "CreateRepository"
		req = map[string]any{"repositoryName": t.Repository}
		resp = map[string]any{"repositoryMetadata": map[string]any{"repositoryName": t.Repository, "accountId": t.Account,
			"arn": fmt.Sprintf("arn:aws:codecommit:%s:%s:%s", t.Region, t.Account, t.Repository)}}
	case KindReadOnly:
		name, readOnly = "GetFunction20150331v2", true
		req = map[string]any{"functionName": t.Function}
	default:
		panic("bench: unknown event kind " + string(k))
	}
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "AssumedRole", "principalId": "AROAEXAMPLE:deploy", "accountId": t.Account,
			"arn": fmt.Sprintf("arn:aws:sts::%s:assumed-role/deployer/deploy", t.Account),
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{
				"type": "Role", "principalId": "AROAEXAMPLE", "arn": t.ActorARN, "accountId": t.Account, "userName": "deployer"}},
		},
		"eventTime": at.Format(time.RFC3339), "eventSource": source, "eventName": name,
		"awsRegion": t.Region, "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.15",
		"requestParameters": req, "responseElements": resp,
		"requestID": "req-" + id, "eventID": id, "readOnly": readOnly,
		"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": t.Account,
	}
	env := map[string]any{
		"version": "0", "id": "eb-" + id, "detail-type": "AWS API Call via CloudTrail",
		"source": "aws." + sourceShort(source), "account": t.Account, "time": at.Format(time.RFC3339),
		"region": t.Region, "resources": []string{}, "detail": rec,
	}
	b, err := json.Marshal(env)
	if err != nil {
		panic(err) // maps of plain values always marshal
	}
	return b
}

func fnARN(t Target) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", t.Region, t.Account, t.Function)
}

func sourceShort(s string) string {
	for i := range s {
		if s[i] == '.' {
			return s[:i]
		}
	}
	return s
}
