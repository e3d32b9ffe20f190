package repoemu

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseTemplateContent(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		wantError string // substring; "" means valid
		approvals int
	}{
		{"the documented example is valid",
			`{"Version":"2018-11-08","DestinationReferences":["refs/heads/master"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2,"ApprovalPoolMembers":["arn:aws:sts::123456789012:assumed-role/CodeCommitReview/*"]}]}`,
			"", 2},
		{"destinations and pool are optional", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`, "", 1},
		{"the short approver form is valid", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1,"ApprovalPoolMembers":["CodeCommitApprovers:123456789012:Mary_Major"]}]}`, "", 1},
		{"the strictest statement counts", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1},{"Type":"Approvers","NumberOfApprovalsNeeded":3}]}`, "", 3},
		{"empty content", ``, "empty", 0},
		{"not JSON", `Version: 2018-11-08`, "JSON object", 0},
		{"an array is not an object", `[]`, "JSON object", 0},
		{"trailing data", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}}`, "JSON object", 0},
		{"another version", `{"Version":"2012-10-17","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`, "Version", 0},
		{"no version", `{"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`, "Version is missing", 0},
		{"keys are case-sensitive", `{"version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`, "unknown key", 0},
		{"unknown keys are refused", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1,"Extra":1}]}`, "unknown key", 0},
		{"no statements", `{"Version":"2018-11-08"}`, "Statements is missing", 0},
		{"empty statements", `{"Version":"2018-11-08","Statements":[]}`, "non-empty", 0},
		{"another statement type", `{"Version":"2018-11-08","Statements":[{"Type":"Deniers","NumberOfApprovalsNeeded":1}]}`, "Type", 0},
		{"zero approvals", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":0}]}`, "positive integer", 0},
		{"fractional approvals", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1.5}]}`, "positive integer", 0},
		{"approvals as a string", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":"2"}]}`, "positive integer", 0},
		{"missing approvals", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers"}]}`, "missing", 0},
		{"a branch name that is not a reference", `{"Version":"2018-11-08","DestinationReferences":["main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`, "branch reference", 0},
		{"a pool member that is no principal", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1,"ApprovalPoolMembers":["alice"]}]}`, "ApprovalPoolMembers", 0},
		{"null statements", `{"Version":"2018-11-08","Statements":null}`, "non-empty", 0},
		{"too long", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1,"ApprovalPoolMembers":["arn:aws:iam::123456789012:user/` + strings.Repeat("a", 3000) + `"]}]}`, "characters", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseTemplateContent(tt.content)
			if tt.wantError == "" {
				if err != nil {
					t.Fatalf("err = %v, want valid", err)
				}
				if c.RequiredApprovals() != tt.approvals {
					t.Fatalf("RequiredApprovals = %d, want %d", c.RequiredApprovals(), tt.approvals)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidTemplateContent) || !strings.Contains(err.Error(), tt.wantError) {
				t.Fatalf("err = %v, want ErrInvalidTemplateContent mentioning %q", err, tt.wantError)
			}
		})
	}
}

func TestContentSHA256(t *testing.T) {
	// The SHA-256 of the empty string, a fixed point to hold the encoding to.
	if got := ContentSHA256(""); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("ContentSHA256(\"\") = %s", got)
	}
}

// FuzzParseTemplateContent holds the parser to: no panics; anything accepted
// is well-formed, and re-encoding it gives content that parses the same.
func FuzzParseTemplateContent(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2,"ApprovalPoolMembers":["arn:aws:sts::123456789012:assumed-role/CodeCommitReview/*"]}]}`,
		`{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`,
		`{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1e2}]}`,
		`{"Version":"2018-11-08","Statements":[null]}`,
		`{}`, `null`, `"x"`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		c, err := ParseTemplateContent(content)
		if err != nil {
			if !errors.Is(err, ErrInvalidTemplateContent) {
				t.Fatalf("error %v does not wrap ErrInvalidTemplateContent", err)
			}
			return
		}
		if c.Version != TemplateContentVersion || len(c.Statements) == 0 || c.RequiredApprovals() < 1 {
			t.Fatalf("accepted malformed content %q as %+v", content, c)
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseTemplateContent(string(again))
		if err != nil {
			t.Fatalf("re-encoded content %s does not parse: %v", again, err)
		}
		if c2.Version != c.Version || !slices.Equal(c2.DestinationReferences, c.DestinationReferences) || len(c2.Statements) != len(c.Statements) {
			t.Fatalf("round trip changed %+v into %+v", c, c2)
		}
		for i := range c.Statements {
			a, b := c.Statements[i], c2.Statements[i]
			if a.Type != b.Type || a.NumberOfApprovalsNeeded != b.NumberOfApprovalsNeeded || !slices.Equal(a.ApprovalPoolMembers, b.ApprovalPoolMembers) {
				t.Fatalf("round trip changed statement %d: %+v into %+v", i, a, b)
			}
		}
	})
}
