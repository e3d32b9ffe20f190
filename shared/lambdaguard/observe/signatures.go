package observe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/signer"
	signertypes "github.com/aws/aws-sdk-go-v2/service/signer/types"

	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/settings"
)

// SignerAPI is the part of the AWS Signer client Signatures uses.
type SignerAPI interface {
	GetSigningProfile(ctx context.Context, in *signer.GetSigningProfileInput, optFns ...func(*signer.Options)) (*signer.GetSigningProfileOutput, error)
	DescribeSigningJob(ctx context.Context, in *signer.DescribeSigningJobInput, optFns ...func(*signer.Options)) (*signer.DescribeSigningJobOutput, error)
}

// Defaults of Signatures.
const (
	// DefaultSignatureTTL bounds how long an answer of Signer is reused: a
	// revocation reaches the guard's decisions within it even without the
	// revocation's own event (which makes the guard forget at once).
	DefaultSignatureTTL = 5 * time.Minute
	// SignerRate is the Signer calls per second all of a function's
	// instances together spend when the settings name none
	// (settings.SignerRate, the template's SignerRate parameter).
	SignerRate = settings.DefaultSignerRate
	// maxCached bounds each cache; past it, expired answers are dropped,
	// and if that is not enough, all of them.
	maxCached = 4096
)

// Signatures asks AWS Signer about the signatures Lambda recorded: is the
// signing job revoked, is the profile version revoked from before the
// signature, has the signature expired, does Signer know them at all.
// Lambda checks a signature only on deploy; Signer says whether it still
// holds. Answers are cached per signing job and per profile version for
// TTL, in the function instance, and calls are paced under SignerRate.
//
// Only signatures whose profile the settings trust are asked about: an
// unsigned or untrusted signature is judged without Signer. Signer's
// answer that a job or profile does not exist is an answer (the code is
// then not trusted); any other error fails the check, so the event is
// retried rather than the code judged on half the facts.
type Signatures struct {
	api SignerAPI
	cfg settings.Settings
	// TTL bounds how long answers are reused; DefaultSignatureTTL if zero.
	TTL time.Duration
	// Now is the clock; time.Now if nil.
	Now   func() time.Time
	limit *ratelimit.Bucket

	mu       sync.Mutex
	jobs     map[string]jobAnswer
	profiles map[string]profileAnswer
}

// jobAnswer is what DescribeSigningJob said of one job, and when.
type jobAnswer struct {
	at        time.Time
	unknown   string
	profile   string // the profile version ARN's "name/version"
	signedAt  time.Time
	expiresAt time.Time
	revoked   *signertypes.SigningJobRevocationRecord
}

// profileAnswer is what GetSigningProfile said of one profile version.
type profileAnswer struct {
	at          time.Time
	unknown     string
	status      string
	revokedFrom time.Time
}

// NewSignatures returns a checker asking api, for a guard with cfg's
// trusted profiles; its pace is cfg's instance share of cfg.SignerRate.
func NewSignatures(api SignerAPI, cfg settings.Settings) *Signatures {
	rate := cfg.SignerRate
	if rate <= 0 {
		rate = SignerRate
	}
	if cfg.Concurrency > 1 {
		rate /= float64(cfg.Concurrency)
	}
	// A second's worth of burst: a cold start's first function (a job and a
	// profile) is not made to wait.
	return &Signatures{api: api, cfg: cfg, limit: ratelimit.NewBucket("signer", rate, rate, nil),
		jobs: map[string]jobAnswer{}, profiles: map[string]profileAnswer{}}
}

func (c *Signatures) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Signatures) ttl() time.Duration {
	if c.TTL > 0 {
		return c.TTL
	}
	return DefaultSignatureTTL
}

// Check fills in Signer's word on every signature of s the decision asks
// about (decide.NeedsSignatures), round after round until it asks no more.
func (c *Signatures) Check(ctx context.Context, s *snapshot.Snapshot) error {
	for {
		refs := decide.NeedsSignatures(*s, c.cfg)
		if len(refs) == 0 {
			return nil
		}
		if err := c.fill(ctx, s, refs); err != nil {
			return err
		}
	}
}

// CheckAll fills in Signer's word on every trusted signature of s
// (decide.EverySignature), for a judgement of every published version.
func (c *Signatures) CheckAll(ctx context.Context, s *snapshot.Snapshot) error {
	if err := c.fill(ctx, s, decide.EverySignature(*s, c.cfg)); err != nil {
		return err
	}
	return c.Check(ctx, s)
}

func (c *Signatures) fill(ctx context.Context, s *snapshot.Snapshot, refs []decide.SignatureRef) error {
	for _, ref := range refs {
		sig, err := c.Signature(ctx, ref.ProfileVersionARN, ref.JobARN, s.Account)
		if err != nil {
			return fmt.Errorf("signature of %s %s: %w", s.Name, ref.Version, err)
		}
		decide.SetSignature(s, ref, sig)
	}
	return nil
}

// Forget drops the answers about a signing job ARN or profile version ARN:
// the guard calls it on that job's or profile's revocation event, so that
// the event is judged on Signer's answer of now.
func (c *Signatures) Forget(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.jobs, arn)
	delete(c.profiles, arn)
}

// Signature returns Signer's word on one signature: its profile version
// and signing job (account is the function's, to ask for another
// account's profile with its owner).
func (c *Signatures) Signature(ctx context.Context, profileVersionARN, jobARN, account string) (*snapshot.Signature, error) {
	now := c.now()
	sig := &snapshot.Signature{CheckedAt: now}
	name, version, ok := snapshot.SplitProfileVersion(profileVersionARN)
	if !ok {
		sig.Unknown = "Lambda recorded " + profileVersionARN + ", which is not a signing profile version ARN"
		return sig, nil
	}
	if jobARN != "" {
		j, err := c.job(ctx, jobARN)
		if err != nil {
			return nil, err
		}
		switch {
		case j.unknown != "":
			sig.Unknown = j.unknown
			return sig, nil
		case j.profile != name+"/"+version:
			sig.Unknown = "the job was made by profile version " + j.profile + ", not the " + name + "/" + version + " Lambda recorded"
			return sig, nil
		}
		sig.SignedAt, sig.ExpiresAt = j.signedAt, j.expiresAt
		if r := j.revoked; r != nil {
			sig.JobRevoked, sig.JobRevokedAt = true, aws.ToTime(r.RevokedAt)
			sig.JobRevokedBy, sig.JobRevokedReason = aws.ToString(r.RevokedBy), aws.ToString(r.Reason)
		}
	}
	p, err := c.profile(ctx, profileVersionARN, name, version, account)
	if err != nil {
		return nil, err
	}
	if p.unknown != "" {
		sig.Unknown = p.unknown
		return sig, nil
	}
	sig.ProfileStatus, sig.ProfileRevokedFrom = p.status, p.revokedFrom
	return sig, nil
}

func (c *Signatures) job(ctx context.Context, arn string) (jobAnswer, error) {
	if a, ok := c.cachedJob(arn); ok {
		return a, nil
	}
	a := jobAnswer{at: c.now()}
	id := snapshot.SigningJobID(arn)
	if id == "" {
		a.unknown = "Lambda recorded " + arn + ", which is not a signing job ARN"
		return c.keepJob(arn, a), nil
	}
	if err := c.limit.Wait(ctx); err != nil {
		return a, err
	}
	out, err := c.api.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(id)})
	var nf *signertypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		a.unknown = "AWS Signer has no signing job " + id
		return c.keepJob(arn, a), nil
	case err != nil:
		return a, fmt.Errorf("describe signing job %s: %w", id, err)
	case out.Status != signertypes.SigningStatusSucceeded:
		a.unknown = "signing job " + id + " did not succeed (" + string(out.Status) + ")"
		return c.keepJob(arn, a), nil
	}
	a.profile = aws.ToString(out.ProfileName) + "/" + aws.ToString(out.ProfileVersion)
	// The signature was made while the job ran: its completion is the
	// latest it can have been made, which judges a profile's revocation
	// conservatively.
	a.signedAt = aws.ToTime(out.CompletedAt)
	if a.signedAt.IsZero() {
		a.signedAt = aws.ToTime(out.CreatedAt)
	}
	a.expiresAt = aws.ToTime(out.SignatureExpiresAt)
	a.revoked = out.RevocationRecord
	return c.keepJob(arn, a), nil
}

func (c *Signatures) profile(ctx context.Context, arn, name, version, account string) (profileAnswer, error) {
	if a, ok := c.cachedProfile(arn); ok {
		return a, nil
	}
	a := profileAnswer{at: c.now()}
	in := &signer.GetSigningProfileInput{ProfileName: aws.String(name)}
	if owner := lambdaarn.Account(arn); owner != "" && owner != account {
		in.ProfileOwner = aws.String(owner)
	}
	if err := c.limit.Wait(ctx); err != nil {
		return a, err
	}
	out, err := c.api.GetSigningProfile(ctx, in)
	var nf *signertypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		a.unknown = "AWS Signer has no signing profile " + name
		return c.keepProfile(arn, a), nil
	case err != nil:
		return a, fmt.Errorf("get signing profile %s: %w", name, err)
	case aws.ToString(out.ProfileVersion) != version:
		// GetSigningProfile describes the profile's version; one Signer
		// does not describe cannot be vouched for.
		a.unknown = "AWS Signer's profile " + name + " is version " + aws.ToString(out.ProfileVersion) + ", not " + version
		return c.keepProfile(arn, a), nil
	}
	a.status = string(out.Status)
	if r := out.RevocationRecord; r != nil {
		a.revokedFrom = aws.ToTime(r.RevocationEffectiveFrom)
	}
	return c.keepProfile(arn, a), nil
}

func (c *Signatures) cachedJob(arn string) (jobAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.jobs[arn]
	if !ok || c.now().Sub(a.at) >= c.ttl() {
		return jobAnswer{}, false
	}
	return a, true
}

func (c *Signatures) cachedProfile(arn string) (profileAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.profiles[arn]
	if !ok || c.now().Sub(a.at) >= c.ttl() {
		return profileAnswer{}, false
	}
	return a, true
}

func (c *Signatures) keepJob(arn string, a jobAnswer) jobAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.jobs) >= maxCached {
		c.jobs = prune(c.jobs, c.now(), c.ttl(), func(a jobAnswer) time.Time { return a.at })
	}
	c.jobs[arn] = a
	return a
}

func (c *Signatures) keepProfile(arn string, a profileAnswer) profileAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.profiles) >= maxCached {
		c.profiles = prune(c.profiles, c.now(), c.ttl(), func(a profileAnswer) time.Time { return a.at })
	}
	c.profiles[arn] = a
	return a
}

// prune drops expired answers, and everything if that leaves the cache full.
func prune[T any](m map[string]T, now time.Time, ttl time.Duration, at func(T) time.Time) map[string]T {
	for k, v := range m {
		if now.Sub(at(v)) >= ttl {
			delete(m, k)
		}
	}
	if len(m) >= maxCached {
		return map[string]T{}
	}
	return m
}
