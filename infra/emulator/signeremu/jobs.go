package signeremu

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// maxPage is the largest page Signer's lists return (their maxResults
// allows 1 to 25); it is also the page size when none is asked for.
const maxPage = 25

func s3Out(o *lambdaemu.S3Object) map[string]any {
	m := map[string]any{"bucketName": o.Bucket, "key": o.Key}
	if o.Version != "" {
		m["version"] = o.Version
	}
	return map[string]any{"s3": m}
}

// jobOut renders a job as DescribeSigningJob does (full) or as a
// ListSigningJobs entry.
func (s *Service) jobOut(j lambdaemu.SigningJob, full bool) map[string]any {
	invoker := j.Invoker
	if invoker == "" {
		invoker = s.env.Account
	}
	m := map[string]any{
		"jobId": j.ID, "profileName": j.Profile.Name, "profileVersion": j.Profile.Version,
		"platformId": j.Profile.PlatformID, "platformDisplayName": j.Profile.PlatformName,
		"createdAt": epoch(j.Created), "status": j.Status, "jobOwner": s.env.Account, "jobInvoker": invoker,
	}
	if j.Source != nil {
		m["source"] = s3Out(j.Source)
	}
	if j.Signed != nil {
		m["signedObject"] = s3Out(j.Signed)
	}
	if j.Status == lambdaemu.JobSucceeded {
		m["signatureExpiresAt"] = epoch(j.ExpireAt)
	}
	if !full {
		m["isRevoked"] = j.Revocation != nil
		return m
	}
	m["completedAt"] = epoch(j.Completed)
	m["statusReason"] = j.StatusReason
	if j.RequestedBy != "" {
		m["requestedBy"] = j.RequestedBy
	}
	if r := j.Revocation; r != nil {
		rec := map[string]any{"reason": r.Reason, "revokedAt": epoch(r.RevokedAt)}
		if r.RevokedBy != "" {
			rec["revokedBy"] = r.RevokedBy
		}
		m["revocationRecord"] = rec
	}
	return m
}

func (s *Service) describeJob(rc *reqCtx) (int, any, *awsproto.Error) {
	j, ok := s.signing.SigningJobByID(rc.labels["jobId"])
	if !ok {
		return 0, nil, notFound("Signing job %s does not exist.", rc.labels["jobId"])
	}
	return http.StatusOK, s.jobOut(j, true), nil
}

type s3In struct {
	S3 *struct {
		BucketName string `json:"bucketName"`
		Key        string `json:"key"`
		Prefix     string `json:"prefix"`
		Version    string `json:"version"`
	} `json:"s3"`
}

func (s *Service) startJob(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		ClientRequestToken string `json:"clientRequestToken"`
		ProfileName        string `json:"profileName"`
		ProfileOwner       string `json:"profileOwner"`
		Source             s3In   `json:"source"`
		Destination        s3In   `json:"destination"`
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	src, dst := in.Source.S3, in.Destination.S3
	switch {
	case in.ProfileName == "":
		return 0, nil, validation("profileName is required")
	case in.ClientRequestToken == "":
		return 0, nil, validation("clientRequestToken is required")
	case src == nil || src.BucketName == "" || src.Key == "" || src.Version == "":
		return 0, nil, validation("source.s3 needs bucketName, key and version")
	case dst == nil || dst.BucketName == "":
		return 0, nil, validation("destination.s3 needs bucketName")
	case in.ProfileOwner != "" && in.ProfileOwner != rc.call.Account:
		return 0, nil, notFound("Signing profile %s of account %s does not exist.", in.ProfileName, in.ProfileOwner)
	}
	j, err := s.signing.StartSigningJob(lambdaemu.JobRequest{
		Profile: in.ProfileName, ClientToken: in.ClientRequestToken,
		Source:      lambdaemu.S3Object{Bucket: src.BucketName, Key: src.Key, Version: src.Version},
		Destination: lambdaemu.S3Object{Bucket: dst.BucketName, Key: dst.Prefix},
		RequestedBy: rc.call.Actor.Identity.ARN, Invoker: rc.call.Account,
	})
	if err != nil {
		return 0, nil, signingError(err)
	}
	return http.StatusOK, map[string]any{"jobId": j.ID, "jobOwner": s.env.Account}, nil
}

func (s *Service) revokeSignature(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		Reason   string `json:"reason"`
		JobOwner string `json:"jobOwner"`
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	id := rc.labels["jobId"]
	switch {
	case len(in.Reason) < 1 || len(in.Reason) > 500:
		return 0, nil, validation("reason: want 1 to 500 characters")
	case in.JobOwner != "" && in.JobOwner != rc.call.Account:
		return 0, nil, notFound("Signing job %s of account %s does not exist.", id, in.JobOwner)
	}
	if err := s.signing.RevokeSigningJob(id, rc.call.Actor.Identity.ARN, in.Reason); err != nil {
		return 0, nil, signingError(err)
	}
	return http.StatusOK, map[string]any{}, nil
}

// listJobs answers ListSigningJobs with its filters, oldest job first.
func (s *Service) listJobs(rc *reqCtx) (int, any, *awsproto.Error) {
	q := rc.query
	before, err := queryTime(q, "signatureExpiresBefore")
	if err != nil {
		return 0, nil, err
	}
	after, err := queryTime(q, "signatureExpiresAfter")
	if err != nil {
		return 0, nil, err
	}
	keep := func(j lambdaemu.SigningJob) bool {
		invoker := j.Invoker
		if invoker == "" {
			invoker = s.env.Account
		}
		return (q.Get("status") == "" || q.Get("status") == j.Status) &&
			(q.Get("platformId") == "" || q.Get("platformId") == j.Profile.PlatformID) &&
			(q.Get("requestedBy") == "" || q.Get("requestedBy") == j.RequestedBy) &&
			(q.Get("jobInvoker") == "" || q.Get("jobInvoker") == invoker) &&
			(q.Get("isRevoked") != "true" || j.Revocation != nil) &&
			(before.IsZero() || j.ExpireAt.Before(before)) &&
			(after.IsZero() || j.ExpireAt.After(after))
	}
	var out []any
	for _, j := range s.signing.SigningJobs() {
		if keep(j) {
			out = append(out, s.jobOut(j, false))
		}
	}
	return pageOf(out, q, "jobs")
}

// revocationStatus answers GetRevocationStatus: the inputs that are
// revoked for a signature made at signatureTimestamp. Certificate hashes
// are never revoked here: the local signer has no certificates.
func (s *Service) revocationStatus(rc *reqCtx) (int, any, *awsproto.Error) {
	q := rc.query
	for _, k := range []string{"signatureTimestamp", "platformId", "profileVersionArn", "jobArn", "certificateHashes"} {
		if q.Get(k) == "" {
			return 0, nil, validation("%s is required", k)
		}
	}
	at, err := queryTime(q, "signatureTimestamp")
	if err != nil {
		return 0, nil, err
	}
	profile, job := s.signing.RevocationStatus(q.Get("profileVersionArn"), q.Get("jobArn"), at)
	revoked := []string{}
	if profile {
		revoked = append(revoked, q.Get("profileVersionArn"))
	}
	if job {
		revoked = append(revoked, q.Get("jobArn"))
	}
	return http.StatusOK, map[string]any{"revokedEntities": revoked}, nil
}

// queryTime reads a timestamp query parameter (ISO 8601, as the SDK sends
// it); absent is the zero time.
func queryTime(q url.Values, key string) (time.Time, *awsproto.Error) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, validation("%s %q is not an ISO 8601 timestamp", key, v)
	}
	return t, nil
}

const tokenPrefix = "selfguard-offset:"

// pageOf returns one page of a list under key, with maxResults and
// nextToken as Signer's lists take them.
func pageOf(items []any, q url.Values, key string) (int, any, *awsproto.Error) {
	size := maxPage
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return 0, nil, validation("maxResults %q: want 1 to %d", v, maxPage)
		}
		size = n
	}
	from := 0
	if tok := q.Get("nextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		off, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), tokenPrefix))
		if err != nil || convErr != nil || !strings.HasPrefix(string(raw), tokenPrefix) || off < 0 {
			return 0, nil, validation("nextToken is not valid")
		}
		from = min(off, len(items))
	}
	to := min(from+size, len(items))
	resp := map[string]any{key: append([]any{}, items[from:to]...)}
	if to < len(items) {
		resp["nextToken"] = base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(to)))
	}
	return http.StatusOK, resp, nil
}
