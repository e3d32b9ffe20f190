package repoguard

import (
	"slices"
	"testing"

	"github.com/selfguard/selfguard/shared/repoguard/decide"
)

func TestEveryActionKindDeclaresItsWritesAndTheReadsItRepeats(t *testing.T) {
	want := map[string]string{
		string(decide.ActionAssociateTemplate): "codecommit:AssociateApprovalRuleTemplateWithRepository",
		string(decide.ActionRestoreTemplate):   "codecommit:UpdateApprovalRuleTemplateContent",
		string(decide.ActionEnableReview):      "codeguru-reviewer:AssociateRepository",
	}
	if len(Permissions) != len(want) {
		t.Errorf("Permissions has %d kinds, want %d", len(Permissions), len(want))
	}
	for kind, perms := range Permissions {
		if !slices.Contains(perms, want[string(kind)]) {
			t.Errorf("%s lacks %s: %v", kind, want[string(kind)], perms)
		}
		// Act re-reads before acting, so every kind needs the reads too.
		for _, r := range []string{"codecommit:GetRepository", "codeguru-reviewer:ListRepositoryAssociations"} {
			if !slices.Contains(perms, r) {
				t.Errorf("%s lacks the read %s", kind, r)
			}
		}
	}
	if slices.Contains(Permissions[decide.ActionRestoreTemplate], "codecommit:CreateApprovalRuleTemplate") {
		t.Error("restoring a template must not need to create one")
	}
}
