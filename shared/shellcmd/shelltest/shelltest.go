package shelltest

import (
	"strings"
	"testing"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// Words parses a command line with a real POSIX shell parser and returns
// the words each simple command would receive, after quote removal. It
// fails on anything the shell would expand (parameters, globs, command
// substitution) so that a test sees exactly what would run.
func Words(t testing.TB, line string) [][]string {
	t.Helper()
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(line), "")
	if err != nil {
		t.Fatalf("%q does not parse: %v", line, err)
	}
	var cmds [][]string
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok {
			return true
		}
		var words []string
		for _, w := range call.Args {
			for _, p := range w.Parts {
				switch p.(type) {
				case *syntax.Lit, *syntax.SglQuoted:
				default:
					t.Errorf("%q: word %q would be expanded by the shell (%T)", line, w.Lit(), p)
				}
			}
			fields, err := expand.Fields(&expand.Config{}, w)
			if err != nil || len(fields) != 1 {
				t.Fatalf("%q: word %q gives %q, %v", line, w.Lit(), fields, err)
			}
			words = append(words, fields[0])
		}
		cmds = append(cmds, words)
		return true
	})
	return cmds
}
