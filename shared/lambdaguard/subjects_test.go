package lambdaguard

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
		// Publish=true: the response is the new version 1's configuration,
		// and that version is judged too.
		{"lambda-UpdateFunctionCode20150331v2.stratus-red-team.record.json",
			[]pipeline.Subject{{Type: finding.ResourceFunction, Name: "stratus-red-team-olc-func-vayhjqkdav", Qualifier: "1", Quick: true}}},
		{"lambda-UpdateFunctionConfiguration20150331v2.stratus-red-team.record.json",
			[]pipeline.Subject{{Type: finding.ResourceFunction, Name: "stratus-red-team-lambda-layer-simpleLambda", Quick: true}}},
		{"lambda-AddPermission20150331v2.stratus-red-team.record.json", nil},
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
// suffixed event names); no captured sample of them is public.
func TestSubjectsOfWrittenRecords(t *testing.T) {
	const arn = "arn:aws:lambda:eu-west-1:111122223333:function:pay"
	rec := func(name, params string) cloudtrail.Record {
		return cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: name, RequestParameters: []byte(params)}
	}
	fn := func(name, q string) []pipeline.Subject {
		return []pipeline.Subject{{Type: finding.ResourceFunction, Name: name, Qualifier: q}}
	}
	// quick: the event cannot have changed the code signing config.
	quick := func(name, q string) []pipeline.Subject {
		return []pipeline.Subject{{Type: finding.ResourceFunction, Name: name, Qualifier: q, Quick: true}}
	}
	cases := []struct {
		name string
		rec  cloudtrail.Record
		want []pipeline.Subject
	}{
		{"CreateFunction by name", rec("CreateFunction20150331", `{"functionName":"pay","runtime":"provided.al2023"}`), fn("pay", "")},
		{"old UpdateFunctionCode suffix", rec("UpdateFunctionCode20150331", `{"functionName":"pay"}`), quick("pay", "")},
		{"qualified ARN keeps the qualifier", rec("UpdateFunctionConfiguration20150331v2", `{"functionName":"`+arn+`:7"}`), quick("pay", "7")},
		{"partial ARN", rec("PublishVersion20150331", `{"functionName":"111122223333:function:pay"}`), quick("pay", "")},
		{"name with qualifier", rec("PublishVersion20150331", `{"functionName":"pay:live"}`), quick("pay", "live")},
		{"CSC attached", rec("PutFunctionCodeSigningConfig", `{"functionName":"pay","codeSigningConfigArn":"arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1"}`), fn("pay", "")},
		{"CSC detached", rec("DeleteFunctionCodeSigningConfig", `{"functionName":"`+arn+`"}`), fn("pay", "")},
		{"alias created", rec("CreateAlias20150331", `{"functionName":"pay","name":"prod","functionVersion":"$LATEST"}`),
			[]pipeline.Subject{{Type: finding.ResourceAlias, Name: "pay", Qualifier: "prod", Quick: true}}},
		{"alias moved, no weights", rec("UpdateAlias20150331", `{"functionName":"pay","name":"prod","functionVersion":"7","routingConfig":null}`),
			[]pipeline.Subject{{Type: finding.ResourceAlias, Name: "pay", Qualifier: "prod", Quick: true}}},
		{"alias moved, by ARN", rec("UpdateAlias20150331", `{"functionName":"`+arn+`","name":"prod","routingConfig":{"additionalVersionWeights":{"7":0.1}}}`),
			[]pipeline.Subject{{Type: finding.ResourceAlias, Name: "pay", Qualifier: "prod"}}},
		{"CSC weakened", rec("UpdateCodeSigningConfig", `{"codeSigningConfigArn":"arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1","codeSigningPolicies":{"untrustedArtifactOnDeployment":"Warn"}}`),
			[]pipeline.Subject{{Type: finding.ResourceCodeSigningConfig, Name: "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1"}}},
		{"layer published: nothing to judge yet", rec("PublishLayerVersion20181031", `{"layerName":"shared"}`), nil},
		{"containment (concurrency 0) is never a risk", rec("PutFunctionConcurrency20171031", `{"functionName":"pay","reservedConcurrentExecutions":0}`), nil},
		{"concurrency above 0 may lift a containment", rec("PutFunctionConcurrency20171031", `{"functionName":"pay","reservedConcurrentExecutions":5}`), fn("pay", "")},
		{"concurrency removed may lift a containment", rec("DeleteFunctionConcurrency20171031", `{"functionName":"pay"}`), fn("pay", "")},
		{"a published version is named by the response", cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: "PublishVersion20150331",
			RequestParameters: []byte(`{"functionName":"pay"}`), ResponseElements: []byte(`{"functionName":"pay","version":"7"}`)}, quick("pay", "7")},
		{"an update without publish answers for $LATEST", cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: "UpdateFunctionCode20150331v2",
			RequestParameters: []byte(`{"functionName":"pay"}`), ResponseElements: []byte(`{"functionName":"pay","version":"$LATEST"}`)}, quick("pay", "")},
		{"other sources are ignored", cloudtrail.Record{EventSource: cloudtrail.SourceCodeCommit, EventName: "UpdateFunctionCode"}, nil},
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

func TestSubjectsRejectsRecordsWithoutAFunction(t *testing.T) {
	g := &Guard{}
	for _, params := range []string{`{}`, `null`} {
		rec := cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: "UpdateFunctionCode20150331v2", RequestParameters: []byte(params)}
		if _, err := g.Subjects(context.Background(), rec); err == nil {
			t.Errorf("params %s: no error for a record without a function", params)
		}
	}
	rec := cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: "CreateFunction20150331",
		RequestParameters: []byte(`{}`), ResponseElements: []byte(`{"functionName":"pay"}`)}
	got, err := g.Subjects(context.Background(), rec)
	if err != nil || len(got) != 1 || got[0].Name != "pay" {
		t.Errorf("function name from the response: got %v, %v", got, err)
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
