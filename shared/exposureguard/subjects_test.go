package exposureguard

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// testdata is the shared test data beside the checkout.
const testdata = "../../../shared/testdata/cloudtrail"

func readRecord(t *testing.T, file string) cloudtrail.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, file))
	if os.IsNotExist(err) && os.Getenv("CI") == "" {
		t.Skipf("%s absent outside CI", testdata)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, rec, err := cloudtrail.ParseEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSubjectsOfRealRecords(t *testing.T) {
	cases := []struct {
		file string
		want []pipeline.Subject
	}{
		{"lambda-AddPermission20150331v2.stratus-red-team.record.json",
			[]pipeline.Subject{{Type: finding.ResourceFunction, Name: "stratus-red-team-backdoor-f-func", Aspect: AspectPolicy}}},
		{"lambda-UpdateFunctionCode20150331v2.stratus-red-team.record.json", nil},
		{"lambda-DeleteFunction.aws-docs.record.json", nil},
		{"codecommit-CreateRepository.aws-docs.record.json", nil},
	}
	g := &Guard{}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := g.Subjects(context.Background(), readRecord(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			assertSubjects(t, got, tc.want)
		})
	}
}

// The records below follow the real shape (camelCase requestParameters,
// path and query parameters among them, suffixed event names where Lambda
// suffixes them); no captured sample of them is public.
func TestSubjectsOfWrittenRecords(t *testing.T) {
	const arn = "arn:aws:lambda:eu-west-1:111122223333:function:pay"
	rec := func(name, params, resp string) cloudtrail.Record {
		r := cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: name, RequestParameters: []byte(params)}
		if resp != "" {
			r.ResponseElements = []byte(resp)
		}
		return r
	}
	fn := func(q, aspect string) []pipeline.Subject {
		return []pipeline.Subject{{Type: finding.ResourceFunction, Name: "pay", Qualifier: q, Aspect: aspect}}
	}
	cases := []struct {
		name string
		rec  cloudtrail.Record
		want []pipeline.Subject
	}{
		{"permission on an alias", rec("AddPermission20150331v2", `{"functionName":"pay","qualifier":"prod","statementId":"x","principal":"*","action":"lambda:InvokeFunction"}`, ""), fn("prod", AspectPolicy)},
		{"permission by qualified ARN", rec("AddPermission20150331v2", `{"functionName":"`+arn+`:7","statementId":"x"}`, ""), fn("7", AspectPolicy)},
		{"permission removed", rec("RemovePermission20150331v2", `{"functionName":"pay","statementId":"x"}`, ""), fn("", AspectPolicy)},
		{"old suffix", rec("AddPermission20150331", `{"functionName":"pay"}`, ""), fn("", AspectPolicy)},
		{"a whole policy put", rec("PutResourcePolicy20260709", `{"resourceArn":"`+arn+`:live","policy":"{}"}`, ""), fn("live", AspectPolicy)},
		{"URL created", rec("CreateFunctionUrlConfig", `{"functionName":"pay","authType":"NONE"}`, ""), fn("", AspectURL)},
		{"alias URL updated", rec("UpdateFunctionUrlConfig", `{"functionName":"pay","qualifier":"live","authType":"NONE"}`, ""), fn("live", AspectURL)},
		{"URL event with a suffix some rules expect", rec("CreateFunctionUrlConfig20211031", `{"functionName":"pay"}`, ""), fn("", AspectURL)},
		{"recursion allowed", rec("PutFunctionRecursionConfig", `{"functionName":"`+arn+`","recursiveLoop":"Allow"}`, ""), fn("", AspectRecursion)},
		{"layer shared", rec("AddLayerVersionPermission20181031", `{"layerName":"shared","versionNumber":3,"statementId":"pub","principal":"*","action":"lambda:GetLayerVersion"}`, ""),
			[]pipeline.Subject{{Type: finding.ResourceLayer, Name: "shared", Qualifier: "3"}}},
		{"layer shared by ARN", rec("AddLayerVersionPermission20181031", `{"layerName":"arn:aws:lambda:eu-west-1:111122223333:layer:shared","versionNumber":"3"}`, ""),
			[]pipeline.Subject{{Type: finding.ResourceLayer, Name: "shared", Qualifier: "3"}}},
		{"mapping created: the UUID is in the response", rec("CreateEventSourceMapping20150331", `{"functionName":"pay","eventSourceArn":"arn:aws:sqs:eu-west-1:999988887777:feed"}`, `{"uUID":"a1b2","state":"Creating"}`),
			[]pipeline.Subject{{Type: finding.ResourceEventSourceMapping, Name: "a1b2"}}},
		{"mapping updated", rec("UpdateEventSourceMapping20150331", `{"uUID":"a1b2","enabled":true}`, ""),
			[]pipeline.Subject{{Type: finding.ResourceEventSourceMapping, Name: "a1b2"}}},
		{"URL deleted exposes nothing", rec("DeleteFunctionUrlConfig", `{"functionName":"pay"}`, ""), nil},
		{"layer share removed exposes nothing", rec("RemoveLayerVersionPermission20181031", `{"layerName":"shared","versionNumber":3}`, ""), nil},
		{"code is the Lambda guard's business", rec("UpdateFunctionCode20150331v2", `{"functionName":"pay"}`, ""), nil},
		{"other sources are ignored", cloudtrail.Record{EventSource: cloudtrail.SourceCodeCommit, EventName: "AddPermission"}, nil},
	}
	g := &Guard{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := g.Subjects(context.Background(), tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			assertSubjects(t, got, tc.want)
		})
	}
}

func TestSubjectsRefusesRecordsThatNameNothingForGood(t *testing.T) {
	g := &Guard{}
	for _, rec := range []cloudtrail.Record{
		{EventSource: cloudtrail.SourceLambda, EventName: "AddPermission20150331v2", RequestParameters: []byte(`{}`)},
		{EventSource: cloudtrail.SourceLambda, EventName: "AddPermission20150331v2", RequestParameters: []byte(`[1]`)},
		{EventSource: cloudtrail.SourceLambda, EventName: "AddLayerVersionPermission20181031", RequestParameters: []byte(`{"layerName":"shared"}`)},
		{EventSource: cloudtrail.SourceLambda, EventName: "CreateEventSourceMapping20150331", RequestParameters: []byte(`{"functionName":"pay"}`)},
	} {
		if _, err := g.Subjects(context.Background(), rec); !pipeline.IsPermanent(err) {
			t.Errorf("%s %s: err = %v, want a permanent error", rec.EventName, rec.RequestParameters, err)
		}
	}
}

func assertSubjects(t *testing.T, got, want []pipeline.Subject) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("subjects = %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("subject %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
