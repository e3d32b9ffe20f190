package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/localorg"
)

// TestAuditOfAnOrganizationReportsEveryAccountAndExits4OnUnreachable runs
// `selfguard audit --accounts-from FILE --role ...` against a local
// organization through the SDK's default configuration, as from the
// security account: one member lacks the role.
func TestAuditOfAnOrganizationReportsEveryAccountAndExits4OnUnreachable(t *testing.T) {
	org, err := localorg.Start(localorg.Options{
		Members: 3, WithoutRole: []string{localorg.MemberID(2)},
		World: func(account, region string) *emulator.World {
			w := &emulator.World{}
			w.Lambda.Functions = []lambdaemu.FunctionWorld{{Name: "fn-" + account, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": account}}}}
			return w
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer org.Close()
	file := filepath.Join(t.TempDir(), "accounts.txt")
	ids := strings.Join(org.Members, "\n")
	if err := os.WriteFile(file, []byte("# members\n"+ids+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	restore := setEnv(map[string]string{
		"AWS_ENDPOINT_URL": org.URL, "AWS_ACCESS_KEY_ID": localorg.AuditorKey, "AWS_SECRET_ACCESS_KEY": localorg.AuditorSecret,
		"AWS_REGION": "eu-west-1", "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_ENDPOINT_URL_LAMBDA": "", "AWS_ENDPOINT_URL_STS": "",
	})
	defer restore()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"audit", "--accounts-from", file, "--role", localorg.DefaultRole,
		"--region", "eu-west-1,us-east-1", "--rate", "14", "--format", "json", "--fail-on", "critical"}, &out, &errOut)
	if code != ExitUnreachable {
		t.Fatalf("exit %d, want %d (unreachable)\nstderr: %s", code, ExitUnreachable, errOut.String())
	}
	var rep struct {
		Accounts    []string
		Regions     []string
		Functions   int
		Unreachable []struct{ Account, Region, Reason string }
		Items       []struct{ Account, Region string }
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out.String())
	}
	if rep.Functions != 4 || len(rep.Accounts) != 2 || len(rep.Regions) != 2 {
		t.Errorf("audited %d functions in %v, %v; want 2 accounts × 2 regions", rep.Functions, rep.Accounts, rep.Regions)
	}
	if len(rep.Unreachable) != 1 || rep.Unreachable[0].Account != localorg.MemberID(2) || !strings.Contains(rep.Unreachable[0].Reason, "AccessDenied") {
		t.Errorf("unreachable = %+v, want the member without the role, denied", rep.Unreachable)
	}
	if !strings.Contains(errOut.String(), "UNREACHABLE") {
		t.Errorf("stderr does not list the unreachable account-region: %s", errOut.String())
	}
}
