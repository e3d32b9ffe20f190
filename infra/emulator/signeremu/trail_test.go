package signeremu_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/signer"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSignerWritesAreRecordedAsCloudTrailRecordsThem(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	must(b.signer.PutSigningProfile(ctx, &signer.PutSigningProfileInput{ProfileName: aws.String("app_signer"),
		PlatformId: aws.String("AWSLambda-SHA384-ECDSA")}))(t)
	id := b.startJob(t, "release")
	must(b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(id)}))(t)
	must(b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String(id), Reason: aws.String("bad build")}))(t)
	must(b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
		ProfileVersion: aws.String("Rel0000001"), Reason: aws.String("rotated"), EffectiveTime: aws.Time(time.Now())}))(t)
	must(b.signer.CancelSigningProfile(ctx, &signer.CancelSigningProfileInput{ProfileName: aws.String("app_signer")}))(t)
	_, err := b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String(id), Reason: aws.String("again")})
	wantError(t, err, "ValidationException", 400)

	for _, ev := range b.srv.Env.Trail.Since(0) {
		if _, _, err := cloudtrail.ParseEnvelope(ev.Event); err != nil {
			t.Fatalf("event %d does not parse: %v", ev.Seq, err)
		}
	}
	recs := b.details(t, 0)
	want := []struct {
		name     string
		request  []string
		response []string
	}{
		{"PutSigningProfile", []string{"platformId", "profileName"}, []string{"arn", "profileVersion", "profileVersionArn"}},
		{"StartSigningJob", []string{"clientRequestToken", "destination", "profileName", "source"}, []string{"jobId", "jobOwner"}},
		{"RevokeSignature", []string{"jobId", "reason"}, nil},
		{"RevokeSigningProfile", []string{"effectiveTime", "profileName", "profileVersion", "reason"}, nil},
		{"CancelSigningProfile", []string{"profileName"}, nil},
		{"RevokeSignature", []string{"jobId", "reason"}, nil},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d (reads are not recorded by default)", len(recs), len(want))
	}
	for i, w := range want {
		r := recs[i]
		if r["eventName"] != w.name || r["eventSource"] != "signer.amazonaws.com" || r["readOnly"] != false ||
			r["eventType"] != "AwsApiCall" || r["recipientAccountId"] != account {
			t.Errorf("record %d = %v %v readOnly %v, want %s from signer.amazonaws.com", i, r["eventSource"], r["eventName"], r["readOnly"], w.name)
		}
		if got := keys(r["requestParameters"]); !slices.Equal(got, w.request) {
			t.Errorf("%s requestParameters keys = %v, want %v", w.name, got, w.request)
		}
		if got := keys(r["responseElements"]); !slices.Equal(got, w.response) {
			t.Errorf("%s responseElements keys = %v, want %v", w.name, got, w.response)
		}
		if id, _ := r["userIdentity"].(map[string]any); id["arn"] != aliceARN {
			t.Errorf("%s userIdentity = %v", w.name, id)
		}
	}
	if req := recs[1]["requestParameters"].(map[string]any); req["profileName"] != "release" {
		t.Errorf("StartSigningJob requestParameters = %v", req)
	}
	if resp := recs[1]["responseElements"].(map[string]any); resp["jobId"] != id {
		t.Errorf("StartSigningJob responseElements.jobId = %v, want %s", resp["jobId"], id)
	}
	failed := recs[5]
	if failed["errorCode"] != "ValidationException" || failed["errorMessage"] == "" || failed["responseElements"] != nil {
		t.Errorf("failed RevokeSignature record: errorCode %v, message %v, response %v", failed["errorCode"], failed["errorMessage"], failed["responseElements"])
	}

	b.srv.Env.Trail.RecordReads = true
	seq := b.seq()
	must(b.signer.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("release")}))(t)
	reads := b.details(t, seq)
	if len(reads) != 1 || reads[0]["eventName"] != "GetSigningProfile" || reads[0]["readOnly"] != true {
		t.Fatalf("reads recorded = %v, want one read-only GetSigningProfile", reads)
	}
}

func TestSignerCallsTakeInjectedFaultsAndAreCounted(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	b.srv.Env.Faults.Set([]awsproto.Fault{{Service: "signer", Operation: "StartSigningJob", ErrorRate: 1, Status: 429, Code: "TooManyRequestsException", Count: 1}})
	_, err := b.signer.StartSigningJob(ctx, &signer.StartSigningJobInput{ProfileName: aws.String("release"), Source: srcOf("app.zip"), Destination: dstOf()})
	wantError(t, err, "TooManyRequestsException", 429)
	b.startJob(t, "release")
	for _, st := range b.srv.Env.Calls.Stats() {
		if st.Service == "signer" && st.Operation == "StartSigningJob" && (st.Calls != 2 || st.Throttled != 1) {
			t.Fatalf("StartSigningJob calls = %+v, want 2 with 1 throttled", st)
		}
	}
	if recs := b.details(t, 0); len(recs) != 2 || recs[0]["errorCode"] != "TooManyRequestsException" {
		t.Fatalf("records = %v, want the throttled start recorded as failed, then the start", recs)
	}
}
