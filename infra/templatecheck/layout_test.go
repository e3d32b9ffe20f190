package templatecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecisionsBuildWithoutTheAWSSDK holds the layout's promise: every
// guardrail's decide and snapshot packages, and the rule registry, are pure
// (no AWS SDK, no smithy, no Lambda runtime), so decisions are table-tested
// with no AWS at all.
func TestDecisionsBuildWithoutTheAWSSDK(t *testing.T) {
	pure := []string{"./shared/rules", "./shared/finding", "./shared/settings"}
	guardrails, err := filepath.Glob("../../shared/*/decide")
	if err != nil || len(guardrails) < 2 {
		t.Fatalf("found %d guardrails with a decide part (%v)", len(guardrails), err)
	}
	for _, d := range guardrails {
		g := filepath.Dir(strings.TrimPrefix(d, "../../"))
		pure = append(pure, "./"+g+"/decide")
		if _, err := os.Stat(filepath.Join("../..", g, "snapshot")); err == nil {
			pure = append(pure, "./"+g+"/snapshot")
		}
		for _, part := range []string{"observe", "act"} {
			if _, err := os.Stat(filepath.Join("../..", g, part)); err != nil {
				t.Errorf("guardrail %s has no %s part", g, part)
			}
		}
	}
	for _, pkg := range pure {
		cmd := exec.Command("go", "list", "-deps", pkg)
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.Contains(dep, "github.com/aws/") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
