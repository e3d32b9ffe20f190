package templatecheck

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/eventpattern"
)

const companionPath = "../tamper-us-east-1.yaml"

// companion is infra/tamper-us-east-1.yaml deployed as selfguard-iam in
// us-east-1 for a guard stack named selfguard in eu-west-1: its
// substitutions made by hand, as the YAML decodes !Sub to its text.
func companion(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Clean(companionPath))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("${GuardStackName}", "selfguard", "${GuardRegion}", "eu-west-1",
		"${AWS::StackName}", "selfguard-iam", "${AWS::Partition}", "aws", "${AWS::AccountId}", tAccount).Replace(string(data))
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func companionRule(t *testing.T, doc map[string]any, id string) (*eventpattern.Pattern, map[string]any) {
	t.Helper()
	props := doc["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)
	raw, err := json.Marshal(props["EventPattern"])
	if err != nil {
		t.Fatal(err)
	}
	p, err := eventpattern.Compile(raw)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return p, props["Targets"].([]any)[0].(map[string]any)
}

// TestTheCompanionForwardsWhatTheGuardCannotSee: IAM's events exist only in
// us-east-1. The companion forwards the changes to the guard's roles (and
// to its own rules) to the guard region's default bus, where the guard
// stack's tamper rules alert on them; other IAM changes stay where they are.
func TestTheCompanionForwardsWhatTheGuardCannotSee(t *testing.T) {
	doc := companion(t)
	guard := loadDeployed(t)
	const bus = "arn:aws:events:eu-west-1:" + tAccount + ":event-bus/default"
	identity, target := companionRule(t, doc, "ForwardIdentityRule")
	own, ownTarget := companionRule(t, doc, "ForwardOwnRulesRule")
	for _, tg := range []map[string]any{target, ownTarget} {
		if tg["Arn"] != bus || tg["RoleArn"] == nil {
			t.Errorf("target %v, want the guard region's default bus with a role", tg)
		}
	}
	iam := func(name, params string) []byte {
		return envelope(t, ctRecord(t, "iam.amazonaws.com", name, "us-east-1", params, nil))
	}
	tests := []struct {
		name    string
		event   []byte
		pattern *eventpattern.Pattern
		forward bool
	}{
		{"a guard role's policy replaced", iam("PutRolePolicy", `{"roleName":"selfguard-lambda-guard","policyName":"x"}`), identity, true},
		{"a guard role deleted", iam("DeleteRole", `{"roleName":"selfguard-sweep-worker"}`), identity, true},
		{"a deny attached to a guard role", iam("AttachRolePolicy", `{"roleName":"selfguard-repo-guard","policyArn":"arn:aws:iam::aws:policy/AWSDenyAll"}`), identity, true},
		{"the companion's own role changed", iam("PutRolePolicy", `{"roleName":"selfguard-iam-forward","policyName":"x"}`), identity, true},
		{"the companion's rule disabled", envelope(t, ctRecord(t, "events.amazonaws.com", "DisableRule", "us-east-1",
			`{"name":"selfguard-iam-ForwardIdentityRule-1A2B3C"}`, nil)), own, true},
		{"another role's policy", iam("PutRolePolicy", `{"roleName":"payments-api-role","policyName":"x"}`), identity, false},
		{"a role named like the guard's", iam("DeleteRole", `{"roleName":"selfguard-sweep-copy"}`), identity, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := tt.pattern.Match(tt.event)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.forward {
				t.Fatalf("forwarded = %v, want %v", ok, tt.forward)
			}
			if got := strings.Join(targets(t, guard, tt.event), ","); tt.forward && got != "AlertTopic" {
				t.Errorf("forwarded to the guard's region, it routes to %q, want the alert topic", got)
			}
		})
	}
	role := doc["Resources"].(map[string]any)["ForwardRole"].(map[string]any)["Properties"].(map[string]any)
	st := role["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
	if st["Action"] != "events:PutEvents" || st["Resource"] != bus {
		t.Errorf("the forwarding role may %v on %v, want events:PutEvents on the guard's bus only", st["Action"], st["Resource"])
	}
}

// TestTheCompanionRefusesTheGuardsOwnRegion: a guard stack in us-east-1 sees
// IAM's events itself; the companion refuses to forward them to itself.
func TestTheCompanionRefusesTheGuardsOwnRegion(t *testing.T) {
	data, err := os.ReadFile(filepath.Clean(companionPath))
	if err != nil {
		t.Fatal(err)
	}
	for region, refuse := range map[string]bool{"us-east-1": true, "eu-west-1": false} {
		err := eventbus.CheckAssertions(data, eventbus.TemplateOptions{Parameters: map[string]string{"GuardRegion": region}})
		if got := errors.Is(err, eventbus.ErrRuleAssertion); got != refuse {
			t.Errorf("GuardRegion %s: refused %v (%v), want %v", region, got, err, refuse)
		}
	}
}
