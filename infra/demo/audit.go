package demo

import (
	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/testbed"
)

// AuditWorld is the demo account as the final audit finds it: the demo
// world plus what an account that predates selfguard tends to hold — an
// unsigned function without code signing that another account may still
// invoke, a canary alias on $LATEST, and a repository nobody reviews.
func AuditWorld() *emulator.World {
	w := testbed.DemoWorld()
	w.Lambda.Functions = append(w.Lambda.Functions, lambdaemu.FunctionWorld{
		Name: "legacy-cron", CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "#!/bin/sh\necho 2019\n"}},
		// A grant to an account nobody trusts any more.
		Permissions: []lambdaemu.PermissionWorld{{StatementID: "old-partner", Principal: "999988887777"}},
	})
	for i := range w.Lambda.Functions {
		if w.Lambda.Functions[i].Name == testbed.Orders {
			w.Lambda.Functions[i].Aliases = append(w.Lambda.Functions[i].Aliases, lambdaemu.AliasWorld{Name: "canary", FunctionVersion: "$LATEST"})
		}
	}
	w.Repos = repoemu.World{Repositories: []repoemu.Repository{{Name: repo, DefaultBranch: "main"}}}
	return w
}

// AuditExpected are the rule and resource pairs the audit of AuditWorld must
// report (it may report more, such as the Warn-only CSC of payments-api).
var AuditExpected = [][2]string{
	{"lambda.unsigned-code", "legacy-cron"},
	{"lambda.no-code-signing-config", "legacy-cron"},
	{"lambda.untrusted-account-invoke", "legacy-cron#old-partner"},
	{"lambda.alias-latest", testbed.Orders + ":canary"},
	{"lambda.csc-warn-only", testbed.Payments},
	{"repo.no-approval-rule", repo},
	{"repo.no-automated-review", repo},
}
