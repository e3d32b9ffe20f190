package signeremu

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// Where Signer's calls show in CloudTrail and on EventBridge.
const (
	EventSource = "signer.amazonaws.com"
	BusSource   = "aws.signer"
)

// Service is the emulated AWS Signer API, a front to the signing state of
// a lambdaemu.Service.
type Service struct {
	env     *awsproto.Env
	signing *lambdaemu.Service
	routes  []route
}

// New returns a Signer API over the signing state of lambda.
func New(env *awsproto.Env, lambda *lambdaemu.Service) *Service {
	s := &Service{env: env, signing: lambda}
	s.routes = s.buildRoutes()
	return s
}

// SigningNames implements emulator.Service.
func (s *Service) SigningNames() []string { return []string{"signer"} }

// Admin implements emulator.Service: Signer has no admin routes; the
// Lambda ones (/_selfguard/lambda/sign, /profiles, /revoke) reach the same
// state.
func (s *Service) Admin() (string, http.Handler) { return "", nil }

// handler answers one operation: the status and body of a success, or an
// error.
type handler func(rc *reqCtx) (int, any, *awsproto.Error)

// route is one REST-JSON operation: method, path pattern with {label}
// segments, and whether CloudTrail counts it as a read.
type route struct {
	method string
	segs   []string
	op     string
	read   bool
	h      handler
}

// reqCtx is one request as a handler sees it.
type reqCtx struct {
	call   *awsproto.Call
	labels map[string]string
	query  url.Values
	body   []byte
	now    time.Time
}

func (rc *reqCtx) decode(v any) *awsproto.Error {
	if len(bytes.TrimSpace(rc.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(rc.body, v); err != nil {
		return validation("Could not parse the request body: %v", err)
	}
	return nil
}

func (s *Service) buildRoutes() []route {
	r := func(method, path, op string, read bool, h handler) route {
		return route{method: method, segs: strings.Split(strings.Trim(path, "/"), "/"), op: op, read: read, h: h}
	}
	return []route{
		r("PUT", "/signing-profiles/{profileName}", "PutSigningProfile", false, s.putProfile),
		r("GET", "/signing-profiles/{profileName}", "GetSigningProfile", true, s.getProfile),
		r("DELETE", "/signing-profiles/{profileName}", "CancelSigningProfile", false, s.cancelProfile),
		r("PUT", "/signing-profiles/{profileName}/revoke", "RevokeSigningProfile", false, s.revokeProfile),
		r("GET", "/signing-profiles", "ListSigningProfiles", true, s.listProfiles),
		r("POST", "/signing-jobs", "StartSigningJob", false, s.startJob),
		r("GET", "/signing-jobs", "ListSigningJobs", true, s.listJobs),
		r("GET", "/signing-jobs/{jobId}", "DescribeSigningJob", true, s.describeJob),
		r("PUT", "/signing-jobs/{jobId}/revoke", "RevokeSignature", false, s.revokeSignature),
		r("GET", "/revocations", "GetRevocationStatus", true, s.revocationStatus),
	}
}

// match finds the route of a request and its path labels.
func (s *Service) match(r *http.Request) (*route, map[string]string) {
	raw := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	segs := make([]string, len(raw))
	for i, p := range raw {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, nil
		}
		segs[i] = u
	}
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != r.Method || len(rt.segs) != len(segs) {
			continue
		}
		labels := map[string]string{}
		ok := true
		for j, p := range rt.segs {
			if strings.HasPrefix(p, "{") {
				labels[strings.Trim(p, "{}")] = segs[j]
			} else if p != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, labels
		}
	}
	return nil, nil
}

// ServeAWS implements emulator.Service: fault injection, the operation,
// the call log and the trail. Signer's own per-API quotas are not modelled,
// as for CodeCommit and CodeGuru Reviewer.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, call *awsproto.Call) {
	rt, labels := s.match(r)
	if rt == nil {
		s.env.Calls.Add(call.Service, "Unknown", "", http.StatusNotFound)
		writeError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path))
		return
	}
	call.Operation = rt.op
	rc := &reqCtx{call: call, labels: labels, query: r.URL.Query()}
	status, resp, aerr := s.run(rt, rc, r.Body)
	if aerr != nil {
		writeError(w, aerr)
		status = aerr.Status
	} else {
		awsproto.WriteJSON(w, status, resp)
	}
	s.env.Calls.Add(call.Service, rt.op, "", status)
	s.record(rt, rc, resp, aerr)
}

func (s *Service) run(rt *route, rc *reqCtx, body io.Reader) (int, any, *awsproto.Error) {
	b, err := io.ReadAll(io.LimitReader(body, 1<<20))
	rc.body = b
	if err != nil {
		return 0, nil, validation("read body: %v", err)
	}
	if ferr := s.env.Faults.Apply(rc.call.Service, rt.op); ferr != nil {
		return 0, nil, ferr
	}
	rc.now = s.env.Clock.Now()
	return rt.h(rc)
}

// writeError answers as Signer does: the code in X-Amzn-ErrorType, the
// message in the body.
func writeError(w http.ResponseWriter, e *awsproto.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
}

func validation(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

func notFound(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

// signingError answers an error of lambdaemu's signing state. Signer's
// documented errors for these operations have no conflict: a reused name
// or a second revocation is a ValidationException.
func signingError(err error) *awsproto.Error {
	if errors.Is(err, lambdaemu.ErrSigningNotFound) {
		return notFound("%v", err)
	}
	return validation("%v", err)
}

// record writes the call to the trail: requestParameters are the path
// labels, query parameters and body under the API's member names, and
// responseElements the answer (null for the operations that answer with an
// empty body).
func (s *Service) record(rt *route, rc *reqCtx, resp any, err *awsproto.Error) {
	entry := awsproto.Entry{EventSource: EventSource, BusSource: BusSource, EventName: rt.op, ReadOnly: rt.read,
		Request: requestParameters(rc), Err: err}
	if err == nil && resp != nil {
		if m, ok := resp.(map[string]any); !ok || len(m) > 0 {
			entry.Response = resp
		}
	}
	s.env.Trail.Record(rc.call, entry)
}

func requestParameters(rc *reqCtx) map[string]any {
	params := map[string]any{}
	if len(rc.body) > 0 {
		_ = json.Unmarshal(rc.body, &params)
	}
	for k, v := range rc.labels {
		params[k] = v
	}
	for k, vs := range rc.query {
		if len(vs) == 1 && k != "certificateHashes" && k != "statuses" {
			params[k] = vs[0]
		} else {
			params[k] = vs
		}
	}
	if len(params) == 0 {
		return nil
	}
	return params
}

// epoch is a timestamp as REST-JSON carries it: seconds since the epoch.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
