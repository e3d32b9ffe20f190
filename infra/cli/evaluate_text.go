package cli

import (
	"fmt"
	"io"
	"strings"
)

// writeText writes the evaluation for people: the event, then per resource
// the findings and what the guard would do, never having done it.
func (e *evaluation) writeText(w io.Writer) error {
	bw := &strings.Builder{}
	fmt.Fprintf(bw, "event    %s %s by %s", e.Event.Name, e.Event.ID, e.Event.Actor)
	if e.Event.Account != "" || e.Event.Region != "" {
		fmt.Fprintf(bw, " in %s %s", e.Event.Account, e.Event.Region)
	}
	fmt.Fprintln(bw)
	for _, wn := range e.Warnings {
		fmt.Fprintf(bw, "WARNING  %s\n", wn)
	}
	if e.Ignored != "" {
		fmt.Fprintf(bw, "not judged: %s\n", e.Ignored)
		_, err := io.WriteString(w, bw.String())
		return err
	}
	fmt.Fprintf(bw, "guard    %s, %s mode (evaluate changes nothing)\n", e.Guard, e.Mode)
	for _, s := range e.Subjects {
		fmt.Fprintf(bw, "\n%s %s\n", s.Subject.Type, clean(s.Subject.Name))
		if len(s.Decision.Findings) == 0 {
			fmt.Fprintln(bw, "  ok: no finding")
		}
		for _, f := range s.Decision.Findings {
			fmt.Fprintf(bw, "  %-8s %s %s: %s\n", strings.ToUpper(string(f.Severity)), f.Rule, clean(f.Resource), clean(f.Summary))
		}
		for _, m := range s.Decision.Muted {
			fmt.Fprintf(bw, "  muted    %s %s by %s (%s)\n", m.Finding.Rule, clean(m.Finding.Resource), m.By, m.Reason)
		}
		for _, a := range s.Decision.Actions {
			fmt.Fprintf(bw, "  would    %s\n", clean(a.Summary))
			if a.Undo != "" {
				fmt.Fprintf(bw, "           undo: %s\n", clean(a.Undo))
			}
		}
	}
	_, err := io.WriteString(w, bw.String())
	return err
}

// clean keeps names from forging lines or terminal escapes.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
