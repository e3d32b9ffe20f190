package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/selfguard/selfguard/infra/demo"
	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/testbed"
	"github.com/selfguard/selfguard/shared/settings"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	only := fs.String("only", "", "play only the scenarios whose name contains this text")
	noAudit := fs.Bool("no-audit", false, "skip the closing audit of the demo account")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if names := matching(*only); len(names) == 0 {
		fmt.Fprintf(stderr, "selfguard demo: no scenario's name contains %q; the scenarios are:\n", *only)
		for _, s := range demo.Catalogue() {
			fmt.Fprintf(stderr, "  %s (%s)\n", s.Name, s.Mode)
		}
		return ExitUsage
	}
	if _, err := testbed.FindRoot(); err != nil {
		fmt.Fprintln(stderr, "selfguard demo: run it from a checkout of selfguard: it builds the guard functions from their"+
			" source and reads template.yaml (git clone the repository, cd into it, then `make demo`)")
		return ExitUsage
	}
	fmt.Fprintln(stdout, "selfguard demo: a local AWS account, the guards from template.yaml under the Lambda runtime emulator,")
	fmt.Fprintln(stdout, "and people changing things. Each scenario starts from the same account: three signed functions")
	fmt.Fprintln(stdout, "released through a prod alias. Each scenario is told in time order (UTC): event (a person's CloudTrail call),")
	fmt.Fprintln(stdout, "decide (the guard's judgement, and how long after the event), action (the guard's own calls), alert (SNS).")
	opts := demo.Options{Only: *only}
	auditOK := true
	if !*noAudit {
		opts.Finally = func(ctx context.Context, b *testbed.Bed) error {
			var err error
			auditOK, err = auditDemo(ctx, b, stdout, stderr)
			return err
		}
	}
	results, err := demo.Run(ctx, stdout, opts)
	if err != nil {
		fmt.Fprintf(stderr, "selfguard demo: %v\n", err)
		return ExitError
	}
	failed := 0
	fmt.Fprintln(stdout, "\n=== outcomes")
	for _, r := range results {
		verdict := "ok  "
		if r.Err != nil {
			verdict = "FAIL"
			failed++
		}
		fmt.Fprintf(stdout, "%s %-8s %s\n", verdict, r.Mode, r.Scenario)
	}
	if failed > 0 || !auditOK {
		fmt.Fprintf(stdout, "\n%d of %d scenarios did not end as expected", failed, len(results))
		if !auditOK {
			fmt.Fprint(stdout, ", and the audit missed findings")
		}
		fmt.Fprintln(stdout)
		return ExitFindings
	}
	fmt.Fprintf(stdout, "\nall %d scenarios ended as expected\n", len(results))
	return ExitOK
}

// auditDemo loads the audit world into the demo account and runs
// `selfguard audit` on it, as a user would against a real account: through
// the SDK's default configuration, pointed at the local account.
func auditDemo(ctx context.Context, b *testbed.Bed, stdout, stderr io.Writer) (bool, error) {
	if err := b.Emulator.LoadWorld(demo.AuditWorld()); err != nil {
		return false, fmt.Errorf("load the audit world: %w", err)
	}
	admin, _ := b.Emulator.Identities.ByName(emulator.ActorAdmin)
	env := map[string]string{settings.EnvTrustedProfiles: testbed.ReleaseProfileARN, "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}
	for _, kv := range append(emulator.SDKEnv(b.URL, testbed.Region, admin), b.Moto.Env()...) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	restore := setEnv(env)
	defer restore()

	fmt.Fprintln(stdout, "\n=== selfguard audit of the demo account (an unsigned legacy function, a canary on $LATEST, an unreviewed repository)")
	if code := runAudit(ctx, []string{"--fail-on", "critical"}, stdout, stderr); code != ExitOK {
		return false, fmt.Errorf("audit exited %d", code)
	}
	var js bytes.Buffer
	if code := runAudit(ctx, []string{"--format", "json", "--fail-on", "critical"}, &js, stderr); code != ExitOK {
		return false, fmt.Errorf("audit --format json exited %d", code)
	}
	var rep struct {
		Items []struct {
			Finding struct {
				Rule     string `json:"rule"`
				Resource string `json:"resource"`
			} `json:"finding"`
		} `json:"items"`
	}
	if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
		return false, fmt.Errorf("read the audit's JSON: %w", err)
	}
	found := map[[2]string]bool{}
	for _, it := range rep.Items {
		found[[2]string{it.Finding.Rule, it.Finding.Resource}] = true
	}
	ok := true
	for _, want := range demo.AuditExpected {
		if !found[want] {
			fmt.Fprintf(stdout, "FAIL audit did not report %s on %s\n", want[0], want[1])
			ok = false
		}
	}
	if ok {
		fmt.Fprintf(stdout, "ok   the audit reported every expected finding (%d in all)\n", len(rep.Items))
	}
	return ok, nil
}

// setEnv sets variables for an in-process command and returns what
// restores them. The CLI runs one command at a time, so this is safe here.
func setEnv(vars map[string]string) func() {
	old := map[string]*string{}
	for k, v := range vars {
		if prev, ok := os.LookupEnv(k); ok {
			old[k] = &prev
		} else {
			old[k] = nil
		}
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	return func() {
		for k, v := range old {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
	}
}

// matching names the scenarios whose name contains only.
func matching(only string) []string {
	var out []string
	for _, s := range demo.Catalogue() {
		if strings.Contains(s.Name, only) {
			out = append(out, s.Name)
		}
	}
	return out
}
