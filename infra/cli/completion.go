package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// flagLine matches a flag in flag.PrintDefaults' output.
var flagLine = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)

// commandFlags lists each command's flags, as its own help prints them.
func commandFlags() map[string][]string {
	out := map[string][]string{}
	for name, c := range commands() {
		var buf bytes.Buffer
		c.run(context.Background(), []string{"-h"}, &buf, io.Discard)
		for _, m := range flagLine.FindAllStringSubmatch(buf.String(), -1) {
			out[name] = append(out[name], "--"+m[1])
		}
		sort.Strings(out[name])
	}
	return out
}

// flagValues are the values completion offers after a flag.
var flagValues = map[string]string{
	"--fail-on": "none low medium high critical",
	"--format":  "table json asff html csv text",
}

func runCompletion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintf(stdout, "selfguard completion - %s\n\nUsage: %s\n\nExamples:\n  %s\n\n%s\n", commands()["completion"].summary,
			commands()["completion"].usage, strings.Join(commands()["completion"].examples, "\n  "), exitCodes)
		return ExitOK
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, "selfguard completion: name one shell: bash, zsh or fish")
		return ExitUsage
	}
	flags := commandFlags()
	cmds := names(commands())
	switch args[0] {
	case "bash", "zsh":
		writeBash(stdout, args[0] == "zsh", cmds, flags)
	case "fish":
		writeFish(stdout, cmds, flags)
	default:
		fmt.Fprintf(stderr, "selfguard completion: unknown shell %q (want bash, zsh or fish)\n", args[0])
		return ExitUsage
	}
	return ExitOK
}

func writeBash(w io.Writer, zsh bool, cmds []string, flags map[string][]string) {
	fmt.Fprintln(w, "# selfguard completion; load with: source <(selfguard completion bash)")
	if zsh {
		fmt.Fprintln(w, "autoload -U +X bashcompinit && bashcompinit")
	}
	fmt.Fprintln(w, "_selfguard() {")
	fmt.Fprintln(w, `  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="${COMP_WORDS[1]}"`)
	fmt.Fprintf(w, "  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(append(cmds, "help", "--help", "--version"), " "))
	fmt.Fprintln(w, `  case "$prev" in`)
	for _, f := range sortedKeys(flagValues) {
		fmt.Fprintf(w, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", f, flagValues[f])
	}
	fmt.Fprintln(w, "  esac")
	fmt.Fprintln(w, `  case "$cmd" in`)
	fmt.Fprintf(w, "    help) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", strings.Join(cmds, " "))
	fmt.Fprintln(w, `    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"));;`)
	for _, c := range cmds {
		if len(flags[c]) > 0 {
			fmt.Fprintf(w, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", c, strings.Join(flags[c], " "))
		}
	}
	fmt.Fprintln(w, "  esac")
	fmt.Fprintln(w, "}")
	fmt.Fprintln(w, "complete -o default -F _selfguard selfguard")
}

func writeFish(w io.Writer, cmds []string, flags map[string][]string) {
	fmt.Fprintln(w, "# selfguard completion; load with: selfguard completion fish | source")
	all := commands()
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c selfguard -f -n __fish_use_subcommand -a %s -d %q\n", c, all[c].summary)
	}
	for _, c := range cmds {
		for _, f := range flags[c] {
			line := fmt.Sprintf("complete -c selfguard -n '__fish_seen_subcommand_from %s' -l %s", c, strings.TrimPrefix(f, "--"))
			if v, ok := flagValues[f]; ok {
				line += fmt.Sprintf(" -x -a %q", v)
			}
			fmt.Fprintln(w, line)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
