package awsproto

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Call is one request to an emulated service, as far as CloudTrail cares.
type Call struct {
	Service   string // the SigV4 signing name: lambda, codecommit, codeguru-reviewer
	Operation string // the API operation, e.g. UpdateFunctionCode
	Region    string
	Account   string
	Actor     Actor
	RequestID string
	UserAgent string
	Time      time.Time
}

// Entry is what a service asks the trail to record about a call.
type Entry struct {
	EventSource string // e.g. lambda.amazonaws.com
	BusSource   string // e.g. aws.lambda
	EventName   string // the CloudTrail name, with Lambda's version suffix
	ReadOnly    bool
	Request     any
	Response    any
	Err         *Error
	Resources   []TrailResource
	APIVersion  string
}

// TrailResource is an entry of a record's resources list.
type TrailResource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// Event is a recorded call: a sequence number and the EventBridge event AWS
// would deliver for it.
type Event struct {
	Seq   int64           `json:"seq"`
	Event json.RawMessage `json:"event"`
}

// Trail is the emulator's CloudTrail: every recorded call in order, and
// subscribers that receive each as it is recorded.
type Trail struct {
	mu     sync.Mutex
	events []Event
	subs   map[int]chan Event
	nextID int
	// RecordReads records read-only calls too; off by default, as most
	// EventBridge rules never see them.
	RecordReads bool
}

// NewTrail returns an empty trail.
func NewTrail() *Trail { return &Trail{subs: map[int]chan Event{}} }

// NewID returns a random UUID, as CloudTrail uses for event and request ids.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Record appends the call to the trail and hands it to the subscribers.
func (t *Trail) Record(c *Call, e Entry) {
	if e.ReadOnly && !t.RecordReads {
		return
	}
	readOnly := e.ReadOnly
	mgmt := true
	detail := map[string]any{
		"eventVersion":       "1.08",
		"userIdentity":       recordedIdentity(c.Actor.Identity, c.Time),
		"eventTime":          c.Time.UTC().Format(time.RFC3339),
		"eventSource":        e.EventSource,
		"eventName":          e.EventName,
		"awsRegion":          c.Region,
		"sourceIPAddress":    orDefault(c.Actor.SourceIP, "127.0.0.1"),
		"userAgent":          c.UserAgent,
		"requestParameters":  e.Request,
		"responseElements":   e.Response,
		"requestID":          c.RequestID,
		"eventID":            NewID(),
		"readOnly":           readOnly,
		"eventType":          "AwsApiCall",
		"managementEvent":    mgmt,
		"recipientAccountId": c.Account,
		"eventCategory":      "Management",
	}
	if e.Err != nil {
		detail["errorCode"] = e.Err.Code
		detail["errorMessage"] = e.Err.Message
		detail["responseElements"] = nil
	}
	if len(e.Resources) > 0 {
		detail["resources"] = e.Resources
	}
	if e.APIVersion != "" {
		detail["apiVersion"] = e.APIVersion
	}
	env := map[string]any{
		"version":     "0",
		"id":          NewID(),
		"detail-type": "AWS API Call via CloudTrail",
		"source":      e.BusSource,
		"account":     c.Account,
		"time":        c.Time.UTC().Format(time.RFC3339),
		"region":      c.Region,
		"resources":   []string{},
		"detail":      detail,
	}
	raw, err := json.Marshal(env)
	if err != nil {
		panic(fmt.Sprintf("awsproto: marshal trail event: %v", err)) // only our own values are marshalled
	}
	t.mu.Lock()
	ev := Event{Seq: int64(len(t.events) + 1), Event: raw}
	t.events = append(t.events, ev)
	subs := make([]chan Event, 0, len(t.subs))
	for _, ch := range t.subs {
		subs = append(subs, ch)
	}
	t.mu.Unlock()
	for _, ch := range subs {
		select {
		case ch <- ev:
		default: // a slow subscriber reads the rest with Since
		}
	}
}

// Since returns the events after sequence number seq.
func (t *Trail) Since(seq int64) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq < 0 {
		seq = 0
	}
	if seq >= int64(len(t.events)) {
		return nil
	}
	return append([]Event(nil), t.events[seq:]...)
}

// Subscribe returns a channel that receives every event recorded from now on,
// and a function that ends the subscription.
func (t *Trail) Subscribe(buffer int) (<-chan Event, func()) {
	ch := make(chan Event, buffer)
	t.mu.Lock()
	id := t.nextID
	t.nextID++
	t.subs[id] = ch
	t.mu.Unlock()
	return ch, func() {
		t.mu.Lock()
		delete(t.subs, id)
		t.mu.Unlock()
	}
}

// recordedIdentity is the userIdentity a record carries. Every real
// AssumedRole record has sessionContext.attributes with creationDate and
// mfaAuthenticated, so they are filled in here, for any actor, rather than
// left to whoever defines it. The session is taken to have begun at the top
// of the call's hour: its creationDate stays the same across the session's
// calls and never follows the eventTime, as a real session's does. The
// actor's own identity is shared, so it is copied, never changed.
func recordedIdentity(id Identity, at time.Time) Identity {
	if id.Type != "AssumedRole" {
		return id
	}
	sc := SessionContext{SessionIssuer: issuerOf(id)}
	if id.SessionContext != nil {
		sc.SessionIssuer = id.SessionContext.SessionIssuer
	}
	sc.Attributes = map[string]string{}
	if id.SessionContext != nil {
		for k, v := range id.SessionContext.Attributes {
			sc.Attributes[k] = v
		}
	}
	if sc.Attributes["creationDate"] == "" {
		sc.Attributes["creationDate"] = at.UTC().Truncate(time.Hour).Format(time.RFC3339)
	}
	if sc.Attributes["mfaAuthenticated"] == "" {
		sc.Attributes["mfaAuthenticated"] = "false"
	}
	id.SessionContext = &sc
	return id
}

// issuerOf derives the role behind an assumed-role ARN
// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) for an actor defined
// without a sessionContext.
func issuerOf(id Identity) SessionIssuer {
	p := strings.SplitN(id.ARN, ":", 6)
	if len(p) != 6 || !strings.HasPrefix(p[5], "assumed-role/") {
		return SessionIssuer{Type: "Role"}
	}
	role, _, _ := strings.Cut(strings.TrimPrefix(p[5], "assumed-role/"), "/")
	principal, _, _ := strings.Cut(id.PrincipalID, ":")
	return SessionIssuer{Type: "Role", PrincipalID: principal, ARN: fmt.Sprintf("arn:%s:iam::%s:role/%s", p[1], p[4], role),
		AccountID: p[4], UserName: role}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
