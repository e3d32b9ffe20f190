package orgaudit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/selfguard/selfguard/shared/report"
)

// Unreachable is an account-region the audit could not finish.
type Unreachable struct {
	Account string `json:"account"`
	// Region is empty when the whole account was unreachable.
	Region string `json:"region,omitempty"`
	Reason string `json:"reason"`
}

// Result is the organization's audit: one report over every account-region
// reached, and those that were not.
type Result struct {
	*report.Report
	Unreachable []Unreachable `json:"unreachable"`
}

// Write renders the result: the report in format f, then, for the table,
// the unreachable account-regions. JSON holds both; ASFF is findings only
// (Security Hub takes nothing else), so the caller tells of the
// unreachable ones apart.
func (r *Result) Write(w io.Writer, f report.Format) error {
	switch f {
	case report.FormatJSON:
		return r.writeJSON(w)
	case report.FormatASFF:
		return r.Report.Write(w, f)
	}
	if err := r.Report.WriteTable(w); err != nil {
		return err
	}
	return r.WriteUnreachable(w)
}

func (r *Result) writeJSON(w io.Writer) error {
	out := struct {
		*report.Report
		Unreachable []Unreachable `json:"unreachable"`
	}{r.Report, r.Unreachable}
	if out.Items == nil {
		cp := *r.Report
		cp.Items = []report.Item{}
		out.Report = &cp
	}
	if out.Unreachable == nil {
		out.Unreachable = []Unreachable{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json result: %w", err)
	}
	return nil
}

// WriteUnreachable lists the account-regions not audited, with why.
func (r *Result) WriteUnreachable(w io.Writer) error {
	if len(r.Unreachable) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nUNREACHABLE (%d): not audited\n  ACCOUNT\tREGION\tREASON\n", len(r.Unreachable))
	for _, u := range r.Unreachable {
		region := u.Region
		if region == "" {
			region = "(all)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", u.Account, region, oneLine(u.Reason))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write unreachable: %w", err)
	}
	return nil
}

// oneLine keeps an error message (which may quote a resource name) on one
// line of the terminal.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
