package lambdaemu

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// The signing state (profiles, jobs, revocations) lives here, beside the
// deploy-time check that reads it, and the Signer API (signeremu) changes
// it through the methods below: what that API revokes is what a deploy sees.

// Errors of the signing operations, wrapped with what went wrong, for the
// Signer API to answer as AWS does.
var (
	ErrSigningNotFound = errors.New("no such signing resource")
	ErrSigningConflict = errors.New("signing resource in use")
	ErrSigningInvalid  = errors.New("invalid signing request")
)

// PlatformLambda is AWS Signer's platform for Lambda deployment packages,
// the only one the local signer has.
const (
	PlatformLambda            = "AWSLambda-SHA384-ECDSA"
	PlatformLambdaDisplayName = "AWS Lambda"
)

// Signing job statuses, as AWS Signer names them.
const (
	JobSucceeded = "Succeeded"
	JobFailed    = "Failed"
)

const jobSucceededReason = "Signing Succeeded"

// ValidityPeriod is a signature validity as the Signer API gives it: a
// number of DAYS, MONTHS (30 days here, as DefaultSignatureValidity) or YEARS.
type ValidityPeriod struct {
	Value int    `json:"value"`
	Type  string `json:"type"`
}

// Duration returns the period's length; false for an unknown type or a
// value below 1.
func (v ValidityPeriod) Duration() (time.Duration, bool) {
	day := 24 * time.Hour
	unit := map[string]time.Duration{"DAYS": day, "MONTHS": 30 * day, "YEARS": 365 * day}[v.Type]
	if unit == 0 || v.Value < 1 {
		return 0, false
	}
	return time.Duration(v.Value) * unit, true
}

// periodOf renders a validity the Signer API way: whole years, months or
// days, a validity under a day rounding up to one day.
func periodOf(d time.Duration) ValidityPeriod {
	day := 24 * time.Hour
	switch {
	case d%(365*day) == 0:
		return ValidityPeriod{Value: int(d / (365 * day)), Type: "YEARS"}
	case d%(30*day) == 0:
		return ValidityPeriod{Value: int(d / (30 * day)), Type: "MONTHS"}
	}
	return ValidityPeriod{Value: int((d + day - 1) / day), Type: "DAYS"}
}

// S3Object names an object of the emulator's S3 store.
type S3Object struct {
	Bucket  string `json:"bucketName"`
	Key     string `json:"key"`
	Version string `json:"version,omitempty"`
}

type signingJob struct {
	ID      string
	Profile *signingProfile
	// RequestedBy is the caller's ARN; Invoker its account.
	RequestedBy, Invoker string
	Created, ExpiresAt   time.Time
	Status, StatusReason string
	Source               *S3Object
	Signed               *S3Object
	ClientToken          string
	Revoked              bool
	RevokedAt            time.Time
	RevokedBy, Reason    string
}

func (s *Service) jobARN(id string) string {
	return fmt.Sprintf("arn:aws:signer:%s:%s:/signing-jobs/%s", s.env.Region, s.env.Account, id)
}

// jobRevoked reports whether the job of a signature was revoked; a job the
// emulator does not know (code signed elsewhere) is not.
func (s *Service) jobRevoked(jobARN string) bool {
	for _, j := range s.jobs {
		if j.Revoked && s.jobARN(j.ID) == jobARN {
			return true
		}
	}
	return false
}

// SigningProfile is a signing profile version as the Signer API shows it.
type SigningProfile struct {
	Name, Version, VersionARN, ARN string
	PlatformID, PlatformName       string
	Status                         string
	Period                         ValidityPeriod
	Tags                           map[string]string
	// Revocation is set for a revoked profile.
	Revocation *Revocation
}

// Revocation is the record of a revoked profile or job.
type Revocation struct {
	EffectiveFrom time.Time // profiles only
	RevokedAt     time.Time
	RevokedBy     string
	Reason        string
}

func (s *Service) profileView(p *signingProfile) SigningProfile {
	v := SigningProfile{Name: p.Name, Version: p.Version, VersionARN: p.Arn,
		ARN:        fmt.Sprintf("arn:aws:signer:%s:%s:/signing-profiles/%s", s.env.Region, s.env.Account, p.Name),
		PlatformID: PlatformLambda, PlatformName: PlatformLambdaDisplayName, Status: p.status(), Period: p.Period,
		Tags: copyTags(p.Tags)}
	if p.Revoked {
		v.Revocation = &Revocation{EffectiveFrom: p.RevokedFrom, RevokedAt: p.RevokedAt, RevokedBy: p.RevokedBy, Reason: p.RevokeReason}
	}
	return v
}

func copyTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

// SigningProfileNamed returns a signing profile, whatever its status.
func (s *Service) SigningProfileNamed(name string) (SigningProfile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.profiles[name]
	if p == nil {
		return SigningProfile{}, false
	}
	return s.profileView(p), true
}

// SigningProfiles returns every signing profile, by name.
func (s *Service) SigningProfiles() []SigningProfile {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SigningProfile, 0, len(s.profiles))
	for _, p := range s.profiles {
		out = append(out, s.profileView(p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PutSigningProfile creates a signing profile for the Lambda platform. A
// name is never reused, whatever the status of its profile
// (ErrSigningConflict).
func (s *Service) PutSigningProfile(name string, period *ValidityPeriod, tags map[string]string) (SigningProfile, error) {
	validity := DefaultSignatureValidity
	if period != nil {
		d, ok := period.Duration()
		if !ok {
			return SigningProfile{}, fmt.Errorf("signatureValidityPeriod %d %s: %w", period.Value, period.Type, ErrSigningInvalid)
		}
		validity = d
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.profiles[name] != nil {
		return SigningProfile{}, fmt.Errorf("signing profile %s exists: %w", name, ErrSigningConflict)
	}
	p, err := s.newProfile(name, "", validity, nil)
	if err != nil {
		return SigningProfile{}, fmt.Errorf("%w: %w", ErrSigningInvalid, err)
	}
	if period != nil {
		p.Period = *period
	}
	p.Tags = copyTags(tags)
	s.profiles[name] = p
	return s.profileView(p), nil
}

// CancelSigningProfile cancels an active profile: it signs nothing more,
// and what it signed stays valid.
func (s *Service) CancelSigningProfile(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.profiles[name]
	if p == nil {
		return fmt.Errorf("signing profile %s: %w", name, ErrSigningNotFound)
	}
	p.Canceled = true
	return nil
}

// RevokeSigningProfile revokes a profile version from effective on, as
// RevokeSigningProfile does. A revocation is final: revoking again is
// refused (ErrSigningConflict) rather than moving the effective time.
func (s *Service) RevokeSigningProfile(name, version string, effective time.Time, by, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.profiles[name]
	if p == nil || p.Version != version {
		return fmt.Errorf("signing profile %s version %s: %w", name, version, ErrSigningNotFound)
	}
	if p.Revoked {
		return fmt.Errorf("signing profile %s is already revoked: %w", name, ErrSigningConflict)
	}
	p.Revoked, p.RevokedFrom, p.RevokedAt, p.RevokedBy, p.RevokeReason = true, effective, s.env.Clock.Now(), by, reason
	return nil
}

// SigningJob is a signing job as the Signer API shows it.
type SigningJob struct {
	ID, ARN                      string
	Profile                      SigningProfile
	RequestedBy, Invoker         string
	Created, Completed, ExpireAt time.Time
	Status, StatusReason         string
	Source, Signed               *S3Object
	ClientToken                  string
	// Revocation is set for a revoked job.
	Revocation *Revocation
}

func (s *Service) jobView(j *signingJob) SigningJob {
	v := SigningJob{ID: j.ID, ARN: s.jobARN(j.ID), Profile: s.profileView(j.Profile), RequestedBy: j.RequestedBy,
		Invoker: j.Invoker, Created: j.Created, Completed: j.Created, ExpireAt: j.ExpiresAt, Status: j.Status,
		StatusReason: j.StatusReason, Source: j.Source, Signed: j.Signed, ClientToken: j.ClientToken}
	if j.Revoked {
		v.Revocation = &Revocation{RevokedAt: j.RevokedAt, RevokedBy: j.RevokedBy, Reason: j.Reason}
	}
	return v
}

// JobRequest is what StartSigningJob asks for.
type JobRequest struct {
	Profile     string
	Source      S3Object
	Destination S3Object // Key is the prefix
	ClientToken string
	RequestedBy string
	Invoker     string
}

// StartSigningJob signs the zip at Source with a profile and writes it to
// Destination's bucket at prefix + job id + ".zip", as Signer does for
// Lambda. It finishes at once. A source that cannot be read or is not a
// zip fails the job (status Failed), as AWS reports it, rather than the
// call. A client token seen before returns the job it started.
func (s *Service) StartSigningJob(req JobRequest) (SigningJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.ClientToken != "" {
		for _, j := range s.jobs {
			if j.ClientToken == req.ClientToken && j.Profile.Name == req.Profile {
				return s.jobView(j), nil
			}
		}
	}
	p := s.profiles[req.Profile]
	if p == nil {
		return SigningJob{}, fmt.Errorf("signing profile %s: %w", req.Profile, ErrSigningNotFound)
	}
	if p.Revoked || p.Canceled {
		return SigningJob{}, fmt.Errorf("signing profile %s is %s: %w", p.Name, p.status(), ErrSigningInvalid)
	}
	return s.jobView(s.runJob(awsproto.NewID(), p, req, s.env.Clock.Now())), nil
}

// runJob signs the source object as job id, records the job and returns it.
func (s *Service) runJob(id string, p *signingProfile, req JobRequest, now time.Time) *signingJob {
	src := req.Source
	job := &signingJob{ID: id, Profile: p, Created: now.Truncate(time.Second), Status: JobFailed}
	if data, ok := s.s3[src.Bucket+"/"+src.Key]; !ok {
		job.StatusReason = fmt.Sprintf("Unable to read the source object s3://%s/%s.", src.Bucket, src.Key)
	} else if signed, done, err := s.signZip(id, p, data, now); err != nil {
		job.StatusReason = "The source object is not a valid zip file."
	} else {
		job = done
		key := req.Destination.Key + job.ID + ".zip"
		s.s3[req.Destination.Bucket+"/"+key] = signed
		job.Signed = &S3Object{Bucket: req.Destination.Bucket, Key: key}
	}
	job.Source, job.ClientToken, job.RequestedBy, job.Invoker = &src, req.ClientToken, req.RequestedBy, req.Invoker
	if job.ExpiresAt.IsZero() {
		job.ExpiresAt = job.Created.Add(p.Validity)
	}
	s.jobs[job.ID] = job
	return job
}

// SigningJobByID returns a signing job.
func (s *Service) SigningJobByID(id string) (SigningJob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	if j == nil {
		return SigningJob{}, false
	}
	return s.jobView(j), true
}

// SigningJobs returns every signing job, oldest first.
func (s *Service) SigningJobs() []SigningJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SigningJob, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, s.jobView(j))
	}
	sort.Slice(out, func(i, k int) bool {
		if !out[i].Created.Equal(out[k].Created) {
			return out[i].Created.Before(out[k].Created)
		}
		return out[i].ID < out[k].ID
	})
	return out
}

// RevokeSigningJob revokes the signature a job made: Lambda no longer
// trusts it. Revoking a job twice is refused (ErrSigningConflict).
func (s *Service) RevokeSigningJob(id, by, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	if j == nil {
		return fmt.Errorf("signing job %s: %w", id, ErrSigningNotFound)
	}
	if j.Revoked {
		return fmt.Errorf("signing job %s is already revoked: %w", id, ErrSigningConflict)
	}
	j.Revoked, j.RevokedAt, j.RevokedBy, j.Reason = true, s.env.Clock.Now(), by, reason
	return nil
}

// RevocationStatus answers GetRevocationStatus: whether the profile version
// was revoked for a signature made at signedAt, and whether the job was.
func (s *Service) RevocationStatus(profileVersionARN, jobARN string, signedAt time.Time) (profile, job bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.profiles {
		if p.Arn == profileVersionARN && p.Revoked && !signedAt.Before(p.RevokedFrom) {
			profile = true
		}
	}
	return profile, s.jobRevoked(jobARN)
}

// AddSigningJob records a signing job of a world file under its own id.
// With a source it signs that S3 object as StartSigningJob does; without
// one it only records a job that signed code before (such as one a dump
// lists, whose signature is already inside some zip).
func (s *Service) AddSigningJob(id string, req JobRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs[id] != nil {
		return fmt.Errorf("signing job %s is defined twice: %w", id, ErrSigningConflict)
	}
	p := s.profiles[req.Profile]
	if p == nil {
		return fmt.Errorf("signing job %s: signing profile %q: %w", id, req.Profile, ErrSigningNotFound)
	}
	now := s.env.Clock.Now()
	if req.Source.Bucket == "" {
		created := now.Truncate(time.Second)
		s.jobs[id] = &signingJob{ID: id, Profile: p, Created: created, ExpiresAt: created.Add(p.Validity),
			Status: JobSucceeded, StatusReason: jobSucceededReason, RequestedBy: req.RequestedBy, Invoker: req.Invoker}
		return nil
	}
	s.runJob(id, p, req, now)
	return nil
}
