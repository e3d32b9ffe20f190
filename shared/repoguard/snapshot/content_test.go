package snapshot

import "testing"

func TestContentApprovalsOn(t *testing.T) {
	tests := []struct {
		name    string
		content string
		branch  string
		want    int
	}{
		{"a rule on main covers main", `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2}]}`, "main", 2},
		{"a rule on main does not cover dev", `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2}]}`, "dev", 0},
		{"a rule without destinations covers every branch", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1,"ApprovalPoolMembers":["arn:aws:sts::111122223333:assumed-role/R/*"]}]}`, "feature/x", 1},
		{"the strictest statement counts", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1},{"Type":"Approvers","NumberOfApprovalsNeeded":3}]}`, "main", 3},
		{"a branch given as a full reference matches", `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`, "refs/heads/main", 1},
		{"zero approvals is zero", `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":0}]}`, "main", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseContent(tt.content)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ApprovalsOn(tt.branch); got != tt.want {
				t.Errorf("ApprovalsOn(%q) = %d, want %d", tt.branch, got, tt.want)
			}
		})
	}
}

func TestTemplateWithUnreadableContentRequiresNothing(t *testing.T) {
	if _, err := ParseContent("{"); err == nil {
		t.Fatal("ParseContent accepted broken JSON")
	}
	tpl := Template{Name: "broken", ParseError: "x", Content: Content{Statements: []Statement{{Type: StatementApprovers, NumberOfApprovalsNeeded: 5}}}}
	if n := tpl.ApprovalsOn("main"); n != 0 {
		t.Errorf("ApprovalsOn = %d, want 0", n)
	}
}
