package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/selfguard/selfguard/shared/rules"
)

func runRules(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	markdown := fs.Bool("markdown", false, "print the README's rule table (Markdown)")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *markdown {
		fmt.Fprint(stdout, rules.Markdown())
		return ExitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tGUARDRAIL\tSEVERITY\tTITLE")
	for _, r := range rules.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Guardrail, r.Severity, r.Title)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "selfguard rules: %v\n", err)
		return ExitError
	}
	return ExitOK
}
