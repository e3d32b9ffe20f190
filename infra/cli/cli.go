package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFindings = 1 // audit found findings at or above --fail-on; demo outcome not as expected
	ExitUsage    = 2
	ExitError    = 3
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"audit":    {"evaluate every function and repository read-only and report (table, json, asff); exit 1 on findings", runAudit},
		"evaluate": {"print, as JSON, the findings and planned actions the guards would have for a CloudTrail event; changes nothing", runEvaluate},
		"demo":     {"play selfguard's scenarios on a local AWS account and check each outcome", runDemo},
		"rules":    {"list every rule selfguard judges (--markdown: the README's table)", runRules},
		"local":    {"serve the local AWS account (the selfguard emulator) and print the SDK environment", runLocal},
	}
}

// Main runs the selfguard command with args (without the program name).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "selfguard: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return ExitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: selfguard <command> [flags]")
	fmt.Fprintln(w)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun selfguard <command> -h for a command's flags.")
}

// parseFlags parses a subcommand's flags; it returns an exit code and false
// when the command should stop (help asked for, or bad flags).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "selfguard %s: unexpected arguments: %s\n", fs.Name(), strings.Join(fs.Args(), " "))
		return ExitUsage, false
	}
	return ExitOK, true
}
