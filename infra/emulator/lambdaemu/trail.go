package lambdaemu

import (
	"encoding/json"
	"errors"
	"strings"
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
		entry.Response = camelize(resp)
	}
	s.env.Trail.Record(rc.call, entry)
}

// labelParams maps path labels to their requestParameters names.
var labelParams = map[string]string{
	"FunctionName": "functionName", "Name": "name", "CodeSigningConfigArn": "codeSigningConfigArn",
	"Resource": "resource", "LayerName": "layerName", "VersionNumber": "versionNumber",
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
	for _, k := range []string{"Qualifier", "FunctionVersion", "Marker", "MaxItems", "Arn"} {
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
