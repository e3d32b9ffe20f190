package loadtest

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

// Quota buckets of Lambda's control plane, as the emulator names them.
const (
	BucketControlPlane = "control-plane"
	BucketGetFunction  = "get-function"
	// BucketOther holds calls to other services (AWS Signer): none of
	// Lambda's quotas.
	BucketOther = "other"
)

// Error messages the emulator answers with: a quota throttle and an
// injected fault (whatever its code).
const (
	msgRateExceeded = "Rate exceeded"
	msgInjected     = "injected fault"
)

// Call is one Lambda API call as the emulator's trail recorded it (reads
// included when the trail records them).
type Call struct {
	EventID   string // the CloudTrail event id
	Time      time.Time
	Operation string // normalised: UpdateFunctionCode, not ...20150331v2
	Source    string // eventSource: lambda.amazonaws.com, signer.amazonaws.com
	Function  string // requestParameters.functionName, "" if none
	Issuer    string // the session issuer's ARN, or the identity's ARN
	ReadOnly  bool
	ErrorCode string
	ErrorMsg  string
}

// Bucket is the quota bucket the call drew on.
func (c Call) Bucket() string {
	if c.Source != "" && c.Source != cloudtrail.SourceLambda {
		return BucketOther
	}
	if c.Operation == "GetFunction" {
		return BucketGetFunction
	}
	return BucketControlPlane
}

// Throttled reports whether the quota refused the call (not an injected 429).
func (c Call) Throttled() bool {
	return c.ErrorCode == "TooManyRequestsException" && c.ErrorMsg == msgRateExceeded
}

// Injected reports whether the emulator's fault injection failed the call.
func (c Call) Injected() bool { return c.ErrorMsg == msgInjected }

// Write reports whether the call changed something: a write that succeeded.
func (c Call) Write() bool { return !c.ReadOnly && c.ErrorCode == "" }

// ParseCalls decodes the trail's events.
func ParseCalls(events []awsproto.Event) ([]Call, error) {
	out := make([]Call, 0, len(events))
	for _, ev := range events {
		var env struct {
			Detail struct {
				EventID      string    `json:"eventID"`
				EventTime    time.Time `json:"eventTime"`
				EventName    string    `json:"eventName"`
				EventSource  string    `json:"eventSource"`
				ReadOnly     bool      `json:"readOnly"`
				ErrorCode    string    `json:"errorCode"`
				ErrorMessage string    `json:"errorMessage"`
				UserIdentity struct {
					ARN            string `json:"arn"`
					SessionContext *struct {
						SessionIssuer struct {
							ARN string `json:"arn"`
						} `json:"sessionIssuer"`
					} `json:"sessionContext"`
				} `json:"userIdentity"`
				RequestParameters struct {
					FunctionName string `json:"functionName"`
				} `json:"requestParameters"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(ev.Event, &env); err != nil {
			return nil, fmt.Errorf("decode trail event %d: %w", ev.Seq, err)
		}
		d := env.Detail
		issuer := d.UserIdentity.ARN
		if d.UserIdentity.SessionContext != nil && d.UserIdentity.SessionContext.SessionIssuer.ARN != "" {
			issuer = d.UserIdentity.SessionContext.SessionIssuer.ARN
		}
		out = append(out, Call{
			EventID: d.EventID, Time: d.EventTime, Operation: string(cloudtrail.Normalize(d.EventName)), Source: d.EventSource, Function: d.RequestParameters.FunctionName,
			Issuer: issuer, ReadOnly: d.ReadOnly, ErrorCode: d.ErrorCode, ErrorMsg: d.ErrorMessage,
		})
	}
	return out, nil
}

// BucketUse is what one party took from one quota bucket.
type BucketUse struct {
	Party  string `json:"party"`
	Bucket string `json:"bucket"`
	// Calls are all attempts; Admitted the ones the quota let through
	// (neither throttled nor failed by an injected fault before the quota).
	Calls     int `json:"calls"`
	Admitted  int `json:"admitted"`
	Throttled int `json:"throttled"`
	Injected  int `json:"injected"`
	// PeakPerSecond is the most calls admitted in one second of event time.
	PeakPerSecond int `json:"peakPerSecond"`
}

// Usage tallies calls per party (named by party) and bucket, sorted.
func Usage(calls []Call, party func(Call) string) []BucketUse {
	type key struct{ p, b string }
	m := map[key]*BucketUse{}
	perSec := map[key]map[int64]int{}
	for _, c := range calls {
		k := key{party(c), c.Bucket()}
		u := m[k]
		if u == nil {
			u = &BucketUse{Party: k.p, Bucket: k.b}
			m[k] = u
			perSec[k] = map[int64]int{}
		}
		u.Calls++
		switch {
		case c.Throttled():
			u.Throttled++
		case c.Injected():
			u.Injected++
		default:
			u.Admitted++
			perSec[k][c.Time.Unix()]++
		}
	}
	out := make([]BucketUse, 0, len(m))
	for k, u := range m {
		for _, n := range perSec[k] {
			u.PeakPerSecond = max(u.PeakPerSecond, n)
		}
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Party != out[j].Party {
			return out[i].Party < out[j].Party
		}
		return out[i].Bucket < out[j].Bucket
	})
	return out
}

// WritesBy counts the successful writes of one issuer per function and
// operation: function -> operation -> count.
func WritesBy(calls []Call, issuer string) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, c := range calls {
		if c.Issuer != issuer || !c.Write() {
			continue
		}
		if out[c.Function] == nil {
			out[c.Function] = map[string]int{}
		}
		out[c.Function][c.Operation]++
	}
	return out
}
