package snapshot

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ContentVersion is the only approval rule content version CodeCommit knows.
const ContentVersion = "2018-11-08"

// StatementApprovers is the statement type that requires approvals.
const StatementApprovers = "Approvers"

// Content is an approval rule template's rule content, in CodeCommit's JSON
// format.
type Content struct {
	Version string `json:"Version"`
	// DestinationReferences are the branches ("refs/heads/main") the rule
	// applies to; none means every branch.
	DestinationReferences []string    `json:"DestinationReferences,omitempty"`
	Statements            []Statement `json:"Statements"`
}

// Statement is one requirement of a rule.
type Statement struct {
	Type                    string `json:"Type"`
	NumberOfApprovalsNeeded int    `json:"NumberOfApprovalsNeeded"`
	// ApprovalPoolMembers are who may approve; none means any user of the
	// account with access to the repository.
	ApprovalPoolMembers []string `json:"ApprovalPoolMembers,omitempty"`
}

// ParseContent reads rule content.
func ParseContent(s string) (Content, error) {
	var c Content
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return Content{}, fmt.Errorf("parse approval rule content: %w", err)
	}
	return c, nil
}

// JSON renders the content as CodeCommit accepts it.
func (c Content) JSON() string {
	b, _ := json.Marshal(c) // cannot fail: plain strings and ints
	return string(b)
}

// BranchRef turns a branch name into the reference form templates use.
func BranchRef(branch string) string {
	if strings.HasPrefix(branch, "refs/") {
		return branch
	}
	return "refs/heads/" + branch
}

// AppliesTo reports whether the rule covers a branch.
func (c Content) AppliesTo(branch string) bool {
	if len(c.DestinationReferences) == 0 {
		return true
	}
	want := BranchRef(branch)
	for _, r := range c.DestinationReferences {
		if BranchRef(strings.TrimSpace(r)) == want {
			return true
		}
	}
	return false
}

// ApprovalsOn returns how many approvals the rule requires before a merge
// into branch: the largest Approvers statement, since every statement must
// be met; 0 if the rule does not cover the branch.
func (c Content) ApprovalsOn(branch string) int {
	if !c.AppliesTo(branch) {
		return 0
	}
	n := 0
	for _, s := range c.Statements {
		if s.Type == StatementApprovers && s.NumberOfApprovalsNeeded > n {
			n = s.NumberOfApprovalsNeeded
		}
	}
	return n
}
