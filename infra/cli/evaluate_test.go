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

func evaluateJSON(t *testing.T, args ...string) (int, evaluation, string) {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"evaluate"}, args...)...)
	var ev evaluation
	if code == ExitOK || code == ExitFindings {
		if err := json.Unmarshal([]byte(out), &ev); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
	}
	return code, ev, errOut
}

func TestEvaluateWarnsWhenTheEventIsOfAnotherAccountOrRegion(t *testing.T) {
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	auditEnv(t)
	// The local account has no STS: moto's says whose the credentials are.
	t.Setenv("AWS_ENDPOINT_URL_STS", motoServer.URL)
	const motoAccount = "123456789012"
	tests := []struct {
		name, from, to, want string
	}{
		{"another region", `"awsRegion":"` + auditRegion + `"`, `"awsRegion":"us-east-1"`, "the event is from region us-east-1 but evaluate reads " + auditRegion},
		{"another account", `"readOnly":false,`, `"readOnly":false,"recipientAccountId":"444455556666",`, "the event is from account 444455556666 but the credentials are of account " + motoAccount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := strings.Replace(strings.Replace(codeUpdateRecord, tt.from, tt.to, 1), "%s", "good", 1)
			code, ev, errOut := evaluateJSON(t, "--event", writeEvent(t, rec))
			if code != ExitOK || !strings.Contains(strings.Join(ev.Warnings, "\n"), tt.want) || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, warnings %q, stderr %q", code, ev.Warnings, errOut)
			}
		})
	}
	rec := strings.Replace(strings.Replace(codeUpdateRecord, `"readOnly":false,`, `"readOnly":false,"recipientAccountId":"`+motoAccount+`",`, 1), "%s", "good", 1)
	if _, ev, _ := evaluateJSON(t, "--event", writeEvent(t, rec)); len(ev.Warnings) != 0 {
		t.Errorf("warned about its own account and region: %q", ev.Warnings)
	}
}

func TestEvaluateSaysWhyAnEventIsNotGuarded(t *testing.T) {
	auditEnv(t)
	s3 := `{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","eventID":"e-2","eventTime":"2026-11-24T10:00:00Z",
"awsRegion":"` + auditRegion + `","readOnly":false,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::` + auditAccount + `:user/mallory","userName":"mallory"},"requestParameters":{}}`
	_, ev, _ := evaluateJSON(t, "--event", writeEvent(t, s3))
	if !strings.Contains(ev.Ignored, "no guard watches s3.amazonaws.com") {
		t.Errorf("ignored %q", ev.Ignored)
	}
}

func TestEvaluateSaysWouldAndFailsOnRequest(t *testing.T) {
	auditEnv(t)
	file := writeEvent(t, strings.Replace(codeUpdateRecord, "%s", "unsigned", 1))
	code, ev, _ := evaluateJSON(t, "--event", file)
	if code != ExitOK || len(ev.Would) == 0 || !strings.HasPrefix(ev.Would[0], "would ") {
		t.Errorf("exit %d, would %q", code, ev.Would)
	}
	if code, _, _ := evaluateJSON(t, "--event", file, "--fail-on", "high"); code != ExitFindings {
		t.Errorf("--fail-on high with a high finding exited %d", code)
	}
	code, text, _ := runCLI(t, "evaluate", "--event", file, "--format", "text")
	for _, want := range []string{"event    UpdateFunctionCode20150331v2", "HIGH     lambda.unsigned-code unsigned", "would    ", "undo: aws lambda", "evaluate changes nothing"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if code != ExitOK {
		t.Errorf("text: exit %d", code)
	}
}
