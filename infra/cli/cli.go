package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFindings = 1 // audit or evaluate found findings at or above --fail-on; demo outcome not as expected
	ExitUsage    = 2
	ExitError    = 3
)

// exitCodes is the help's account of the exit codes.
const exitCodes = `Exit codes:
  0  done; no finding at or above --fail-on
  1  findings at or above --fail-on (audit, evaluate); a demo outcome not as expected
  2  usage: an unknown command or flag, a bad value, an unreadable file
  3  error: AWS could not be reached or answered with an error, a write failed
  4  audit --accounts-from: some account-regions could not be audited (they are listed)`

type command struct {
	summary  string
	usage    string
	examples []string
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"audit": {"evaluate every function and repository read-only and report; exit 1 on findings",
			"selfguard audit [flags]",
			[]string{
				"selfguard audit --stack selfguard                   # judge as the deployed selfguard does",
				"selfguard audit --config samconfig.toml --fail-on critical",
				"selfguard audit --stack selfguard --format html --output audit.html",
				"selfguard audit --stack selfguard --import          # into Security Hub",
				"selfguard audit --region eu-west-1,us-east-1 --format json --quiet",
				"selfguard audit --accounts-from organizations --role selfguard-audit --config samconfig.toml",
			}, runAudit},
		"evaluate": {"print what the guards would find and plan for one CloudTrail event; changes nothing",
			"selfguard evaluate --event FILE [flags]",
			[]string{
				"selfguard evaluate --stack selfguard --event event.json",
				"aws cloudtrail lookup-events ... | jq '.Events[0].CloudTrailEvent | fromjson' | selfguard evaluate --event - --format text",
			}, runEvaluate},
		"demo": {"play selfguard's scenarios on a local AWS account and check each outcome",
			"selfguard demo [--only TEXT] [--no-audit]",
			[]string{"selfguard demo", "selfguard demo --only mallory"}, runDemo},
		"rules": {"list every rule selfguard judges (--markdown: the README's table)",
			"selfguard rules [--markdown]", []string{"selfguard rules"}, runRules},
		"local": {"serve the local AWS account (the selfguard emulator) and print the SDK environment",
			"selfguard local [flags]", []string{"eval \"$(selfguard local --world world.json)\""}, runLocal},
		"completion": {"print a shell completion script (bash, zsh or fish)",
			"selfguard completion bash|zsh|fish",
			[]string{"source <(selfguard completion bash)", "selfguard completion zsh > \"${fpath[1]}/_selfguard\""}, runCompletion},
		"version": {"print selfguard's version", "selfguard version", nil, runVersion},
	}
}

// Main runs the selfguard command with args (without the program name).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(stdout, cmds)
		return ExitOK
	case "--version", "-version":
		return runVersion(ctx, nil, stdout, stderr)
	case "help":
		if len(args) == 1 {
			usage(stdout, cmds)
			return ExitOK
		}
		c, ok := cmds[args[1]]
		if !ok {
			fmt.Fprintf(stderr, "selfguard help: unknown command %q\n", args[1])
			return ExitUsage
		}
		return c.run(ctx, []string{"-h"}, stdout, stderr)
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "selfguard: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return ExitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func names(cmds map[string]command) []string {
	out := make([]string, 0, len(cmds))
	for n := range cmds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "selfguard - an event-driven self-guard for AWS Lambda, and its tools")
	fmt.Fprintln(w, "\nUsage: selfguard <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range names(cmds) {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nExamples:")
	for _, e := range []string{"selfguard audit --stack selfguard", "selfguard evaluate --stack selfguard --event event.json", "selfguard demo"} {
		fmt.Fprintf(w, "  %s\n", e)
	}
	fmt.Fprintf(w, "\n%s\n", exitCodes)
	fmt.Fprintln(w, "\nRun 'selfguard help <command>' (or selfguard <command> -h) for a command's flags and examples.")
}

// commandHelp writes one command's help: what it does, its usage, flags,
// examples and exit codes.
func commandHelp(w io.Writer, fs *flag.FlagSet) {
	c := commands()[fs.Name()]
	fmt.Fprintf(w, "selfguard %s - %s\n\nUsage: %s\n\nFlags:\n", fs.Name(), c.summary, c.usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	if len(c.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	fmt.Fprintf(w, "\n%s\n", exitCodes)
}

// parseFlags parses a subcommand's flags; it returns an exit code and false
// when the command should stop (help asked for, or bad flags). Help goes to
// stdout; mistakes go to stderr with the way to the help.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (int, bool) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandHelp(stdout, fs)
			return ExitOK, false
		}
		fmt.Fprintf(stderr, "selfguard %s: %v\nRun 'selfguard help %s' for its flags.\n", fs.Name(), err, fs.Name())
		return ExitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "selfguard %s: unexpected arguments: %s\n", fs.Name(), strings.Join(fs.Args(), " "))
		return ExitUsage, false
	}
	return ExitOK, true
}

// Version is selfguard's version: set at build time with
// -ldflags "-X github.com/selfguard/selfguard/infra/cli.Version=v1.2.3", else
// read from the module and VCS information Go records in the binary.
var Version = ""

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "selfguard version: takes no arguments")
		return ExitUsage
	}
	fmt.Fprintf(stdout, "selfguard %s\n", version())
	return ExitOK
}

func version() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v = "devel-" + rev
		if dirty {
			v += "-dirty"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v + " (" + bi.GoVersion + ")"
}
