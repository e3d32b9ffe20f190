package signeremu

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// World is the Signer part of a world file: signing jobs and their
// revocations. Signing profiles, and their revocation, are declared in the
// Lambda part (lambda.signingProfiles), which loads first: that is where
// signedBy and allowedPublishers find them.
type World struct {
	// SigningJobs are jobs as if started before.
	SigningJobs []JobWorld `json:"signingJobs,omitempty"`
	// Revocations are revoked jobs.
	Revocations []RevocationWorld `json:"revocations,omitempty"`
}

// JobWorld is a signing job. With a source it signs that object of
// lambda.s3Objects at load, writing the signed zip to destination's bucket
// at prefix + id + ".zip" (a source that is missing or not a zip makes a
// Failed job); without one it is the record of a job that signed code
// earlier, as a dump lists jobs made by signedBy or the admin sign route.
type JobWorld struct {
	// ID is the job id, a UUID (random if empty).
	ID string `json:"id,omitempty"`
	// Profile is the signing profile's name.
	Profile string `json:"profile"`
	// Source is the zip signed: {bucketName, key, version}.
	Source *lambdaemu.S3Object `json:"source,omitempty"`
	// Destination is where the signed zip goes: {bucketName, prefix}
	// (default: the source's bucket, prefix "signed/").
	Destination *Destination `json:"destination,omitempty"`
	// RequestedBy is the ARN of who started the job.
	RequestedBy string `json:"requestedBy,omitempty"`
}

// Destination is where a signing job writes the signed zip.
type Destination struct {
	Bucket string `json:"bucketName"`
	Prefix string `json:"prefix,omitempty"`
}

// RevocationWorld revokes a signing job, as RevokeSignature does.
type RevocationWorld struct {
	// Job is the id of a job of this world.
	Job string `json:"job"`
	// Reason is 1 to 500 characters.
	Reason string `json:"reason"`
	// RevokedBy is the ARN of who revoked it.
	RevokedBy string `json:"revokedBy,omitempty"`
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// LoadWorld adds a world's jobs and revocations to the signing state,
// which Lambda's world load has just replaced; the caller puts the state
// back (lambdaemu.Service.ReplaceWorld's undo) when it fails. It reports
// the first problem with where it is.
func (s *Service) LoadWorld(w World) error {
	for i, jw := range w.SigningJobs {
		if err := s.loadJob(jw); err != nil {
			return fmt.Errorf("signer: signingJobs[%d]: %w", i, err)
		}
	}
	for i, rw := range w.Revocations {
		if len(rw.Reason) < 1 || len(rw.Reason) > 500 {
			return fmt.Errorf("signer: revocations[%d]: reason: want 1 to 500 characters", i)
		}
		if err := s.signing.RevokeSigningJob(rw.Job, rw.RevokedBy, rw.Reason); err != nil {
			return fmt.Errorf("signer: revocations[%d]: %w", i, err)
		}
	}
	return nil
}

func (s *Service) loadJob(jw JobWorld) error {
	id := jw.ID
	if id == "" {
		id = awsproto.NewID()
	}
	if !uuidRE.MatchString(id) {
		return fmt.Errorf("id %q is not a UUID", id)
	}
	req := lambdaemu.JobRequest{Profile: jw.Profile, RequestedBy: jw.RequestedBy, Invoker: s.env.Account}
	if src := jw.Source; src != nil {
		if src.Bucket == "" || src.Key == "" {
			return fmt.Errorf("source needs bucketName and key")
		}
		req.Source = *src
		req.Destination = lambdaemu.S3Object{Bucket: src.Bucket, Key: "signed/"}
		if d := jw.Destination; d != nil {
			req.Destination = lambdaemu.S3Object{Bucket: d.Bucket, Key: d.Prefix}
		}
	} else if jw.Destination != nil {
		return fmt.Errorf("destination needs a source")
	}
	return s.signing.AddSigningJob(id, req)
}

// DumpWorld returns the jobs and their revocations as a world. Jobs with
// a source sign it again when loaded, under the same id.
func (s *Service) DumpWorld() World {
	var w World
	for _, j := range s.signing.SigningJobs() {
		jw := JobWorld{ID: j.ID, Profile: j.Profile.Name, Source: j.Source, RequestedBy: j.RequestedBy}
		if j.Signed != nil {
			jw.Destination = &Destination{Bucket: j.Signed.Bucket, Prefix: strings.TrimSuffix(j.Signed.Key, j.ID+".zip")}
		}
		w.SigningJobs = append(w.SigningJobs, jw)
		if r := j.Revocation; r != nil {
			w.Revocations = append(w.Revocations, RevocationWorld{Job: j.ID, Reason: r.Reason, RevokedBy: r.RevokedBy})
		}
	}
	return w
}
