package templatecheck

import (
	"sort"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/hubsync"
)

// TestTheSecurityHubPolicyIsExactlyWhatTheSweepsHubSyncCalls: with
// SecurityHub=Enabled the guards' and the sweep's roles get the actions hubsync declares,
// and nothing else.
func TestTheSecurityHubPolicyIsExactlyWhatTheSweepsHubSyncCalls(t *testing.T) {
	res := readTemplate(t)["Resources"].(map[string]any)
	p, ok := res["SecurityHubPolicy"].(map[string]any)
	if !ok || p["Condition"] != "UseSecurityHub" {
		t.Fatalf("no SecurityHubPolicy under the UseSecurityHub condition: %v", p)
	}
	props := p["Properties"].(map[string]any)
	var roles []string
	for _, r := range props["Roles"].([]any) {
		roles = append(roles, r.(string))
	}
	sort.Strings(roles)
	if strings.Join(roles, ",") != "LambdaGuardRole,RepoGuardRole,SweepRole,SweepWorkerRole" {
		t.Errorf("attached to %v, want the guards' and the sweep's roles", roles)
	}
	var got []string
	for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		got = append(got, actions(st.(map[string]any))...)
	}
	if missing, spare := diff(set(hubsync.Permissions), set(got)); len(missing)+len(spare) > 0 {
		t.Errorf("missing %v, spare %v", missing, spare)
	}
}
