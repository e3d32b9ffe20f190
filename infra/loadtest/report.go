package loadtest

import (
	"fmt"
	"io"
	"strings"
)

// Check is one assertion of a run.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Checks collects a run's assertions.
type Checks []Check

// Add records an assertion.
func (cs *Checks) Add(name string, ok bool, format string, args ...any) {
	*cs = append(*cs, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// Passed reports whether every check held.
func (cs Checks) Passed() bool {
	for _, c := range cs {
		if !c.OK {
			return false
		}
	}
	return len(cs) > 0
}

// Print writes one PASS or FAIL line per check.
func (cs Checks) Print(w io.Writer) {
	for _, c := range cs {
		verdict := "PASS"
		if !c.OK {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %-34s %s\n", verdict, c.Name, strings.ReplaceAll(c.Detail, "\n", "\n        "))
	}
}
