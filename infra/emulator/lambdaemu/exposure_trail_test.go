package lambdaemu_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// TestTrailRecordsExposureWritesAsCloudTrailDoes runs every new write once
// and holds the events to CloudTrail's names and shapes: the version
// suffixes Lambda's documentation and API model give (none for function
// URLs and recursion), the real stratus AddPermission record, and the
// UUID-only requestParameters of DeleteEventSourceMapping.
func TestTrailRecordsExposureWritesAsCloudTrailDoes(t *testing.T) {
	ctx := context.Background()
	w := exposureWorld()
	w.Layers = []lambdaemu.LayerWorld{{Name: "ext"}}
	b := newBed(t, w)
	var mappingID string
	steps := []struct {
		event string
		call  func() error
	}{
		{"AddPermission20150331v2", func() error {
			_, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("backdoor"),
				Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")})
			return err
		}},
		{"AddPermission20150331v2", func() error { // fails: the id is taken, and is recorded all the same
			_, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("backdoor"),
				Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")})
			if apiCode(t, err) != "ResourceConflictException" {
				t.Errorf("second add: %v", err)
			}
			return nil
		}},
		{"RemovePermission20150331v2", func() error {
			_, err := b.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("backdoor")})
			return err
		}},
		{"CreateFunctionUrlConfig", func() error {
			_, err := b.client.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders"), AuthType: types.FunctionUrlAuthTypeNone,
				Cors: &types.Cors{AllowOrigins: []string{"*"}}})
			return err
		}},
		{"UpdateFunctionUrlConfig", func() error {
			_, err := b.client.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("orders"), AuthType: types.FunctionUrlAuthTypeAwsIam})
			return err
		}},
		{"DeleteFunctionUrlConfig", func() error {
			_, err := b.client.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("orders")})
			return err
		}},
		{"AddLayerVersionPermission20181031", func() error {
			_, err := b.client.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1),
				StatementId: aws.String("all"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")})
			return err
		}},
		{"RemoveLayerVersionPermission20181031", func() error {
			_, err := b.client.RemoveLayerVersionPermission(ctx, &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1), StatementId: aws.String("all")})
			return err
		}},
		{"CreateEventSourceMapping20150331", func() error {
			out, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("orders"), EventSourceArn: aws.String(queueARN)})
			if err == nil {
				mappingID = aws.ToString(out.UUID)
			}
			return err
		}},
		{"UpdateEventSourceMapping20150331", func() error {
			_, err := b.client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(mappingID), Enabled: aws.Bool(false)})
			return err
		}},
		{"DeleteEventSourceMapping20150331", func() error {
			_, err := b.client.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(mappingID)})
			return err
		}},
		{"PutFunctionRecursionConfig", func() error {
			_, err := b.client.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("orders"), RecursiveLoop: types.RecursiveLoopAllow})
			return err
		}},
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", s.event, err)
		}
		if _, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")}); err != nil && apiCode(t, err) != "ResourceNotFoundException" {
			t.Fatal(err) // a read between writes, which the trail leaves out
		}
	}
	events := b.trail(t)
	if len(events) != len(steps) {
		t.Fatalf("%d events, want %d (one per write, none for reads)", len(events), len(steps))
	}
	byName := map[string]map[string]any{}
	for i, e := range events {
		if e["eventName"] != steps[i].event || e["readOnly"] != false || e["eventSource"] != "lambda.amazonaws.com" {
			t.Errorf("event %d: %v readOnly %v, want %s", i, e["eventName"], e["readOnly"], steps[i].event)
		}
		if _, seen := byName[steps[i].event]; !seen {
			byName[steps[i].event] = e
		}
	}
	if failed := events[1]; failed["errorCode"] != "ResourceConflictException" || failed["responseElements"] != nil {
		t.Errorf("failed AddPermission: %v %v", failed["errorCode"], failed["responseElements"])
	}

	t.Run("AddPermission has the real record's shape", func(t *testing.T) {
		real := realRecord(t, "lambda-AddPermission20150331v2.stratus-red-team.record.json")
		got := byName["AddPermission20150331v2"]
		if !reflect.DeepEqual(keys(real["requestParameters"]), keys(got["requestParameters"])) {
			t.Errorf("requestParameters %v, real %v", keys(got["requestParameters"]), keys(real["requestParameters"]))
		}
		if !reflect.DeepEqual(keys(real["responseElements"]), keys(got["responseElements"])) {
			t.Errorf("responseElements %v, real %v", keys(got["responseElements"]), keys(real["responseElements"]))
		}
		var realSt, gotSt map[string]any
		if err := json.Unmarshal([]byte(real["responseElements"].(map[string]any)["statement"].(string)), &realSt); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(got["responseElements"].(map[string]any)["statement"].(string)), &gotSt); err != nil {
			t.Fatalf("statement is not a JSON string: %v", err)
		}
		if !reflect.DeepEqual(keys(realSt), keys(gotSt)) || gotSt["Principal"] != realSt["Principal"] {
			t.Errorf("statement %v, real %v", gotSt, realSt)
		}
	})

	t.Run("request parameters", func(t *testing.T) {
		cases := []struct {
			event string
			want  map[string]any
		}{
			{"RemovePermission20150331v2", map[string]any{"functionName": "orders", "statementId": "backdoor"}},
			{"DeleteFunctionUrlConfig", map[string]any{"functionName": "orders"}},
			{"RemoveLayerVersionPermission20181031", map[string]any{"layerName": "ext", "versionNumber": 1.0, "statementId": "all"}},
			{"DeleteEventSourceMapping20150331", map[string]any{"uUID": mappingID}},
			{"UpdateEventSourceMapping20150331", map[string]any{"uUID": mappingID, "enabled": false}},
			{"PutFunctionRecursionConfig", map[string]any{"functionName": "orders", "recursiveLoop": "Allow"}},
		}
		for _, c := range cases {
			if got := byName[c.event]["requestParameters"]; !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s requestParameters %v, want %v", c.event, got, c.want)
			}
		}
	})

	t.Run("response elements", func(t *testing.T) {
		url, _ := byName["CreateFunctionUrlConfig"]["responseElements"].(map[string]any)
		if m := missing([]string{"authType", "cors", "creationTime", "functionArn", "functionUrl"}, keys(url)); len(m) > 0 {
			t.Errorf("CreateFunctionUrlConfig responseElements lack %v: %v", m, url)
		}
		if c, _ := url["cors"].(map[string]any); c == nil || c["allowOrigins"] == nil {
			t.Errorf("cors in camelCase: %v", url["cors"])
		}
		layer, _ := byName["AddLayerVersionPermission20181031"]["responseElements"].(map[string]any)
		if _, ok := layer["statement"].(string); !ok || layer["revisionId"] == nil {
			t.Errorf("AddLayerVersionPermission responseElements %v", layer)
		}
		esm, _ := byName["CreateEventSourceMapping20150331"]["responseElements"].(map[string]any)
		if esm["uUID"] != mappingID || esm["state"] != "Creating" {
			t.Errorf("CreateEventSourceMapping responseElements %v", esm)
		}
		if _, err := time.Parse("Jan 2, 2006, 3:04:05 PM", esm["lastModified"].(string)); err != nil {
			t.Errorf("lastModified as CloudTrail writes it: %v", err)
		}
		if del, _ := byName["DeleteEventSourceMapping20150331"]["responseElements"].(map[string]any); del["state"] != "Deleting" {
			t.Errorf("DeleteEventSourceMapping responseElements %v", del)
		}
	})

	t.Run("reads, when recorded", func(t *testing.T) {
		b.srv.Env.Trail.RecordReads = true
		if _, err := b.client.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders")}); apiCode(t, err) != "ResourceNotFoundException" {
			t.Fatal(err)
		}
		if _, err := b.client.GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("orders")}); err != nil {
			t.Fatal(err)
		}
		all := b.trail(t)
		for i, want := range []string{"GetFunctionUrlConfig", "GetFunctionRecursionConfig"} {
			if e := all[len(all)-2+i]; e["eventName"] != want || e["readOnly"] != true {
				t.Errorf("read %d: %v readOnly %v, want %s", i, e["eventName"], e["readOnly"], want)
			}
		}
	})
}
