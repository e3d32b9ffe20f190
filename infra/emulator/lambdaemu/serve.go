package lambdaemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// handler answers one operation. It runs with s.mu held and returns the
// HTTP status and body of a success, or an error.
type handler func(rc *reqCtx) (int, any, *awsproto.Error)

// route is one REST-JSON operation: method, path pattern ({Label}
// segments), an optional required query (key=value) and what CloudTrail
// calls it.
type route struct {
	method string
	segs   []string
	query  [2]string
	op     string
	event  string
	read   bool
	h      handler
}

// reqCtx is one request as a handler sees it.
type reqCtx struct {
	r      *http.Request
	call   *awsproto.Call
	labels map[string]string
	query  url.Values
	body   []byte
	now    time.Time
	base   string
}

func (rc *reqCtx) decode(v any) *awsproto.Error {
	if len(bytes.TrimSpace(rc.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(rc.body, v); err != nil {
		return awsproto.Errorf(400, "InvalidRequestContentException", "Could not parse request body into json: %v", err)
	}
	return nil
}

func (s *Service) buildRoutes() []route {
	r := func(method, path, op, event string, read bool, h handler) route {
		rt := route{method: method, op: op, event: event, read: read, h: h}
		if i := strings.IndexByte(path, '?'); i >= 0 {
			kv := strings.SplitN(path[i+1:], "=", 2)
			rt.query = [2]string{kv[0], kv[1]}
			path = path[:i]
		}
		rt.segs = strings.Split(strings.Trim(path, "/"), "/")
		return rt
	}
	const fn = "/2015-03-31/functions/{FunctionName}"
	return append([]route{
		r("POST", "/2015-03-31/functions", "CreateFunction", "CreateFunction20150331", false, s.createFunction),
		r("GET", "/2015-03-31/functions", "ListFunctions", "ListFunctions20150331", true, s.listFunctions),
		r("GET", fn, "GetFunction", "GetFunction20150331v2", true, s.getFunction),
		r("DELETE", fn, "DeleteFunction", "DeleteFunction20150331", false, s.deleteFunction),
		r("GET", fn+"/configuration", "GetFunctionConfiguration", "GetFunctionConfiguration20150331v2", true, s.getFunctionConfiguration),
		r("PUT", fn+"/configuration", "UpdateFunctionConfiguration", "UpdateFunctionConfiguration20150331v2", false, s.updateFunctionConfiguration),
		r("PUT", fn+"/code", "UpdateFunctionCode", "UpdateFunctionCode20150331v2", false, s.updateFunctionCode),
		r("POST", fn+"/versions", "PublishVersion", "PublishVersion20150331", false, s.publishVersion),
		r("GET", fn+"/versions", "ListVersionsByFunction", "ListVersionsByFunction20150331", true, s.listVersions),
		r("POST", fn+"/aliases", "CreateAlias", "CreateAlias20150331", false, s.createAlias),
		r("GET", fn+"/aliases", "ListAliases", "ListAliases20150331", true, s.listAliases),
		r("GET", fn+"/aliases/{Name}", "GetAlias", "GetAlias20150331", true, s.getAlias),
		r("PUT", fn+"/aliases/{Name}", "UpdateAlias", "UpdateAlias20150331", false, s.updateAlias),
		r("DELETE", fn+"/aliases/{Name}", "DeleteAlias", "DeleteAlias20150331", false, s.deleteAlias),
		r("PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency", "PutFunctionConcurrency20171031", false, s.putConcurrency),
		r("DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency", "DeleteFunctionConcurrency20171031", false, s.deleteConcurrency),
		r("GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency", "GetFunctionConcurrency20190930", true, s.getConcurrency),
		r("POST", "/2020-04-22/code-signing-configs", "CreateCodeSigningConfig", "CreateCodeSigningConfig", false, s.createCSC),
		r("GET", "/2020-04-22/code-signing-configs", "ListCodeSigningConfigs", "ListCodeSigningConfigs", true, s.listCSCs),
		r("GET", "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", "GetCodeSigningConfig", "GetCodeSigningConfig", true, s.getCSC),
		r("PUT", "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", "UpdateCodeSigningConfig", "UpdateCodeSigningConfig", false, s.updateCSC),
		r("DELETE", "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", "DeleteCodeSigningConfig", "DeleteCodeSigningConfig", false, s.deleteCSC),
		r("GET", "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}/functions", "ListFunctionsByCodeSigningConfig", "ListFunctionsByCodeSigningConfig", true, s.listFunctionsByCSC),
		r("PUT", "/2020-06-30/functions/{FunctionName}/code-signing-config", "PutFunctionCodeSigningConfig", "PutFunctionCodeSigningConfig", false, s.putFunctionCSC),
		r("GET", "/2020-06-30/functions/{FunctionName}/code-signing-config", "GetFunctionCodeSigningConfig", "GetFunctionCodeSigningConfig", true, s.getFunctionCSC),
		r("DELETE", "/2020-06-30/functions/{FunctionName}/code-signing-config", "DeleteFunctionCodeSigningConfig", "DeleteFunctionCodeSigningConfig", false, s.deleteFunctionCSC),
		r("GET", "/2017-03-31/tags/{Resource}", "ListTags", "ListTags20170331", true, s.listTags),
		r("POST", "/2017-03-31/tags/{Resource}", "TagResource", "TagResource20170331v2", false, s.tagResource),
		r("DELETE", "/2017-03-31/tags/{Resource}", "UntagResource", "UntagResource20170331v2", false, s.untagResource),
		r("GET", "/2018-10-31/layers?find=LayerVersion", "GetLayerVersionByArn", "GetLayerVersionByArn20181031", true, s.getLayerVersionByArn),
		r("POST", "/2018-10-31/layers/{LayerName}/versions", "PublishLayerVersion", "PublishLayerVersion20181031", false, s.publishLayerVersion),
		r("GET", "/2018-10-31/layers/{LayerName}/versions", "ListLayerVersions", "ListLayerVersions20181031", true, s.listLayerVersions),
		r("GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "GetLayerVersion", "GetLayerVersion20181031", true, s.getLayerVersion),
	}, s.exposureRoutes(r)...)
}

// exposureRoutes are the operations that expose a function to callers:
// resource-based policies, function URLs, layer permissions, event source
// mappings and the recursive loop setting. Function URL and recursion
// events carry no version suffix in CloudTrail; the others do.
func (s *Service) exposureRoutes(r func(method, path, op, event string, read bool, h handler) route) []route {
	const (
		fn    = "/2015-03-31/functions/{FunctionName}"
		url   = "/2021-10-31/functions/{FunctionName}/url"
		layer = "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy"
		esm   = "/2015-03-31/event-source-mappings"
		loop  = "/2024-08-31/functions/{FunctionName}/recursion-config"
	)
	return []route{
		r("POST", fn+"/policy", "AddPermission", "AddPermission20150331v2", false, s.addPermission),
		r("GET", fn+"/policy", "GetPolicy", "GetPolicy20150331v2", true, s.getPolicy),
		r("DELETE", fn+"/policy/{StatementId}", "RemovePermission", "RemovePermission20150331v2", false, s.removePermission),
		r("POST", url, "CreateFunctionUrlConfig", "CreateFunctionUrlConfig", false, s.createFunctionURL),
		r("GET", url, "GetFunctionUrlConfig", "GetFunctionUrlConfig", true, s.getFunctionURL),
		r("PUT", url, "UpdateFunctionUrlConfig", "UpdateFunctionUrlConfig", false, s.updateFunctionURL),
		r("DELETE", url, "DeleteFunctionUrlConfig", "DeleteFunctionUrlConfig", false, s.deleteFunctionURL),
		r("GET", "/2021-10-31/functions/{FunctionName}/urls", "ListFunctionUrlConfigs", "ListFunctionUrlConfigs", true, s.listFunctionURLs),
		r("GET", "/2018-10-31/layers", "ListLayers", "ListLayers20181031", true, s.listLayers),
		r("POST", layer, "AddLayerVersionPermission", "AddLayerVersionPermission20181031", false, s.addLayerVersionPermission),
		r("GET", layer, "GetLayerVersionPolicy", "GetLayerVersionPolicy20181031", true, s.getLayerVersionPolicy),
		r("DELETE", layer+"/{StatementId}", "RemoveLayerVersionPermission", "RemoveLayerVersionPermission20181031", false, s.removeLayerVersionPermission),
		r("POST", esm, "CreateEventSourceMapping", "CreateEventSourceMapping20150331", false, s.createMapping),
		r("GET", esm, "ListEventSourceMappings", "ListEventSourceMappings20150331", true, s.listMappings),
		r("GET", esm+"/{UUID}", "GetEventSourceMapping", "GetEventSourceMapping20150331", true, s.getMapping),
		r("PUT", esm+"/{UUID}", "UpdateEventSourceMapping", "UpdateEventSourceMapping20150331", false, s.updateMapping),
		r("DELETE", esm+"/{UUID}", "DeleteEventSourceMapping", "DeleteEventSourceMapping20150331", false, s.deleteMapping),
		r("PUT", loop, "PutFunctionRecursionConfig", "PutFunctionRecursionConfig", false, s.putRecursionConfig),
		r("GET", loop, "GetFunctionRecursionConfig", "GetFunctionRecursionConfig", true, s.getRecursionConfig),
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
	q := r.URL.Query()
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != r.Method || len(rt.segs) != len(segs) {
			continue
		}
		if rt.query[0] != "" && q.Get(rt.query[0]) != rt.query[1] {
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

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// ServeAWS implements emulator.Service. Every call goes through the same
// steps: fault injection, the quota bucket, the operation, the call log and
// the trail.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, call *awsproto.Call) {
	rt, labels := s.match(r)
	if rt == nil {
		s.env.Calls.Add("lambda", "Unknown", "", http.StatusNotFound)
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException",
			"Unknown operation %s %s", r.Method, r.URL.Path))
		return
	}
	call.Operation = rt.op
	body, err := io.ReadAll(io.LimitReader(r.Body, 80<<20))
	if err != nil {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(400, "InvalidRequestContentException", "read body: %v", err))
		return
	}
	rc := &reqCtx{r: r, call: call, labels: labels, query: r.URL.Query(), body: body, base: s.baseURL(r)}
	bucket := bucketOf(rt.op)
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	status, resp, aerr := s.run(rt, rc, bucket)
	if aerr != nil {
		writeError(sw, aerr)
	} else {
		writeOK(sw, status, s.environmentFor(rc.call.Actor, resp))
	}
	s.env.Calls.Add("lambda", rt.op, bucket, sw.status)
	s.record(rt, rc, resp, aerr)
}

func (s *Service) run(rt *route, rc *reqCtx, bucket string) (int, any, *awsproto.Error) {
	if ferr := s.env.Faults.Apply("lambda", rt.op); ferr != nil {
		return 0, nil, ferr
	}
	rc.now = s.env.Clock.Now()
	b := s.bucket(bucket)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !b.Take(rc.now) {
		return 0, nil, throttled()
	}
	return rt.h(rc)
}

func writeOK(w http.ResponseWriter, status int, resp any) {
	if status == http.StatusNoContent || resp == nil {
		w.WriteHeader(status)
		return
	}
	awsproto.WriteJSON(w, status, resp)
}

// writeError answers an error; a throttle also carries Reason and
// Retry-After as Lambda's TooManyRequestsException does.
func writeError(w http.ResponseWriter, e *awsproto.Error) {
	if e.Status != http.StatusTooManyRequests {
		awsproto.WriteRESTJSONError(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"message": e.Message, "Message": e.Message, "Type": "User", "Reason": "CallerRateLimitExceeded",
	})
}

// baseURL is where this emulator is reached, for the URLs it hands out.
func (s *Service) baseURL(r *http.Request) string {
	if s.env.BaseURL != "" {
		return s.env.BaseURL
	}
	return "http://" + r.Host
}
