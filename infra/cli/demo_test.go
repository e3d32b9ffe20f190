package cli

import (
	"strings"
	"testing"

	"github.com/selfguard/selfguard/infra/demo"
)

// TestDemoCommandPlaysAndAudits runs `selfguard demo` as a user would, with
// one scenario, through to the closing audit of the demo account.
func TestDemoCommandPlaysAndAudits(t *testing.T) {
	t.Setenv("AWS_REGION", "") // the demo must not depend on the caller's AWS settings
	code, out, errOut := runCLI(t, "demo", "--only", "ci releases signed code")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"ci releases signed code on orders-api", "the audit reported every expected finding", "all 1 scenarios ended as expected"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := runCLI(t, "demo", "--only", "no such scenario", "--no-audit"); code != ExitUsage || !strings.Contains(errOut, "ci releases signed code on orders-api") {
		t.Errorf("an --only matching nothing exited %d, want %d and the scenario names:\n%s", code, ExitUsage, errOut)
	}
}

// TestDemoTellsTheStoryInTimeOrder: a person's event, then the guard's
// decision with its latency, then the guard's own action, then the alert
// with its latency, and once the whole alert with its undo.
func TestDemoTellsTheStoryInTimeOrder(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	code, out, errOut := runCLI(t, "demo", "--only", "alice points orders-api", "--no-audit")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	order := []string{"  event    alice", "  decide   ", "after the event)", "  action   guard:", "  alert    [selfguard]", "the whole alert", "To undo: aws lambda"}
	at := 0
	for _, want := range order {
		i := strings.Index(out[at:], want)
		if i < 0 {
			t.Fatalf("%q missing after position %d:\n%s", want, at, out)
		}
		at += i
	}
}

func TestDemoOutsideACheckoutSaysWhatToDo(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, errOut := runCLI(t, "demo", "--no-audit")
	if code != ExitUsage || !strings.Contains(errOut, "run it from a checkout of selfguard") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestDemoOnlyFindsTheOrganizationStory: the organization's story is played
// by --only like any other, and listed when --only matches nothing.
func TestDemoOnlyFindsTheOrganizationStory(t *testing.T) {
	if got := matching("organization"); len(got) != 1 || got[0] != demo.OrganizationScenario {
		t.Errorf("matching(organization) = %q", got)
	}
	code, _, errOut := runCLI(t, "demo", "--only", "no such scenario", "--no-audit")
	if code != ExitUsage || !strings.Contains(errOut, demo.OrganizationScenario) {
		t.Errorf("exit %d, the list lacks the organization story:\n%s", code, errOut)
	}
}
