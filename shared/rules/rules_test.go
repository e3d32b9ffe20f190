package rules

import (
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
)

func TestEveryRuleIsDeclaredCompletely(t *testing.T) {
	for _, r := range All() {
		t.Run(string(r.ID), func(t *testing.T) {
			switch {
			case r.Severity.Rank() == 0:
				t.Errorf("severity %q is not a severity", r.Severity)
			case r.Title == "" || r.Enforce == "" || r.Undo == "":
				t.Error("title, enforce and undo must all be written")
			case len(r.Check) == 0:
				t.Error("no IAM actions declared for its check")
			case r.Guardrail == "" || r.Resource == "":
				t.Error("no guardrail or resource type")
			case !strings.HasPrefix(string(r.ID), map[Guardrail]string{
				CodeSigning: "lambda.", Releases: "lambda.", Repositories: "repo.", Exposure: "lambda.", Integrity: "lambda.",
			}[r.Guardrail]):
				t.Errorf("id does not carry its guardrail's prefix")
			}
		})
	}
}

func TestEveryActionIsPlannedByARuleAndNamesItsWrites(t *testing.T) {
	planned := map[finding.ActionKind]bool{}
	for _, r := range All() {
		for _, k := range r.Actions {
			planned[k] = true
		}
	}
	for _, a := range Actions() {
		if !planned[a.Kind] {
			t.Errorf("action %s is declared but no rule plans it", a.Kind)
		}
		if a.Done == "" || len(a.Permissions) == 0 {
			t.Errorf("action %s lacks its alert words or its IAM actions", a.Kind)
		}
	}
}

func TestFindingTakesSeverityAndResourceTypeFromTheRegistry(t *testing.T) {
	f := Finding(AliasUntrustedVersion, "pay:prod", "arn", "s", "d")
	if f.Severity != finding.SeverityCritical || f.ResourceType != finding.ResourceAlias || f.Rule != AliasUntrustedVersion {
		t.Errorf("got %+v", f)
	}
}

func TestAnUndeclaredRuleIsAProgrammingError(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Finding of an undeclared rule did not panic")
		}
	}()
	Finding("lambda.no-such-rule", "r", "", "", "")
}

func TestPermissionsAreTheUnionOfChecksAndActionsPerGuardrail(t *testing.T) {
	repo := strings.Join(Permissions(Repositories), " ")
	for _, want := range []string{"codecommit:GetRepository", "codecommit:UpdateApprovalRuleTemplateContent", "codeguru-reviewer:AssociateRepository"} {
		if !strings.Contains(repo, want) {
			t.Errorf("repository permissions lack %s", want)
		}
	}
	if strings.Contains(repo, "lambda:") {
		t.Error("repository permissions include Lambda actions")
	}
	if got := Permissions(); len(got) != 0 {
		t.Errorf("no guardrail asked, got %v", got)
	}
}

func TestMarkdownHasARowPerRule(t *testing.T) {
	md := Markdown()
	if n := strings.Count(md, "\n"); n != len(All())+2 {
		t.Errorf("%d lines for %d rules", n, len(All()))
	}
	if !strings.Contains(md, "| `repo.no-automated-review` | reviewed-repositories | medium (high when review was set up and removed) |") {
		t.Errorf("row for repo.no-automated-review not as expected:\n%s", md)
	}
}

func TestExposurePermissionsReadPoliciesAndWriteOnlyWhatRevertsExposure(t *testing.T) {
	got := strings.Join(Permissions(Exposure), " ")
	for _, want := range []string{"lambda:GetPolicy", "lambda:RemovePermission", "lambda:UpdateFunctionUrlConfig",
		"lambda:RemoveLayerVersionPermission", "lambda:UpdateEventSourceMapping", "lambda:PutFunctionRecursionConfig"} {
		if !strings.Contains(got, want) {
			t.Errorf("exposure permissions lack %s", want)
		}
	}
	for _, never := range []string{"lambda:AddPermission", "lambda:DeleteFunctionUrlConfig", "lambda:UpdateFunctionCode"} {
		if strings.Contains(got, never) {
			t.Errorf("exposure permissions include %s", never)
		}
	}
}
