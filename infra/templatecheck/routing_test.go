package templatecheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

func loadTemplate(t *testing.T) *eventbus.Template {
	t.Helper()
	tmpl, err := eventbus.LoadTemplate(filepath.Join("..", "..", "template.yaml"), eventbus.TemplateOptions{AccountID: "111122223333", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// envelope wraps a raw CloudTrail record as EventBridge delivers it.
func envelope(t *testing.T, record []byte) []byte {
	t.Helper()
	var rec cloudtrail.Record
	if err := json.Unmarshal(record, &rec); err != nil {
		t.Fatal(err)
	}
	source := "aws." + strings.TrimSuffix(rec.EventSource, ".amazonaws.com")
	ev := map[string]any{
		"version": "0", "id": "test", "detail-type": cloudtrail.DetailType, "source": source,
		"account": rec.RecipientAccountID, "time": "2026-11-24T10:00:00Z", "region": rec.AWSRegion,
		"resources": []string{}, "detail": json.RawMessage(record),
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// targets returns the functions template.yaml's rules deliver an event to.
func targets(t *testing.T, tmpl *eventbus.Template, event []byte) []string {
	t.Helper()
	var out []string
	for _, r := range tmpl.Rules {
		ok, err := r.Pattern.Match(event)
		if err != nil {
			t.Fatalf("rule %s: %v", r.Name, err)
		}
		if !ok {
			continue
		}
		for _, tg := range r.Targets {
			out = append(out, tg.Name)
		}
	}
	sort.Strings(out)
	return out
}

// TestRealRecordsRouteToTheirGuard: the CloudTrail records captured from
// AWS (../shared/testdata/cloudtrail, see SOURCES.md) reach exactly the guard
// that judges them through template.yaml's own patterns.
func TestRealRecordsRouteToTheirGuard(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; CI must provide it", dir)
		}
		t.Skipf("%s is not beside this checkout", dir)
	}
	want := map[string]string{
		"lambda-UpdateFunctionCode20150331v2.stratus-red-team.record.json":          "LambdaGuardFunction",
		"lambda-UpdateFunctionConfiguration20150331v2.stratus-red-team.record.json": "LambdaGuardFunction",
		"codecommit-CreateRepository.aws-docs.record.json":                          "RepoGuardFunction",
		// The stratus backdoor: the exposure guard, in the Lambda guard's function.
		"lambda-AddPermission20150331v2.stratus-red-team.record.json": "LambdaGuardFunction",
		// Not the guards' business: deletes, CodeGuru associating.
		"lambda-DeleteFunction.aws-docs.record.json":                 "",
		"codeguru-reviewer-AssociateRepository.aws-docs.record.json": "",
		// A failed call.
		"lambda-GetFunction-AccessDenied-error.aws-docs.record.json": "",
	}
	tmpl := loadTemplate(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.record.json"))
	if len(files) != len(want) {
		t.Errorf("%d sample records, this test knows %d: add the new ones to the table", len(files), len(want))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(targets(t, tmpl, envelope(t, data)), ",")
			if got != want[name] {
				t.Errorf("routed to %q, want %q", got, want[name])
			}
		})
	}
}

// TestEveryWatchedEventNameRoutesAndNoOther holds the patterns to the event
// names the guards react to, in every suffix form Lambda uses, and shows
// that failed and read-only calls and look-alike names do not match.
func TestEveryWatchedEventNameRoutesAndNoOther(t *testing.T) {
	tmpl := loadTemplate(t)
	record := func(source, name string, extra string) []byte {
		return []byte(`{"eventVersion":"1.08","eventSource":"` + source + `","eventName":"` + name + `",` +
			`"awsRegion":"eu-west-1","recipientAccountId":"111122223333","readOnly":false,` + extra +
			`"userIdentity":{"type":"IAMUser","userName":"alice"},"requestParameters":{}}`)
	}
	const lambda, cc, cg = "lambda.amazonaws.com", "codecommit.amazonaws.com", "codeguru-reviewer.amazonaws.com"
	const sg = "signer.amazonaws.com"
	tests := []struct {
		source, name, extra, want string
	}{
		{lambda, "CreateFunction20150331", "", "LambdaGuardFunction"},
		{lambda, "UpdateFunctionCode20150331v2", "", "LambdaGuardFunction"},
		{lambda, "UpdateFunctionCode20150331", "", "LambdaGuardFunction"},
		{lambda, "UpdateFunctionConfiguration20150331v2", "", "LambdaGuardFunction"},
		{lambda, "UpdateFunctionConfiguration20150331", "", "LambdaGuardFunction"},
		{lambda, "PublishVersion20150331", "", "LambdaGuardFunction"},
		{lambda, "CreateAlias20150331", "", "LambdaGuardFunction"},
		{lambda, "UpdateAlias20150331", "", "LambdaGuardFunction"},
		{lambda, "PutFunctionCodeSigningConfig", "", "LambdaGuardFunction"},
		{lambda, "DeleteFunctionCodeSigningConfig", "", "LambdaGuardFunction"},
		{lambda, "UpdateCodeSigningConfig", "", "LambdaGuardFunction"},
		{lambda, "DeleteFunctionConcurrency20171031", "", "LambdaGuardFunction"},
		// Exposure: who can invoke the code.
		{lambda, "AddPermission20150331v2", "", "LambdaGuardFunction"},
		{lambda, "AddPermission20150331", "", "LambdaGuardFunction"},
		{lambda, "RemovePermission20150331v2", "", "LambdaGuardFunction"},
		{lambda, "PutResourcePolicy", "", "LambdaGuardFunction"},
		{lambda, "CreateFunctionUrlConfig", "", "LambdaGuardFunction"},
		{lambda, "CreateFunctionUrlConfig20211031", "", "LambdaGuardFunction"},
		{lambda, "UpdateFunctionUrlConfig", "", "LambdaGuardFunction"},
		{lambda, "UpdateFunctionUrlConfig20211031", "", "LambdaGuardFunction"},
		{lambda, "AddLayerVersionPermission20181031", "", "LambdaGuardFunction"},
		{lambda, "CreateEventSourceMapping20150331", "", "LambdaGuardFunction"},
		{lambda, "UpdateEventSourceMapping20150331", "", "LambdaGuardFunction"},
		{lambda, "PutFunctionRecursionConfig", "", "LambdaGuardFunction"},
		{lambda, "AddPermission20150331v2", `"errorCode":"ResourceConflictException",`, ""},
		{cc, "CreateRepository", "", "RepoGuardFunction"},
		{cc, "DisassociateApprovalRuleTemplateFromRepository", "", "RepoGuardFunction"},
		{cc, "DeleteApprovalRuleTemplate", "", "RepoGuardFunction"},
		{cc, "UpdateApprovalRuleTemplateContent", "", "RepoGuardFunction"},
		{cc, "BatchDisassociateApprovalRuleTemplateFromRepositories", "", "RepoGuardFunction"},
		{cc, "UpdateApprovalRuleTemplateName", "", "RepoGuardFunction"},
		{cc, "UpdateRepositoryName", "", "RepoGuardFunction"},
		{cc, "OverridePullRequestApprovalRules", "", "RepoGuardFunction"},
		{cg, "DisassociateRepository", "", "RepoGuardFunction"},
		// A signature Lambda checked on deploy can be revoked in Signer later.
		{sg, "RevokeSignature", "", "LambdaGuardFunction"},
		{sg, "RevokeSigningProfile", "", "LambdaGuardFunction"},
		// Failed calls never reach a guard.
		{lambda, "UpdateFunctionCode20150331v2", `"errorCode":"CodeVerificationFailedException",`, ""},
		{cc, "CreateRepository", `"errorCode":"RepositoryNameExistsException",`, ""},
		// Look-alikes and unrelated writes.
		{lambda, "DeleteAlias20150331", "", ""},
		{lambda, "PutProvisionedConcurrencyConfig", "", ""},
		{lambda, "DeleteFunctionUrlConfig", "", ""},
		{lambda, "RemoveLayerVersionPermission20181031", "", ""},
		{lambda, "DeleteEventSourceMapping20150331", "", ""},
		{lambda, "GetPolicy20150331v2", "", ""},
		{lambda, "AddPermissions", "", ""},
		{cc, "CreateBranch", "", ""},
		{cc, "BatchAssociateApprovalRuleTemplateWithRepositories", "", ""},
		{cc, "CreatePullRequest", "", ""},
		{cc, "OverridePullRequestApprovalRules", `"errorCode":"OverrideAlreadySetException",`, ""},
		{cg, "AssociateRepository", "", ""},
		{sg, "StartSigningJob", "", ""},
		{sg, "CancelSigningProfile", "", ""},
		{sg, "RevokeSignature", `"errorCode":"ValidationException",`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.extra, func(t *testing.T) {
			got := strings.Join(targets(t, tmpl, envelope(t, record(tt.source, tt.name, tt.extra))), ",")
			if got != tt.want {
				t.Errorf("routed to %q, want %q", got, tt.want)
			}
		})
	}
	// A read-only call of a watched name (as CloudTrail marks reads).
	ro := []byte(strings.Replace(string(record(lambda, "UpdateFunctionCode20150331v2", "")), `"readOnly":false`, `"readOnly":true`, 1))
	if got := targets(t, tmpl, envelope(t, ro)); len(got) != 0 {
		t.Errorf("a read-only call routed to %v", got)
	}
}

// TestConcurrencyLiftsRouteAndContainmentsDoNot: raising or removing a
// reserved concurrency may lift a containment and reaches the Lambda guard;
// setting it to 0 (a containment, the guard's own included) never does.
func TestConcurrencyLiftsRouteAndContainmentsDoNot(t *testing.T) {
	tmpl := loadTemplate(t)
	record := func(name, params, extra string) []byte {
		return []byte(`{"eventVersion":"1.08","eventSource":"lambda.amazonaws.com","eventName":"` + name + `",` +
			`"awsRegion":"eu-west-1","recipientAccountId":"111122223333","readOnly":false,` + extra +
			`"userIdentity":{"type":"IAMUser","userName":"mallory"},"requestParameters":` + params + `}`)
	}
	tests := []struct {
		name, event, params, extra, want string
	}{
		{"removed", "DeleteFunctionConcurrency20171031", `{"functionName":"pay"}`, "", "LambdaGuardFunction"},
		{"raised", "PutFunctionConcurrency20171031", `{"functionName":"pay","reservedConcurrentExecutions":5}`, "", "LambdaGuardFunction"},
		{"raised, name without suffix", "PutFunctionConcurrency", `{"functionName":"pay","reservedConcurrentExecutions":1}`, "", "LambdaGuardFunction"},
		{"set to 0: a containment", "PutFunctionConcurrency20171031", `{"functionName":"pay","reservedConcurrentExecutions":0}`, "", ""},
		{"a failed removal", "DeleteFunctionConcurrency20171031", `{"functionName":"pay"}`, `"errorCode":"AccessDeniedException",`, ""},
		{"provisioned concurrency is another matter", "PutProvisionedConcurrencyConfig", `{"functionName":"pay","provisionedConcurrentExecutions":5}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(targets(t, tmpl, envelope(t, record(tt.event, tt.params, tt.extra))), ",")
			if got != tt.want {
				t.Errorf("routed to %q, want %q", got, tt.want)
			}
		})
	}
}
