package cli

import (
	"strings"
	"testing"
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
	if code, _, _ := runCLI(t, "demo", "--only", "no such scenario", "--no-audit"); code != ExitUsage {
		t.Errorf("an --only matching nothing exited %d, want %d", code, ExitUsage)
	}
}
