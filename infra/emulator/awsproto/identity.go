package awsproto

import (
	"net/http"
	"regexp"
	"sort"
	"sync"
)

// Identity is a caller as CloudTrail's userIdentity records it.
type Identity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext is the session part of an assumed-role identity.
type SessionContext struct {
	SessionIssuer SessionIssuer     `json:"sessionIssuer"`
	Attributes    map[string]string `json:"attributes,omitempty"`
}

// SessionIssuer is the role behind an assumed-role session.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

// Actor is a named caller of the local account: an access key and the
// identity CloudTrail records for it, plus the source IP and user agent
// the demo shows.
type Actor struct {
	Name        string   `json:"name"`
	AccessKeyID string   `json:"accessKeyId"`
	SecretKey   string   `json:"secretAccessKey"`
	Identity    Identity `json:"identity"`
	SourceIP    string   `json:"sourceIPAddress,omitempty"`
}

// Identities maps access key ids to actors.
type Identities struct {
	mu     sync.RWMutex
	byKey  map[string]Actor
	byName map[string]Actor
}

// NewIdentities returns an empty identity table.
func NewIdentities() *Identities {
	return &Identities{byKey: map[string]Actor{}, byName: map[string]Actor{}}
}

// Add registers (or replaces) an actor.
func (ids *Identities) Add(a Actor) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if a.Identity.AccessKeyID == "" {
		a.Identity.AccessKeyID = a.AccessKeyID
	}
	ids.byKey[a.AccessKeyID] = a
	ids.byName[a.Name] = a
}

// ByName returns the actor with that name.
func (ids *Identities) ByName(name string) (Actor, bool) {
	ids.mu.RLock()
	defer ids.mu.RUnlock()
	a, ok := ids.byName[name]
	return a, ok
}

// All returns every actor.
func (ids *Identities) All() []Actor {
	ids.mu.RLock()
	defer ids.mu.RUnlock()
	out := make([]Actor, 0, len(ids.byKey))
	for _, a := range ids.byKey {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var credentialRE = regexp.MustCompile(`Credential=([^/\s,]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request`)

// Credential is what the SigV4 Authorization header says about the caller.
type Credential struct {
	AccessKeyID string
	Region      string
	Service     string
}

// ParseCredential reads the credential scope of a SigV4-signed request.
// Signatures are not verified: the emulator trusts its loopback callers and
// uses the key only to say who they are.
func ParseCredential(r *http.Request) (Credential, bool) {
	m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return Credential{}, false
	}
	return Credential{AccessKeyID: m[1], Region: m[3], Service: m[4]}, true
}

// Lookup returns the actor for an access key.
func (ids *Identities) Lookup(accessKeyID string) (Actor, bool) {
	ids.mu.RLock()
	defer ids.mu.RUnlock()
	a, ok := ids.byKey[accessKeyID]
	return a, ok
}
