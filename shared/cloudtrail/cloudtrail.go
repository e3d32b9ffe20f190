package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DetailType is the EventBridge detail type of CloudTrail management events.
const DetailType = "AWS API Call via CloudTrail"

// Event sources, as they appear in a record's eventSource.
const (
	SourceLambda     = "lambda.amazonaws.com"
	SourceCodeCommit = "codecommit.amazonaws.com"
	SourceCodeGuru   = "codeguru-reviewer.amazonaws.com"
)

// EventBridge sources, as they appear in the envelope's source.
const (
	BusSourceLambda     = "aws.lambda"
	BusSourceCodeCommit = "aws.codecommit"
	BusSourceCodeGuru   = "aws.codeguru-reviewer"
)

// Operation is an API operation name with any CloudTrail version suffix removed.
type Operation string

// Lambda operations the guards react to.
const (
	CreateFunction                  Operation = "CreateFunction"
	UpdateFunctionCode              Operation = "UpdateFunctionCode"
	UpdateFunctionConfiguration     Operation = "UpdateFunctionConfiguration"
	PublishVersion                  Operation = "PublishVersion"
	CreateAlias                     Operation = "CreateAlias"
	UpdateAlias                     Operation = "UpdateAlias"
	DeleteFunction                  Operation = "DeleteFunction"
	PublishLayerVersion             Operation = "PublishLayerVersion"
	PutFunctionConcurrency          Operation = "PutFunctionConcurrency"
	DeleteFunctionConcurrency       Operation = "DeleteFunctionConcurrency"
	PutFunctionCodeSigningConfig    Operation = "PutFunctionCodeSigningConfig"
	DeleteFunctionCodeSigningConfig Operation = "DeleteFunctionCodeSigningConfig"
	CreateCodeSigningConfig         Operation = "CreateCodeSigningConfig"
	UpdateCodeSigningConfig         Operation = "UpdateCodeSigningConfig"
	DeleteCodeSigningConfig         Operation = "DeleteCodeSigningConfig"
)

// CodeCommit and CodeGuru Reviewer operations the guards react to.
const (
	CreateRepository                               Operation = "CreateRepository"
	DeleteRepository                               Operation = "DeleteRepository"
	CreateApprovalRuleTemplate                     Operation = "CreateApprovalRuleTemplate"
	AssociateApprovalRuleTemplateWithRepository    Operation = "AssociateApprovalRuleTemplateWithRepository"
	DisassociateApprovalRuleTemplateFromRepository Operation = "DisassociateApprovalRuleTemplateFromRepository"
	DeleteApprovalRuleTemplate                     Operation = "DeleteApprovalRuleTemplate"
	UpdateApprovalRuleTemplateContent              Operation = "UpdateApprovalRuleTemplateContent"
	AssociateRepository                            Operation = "AssociateRepository"
	DisassociateRepository                         Operation = "DisassociateRepository"
)

// Normalize returns the API operation an event name stands for:
// "UpdateFunctionCode20150331v2" and "UpdateFunctionCode20150331" both give
// "UpdateFunctionCode". Names without a suffix are returned unchanged. The
// suffix is the date and revision Lambda appends (20150331, 20150331v2,
// 20171031, 20181031): 20, six digits, optionally v and digits, at the end.
// It is matched by hand: a package-level regular expression would compile
// at every cold start.
func Normalize(eventName string) Operation {
	s := eventName
	if i := strings.LastIndexByte(s, 'v'); i >= 0 && i < len(s)-1 && digits(s[i+1:]) {
		s = s[:i]
	}
	if n := len(s); n >= 8 && s[n-8:n-6] == "20" && digits(s[n-6:]) {
		return Operation(s[:n-8])
	}
	return Operation(eventName)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// Envelope is the EventBridge event around a CloudTrail record.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Record is a CloudTrail record: what EventBridge puts under detail. Request
// parameters and response elements stay raw, since their shape depends on the
// operation; use Request and Response to decode them.
type Record struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       UserIdentity    `json:"userIdentity"`
	EventTime          time.Time       `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           *bool           `json:"readOnly,omitempty"`
	Resources          []Resource      `json:"resources,omitempty"`
	EventType          string          `json:"eventType"`
	ManagementEvent    *bool           `json:"managementEvent,omitempty"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory,omitempty"`
	APIVersion         string          `json:"apiVersion,omitempty"`
}

// Resource is an entry of a record's resources list.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
}

// UserIdentity says who made the call.
type UserIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext describes a temporary-credential session.
type SessionContext struct {
	SessionIssuer SessionIssuer     `json:"sessionIssuer"`
	Attributes    map[string]string `json:"attributes,omitempty"`
}

// SessionIssuer is the role (or user) whose credentials began the session.
type SessionIssuer struct {
	Type        string `json:"type,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

// IssuerARN returns the ARN that is stable across a principal's sessions: the
// session issuer's ARN for assumed roles, the principal's own ARN otherwise.
// The guards compare it, exactly, with their own role to ignore their own writes.
func (u UserIdentity) IssuerARN() string {
	if u.SessionContext != nil && u.SessionContext.SessionIssuer.ARN != "" {
		return u.SessionContext.SessionIssuer.ARN
	}
	return u.ARN
}

// Actor returns a short human name for the caller: the user name, the role
// session name of an assumed role, or the ARN.
func (u UserIdentity) Actor() string {
	switch {
	case u.UserName != "":
		return u.UserName
	case u.Type == "AssumedRole" && u.ARN != "":
		// arn:aws:sts::123:assumed-role/Role/session → Role/session
		if i := strings.Index(u.ARN, ":assumed-role/"); i >= 0 {
			return u.ARN[i+len(":assumed-role/"):]
		}
	case u.SessionContext != nil && u.SessionContext.SessionIssuer.UserName != "":
		return u.SessionContext.SessionIssuer.UserName
	}
	if u.ARN != "" {
		return u.ARN
	}
	return u.Type
}

// Operation returns the normalised operation of the record.
func (r Record) Operation() Operation { return Normalize(r.EventName) }

// Failed reports whether the call failed (AWS recorded an error code).
func (r Record) Failed() bool { return r.ErrorCode != "" }

// IsReadOnly reports whether CloudTrail marked the call read-only.
func (r Record) IsReadOnly() bool { return r.ReadOnly != nil && *r.ReadOnly }

// Request decodes the request parameters into v. A null or absent value
// leaves v untouched.
func (r Record) Request(v any) error { return decodeRaw(r.RequestParameters, v, "request parameters") }

// Response decodes the response elements into v. A null or absent value
// leaves v untouched.
func (r Record) Response(v any) error { return decodeRaw(r.ResponseElements, v, "response elements") }

func decodeRaw(raw json.RawMessage, v any, what string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// ErrNotCloudTrail means the input is valid JSON but not a CloudTrail API call
// event; it can never be handled, so callers should not retry it.
var ErrNotCloudTrail = errors.New("not a CloudTrail API call event")

// MaxEventSize bounds the events this package parses. EventBridge events are
// at most 256 KiB; anything larger is not from EventBridge.
const MaxEventSize = 256 * 1024

// ParseEnvelope parses an EventBridge event carrying a CloudTrail record and
// returns the envelope and the record. It accepts a bare CloudTrail record too
// (as CloudTrail's own files and the samples hold them), wrapping nothing.
func ParseEnvelope(data []byte) (Envelope, Record, error) {
	var env Envelope
	if len(data) > MaxEventSize {
		return env, Record{}, fmt.Errorf("event of %d bytes exceeds %d: %w", len(data), MaxEventSize, ErrNotCloudTrail)
	}
	var probe struct {
		DetailType *string `json:"detail-type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return env, Record{}, fmt.Errorf("parse event: %w", err)
	}
	detail := data // a bare record, not an EventBridge event
	if probe.DetailType != nil {
		if err := json.Unmarshal(data, &env); err != nil {
			return env, Record{}, fmt.Errorf("parse event: %w", err)
		}
		if env.DetailType != DetailType {
			return env, Record{}, fmt.Errorf("detail-type %q: %w", env.DetailType, ErrNotCloudTrail)
		}
		detail = env.Detail
	}
	rec, err := ParseRecord(detail)
	return env, rec, err
}

// ParseRecord parses a raw CloudTrail record and checks the fields every
// guard relies on.
func ParseRecord(data []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("parse cloudtrail record: %w", err)
	}
	if rec.EventSource == "" || rec.EventName == "" {
		return rec, fmt.Errorf("record without eventSource or eventName: %w", ErrNotCloudTrail)
	}
	return rec, nil
}
