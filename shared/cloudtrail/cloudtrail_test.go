package cloudtrail

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   string
		want Operation
	}{
		{"UpdateFunctionCode20150331v2", UpdateFunctionCode},
		{"UpdateFunctionCode20150331", UpdateFunctionCode},
		{"CreateFunction20150331", CreateFunction},
		{"PublishLayerVersion20181031", PublishLayerVersion},
		{"PutFunctionConcurrency20171031", PutFunctionConcurrency},
		{"PutFunctionCodeSigningConfig", PutFunctionCodeSigningConfig},
		{"CreateRepository", CreateRepository},
		{"GetFunction", "GetFunction"},
		{"UpdateFunctionCode20150331v", "UpdateFunctionCode20150331v"},
		{"Update20150331v2x", "Update20150331v2x"},
		{"Pay2015033", "Pay2015033"},
		{"v2", "v2"},
		{"20150331", ""},
		{"Foo19990101", "Foo19990101"},
	}
	suffix := regexp.MustCompile(`20\d{6}(v\d+)?$`) // the rule Normalize writes out
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got, want := Normalize(tt.in), Operation(suffix.ReplaceAllString(tt.in, "")); got != want {
			t.Errorf("Normalize(%q) = %q, the pattern gives %q", tt.in, got, want)
		}
	}
}

func TestIssuerARNAndActor(t *testing.T) {
	role := UserIdentity{
		Type: "AssumedRole",
		ARN:  "arn:aws:sts::111122223333:assumed-role/ci-deployer/build-42",
		SessionContext: &SessionContext{SessionIssuer: SessionIssuer{
			Type: "Role", ARN: "arn:aws:iam::111122223333:role/ci-deployer", UserName: "ci-deployer",
		}},
	}
	if got := role.IssuerARN(); got != "arn:aws:iam::111122223333:role/ci-deployer" {
		t.Errorf("IssuerARN() = %q", got)
	}
	if got := role.Actor(); got != "ci-deployer/build-42" {
		t.Errorf("Actor() = %q", got)
	}
	user := UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::1:user/mallory", UserName: "mallory"}
	if user.IssuerARN() != user.ARN || user.Actor() != "mallory" {
		t.Errorf("user identity: issuer %q actor %q", user.IssuerARN(), user.Actor())
	}
}

func TestParseEnvelopeRejectsOtherDetailTypes(t *testing.T) {
	_, _, err := ParseEnvelope([]byte(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`))
	if !errors.Is(err, ErrNotCloudTrail) {
		t.Fatalf("err = %v, want ErrNotCloudTrail", err)
	}
	if _, _, err := ParseEnvelope([]byte(`{"detail-type":`)); err == nil {
		t.Fatal("truncated event parsed without error")
	}
}

func TestParseEnvelopeWrapsAndBare(t *testing.T) {
	bare := `{"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","readOnly":false,` +
		`"userIdentity":{"type":"IAMUser","userName":"alice"},"requestParameters":{"functionName":"f"}}`
	wrapped := `{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.lambda",` +
		`"account":"1","time":"2026-01-01T00:00:00Z","region":"eu-west-1","resources":[],"detail":` + bare + `}`
	for name, in := range map[string]string{"bare": bare, "wrapped": wrapped} {
		_, rec, err := ParseEnvelope([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var req struct {
			FunctionName string `json:"functionName"`
		}
		if err := rec.Request(&req); err != nil || req.FunctionName != "f" || rec.Operation() != CreateFunction || rec.IsReadOnly() {
			t.Errorf("%s: got %+v, op %q, readOnly %v, err %v", name, req, rec.Operation(), rec.IsReadOnly(), err)
		}
	}
}

// TestRealRecordsParse holds the parser to real CloudTrail records (see
// ../shared/testdata/cloudtrail/SOURCES.md). CI has them beside the checkout.
func TestRealRecordsParse(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail")
	files, _ := filepath.Glob(filepath.Join(dir, "*.record.json"))
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("no samples in %s, which CI must provide", dir)
		}
		t.Skipf("no samples in %s (not beside this checkout)", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, rec, err := ParseEnvelope(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if rec.EventID == "" || rec.UserIdentity.Type == "" || rec.EventTime.IsZero() {
			t.Errorf("%s: missing id, identity or time: %+v", filepath.Base(f), rec)
		}
		if rec.Failed() != (rec.ErrorCode != "") {
			t.Errorf("%s: Failed() disagrees with errorCode", filepath.Base(f))
		}
	}
}
