package decide

import (
	"sort"
	"strconv"
	"strings"

	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/shellcmd"
)

// ParamRegion is the function's region, which every undo command names.
const ParamRegion = "region"

// The undo commands: complete AWS CLI commands, every word shell-quoted,
// each naming the function's region, so a person can paste them as given.

func regionOf(s snapshot.Snapshot) string { return shellcmd.RegionOf(s.ARN) }

func undoContain(region, fn, previousReserved string) string {
	if previousReserved != "" {
		return shellcmd.AWS(region, "lambda", "put-function-concurrency", "--function-name", fn, "--reserved-concurrent-executions", previousReserved)
	}
	return shellcmd.AWS(region, "lambda", "delete-function-concurrency", "--function-name", fn)
}

// undoRestoreCode redeploys the package the restore replaced; the guard
// cannot hold a copy of it, so the command names the file the person has.
func undoRestoreCode(region, fn, sha string) string {
	return shellcmd.AWS(region, "lambda", "update-function-code", "--function-name", fn, "--zip-file", "fileb://replaced-package.zip") +
		"  # the replaced package, sha256 " + orNone(sha)
}

func undoAlias(region, fn string, a snapshot.Alias) string {
	args := []string{"--function-name", fn, "--name", a.Name, "--function-version", a.FunctionVersion}
	if len(a.AdditionalWeights) > 0 {
		vs := make([]string, 0, len(a.AdditionalWeights))
		for v := range a.AdditionalWeights {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		js := make([]string, len(vs))
		for i, v := range vs {
			js[i] = strconv.Quote(v) + ":" + strconv.FormatFloat(a.AdditionalWeights[v], 'f', -1, 64)
		}
		args = append(args, "--routing-config", `{"AdditionalVersionWeights":{`+strings.Join(js, ",")+`}}`)
	}
	return shellcmd.AWS(region, "lambda", "update-alias", args...)
}

func undoCSC(region, fn, previous string) string {
	if previous == "" {
		return shellcmd.AWS(region, "lambda", "delete-function-code-signing-config", "--function-name", fn)
	}
	return shellcmd.AWS(region, "lambda", "put-function-code-signing-config", "--function-name", fn, "--code-signing-config-arn", previous)
}
