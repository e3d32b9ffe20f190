package sweep_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/sweep"
)

// manyVersionsWorld: a healthy-looking function with 60 published versions
// (ListFunctions and ListVersionsByFunction page at 50), its alias on the
// last; version 55, on the second page, was published unsigned (as in a
// code signing gap), and version 57 is unsigned but weighted into the alias.
func manyVersionsWorld() *emulator.World {
	signed := lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "release"}, SignedBy: "trusted"}
	f := lambdaemu.FunctionWorld{Name: "busy", CodeWorld: signed, CodeSigningConfig: "csc-0000000000000000a",
		Aliases: []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "60", AdditionalVersionWeights: map[string]float64{"57": 0.05}}}}
	for i := 1; i <= 60; i++ {
		code := lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": fmt.Sprintf("release %d", i)}, SignedBy: "trusted"}
		if i == 55 || i == 57 {
			code.SignedBy = ""
		}
		f.Versions = append(f.Versions, lambdaemu.VersionWorld{CodeWorld: code})
	}
	w := mixedWorld()
	w.Lambda.Functions = []lambdaemu.FunctionWorld{f}
	w.Repos = repoemu.World{}
	return w
}

// TestTheSweepJudgesEveryPublishedVersion: a version no alias routes to is
// invocable by its qualified ARN, so the sweep (and audit, which runs it)
// judges all of them, past the first page.
func TestTheSweepJudgesEveryPublishedVersion(t *testing.T) {
	tb := newTestbed(t, manyVersionsWorld(), finding.ModeMonitor)
	var got collect
	if _, err := sweep.RunLocal(context.Background(), tb.lister(), tb.worker(&got), 1, "run-versions"); err != nil {
		t.Fatal(err)
	}
	keys := strings.Join(got.keys(), "\n")
	if !strings.Contains(keys, "lambda.untrusted-version|version|busy:55") {
		t.Errorf("version 55 (second page, unrouted, unsigned) not found:\n%s", keys)
	}
	if !strings.Contains(keys, "lambda.alias-untrusted-version|alias|busy:live") || strings.Contains(keys, "busy:57") {
		t.Errorf("version 57 is the alias rule's finding alone:\n%s", keys)
	}
	if n := strings.Count(keys, "lambda.untrusted-version|"); n != 1 {
		t.Errorf("%d untrusted-version findings, want 1:\n%s", n, keys)
	}
}
