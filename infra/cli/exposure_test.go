package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/shared/report"
)

// backdoorRecord is the shape of the real stratus-red-team record
// (shared/testdata/cloudtrail), in the audit's account and region.
const backdoorRecord = `{"eventVersion":"1.08","eventSource":"lambda.amazonaws.com","eventName":"AddPermission20150331v2",
"eventID":"e-2","eventTime":"2026-11-24T10:00:00Z","awsRegion":"` + auditRegion + `","readOnly":false,"recipientAccountId":"` + auditAccount + `",
"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::` + auditAccount + `:user/mallory","userName":"mallory"},
"requestParameters":{"action":"lambda:InvokeFunction","functionName":"good","principal":"*","statementId":"backdoor"},
"responseElements":{"statement":"{}"}}`

// TestAuditAndEvaluateFindTheBackdoorAndChangeNothing: a public
// permission shows in the audit's report and in evaluate's decision on the
// event, with the removal planned, and neither writes.
func TestAuditAndEvaluateFindTheBackdoorAndChangeNothing(t *testing.T) {
	srv := auditEnv(t)
	admin, _ := srv.Identities.ByName(emulator.ActorAdmin)
	client := lambda.NewFromConfig(aws.Config{
		Region: auditRegion, Credentials: credentials.NewStaticCredentialsProvider(admin.AccessKeyID, admin.SecretKey, ""),
	}, func(o *lambda.Options) { o.BaseEndpoint = aws.String(srv.Env.BaseURL) })
	if _, err := client.AddPermission(context.Background(), &lambda.AddPermissionInput{FunctionName: aws.String("good"),
		StatementId: aws.String("backdoor"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Env.Trail.Since(0))

	code, js, stderr := runCLI(t, "audit", "--format", "json", "--functions-only")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d (a critical finding): %s", code, ExitFindings, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range rep.Items {
		if it.Finding.Rule == "lambda.public-invoke" && it.Finding.Resource == "good#backdoor" && len(it.Actions) == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("the audit does not report good#backdoor with its removal:\n%s", js)
	}

	code, out, errOut := runCLI(t, "evaluate", "--event", writeEvent(t, backdoorRecord))
	if code != ExitOK {
		t.Fatalf("evaluate: exit %d: %s", code, errOut)
	}
	var ev evaluation
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Subjects) != 1 || ev.Subjects[0].Subject.Guard != "exposure" || len(ev.Subjects[0].Decision.Actions) != 1 ||
		!strings.Contains(ev.Subjects[0].Decision.Actions[0].Undo, "add-permission --function-name good --statement-id backdoor") {
		t.Errorf("evaluate printed %s", out)
	}
	if after := len(srv.Env.Trail.Since(0)); after != before {
		t.Errorf("audit or evaluate wrote to the account: %d trail events appeared", after-before)
	}
}
