package templatecheck

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/infra/eventbus"
)

// The stack's resources as AWS names them (CloudFormation's generated
// names), for records in their real shapes.
const (
	tAccount    = "111122223333"
	tKeyID      = "1234abcd-12ab-34cd-56ef-1234567890ab"
	tKeyARN     = "arn:aws:kms:eu-west-1:" + tAccount + ":key/" + tKeyID
	tTable      = "selfguard-LedgerTable-1A2B3C4D5E6F"
	tTableARN   = "arn:aws:dynamodb:eu-west-1:" + tAccount + ":table/" + tTable
	tQueueURL   = "https://sqs.eu-west-1.amazonaws.com/" + tAccount + "/"
	tDLQ        = tQueueURL + "selfguard-DeadLetterQueue-AbCdEf123456"
	tSweepQ     = tQueueURL + "selfguard-SweepQueue-AbCdEf123456"
	tSweepQARN  = "arn:aws:sqs:eu-west-1:" + tAccount + ":selfguard-SweepQueue-AbCdEf123456"
	tSweepDLQ   = tQueueURL + "selfguard-SweepDeadLetterQueue-AbCdEf123456"
	tGuardCSC   = "arn:aws:lambda:eu-west-1:" + tAccount + ":code-signing-config:csc-0a1b2c3d4e5f6a7b8"
	tTopic      = "arn:aws:sns:eu-west-1:" + tAccount + ":selfguard-AlertTopic"
	tGuardFnARN = "arn:aws:lambda:eu-west-1:" + tAccount + ":function:selfguard-sweep-worker"
)

// loadDeployed is template.yaml as deployed with a guard signing profile,
// its resources named as AWS would.
func loadDeployed(t *testing.T) *eventbus.Template {
	t.Helper()
	tmpl, err := eventbus.LoadTemplate(filepath.Join("..", "..", "template.yaml"), eventbus.TemplateOptions{
		AccountID: tAccount, Region: "eu-west-1", StackName: "selfguard",
		Parameters: map[string]string{"GuardSigningProfileVersionArn": "arn:aws:signer:eu-west-1:" + tAccount + ":/signing-profiles/selfguard/Gu4rd00001"},
		Physical: map[string]string{
			"AlertKey": tKeyID, "LedgerTable": tTable, "DeadLetterQueue": tDLQ, "SweepQueue": tSweepQ,
			"SweepDeadLetterQueue": tSweepDLQ, "GuardCodeSigningConfig": tGuardCSC,
		},
		Attributes: map[string]string{"AlertKey.Arn": tKeyARN, "LedgerTable.Arn": tTableARN, "SweepQueue.Arn": tSweepQARN},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// ctRecord is a CloudTrail record by mallory (a developer's keys) of
// eventName at source with these request parameters; extra adds fields
// (responseElements, resources, errorCode).
func ctRecord(t *testing.T, source, name, region, params string, extra map[string]any) []byte {
	t.Helper()
	rec := map[string]any{
		"eventVersion": "1.09", "eventSource": source, "eventName": name, "awsRegion": region,
		"recipientAccountId": tAccount, "readOnly": false, "eventTime": "2026-11-24T10:00:00Z",
		"sourceIPAddress": "198.51.100.66", "eventType": "AwsApiCall", "managementEvent": true,
		"userIdentity":      map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::" + tAccount + ":user/mallory", "userName": "mallory"},
		"requestParameters": json.RawMessage(params),
	}
	for k, v := range extra {
		rec[k] = v
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEveryWayToStopStarveBlindOrDeafenTheGuardIsAlerted: each change to
// one of the guard's own resources reaches the alert topic straight from a
// tamper rule, and the same change to anything else does not.
func TestEveryWayToStopStarveBlindOrDeafenTheGuardIsAlerted(t *testing.T) {
	tmpl := loadDeployed(t)
	const (
		lambda = "lambda.amazonaws.com"
		iam    = "iam.amazonaws.com"
		kms    = "kms.amazonaws.com"
		ddb    = "dynamodb.amazonaws.com"
		sqs    = "sqs.amazonaws.com"
		cw     = "monitoring.amazonaws.com"
		logs   = "logs.amazonaws.com"
		sns    = "sns.amazonaws.com"
		eu     = "eu-west-1"
	)
	mapping := func(fnARN, queueARN string) map[string]any {
		return map[string]any{"responseElements": map[string]any{
			"uUID": "6d9bce8e-836b-4cb0-9a4d-0d8b5e4a1e2f", "functionArn": fnARN, "eventSourceArn": queueARN,
			"batchSize": 1, "state": "Deleting", "lastModified": "Nov 24, 2026, 10:00:00 AM",
		}}
	}
	keyRes := map[string]any{"resources": []map[string]any{{"accountId": tAccount, "type": "AWS::KMS::Key", "ARN": tKeyARN}}}
	otherKeyRes := map[string]any{"resources": []map[string]any{{"accountId": tAccount, "type": "AWS::KMS::Key", "ARN": "arn:aws:kms:eu-west-1:" + tAccount + ":key/ffff"}}}
	// alerted: the record reaches the topic from a tamper rule. Whether a
	// guard judges it too is the routing tests' business.
	tests := []struct {
		name    string
		record  []byte
		alerted bool
	}{
		// Functions: turned, exposed, deafened, starved.
		{"a version of the guard published", ctRecord(t, lambda, "PublishVersion20150331", eu, `{"functionName":"selfguard-lambda-guard"}`, nil), true},
		{"the guard's code signing config replaced", ctRecord(t, lambda, "PutFunctionCodeSigningConfig", eu,
			`{"functionName":"selfguard-sweep-worker","codeSigningConfigArn":"arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-weak0000000000000"}`, nil), true},
		{"the guard's code signing config removed", ctRecord(t, lambda, "DeleteFunctionCodeSigningConfig", eu, `{"functionName":"`+tGuardFnARN+`"}`, nil), true},
		{"anyone allowed to invoke the guard", ctRecord(t, lambda, "AddPermission20150331v2", eu,
			`{"functionName":"selfguard-lambda-guard","statementId":"x","action":"lambda:InvokeFunction","principal":"*"}`, nil), true},
		{"the rule's permission to invoke removed", ctRecord(t, lambda, "RemovePermission20150331v2", eu, `{"functionName":"selfguard-lambda-guard","statementId":"x"}`, nil), true},
		{"the guard's reserved concurrency removed", ctRecord(t, lambda, "DeleteFunctionConcurrency20171031", eu, `{"functionName":"selfguard-lambda-guard"}`, nil), true},
		{"the guard's retries switched off", ctRecord(t, lambda, "PutFunctionEventInvokeConfig", eu, `{"functionName":"selfguard-lambda-guard","maximumRetryAttempts":0}`, nil), true},
		{"the guard's event-invoke config deleted", ctRecord(t, lambda, "DeleteFunctionEventInvokeConfig", eu, `{"functionName":"selfguard-lambda-guard"}`, nil), true},
		{"a public URL on the guard", ctRecord(t, lambda, "CreateFunctionUrlConfig", eu, `{"functionName":"selfguard-lambda-guard","authType":"NONE"}`, nil), true},
		{"an attacker's queue wired to the guard", ctRecord(t, lambda, "CreateEventSourceMapping20150331", eu,
			`{"functionName":"selfguard-lambda-guard","eventSourceArn":"arn:aws:sqs:eu-west-1:111122223333:flood"}`, nil), true},
		{"the sweep worker's trigger deleted (UUID only in the request)", ctRecord(t, lambda, "DeleteEventSourceMapping20150331", eu,
			`{"uUID":"6d9bce8e-836b-4cb0-9a4d-0d8b5e4a1e2f"}`, mapping(tGuardFnARN, tSweepQARN)), true},
		{"the sweep worker's trigger disabled", ctRecord(t, lambda, "UpdateEventSourceMapping20150331", eu,
			`{"uUID":"6d9bce8e-836b-4cb0-9a4d-0d8b5e4a1e2f","enabled":false}`, mapping(tGuardFnARN, tSweepQARN)), true},
		{"the sweep queue moved to another function", ctRecord(t, lambda, "UpdateEventSourceMapping20150331", eu,
			`{"uUID":"6d9bce8e-836b-4cb0-9a4d-0d8b5e4a1e2f","functionName":"drain"}`,
			mapping("arn:aws:lambda:eu-west-1:111122223333:function:drain", tSweepQARN)), true},
		{"the guard's own code signing config weakened", ctRecord(t, lambda, "UpdateCodeSigningConfig", eu,
			`{"codeSigningConfigArn":"`+tGuardCSC+`","codeSigningPolicies":{"untrustedArtifactOnDeployment":"Warn"}}`, nil), true},
		{"the guard's own code signing config deleted", ctRecord(t, lambda, "DeleteCodeSigningConfig", eu, `{"codeSigningConfigArn":"`+tGuardCSC+`"}`, nil), true},
		// Roles and policies (in us-east-1, or forwarded from there).
		{"a guard role's policy replaced", ctRecord(t, iam, "PutRolePolicy", "us-east-1",
			`{"roleName":"selfguard-lambda-guard","policyName":"lambda-guard","policyDocument":"{}"}`, nil), true},
		{"a deny attached to a guard role", ctRecord(t, iam, "AttachRolePolicy", "us-east-1",
			`{"roleName":"selfguard-sweep-worker","policyArn":"arn:aws:iam::aws:policy/AWSDenyAll"}`, nil), true},
		{"a guard role's trust changed", ctRecord(t, iam, "UpdateAssumeRolePolicy", "us-east-1", `{"roleName":"selfguard-sweep","policyDocument":"{}"}`, nil), true},
		{"a guard role fenced by a boundary", ctRecord(t, iam, "PutRolePermissionsBoundary", "us-east-1",
			`{"roleName":"selfguard-repo-guard","permissionsBoundary":"arn:aws:iam::aws:policy/AWSDenyAll"}`, nil), true},
		{"a new version of a stack policy", ctRecord(t, iam, "CreatePolicyVersion", "us-east-1",
			`{"policyArn":"arn:aws:iam::111122223333:policy/selfguard-common-AbC","setAsDefault":true,"policyDocument":"{}"}`, nil), true},
		// Key, ledger, queues, alarms, logs, topic.
		{"the alert key disabled", ctRecord(t, kms, "DisableKey", eu, `{"keyId":"`+tKeyID+`"}`, keyRes), true},
		{"the alert key scheduled for deletion, by alias", ctRecord(t, kms, "ScheduleKeyDeletion", eu, `{"keyId":"alias/selfguard","pendingWindowInDays":7}`, keyRes), true},
		{"the alert key's policy replaced, by ARN", ctRecord(t, kms, "PutKeyPolicy", eu, `{"keyId":"`+tKeyARN+`","policyName":"default"}`, keyRes), true},
		{"the alert key's alias removed, so deny policies lose hold of it", ctRecord(t, kms, "DeleteAlias", eu, `{"aliasName":"alias/selfguard-alerts"}`, nil), true},
		{"the ledger deleted", ctRecord(t, ddb, "DeleteTable", eu, `{"tableName":"`+tTable+`"}`, nil), true},
		{"the ledger's TTL changed", ctRecord(t, ddb, "UpdateTimeToLive", eu,
			`{"tableName":"`+tTable+`","timeToLiveSpecification":{"enabled":true,"attributeName":"pk"}}`, nil), true},
		{"a policy put on the ledger", ctRecord(t, ddb, "PutResourcePolicy", eu, `{"resourceArn":"`+tTableARN+`","policy":"{}"}`, nil), true},
		{"the dead letters purged", ctRecord(t, sqs, "PurgeQueue", eu, `{"queueUrl":"`+tDLQ+`"}`, nil), true},
		{"the sweep queue deleted", ctRecord(t, sqs, "DeleteQueue", eu, `{"queueUrl":"`+tSweepQ+`"}`, nil), true},
		{"the sweep dead-letter queue's policy changed", ctRecord(t, sqs, "SetQueueAttributes", eu, `{"queueUrl":"`+tSweepDLQ+`","attributes":{"Policy":"{}"}}`, nil), true},
		{"the guard's alarms deleted", ctRecord(t, cw, "DeleteAlarms", eu, `{"alarmNames":["selfguard-LambdaGuardErrorsAlarm-1A2B3C","selfguard-DeadLetterAlarm-4D5E6F"]}`, nil), true},
		{"the guard's alarm actions off", ctRecord(t, cw, "DisableAlarmActions", eu, `{"alarmNames":["selfguard-LambdaGuardThrottlesAlarm-1A2B3C"]}`, nil), true},
		{"the guard's alarm forced to OK", ctRecord(t, cw, "SetAlarmState", eu, `{"alarmName":"selfguard-DeadLetterAlarm-4D5E6F","stateValue":"OK","stateReason":"x"}`, nil), true},
		{"the guard's logs deleted", ctRecord(t, logs, "DeleteLogGroup", eu, `{"logGroupName":"/aws/lambda/selfguard-lambda-guard"}`, nil), true},
		{"the guard's logs cut to a day", ctRecord(t, logs, "PutRetentionPolicy", eu, `{"logGroupName":"/aws/lambda/selfguard-sweep","retentionInDays":1}`, nil), true},
		{"a filter that drops every alert", ctRecord(t, sns, "SetSubscriptionAttributes", eu,
			`{"subscriptionArn":"`+tTopic+`:6f1c2f0e-1111-2222-3333-444455556666","attributeName":"FilterPolicy","attributeValue":"{\"x\":[\"never\"]}"}`, nil), true},
		// The same on what is not selfguard's: nothing.
		{"another function's version", ctRecord(t, lambda, "PublishVersion20150331", eu, `{"functionName":"payments-api"}`, nil), false},
		{"another function's permission", ctRecord(t, lambda, "AddPermission20150331v2", eu, `{"functionName":"payments-api","statementId":"x"}`, nil), false},
		{"another mapping deleted", ctRecord(t, lambda, "DeleteEventSourceMapping20150331", eu, `{"uUID":"u"}`,
			mapping("arn:aws:lambda:eu-west-1:111122223333:function:orders", "arn:aws:sqs:eu-west-1:111122223333:orders")), false},
		{"another role's policy", ctRecord(t, iam, "PutRolePolicy", "us-east-1", `{"roleName":"payments-api-role","policyName":"x"}`, nil), false},
		{"a role named like the guard's", ctRecord(t, iam, "PutRolePolicy", "us-east-1", `{"roleName":"selfguard-lambda-guard-copy","policyName":"x"}`, nil), false},
		{"another key disabled", ctRecord(t, kms, "DisableKey", eu, `{"keyId":"ffff"}`, otherKeyRes), false},
		{"another table deleted", ctRecord(t, ddb, "DeleteTable", eu, `{"tableName":"orders"}`, nil), false},
		{"another queue purged", ctRecord(t, sqs, "PurgeQueue", eu, `{"queueUrl":"`+tQueueURL+`orders"}`, nil), false},
		{"another alarm deleted", ctRecord(t, cw, "DeleteAlarms", eu, `{"alarmNames":["orders-latency"]}`, nil), false},
		{"another log group deleted", ctRecord(t, logs, "DeleteLogGroup", eu, `{"logGroupName":"/aws/lambda/orders"}`, nil), false},
		{"another code signing config weakened", ctRecord(t, lambda, "UpdateCodeSigningConfig", eu,
			`{"codeSigningConfigArn":"arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-other000000000000"}`, nil), false},
		{"a refused attempt on the key", ctRecord(t, kms, "DisableKey", eu, `{"keyId":"`+tKeyID+`"}`, map[string]any{"errorCode": "AccessDeniedException"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := targets(t, tmpl, envelope(t, tt.record))
			if alerted := slices.Contains(got, "AlertTopic"); alerted != tt.alerted {
				t.Errorf("routed to %v: alerted %v, want %v", got, alerted, tt.alerted)
			}
		})
	}
}

// TestTamperRulesHaveNoGuardInThePath: every tamper rule publishes straight
// to the topic, so switching a guard off cannot hide its own switching off.
func TestTamperRulesHaveNoGuardInThePath(t *testing.T) {
	for _, r := range loadDeployed(t).Rules {
		if !strings.HasPrefix(r.Name, "Tamper") {
			continue
		}
		for _, tg := range r.Targets {
			if tg.Kind != eventbus.TargetTopic || tg.Name != "AlertTopic" {
				t.Errorf("tamper rule %s delivers to %s %s, want the alert topic only", r.Name, tg.Kind, tg.Name)
			}
		}
	}
}
