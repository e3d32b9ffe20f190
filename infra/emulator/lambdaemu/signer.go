package lambdaemu

import (
	"archive/zip"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// SignatureEntry is the zip entry in which the local signer puts a
// signature. The format, version "selfguard-signature/v1", stands in for AWS
// Signer's: a signed zip holds the original entries plus this one, a JSON
// object with
//
//	format             "selfguard-signature/v1"
//	profileVersionArn  arn:aws:signer:<region>:<account>:/signing-profiles/<Name>/<Version>
//	signingJobArn      arn:aws:signer:<region>:<account>:/signing-jobs/<uuid>
//	signedAt           RFC 3339 time of signing (emulator clock)
//	expiresAt          signedAt plus the profile's signature validity
//	contentDigest      hex SHA-256 over the other entries, sorted by name,
//	                   each as name, a zero byte, its length as 8 big-endian
//	                   bytes, and its content
//	mac                hex HMAC-SHA256, under a key only the emulator knows
//	                   (one per profile version), of the six fields above
//	                   joined by "\n" in this order
//
// Verification recomputes the digest and the MAC: a mismatch means the zip
// was tampered with after signing. Otherwise the signature is judged valid,
// expired (the clock is past expiresAt), revoked (its profile version was
// revoked with an effective time at or before signedAt) or from an unknown
// profile. Directories are ignored, so re-zipping the same files keeps the
// signature valid, as a real content signature would.
const SignatureEntry = ".selfguard/signature.json"

const signatureFormat = "selfguard-signature/v1"

// DefaultSignatureValidity is AWS Signer's default: 135 months.
const DefaultSignatureValidity = 135 * 30 * 24 * time.Hour

// Profile statuses, as AWS Signer names them.
const (
	ProfileActive   = "Active"
	ProfileRevoked  = "Revoked"
	ProfileCanceled = "Canceled"
)

type signingProfile struct {
	Name     string
	Version  string
	Arn      string // the profile version ARN
	Validity time.Duration
	// Period is the validity as the Signer API shows it.
	Period ValidityPeriod
	Key    []byte
	// Canceled profiles sign nothing more; their signatures stay valid.
	Canceled bool
	Revoked  bool
	// RevokedFrom is the revocation's effective time: signatures made at
	// or after it are invalid. The zero time revokes every signature.
	RevokedFrom time.Time
	// RevokedAt, RevokedBy and RevokeReason are the revocation record.
	RevokedAt    time.Time
	RevokedBy    string
	RevokeReason string
	Tags         map[string]string
}

// ProfileVersionARN returns the ARN of a signing profile version.
func ProfileVersionARN(region, account, name, version string) string {
	return fmt.Sprintf("arn:aws:signer:%s:%s:/signing-profiles/%s/%s", region, account, name, version)
}

type signatureDoc struct {
	Format            string    `json:"format"`
	ProfileVersionArn string    `json:"profileVersionArn"`
	SigningJobArn     string    `json:"signingJobArn"`
	SignedAt          time.Time `json:"signedAt"`
	ExpiresAt         time.Time `json:"expiresAt"`
	ContentDigest     string    `json:"contentDigest"`
	MAC               string    `json:"mac"`
}

func (d signatureDoc) mac(key []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprint(m, strings.Join([]string{d.Format, d.ProfileVersionArn, d.SigningJobArn,
		d.SignedAt.UTC().Format(time.RFC3339Nano), d.ExpiresAt.UTC().Format(time.RFC3339Nano), d.ContentDigest}, "\n"))
	return hex.EncodeToString(m.Sum(nil))
}

// ZipOf returns a zip holding the files (name to content), in name order
// with a fixed modification time, so the same files give the same bytes
// and the same CodeSha256.
func ZipOf(files map[string]string) []byte {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	entries := make([]zipEntry, 0, len(names))
	for _, n := range names {
		entries = append(entries, zipEntry{name: n, data: []byte(files[n])})
	}
	out, err := writeZip(entries)
	if err != nil {
		panic(fmt.Sprintf("lambdaemu: zip in memory: %v", err)) // writing to a bytes.Buffer cannot fail
	}
	return out
}

type zipEntry struct {
	name string
	data []byte
}

var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func writeZip(entries []zipEntry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return nil, fmt.Errorf("zip entry %q: %w", e.name, err)
		}
		if _, err := w.Write(e.data); err != nil {
			return nil, fmt.Errorf("zip entry %q: %w", e.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("close zip: %w", err)
	}
	return buf.Bytes(), nil
}

// maxUnzipped bounds what the emulator unzips, against zip bombs.
const maxUnzipped = 256 << 20

// readZip returns the file entries of a zip.
func readZip(data []byte) ([]zipEntry, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("read zip: %w", err)
	}
	var total int64
	out := make([]zipEntry, 0, len(zr.File))
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("open zip entry %q: %w", f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxUnzipped-total+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("read zip entry %q: %w", f.Name, err)
		}
		total += int64(len(b))
		if total > maxUnzipped {
			return nil, errors.New("read zip: content too large")
		}
		out = append(out, zipEntry{name: f.Name, data: b})
	}
	return out, nil
}

func contentDigest(entries []zipEntry) string {
	sorted := make([]zipEntry, 0, len(entries))
	for _, e := range entries {
		if e.name != SignatureEntry {
			sorted = append(sorted, e)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	h := sha256.New()
	var n [8]byte
	for _, e := range sorted {
		h.Write([]byte(e.name))
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(n[:], uint64(len(e.data)))
		h.Write(n[:])
		h.Write(e.data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Sign signs a zip with a signing profile, as a signing job of AWS Signer
// would: it returns the signed zip and the signing job's ARN. A zip that is
// already signed is signed afresh.
func (s *Service) Sign(profileName string, zipData []byte) (signed []byte, jobARN string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	signed, job, err := s.sign(profileName, zipData, s.env.Clock.Now())
	if err != nil {
		return nil, "", err
	}
	return signed, s.jobARN(job.ID), nil
}

// sign signs a zip and records the signing job, so the Signer API can
// describe and revoke it whoever signed.
func (s *Service) sign(profileName string, zipData []byte, now time.Time) ([]byte, *signingJob, error) {
	p := s.profiles[profileName]
	if p == nil {
		return nil, nil, fmt.Errorf("sign: no signing profile %q: %w", profileName, ErrSigningNotFound)
	}
	if p.Revoked || p.Canceled {
		return nil, nil, fmt.Errorf("sign: signing profile %q is %s: %w", profileName, p.status(), ErrSigningInvalid)
	}
	signed, job, err := s.signZip(awsproto.NewID(), p, zipData, now)
	if err != nil {
		return nil, nil, err
	}
	s.jobs[job.ID] = job
	return signed, job, nil
}

// signZip signs a zip with profile p as job id and returns the job,
// without recording it.
func (s *Service) signZip(id string, p *signingProfile, zipData []byte, now time.Time) ([]byte, *signingJob, error) {
	entries, err := readZip(zipData)
	if err != nil {
		return nil, nil, fmt.Errorf("sign: %w", err)
	}
	kept := entries[:0]
	for _, e := range entries {
		if e.name != SignatureEntry {
			kept = append(kept, e)
		}
	}
	job := &signingJob{ID: id, Profile: p, Created: now.Truncate(time.Second),
		ExpiresAt: now.Truncate(time.Second).Add(p.Validity), Status: JobSucceeded, StatusReason: jobSucceededReason}
	doc := signatureDoc{
		Format:            signatureFormat,
		ProfileVersionArn: p.Arn,
		SigningJobArn:     s.jobARN(job.ID),
		SignedAt:          job.Created,
		ExpiresAt:         job.ExpiresAt,
		ContentDigest:     contentDigest(kept),
	}
	doc.MAC = doc.mac(p.Key)
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("sign: %w", err)
	}
	out, err := writeZip(append(kept, zipEntry{name: SignatureEntry, data: raw}))
	if err != nil {
		return nil, nil, fmt.Errorf("sign: %w", err)
	}
	return out, job, nil
}

// Verdicts of a signature check.
const (
	sigUnsigned = "unsigned"
	sigTampered = "tampered"
	sigUnknown  = "unknown-profile"
	sigExpired  = "expired"
	sigRevoked  = "revoked"
	sigValid    = "valid"
)

type sigCheck struct {
	Verdict           string
	ProfileVersionArn string
	SigningJobArn     string
}

// parseSignature reads the signature entry of a zip's entries: ok false if
// there is none, an error if it is malformed.
func parseSignature(entries []zipEntry) (signatureDoc, bool, error) {
	for _, e := range entries {
		if e.name != SignatureEntry {
			continue
		}
		var d signatureDoc
		dec := json.NewDecoder(bytes.NewReader(e.data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return d, true, fmt.Errorf("signature entry: %w", err)
		}
		if d.Format != signatureFormat {
			return d, true, fmt.Errorf("signature entry: format %q is not %q", d.Format, signatureFormat)
		}
		return d, true, nil
	}
	return signatureDoc{}, false, nil
}

// verify checks the signature of a zip at time now.
func (s *Service) verify(zipData []byte, now time.Time) sigCheck {
	entries, err := readZip(zipData)
	if err != nil {
		return sigCheck{Verdict: sigTampered}
	}
	doc, found, err := parseSignature(entries)
	switch {
	case !found:
		return sigCheck{Verdict: sigUnsigned}
	case err != nil:
		return sigCheck{Verdict: sigTampered}
	}
	c := sigCheck{ProfileVersionArn: doc.ProfileVersionArn, SigningJobArn: doc.SigningJobArn}
	var p *signingProfile
	for _, cand := range s.profiles {
		if cand.Arn == doc.ProfileVersionArn {
			p = cand
		}
	}
	if p == nil {
		c.Verdict = sigUnknown
		return c
	}
	if contentDigest(entries) != doc.ContentDigest || !hmac.Equal([]byte(doc.mac(p.Key)), []byte(doc.MAC)) {
		c.Verdict = sigTampered
		return c
	}
	switch {
	case p.Revoked && !doc.SignedAt.Before(p.RevokedFrom):
		c.Verdict = sigRevoked
	case s.jobRevoked(doc.SigningJobArn):
		c.Verdict = sigRevoked
	case now.After(doc.ExpiresAt):
		c.Verdict = sigExpired
	default:
		c.Verdict = sigValid
	}
	return c
}

// newProfile creates a signing profile version with a fresh key.
func (s *Service) newProfile(name, ver string, validity time.Duration, key []byte) (*signingProfile, error) {
	if !profileNameRE.MatchString(name) {
		return nil, fmt.Errorf("signing profile name %q: want 2 to 64 letters, digits or underscores", name)
	}
	if ver == "" {
		ver = randomAlnum(10)
	}
	if !profileVersionRE.MatchString(ver) {
		return nil, fmt.Errorf("signing profile %q: version %q: want 10 letters or digits", name, ver)
	}
	if validity <= 0 {
		validity = DefaultSignatureValidity
	}
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &signingProfile{Name: name, Version: ver, Arn: ProfileVersionARN(s.env.Region, s.env.Account, name, ver),
		Validity: validity, Period: periodOf(validity), Key: key}, nil
}

// ProfileInfo describes a signing profile version.
type ProfileInfo struct {
	Name              string     `json:"name"`
	ProfileVersion    string     `json:"profileVersion"`
	ProfileVersionArn string     `json:"profileVersionArn"`
	Status            string     `json:"status"`
	RevokedFrom       *time.Time `json:"revocationEffectiveFrom,omitempty"`
	SignatureValidity string     `json:"signatureValidity"`
}

// Profiles lists the signing profiles, by name.
func (s *Service) Profiles() []ProfileInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProfileInfo, 0, len(s.profiles))
	for _, p := range s.profiles {
		out = append(out, p.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (p *signingProfile) info() ProfileInfo {
	i := ProfileInfo{Name: p.Name, ProfileVersion: p.Version, ProfileVersionArn: p.Arn, Status: p.status(),
		SignatureValidity: p.Validity.String()}
	if p.Revoked {
		t := p.RevokedFrom
		i.RevokedFrom = &t
	}
	return i
}

// status is the profile's Signer status; a revoked profile stays Revoked
// when canceled, as revocation is the stronger fact.
func (p *signingProfile) status() string {
	switch {
	case p.Revoked:
		return ProfileRevoked
	case p.Canceled:
		return ProfileCanceled
	}
	return ProfileActive
}

// AddProfile creates a signing profile (validity 0 means AWS's default) and
// returns its version ARN.
func (s *Service) AddProfile(name string, validity time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.profiles[name] != nil {
		return "", fmt.Errorf("add signing profile: %q exists", name)
	}
	p, err := s.newProfile(name, "", validity, nil)
	if err != nil {
		return "", fmt.Errorf("add signing profile: %w", err)
	}
	s.profiles[name] = p
	return p.Arn, nil
}

// ProfileVersionARNOf returns the version ARN of a signing profile.
func (s *Service) ProfileVersionARNOf(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.profiles[name]; p != nil {
		return p.Arn, true
	}
	return "", false
}

// RevokeProfile revokes a signing profile version: signatures it made at or
// after effectiveFrom no longer verify (the zero time revokes them all), and
// it signs nothing more.
func (s *Service) RevokeProfile(name string, effectiveFrom time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.profiles[name]
	if p == nil {
		return fmt.Errorf("revoke signing profile: no profile %q", name)
	}
	p.Revoked, p.RevokedFrom, p.RevokedAt = true, effectiveFrom, s.env.Clock.Now()
	return nil
}

func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
