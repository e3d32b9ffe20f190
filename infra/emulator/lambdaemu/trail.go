package lambdaemu

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

var errNegativeQuota = errors.New("lambda quotas: a quota cannot be negative")

// Where Lambda's calls show in CloudTrail and on EventBridge.
const (
	EventSource = "lambda.amazonaws.com"
	BusSource   = "aws.lambda"
)

// record writes the call to the trail. Reads are marked read-only (the
// trail drops them unless it records reads). Like CloudTrail, it never
// records code bytes or environment variable values.
func (s *Service) record(rt *route, rc *reqCtx, resp any, err *awsproto.Error) {
	entry := awsproto.Entry{
		EventSource: EventSource, BusSource: BusSource, EventName: rt.event, ReadOnly: rt.read,
		Request: requestParameters(rt, rc), Err: err,
	}
	if err == nil && resp != nil {
		entry.Response = trailTimes(camelize(resp))
	}
	s.env.Trail.Record(rc.call, entry)
}

// labelParams maps path labels to their requestParameters names.
var labelParams = map[string]string{
	"FunctionName": "functionName", "Name": "name", "CodeSigningConfigArn": "codeSigningConfigArn",
	"Resource": "resource", "LayerName": "layerName", "VersionNumber": "versionNumber",
	"StatementId": "statementId", "UUID": "uUID",
}

func requestParameters(rt *route, rc *reqCtx) map[string]any {
	params := map[string]any{}
	var body map[string]any
	if len(rc.body) > 0 && json.Unmarshal(rc.body, &body) == nil {
		if m, ok := camelize(body).(map[string]any); ok {
			params = m
		}
	}
	for k, v := range rc.labels {
		if p := labelParams[k]; p != "" {
			params[p] = v
		}
	}
	// CloudTrail records a layer's version number as the number it is.
	if n, err := strconv.ParseInt(rc.labels["VersionNumber"], 10, 64); err == nil {
		params["versionNumber"] = n
	}
	for _, k := range []string{"Qualifier", "FunctionVersion", "Marker", "MaxItems", "Arn", "RevisionId", "FunctionName", "EventSourceArn"} {
		if v := rc.query.Get(k); v != "" {
			params[lowerFirst(k)] = v
		}
	}
	if keys := rc.query["tagKeys"]; len(keys) > 0 {
		params["tagKeys"] = keys
	}
	if len(params) == 0 {
		return nil
	}
	return params
}

// camelize turns a response or request (any JSON-marshalable value) into
// CloudTrail's shape: keys with a lower-case first letter, zipFile removed,
// environment shown as {}. Map keys the user chose (tags, weights) are kept.
func camelize(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var generic any
	if json.Unmarshal(raw, &generic) != nil {
		return nil
	}
	return camelValue(generic, "")
}

func camelValue(v any, parent string) any {
	switch t := v.(type) {
	case map[string]any:
		keepKeys := parent == "tags" || parent == "additionalVersionWeights" || parent == "variables"
		out := make(map[string]any, len(t))
		for k, val := range t {
			key := k
			if !keepKeys {
				key = lowerFirst(k)
			}
			switch {
			case key == "zipFile" && !keepKeys:
				continue
			case key == "environment" && !keepKeys:
				out[key] = map[string]any{}
				continue
			}
			out[key] = camelValue(val, key)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = camelValue(e, parent)
		}
		return out
	default:
		return v
	}
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + strings.TrimPrefix(s[n:], "")
}

// mappingTimeFormat is how CloudTrail writes an event source mapping's
// lastModified, which the API sends as epoch seconds.
const mappingTimeFormat = "Jan 2, 2006, 3:04:05 PM"

// trailTimes rewrites the epoch-seconds lastModified of an event source
// mapping (the only Lambda response that has one) as CloudTrail shows it.
func trailTimes(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if _, isMapping := m["uUID"]; !isMapping {
		return v
	}
	if secs, ok := m["lastModified"].(float64); ok {
		m["lastModified"] = time.UnixMilli(int64(secs * 1000)).UTC().Format(mappingTimeFormat)
	}
	return m
}
