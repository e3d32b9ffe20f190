package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

func hubFindings(t *testing.T) map[string]shtypes.AwsSecurityFinding {
	t.Helper()
	api := securityhub.NewFromConfig(motoServer.Config(auditRegion))
	out := map[string]shtypes.AwsSecurityFinding{}
	p := securityhub.NewGetFindingsPaginator(api, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Findings {
			out[aws.ToString(f.Id)] = f
		}
	}
	return out
}

func TestAuditImportsIntoSecurityHubAndArchivesWhatIsFixed(t *testing.T) {
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	auditEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_SECURITYHUB", motoServer.URL)
	code, _, stderr := runCLI(t, "audit", "--import", "--fail-on", "critical")
	if code != ExitOK || !strings.Contains(stderr, "security hub "+auditRegion+": ") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := hubFindings(t)
	unsigned := "selfguard/" + auditAccount + "/" + auditRegion + "/lambda.unsigned-code/function/unsigned"
	f, ok := got[unsigned]
	if !ok || f.RecordState != shtypes.RecordStateActive || aws.ToString(f.ProductName) != "selfguard" || f.Compliance.Status != shtypes.ComplianceStatusFailed {
		t.Fatalf("imported %d findings; %s: %+v", len(got), unsigned, f)
	}

	// The unsigned function is now exempt, as if fixed: the next whole audit
	// archives its finding; a filtered one would not have.
	t.Setenv("SELFGUARD_EXEMPT_FUNCTIONS", "sandbox-*,unsigned")
	if code, _, stderr := runCLI(t, "audit", "--import", "--rule", "repo.*", "--fail-on", "critical"); code != ExitOK || !strings.Contains(stderr, "0 archived") {
		t.Fatalf("filtered: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "audit", "--import", "--fail-on", "critical"); code != ExitOK || !strings.Contains(stderr, "archived as fixed") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f = hubFindings(t)[unsigned]
	if f.RecordState != shtypes.RecordStateArchived || f.Compliance.Status != shtypes.ComplianceStatusPassed {
		t.Errorf("the fixed finding is %s / %+v, want ARCHIVED / PASSED", f.RecordState, f.Compliance)
	}
}
