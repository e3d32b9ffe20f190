package lambdaemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// CodeURLValidity is how long a Code.Location URL works, as in AWS.
const CodeURLValidity = 10 * time.Minute

const amzDate = "20060102T150405Z"

// presign returns a Code.Location URL for the artifact at path (below
// /_selfguard/lambda/code/), valid for ten minutes of emulator time and
// only while the artifact still has the digest sha.
func (s *Service) presign(rc *reqCtx, path, sha string) string {
	date := rc.now.UTC().Format(amzDate)
	q := url.Values{}
	q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
	q.Set("X-Amz-Date", date)
	q.Set("X-Amz-Expires", strconv.Itoa(int(CodeURLValidity.Seconds())))
	q.Set("X-Amz-Signature", s.urlMAC(path, date, sha))
	return rc.base + "/_selfguard/lambda/code/" + path + "?" + q.Encode()
}

func (s *Service) urlMAC(path, date, sha string) string {
	m := hmac.New(sha256.New, s.urlKey)
	fmt.Fprintf(m, "%s\n%s\n%s", path, date, sha)
	return hex.EncodeToString(m.Sum(nil))
}

// adminHandler serves, below /_selfguard/lambda:
//
//	GET  /code/function/{name}/{version}  a function version's zip (Code.Location)
//	GET  /code/layer/{account}/{name}/{n} a layer version's zip (Content.Location)
//	POST /sign      {"profile", "zip": base64} → {"zip", "signingJobArn", "profileVersionArn"}
//	GET  /profiles  the signing profiles
//	POST /profiles  {"name", "signatureValidity": Go duration} creates a profile
//	POST /revoke    {"profile", "effectiveTime": RFC 3339, optional} revokes one
//	PUT  /s3/{bucket}/{key...}  stores an object for S3Bucket/S3Key code
//	GET|PUT /quotas {"getFunctionPerSecond", "controlPlanePerSecond", "getPolicyPerSecond"} (0 = unlimited; no getPolicyPerSecond: 15)
//	PUT  /update-delay {"updateDelayMs"}
func (s *Service) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /code/function/{name}/{version}", func(w http.ResponseWriter, r *http.Request) {
		s.serveCode(w, r, "function/"+r.PathValue("name")+"/"+r.PathValue("version"), func() *codeInfo {
			f := s.functions[r.PathValue("name")]
			if f == nil {
				return nil
			}
			if v := f.version(r.PathValue("version")); v != nil {
				return &v.Config.Code
			}
			return nil
		})
	})
	mux.HandleFunc("GET /code/layer/{account}/{name}/{n}", func(w http.ResponseWriter, r *http.Request) {
		path := "layer/" + r.PathValue("account") + "/" + r.PathValue("name") + "/" + r.PathValue("n")
		s.serveCode(w, r, path, func() *codeInfo {
			lv := s.layerVersionByARN(s.layerARN(r.PathValue("account"), r.PathValue("name")) + ":" + r.PathValue("n"))
			if lv == nil {
				return nil
			}
			return &lv.Code
		})
	})
	mux.HandleFunc("POST /sign", s.handleSign)
	mux.HandleFunc("GET /profiles", func(w http.ResponseWriter, _ *http.Request) {
		awsproto.WriteJSON(w, http.StatusOK, s.Profiles())
	})
	mux.HandleFunc("POST /profiles", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Name              string `json:"name"`
			SignatureValidity string `json:"signatureValidity"`
		}
		if !decodeAdmin(w, r, &in) {
			return
		}
		var validity time.Duration
		if in.SignatureValidity != "" {
			d, err := time.ParseDuration(in.SignatureValidity)
			if err != nil {
				adminError(w, http.StatusBadRequest, fmt.Errorf("signatureValidity: %w", err))
				return
			}
			validity = d
		}
		arn, err := s.AddProfile(in.Name, validity)
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		awsproto.WriteJSON(w, http.StatusCreated, map[string]string{"profileVersionArn": arn})
	})
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Profile       string    `json:"profile"`
			EffectiveTime time.Time `json:"effectiveTime"`
		}
		if !decodeAdmin(w, r, &in) {
			return
		}
		if err := s.RevokeProfile(in.Profile, in.EffectiveTime); err != nil {
			adminError(w, http.StatusNotFound, err)
			return
		}
		awsproto.WriteJSON(w, http.StatusOK, map[string]string{"status": ProfileRevoked})
	})
	mux.HandleFunc("PUT /s3/{bucket}/{key...}", func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(io.LimitReader(r.Body, 80<<20))
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		s.PutObject(r.PathValue("bucket"), r.PathValue("key"), data)
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /quotas", func(w http.ResponseWriter, _ *http.Request) {
		awsproto.WriteJSON(w, http.StatusOK, s.CurrentQuotas())
	})
	mux.HandleFunc("PUT /quotas", func(w http.ResponseWriter, r *http.Request) {
		var q Quotas
		if !decodeAdmin(w, r, &q) {
			return
		}
		if err := s.SetQuotas(q); err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		awsproto.WriteJSON(w, http.StatusOK, q)
	})
	mux.HandleFunc("PUT /update-delay", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			UpdateDelayMs int `json:"updateDelayMs"`
		}
		if !decodeAdmin(w, r, &in) {
			return
		}
		if in.UpdateDelayMs < 0 {
			adminError(w, http.StatusBadRequest, fmt.Errorf("updateDelayMs cannot be negative"))
			return
		}
		s.SetUpdateDelay(time.Duration(in.UpdateDelayMs) * time.Millisecond)
		awsproto.WriteJSON(w, http.StatusOK, in)
	})
	return mux
}

// PutObject stores an object that S3Bucket/S3Key code can name.
func (s *Service) PutObject(bucket, key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s3[bucket+"/"+key] = append([]byte(nil), data...)
}

// SetUpdateDelay sets how long creates and updates stay in progress.
func (s *Service) SetUpdateDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updateDelay = d
}

func (s *Service) serveCode(w http.ResponseWriter, r *http.Request, path string, find func() *codeInfo) {
	q := r.URL.Query()
	signedAt, err := time.Parse(amzDate, q.Get("X-Amz-Date"))
	if err != nil {
		s3Error(w, http.StatusForbidden, "AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format")
		return
	}
	s.mu.Lock()
	code := find()
	var zip []byte
	ok := code != nil && hmac.Equal([]byte(s.urlMAC(path, q.Get("X-Amz-Date"), code.Sha256)), []byte(q.Get("X-Amz-Signature")))
	if ok {
		zip = code.Zip
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s3Error(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	case s.env.Clock.Now().After(signedAt.Add(CodeURLValidity)):
		s3Error(w, http.StatusForbidden, "AccessDenied", "Request has expired")
	default:
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Length", strconv.Itoa(len(zip)))
		_, _ = w.Write(zip)
	}
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// SignRequest is the body of POST /sign: the zip to sign and the name of
// the signing profile to sign it with.
type SignRequest struct {
	Profile string `json:"profile"`
	Zip     []byte `json:"zip"`
}

// SignResponse is the answer to POST /sign.
type SignResponse struct {
	Zip               []byte `json:"zip"`
	SigningJobArn     string `json:"signingJobArn"`
	ProfileVersionArn string `json:"profileVersionArn"`
}

func (s *Service) handleSign(w http.ResponseWriter, r *http.Request) {
	var in SignRequest
	if !decodeAdmin(w, r, &in) {
		return
	}
	signed, job, err := s.Sign(in.Profile, in.Zip)
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	arn, _ := s.ProfileVersionARNOf(in.Profile)
	awsproto.WriteJSON(w, http.StatusOK, SignResponse{Zip: signed, SigningJobArn: job, ProfileVersionArn: arn})
}

func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 100<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		adminError(w, http.StatusBadRequest, fmt.Errorf("decode request: %w", err))
		return false
	}
	return true
}

func adminError(w http.ResponseWriter, status int, err error) {
	awsproto.WriteJSON(w, status, map[string]string{"error": err.Error()})
}
