package snapshot

import (
	"strings"
	"time"
)

// Signature is what AWS Signer itself says about the signature Lambda
// recorded for some code: its signing job and its profile version, as the
// guard asked Signer for them (observe.Signatures). A nil *Signature means
// Signer was not asked, and the code is judged on its profile alone.
//
// Lambda checks a signature once, on deploy; what Signer says later (a job
// revoked, a profile revoked, a signature past its expiry) changes nothing
// Lambda runs. These facts let the decision judge the code as it stands now.
type Signature struct {
	// CheckedAt is when the guard judged the signature: the time expiry is
	// measured against (the decision reads no clock of its own).
	CheckedAt time.Time
	// Unknown is set when Signer has no record that vouches for the
	// signature (no such job or profile version, a job that did not
	// succeed, a job made by another profile than Lambda recorded); it
	// says which.
	Unknown string
	// SignedAt is when the job signed; ExpiresAt when the signature
	// expires (zero when Signer does not say).
	SignedAt  time.Time
	ExpiresAt time.Time
	// JobRevoked says the signing job was revoked (RevokeSignature), with
	// the revocation record's time, author and reason.
	JobRevoked       bool
	JobRevokedAt     time.Time
	JobRevokedBy     string
	JobRevokedReason string
	// ProfileStatus is the profile's Signer status: Active, Canceled or
	// Revoked. ProfileRevokedFrom is a revoked profile's effective time:
	// signatures made from then on are invalid, those made before stay valid.
	ProfileStatus      string
	ProfileRevokedFrom time.Time
}

// ProfileRevoked is Signer's status of a revoked signing profile.
const ProfileRevoked = "Revoked"

// Revoked reports whether the profile's revocation covers this signature:
// it was made at or after the effective time, or when it was made is not
// known.
func (s Signature) Revoked() bool {
	if s.JobRevoked {
		return true
	}
	if s.ProfileStatus != ProfileRevoked {
		return false
	}
	return s.SignedAt.IsZero() || !s.SignedAt.Before(s.ProfileRevokedFrom)
}

// Expired reports whether the signature had expired when it was checked.
func (s Signature) Expired() bool {
	return !s.ExpiresAt.IsZero() && !s.CheckedAt.IsZero() && s.CheckedAt.After(s.ExpiresAt)
}

// SigningJobID returns the job id at the end of a signing job ARN
// ("arn:aws:signer:r:a:/signing-jobs/<id>"), or "" for anything else.
func SigningJobID(jobARN string) string {
	const marker = ":/signing-jobs/"
	i := strings.Index(jobARN, marker)
	if i < 0 || !strings.HasPrefix(jobARN, "arn:") {
		return ""
	}
	id := jobARN[i+len(marker):]
	if id == "" || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// SplitProfileVersion returns the profile name and version of a signing
// profile version ARN ("arn:aws:signer:r:a:/signing-profiles/<name>/<version>");
// ok is false for anything else, a profile ARN without a version included.
func SplitProfileVersion(arn string) (name, version string, ok bool) {
	const marker = ":/signing-profiles/"
	i := strings.Index(arn, marker)
	if i < 0 || !strings.HasPrefix(arn, "arn:") {
		return "", "", false
	}
	parts := strings.Split(arn[i+len(marker):], "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}
