package snapshot

import "testing"

func TestSignerARNsAreSplitStrictly(t *testing.T) {
	jobs := []struct{ arn, id string }{
		{"arn:aws:signer:eu-west-1:111122223333:/signing-jobs/0b1c-2d", "0b1c-2d"},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-jobs/", ""},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-jobs/a/b", ""},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/V1", ""},
		{"/signing-jobs/x", ""},
	}
	for _, j := range jobs {
		if got := SigningJobID(j.arn); got != j.id {
			t.Errorf("SigningJobID(%q) = %q, want %q", j.arn, got, j.id)
		}
	}
	profiles := []struct {
		arn, name, version string
		ok                 bool
	}{
		{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/Rel0000001", "release", "Rel0000001", true},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release", "", "", false},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/V1/x", "", "", false},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-jobs/0b1c", "", "", false},
	}
	for _, p := range profiles {
		n, v, ok := SplitProfileVersion(p.arn)
		if n != p.name || v != p.version || ok != p.ok {
			t.Errorf("SplitProfileVersion(%q) = %q, %q, %v", p.arn, n, v, ok)
		}
	}
}
