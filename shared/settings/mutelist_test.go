package settings

import (
	"reflect"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

func TestParseMutelistReadsBothForms(t *testing.T) {
	want := []Mute{
		{Rule: "lambda.unsigned-code", Resource: "legacy-*", Reason: "migrating to signed builds", Expires: "2027-03-31"},
		{Rule: "lambda.alias-latest", Resource: "pay:canary", Reason: "canary tracks every deploy on purpose"},
	}
	tests := map[string]string{
		"compact": "lambda.unsigned-code:legacy-*=migrating to signed builds@2027-03-31; lambda.alias-latest:pay:canary=canary tracks every deploy on purpose",
		"json": `[{"rule":"lambda.unsigned-code","resource":"legacy-*","reason":"migrating to signed builds","expires":"2027-03-31"},
			{"rule":"lambda.alias-latest","resource":"pay:canary","reason":"canary tracks every deploy on purpose"}]`,
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseMutelist(v)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func TestParseMutelistRefusesMutesThatWouldSilenceWithoutSayingWhy(t *testing.T) {
	for name, v := range map[string]string{
		"no reason":      "lambda.unsigned-code:legacy=",
		"no resource":    "lambda.unsigned-code:=because",
		"no equals sign": "lambda.unsigned-code:legacy",
		"bad expiry":     `[{"rule":"x","resource":"y","reason":"z","expires":"next year"}]`,
		"broken JSON":    `[{"rule":`,
	} {
		if got, err := ParseMutelist(v); err == nil {
			t.Errorf("%s: ParseMutelist(%q) = %+v, want an error", name, v, got)
		}
	}
}

func TestMuteSilencesOneRuleOnOneResourceUntilItExpires(t *testing.T) {
	s := Settings{Mutelist: []Mute{{Rule: "lambda.unsigned-code", Resource: "legacy-*", Reason: "migrating", Expires: "2027-03-31"}}}
	d := finding.Decision{
		Findings: []finding.Finding{
			{Rule: "lambda.unsigned-code", Resource: "legacy-billing"},
			{Rule: "lambda.no-code-signing-config", Resource: "legacy-billing"},
		},
		Actions: []finding.Action{
			{Kind: "restore-code", For: []finding.RuleID{"lambda.unsigned-code"}},
			{Kind: "attach-csc", For: []finding.RuleID{"lambda.no-code-signing-config"}},
		},
	}
	got := s.Mute(d, time.Date(2027, 3, 31, 23, 0, 0, 0, time.UTC))
	if len(got.Findings) != 1 || got.Findings[0].Rule != "lambda.no-code-signing-config" || len(got.Actions) != 1 || got.Actions[0].Kind != "attach-csc" {
		t.Errorf("kept %+v, actions %+v", got.Findings, got.Actions)
	}
	if len(got.Muted) != 1 || got.Muted[0].By != "lambda.unsigned-code:legacy-*" || got.Muted[0].Reason != "migrating" {
		t.Errorf("muted %+v", got.Muted)
	}
	if after := s.Mute(d, time.Date(2027, 4, 1, 0, 0, 1, 0, time.UTC)); len(after.Findings) != 2 || len(after.Muted) != 0 {
		t.Errorf("an expired mute still silenced: %+v", after)
	}
}

func TestMutelistFromTheEnvironment(t *testing.T) {
	env := map[string]string{EnvMutelist: "repo.*:sandbox-*=experiments"}
	s, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || len(s.Mutelist) != 1 || !s.Mutelist[0].Matches("repo.no-approval-rule", "sandbox-1", time.Now()) {
		t.Errorf("%+v, %v", s.Mutelist, err)
	}
	env[EnvMutelist] = "repo.*:sandbox-*="
	if _, err := FromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a mute without a reason was accepted")
	}
}
