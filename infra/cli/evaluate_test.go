package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeEvent(t *testing.T, record string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const codeUpdateRecord = `{"eventVersion":"1.08","eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2",
"eventID":"e-1","eventTime":"2026-11-24T10:00:00Z","awsRegion":"` + auditRegion + `","readOnly":false,
"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::` + auditAccount + `:user/mallory","userName":"mallory"},
"requestParameters":{"functionName":"%s","publish":false}}`

func TestEvaluatePrintsFindingsAndPlannedActionsAndChangesNothing(t *testing.T) {
	srv := auditEnv(t)
	before := len(srv.Env.Trail.Since(0))
	tests := []struct {
		name, function string
		wantRules      []string
	}{
		{"unsigned function without a code signing config", "unsigned", []string{"lambda.unsigned-code", "lambda.no-code-signing-config"}},
		{"signed function behind an Enforce config", "good", nil},
		{"exempt function", "sandbox-toy", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "evaluate", "--event", writeEvent(t, strings.Replace(codeUpdateRecord, "%s", tt.function, 1)))
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var ev evaluation
			if err := json.Unmarshal([]byte(out), &ev); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			var rules []string
			actions := 0
			for _, s := range ev.Subjects {
				for _, f := range s.Decision.Findings {
					rules = append(rules, string(f.Rule))
				}
				actions += len(s.Decision.Actions)
			}
			for _, want := range tt.wantRules {
				if !strings.Contains(strings.Join(rules, ","), want) {
					t.Errorf("rules %v lack %s", rules, want)
				}
			}
			if len(tt.wantRules) == 0 && len(rules) != 0 {
				t.Errorf("rules %v, want none", rules)
			}
			if len(tt.wantRules) > 0 && actions == 0 {
				t.Error("no planned action printed")
			}
			if ev.Guard != "lambda-guard" || ev.Event.Actor != "mallory" {
				t.Errorf("guard %q actor %q", ev.Guard, ev.Event.Actor)
			}
		})
	}
	if after := len(srv.Env.Trail.Since(0)); after != before {
		t.Errorf("evaluate wrote to the account: %d trail events appeared", after-before)
	}
}

func TestEvaluateSaysWhyItIgnoresAnEvent(t *testing.T) {
	auditEnv(t)
	t.Setenv("SELFGUARD_GUARD_ROLE_ARNS", "arn:aws:iam::"+auditAccount+":role/selfguard-lambda-guard")
	failed := strings.Replace(codeUpdateRecord, `"readOnly":false,`, `"readOnly":false,"errorCode":"AccessDenied",`, 1)
	code, out, errOut := runCLI(t, "evaluate", "--event", writeEvent(t, strings.Replace(failed, "%s", "unsigned", 1)))
	if code != ExitOK || !strings.Contains(out, `"ignored": "failed call"`) {
		t.Errorf("exit %d, out %s, err %s", code, out, errOut)
	}
}

func TestEvaluateRejectsBadInputClearly(t *testing.T) {
	auditEnv(t)
	tests := map[string][]string{
		"no event":        {"evaluate"},
		"missing file":    {"evaluate", "--event", filepath.Join(t.TempDir(), "absent.json")},
		"not JSON":        {"evaluate", "--event", writeEvent(t, "{not json")},
		"not CloudTrail":  {"evaluate", "--event", writeEvent(t, `{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)},
		"unexpected args": {"evaluate", "--event", "x", "extra"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			if code, _, errOut := runCLI(t, args...); code != ExitUsage || errOut == "" {
				t.Errorf("exit %d, stderr %q; want %d with a reason", code, errOut, ExitUsage)
			}
		})
	}
}
