package repoemu

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// TemplateContentVersion is the only content version CodeCommit knows.
const TemplateContentVersion = "2018-11-08"

// MaxTemplateContentLength is the longest approval rule template content
// CodeCommit accepts, in characters.
const MaxTemplateContentLength = 3000

// StatementTypeApprovers is the only statement type of an approval rule.
const StatementTypeApprovers = "Approvers"

// TemplateContent is the parsed content of an approval rule template.
type TemplateContent struct {
	Version string `json:"Version"`
	// DestinationReferences limits the rule to pull requests into these
	// branches (refs/heads/...); empty means every branch.
	DestinationReferences []string    `json:"DestinationReferences,omitempty"`
	Statements            []Statement `json:"Statements"`
}

// Statement is one rule of a template: how many approvals are needed, and
// from whom (empty pool: anyone who may approve).
type Statement struct {
	Type                    string   `json:"Type"`
	NumberOfApprovalsNeeded int      `json:"NumberOfApprovalsNeeded"`
	ApprovalPoolMembers     []string `json:"ApprovalPoolMembers,omitempty"`
}

// RequiredApprovals returns the largest NumberOfApprovalsNeeded of the
// content's statements: what a pull request needs at least.
func (c TemplateContent) RequiredApprovals() int {
	n := 0
	for _, s := range c.Statements {
		n = max(n, s.NumberOfApprovalsNeeded)
	}
	return n
}

// ContentSHA256 returns the ruleContentSha256 CodeCommit reports for a
// content: the hex SHA-256 of the content exactly as stored.
func ContentSHA256(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// ErrInvalidTemplateContent is wrapped by every error ParseTemplateContent
// returns.
var ErrInvalidTemplateContent = errors.New("invalid approval rule template content")

var (
	// poolMemberARN matches an IAM user or role, an assumed-role session (with
	// wildcards) or a federated user of an account.
	poolMemberARN = regexp.MustCompile(`^arn:aws[a-z-]*:(iam|sts)::\d{12}:[^\s]+$`)
	// poolMemberShort is the CodeCommitApprovers:ACCOUNT:NAME short form.
	poolMemberShort = regexp.MustCompile(`^CodeCommitApprovers:\d{12}:[^\s]+$`)
)

// ParseTemplateContent parses and checks approval rule template content as
// CodeCommit does: a JSON object with exactly the keys Version (which must be
// 2018-11-08), Statements (at least one Approvers statement with a positive
// integer NumberOfApprovalsNeeded and optional ApprovalPoolMembers, each an
// IAM/STS ARN or CodeCommitApprovers:ACCOUNT:NAME) and optional
// DestinationReferences (full branch references). Keys are case-sensitive and
// unknown keys are refused.
func ParseTemplateContent(content string) (TemplateContent, error) {
	var c TemplateContent
	if strings.TrimSpace(content) == "" {
		return c, invalidContent("content is empty")
	}
	if n := len([]rune(content)); n > MaxTemplateContentLength {
		return c, invalidContent("content is %d characters, more than %d", n, MaxTemplateContentLength)
	}
	top, err := object([]byte(content), "content", "Version", "DestinationReferences", "Statements")
	if err != nil {
		return c, err
	}
	if err := str(top["Version"], "Version", &c.Version); err != nil {
		return c, err
	}
	if c.Version != TemplateContentVersion {
		return c, invalidContent("Version %q: want %q", c.Version, TemplateContentVersion)
	}
	if raw, ok := top["DestinationReferences"]; ok {
		if err := strList(raw, "DestinationReferences", &c.DestinationReferences); err != nil {
			return c, err
		}
		for _, ref := range c.DestinationReferences {
			if !strings.HasPrefix(ref, "refs/heads/") || len(ref) == len("refs/heads/") || strings.ContainsAny(ref, " \t\n~^:?*[\\") {
				return c, invalidContent("DestinationReferences: %q is not a branch reference like refs/heads/main", ref)
			}
		}
	}
	raw, ok := top["Statements"]
	if !ok {
		return c, invalidContent("Statements is missing")
	}
	var stmts []json.RawMessage
	if err := strictUnmarshal(raw, &stmts); err != nil || len(stmts) == 0 {
		return c, invalidContent("Statements must be a non-empty array")
	}
	for i, rs := range stmts {
		what := fmt.Sprintf("Statements[%d]", i)
		m, err := object(rs, what, "Type", "NumberOfApprovalsNeeded", "ApprovalPoolMembers")
		if err != nil {
			return c, err
		}
		var s Statement
		if err := str(m["Type"], what+".Type", &s.Type); err != nil {
			return c, err
		}
		if s.Type != StatementTypeApprovers {
			return c, invalidContent("%s.Type %q: want %q", what, s.Type, StatementTypeApprovers)
		}
		n, ok := m["NumberOfApprovalsNeeded"]
		if !ok {
			return c, invalidContent("%s.NumberOfApprovalsNeeded is missing", what)
		}
		if err := strictUnmarshal(n, &s.NumberOfApprovalsNeeded); err != nil || s.NumberOfApprovalsNeeded < 1 {
			return c, invalidContent("%s.NumberOfApprovalsNeeded must be a positive integer", what)
		}
		if rp, ok := m["ApprovalPoolMembers"]; ok {
			if err := strList(rp, what+".ApprovalPoolMembers", &s.ApprovalPoolMembers); err != nil {
				return c, err
			}
			for _, p := range s.ApprovalPoolMembers {
				if !poolMemberARN.MatchString(p) && !poolMemberShort.MatchString(p) {
					return c, invalidContent("%s.ApprovalPoolMembers: %q is neither an IAM/STS ARN nor CodeCommitApprovers:ACCOUNT:NAME", what, p)
				}
			}
		}
		c.Statements = append(c.Statements, s)
	}
	return c, nil
}

func invalidContent(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidTemplateContent, fmt.Sprintf(format, args...))
}

// object decodes a JSON object and refuses keys outside allowed (compared
// case-sensitively, which encoding/json's struct decoding would not do).
func object(raw []byte, what string, allowed ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := strictUnmarshal(raw, &m); err != nil || m == nil {
		return nil, invalidContent("%s must be a JSON object", what)
	}
	for k := range m {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		if !known {
			return nil, invalidContent("%s: unknown key %q", what, k)
		}
	}
	return m, nil
}

func str(raw json.RawMessage, what string, dst *string) error {
	if raw == nil {
		return invalidContent("%s is missing", what)
	}
	if err := strictUnmarshal(raw, dst); err != nil {
		return invalidContent("%s must be a string", what)
	}
	return nil
}

func strList(raw json.RawMessage, what string, dst *[]string) error {
	if err := strictUnmarshal(raw, dst); err != nil || *dst == nil {
		return invalidContent("%s must be an array of strings", what)
	}
	for _, s := range *dst {
		if s == "" {
			return invalidContent("%s holds an empty string", what)
		}
	}
	return nil
}

// strictUnmarshal decodes one JSON value (json.Unmarshal refuses trailing
// data) and refuses JSON null where a value is wanted.
func strictUnmarshal(raw []byte, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return errors.New("null")
	}
	return json.Unmarshal(raw, v)
}
