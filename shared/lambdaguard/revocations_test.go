package lambdaguard

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
)

func signerRecord(name, region, request string) cloudtrail.Record {
	return cloudtrail.Record{EventSource: cloudtrail.SourceSigner, EventName: name, AWSRegion: region,
		RecipientAccountID: "111122223333", RequestParameters: json.RawMessage(request)}
}

func TestSubjectsOfSignerRevocations(t *testing.T) {
	cases := []struct {
		name      string
		rec       cloudtrail.Record
		want      []pipeline.Subject
		permanent bool
	}{
		{"a revoked job is the job of the account",
			signerRecord("RevokeSignature", "eu-west-1", `{"jobId":"0b1c","reason":"r"}`),
			[]pipeline.Subject{{Type: finding.ResourceSigningJob, Name: "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/0b1c"}}, false},
		{"a revoked job of another owner is that owner's",
			signerRecord("RevokeSignature", "eu-west-1", `{"jobId":"0b1c","jobOwner":"444455556666","reason":"r"}`),
			[]pipeline.Subject{{Type: finding.ResourceSigningJob, Name: "arn:aws:signer:eu-west-1:444455556666:/signing-jobs/0b1c"}}, false},
		{"a revoked profile is its version",
			signerRecord("RevokeSigningProfile", "cn-north-1", `{"profileName":"release","profileVersion":"Rel0000001","reason":"r","effectiveTime":1.7e9}`),
			[]pipeline.Subject{{Type: finding.ResourceSigningProfile, Name: "arn:aws-cn:signer:cn-north-1:111122223333:/signing-profiles/release/Rel0000001"}}, false},
		{"signing and canceling are not revocations",
			signerRecord("StartSigningJob", "eu-west-1", `{"profileName":"release"}`), nil, false},
		{"a revocation naming no job cannot be traced", signerRecord("RevokeSignature", "eu-west-1", `{"reason":"r"}`), nil, true},
		{"a profile revocation naming no version cannot be traced",
			signerRecord("RevokeSigningProfile", "eu-west-1", `{"profileName":"release"}`), nil, true},
	}
	g := &Guard{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := g.Subjects(context.Background(), tc.rec)
			if pipeline.IsPermanent(err) != tc.permanent || (err != nil && !tc.permanent) {
				t.Fatalf("err = %v, want permanent %v", err, tc.permanent)
			}
			if len(got) != len(tc.want) || (len(got) == 1 && got[0] != tc.want[0]) {
				t.Errorf("subjects %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSignedByMatchesTheJobOrProfileOfItsAccountOnly(t *testing.T) {
	job := pipeline.Subject{Type: finding.ResourceSigningJob, Name: "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/0b1c"}
	profile := pipeline.Subject{Type: finding.ResourceSigningProfile, Name: "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/Rel0000001"}
	cases := []struct {
		name            string
		subject         pipeline.Subject
		profileARN, job string
		want            bool
	}{
		{"the job", job, "", "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/0b1c", true},
		{"another job", job, "", "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/0b1d", false},
		{"the same job id of another account", job, "", "arn:aws:signer:eu-west-1:999988887777:/signing-jobs/0b1c", false},
		{"the profile version", profile, "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/Rel0000001", "", true},
		{"another version of the profile", profile, "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/Rel0000002", "", false},
		{"unsigned code", profile, "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := signedByMatcher(tc.subject)(tc.profileARN, tc.job); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}
