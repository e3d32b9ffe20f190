package bench

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTheGuardsLinkNoSchemaPackages: the SDK's schema-based service modules
// build every operation's schema in package init, before the first event
// (about 1 ms and 0.6 MB per service, half of lambda-guard's init); go.mod
// holds lambda and dynamodb below them. An upgrade that brings them back
// fails here, so that its cold-start cost is a choice (docs/performance.md).
func TestTheGuardsLinkNoSchemaPackages(t *testing.T) {
	for _, fn := range []string{"lambda-guard", "repo-guard"} {
		out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../../functions/"+fn).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", fn, err)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/") && strings.HasSuffix(pkg, "/schemas") {
				t.Errorf("%s links %s", fn, pkg)
			}
		}
	}
}
