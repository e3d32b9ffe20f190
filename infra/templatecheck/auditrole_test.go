package templatecheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/selfguard/selfguard/shared/hubsync"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/sweep"
)

// readOnlyOf keeps the actions whose operation only reads.
func readOnlyOf(actions []string) []string {
	var out []string
	for _, a := range actions {
		_, op, _ := strings.Cut(a, ":")
		for _, p := range []string{"Get", "List", "Describe", "BatchGet"} {
			if strings.HasPrefix(op, p) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

func policyActions(t *testing.T, res map[string]any, id string) []string {
	t.Helper()
	p, ok := res[id].(map[string]any)
	if !ok {
		t.Fatalf("infra/audit-role.yaml has no %s", id)
	}
	var got []string
	doc := p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
	for _, st := range doc["Statement"].([]any) {
		got = append(got, actions(st.(map[string]any))...)
	}
	return got
}

// TestTheAuditPolicyIsExactlyTheReadsTheGuardsMake: the shipped read-only
// policy grants every read the guards' code declares (audit runs the same
// code) plus reading the deployed stack, and not one write; its Security Hub
// part is exactly what hubsync calls.
func TestTheAuditPolicyIsExactlyTheReadsTheGuardsMake(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "audit-role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	res := doc["Resources"].(map[string]any)
	// What the organization audit's role holds to (infra/org), for one
	// account: the sweep's listings and reads and every rule's checks.
	code := append(append([]string{}, sweep.ListerPermissions...), sweep.WorkerPermissions...)
	for _, r := range rules.All() {
		code = append(code, r.Check...)
	}
	want := append(readOnlyOf(code), "cloudformation:DescribeStacks")
	if len(readOnlyOf(code)) != len(code) {
		t.Errorf("the audit's code declares a write: %v", code)
	}
	got := policyActions(t, res, "AuditPolicy")
	if missing, spare := diff(set(want), set(got)); len(missing)+len(spare) > 0 {
		t.Errorf("audit policy: missing %v, spare %v", missing, spare)
	}
	if w := readOnlyOf(got); len(w) != len(got) {
		t.Errorf("the audit policy grants a write: %v", got)
	}
	if missing, spare := diff(set(hubsync.Permissions), set(policyActions(t, res, "SecurityHubImportPolicy"))); len(missing)+len(spare) > 0 {
		t.Errorf("security hub import policy: missing %v, spare %v", missing, spare)
	}
}
