package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/selfguard/selfguard/shared/rules"
)

// csvHeader names the CSV columns.
var csvHeader = []string{"account", "region", "severity", "rule", "guardrail", "resource_type", "resource", "arn", "summary", "detail", "fix", "undo"}

// WriteCSV writes one row per finding, most severe first, for
// spreadsheets. A cell a spreadsheet would run as a formula (=, +, -, @ first)
// is written with a leading apostrophe: resource names are the attacker's.
func (r *Report) WriteCSV(w io.Writer) error {
	r.Sort()
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	for _, it := range r.Items {
		f := it.Finding
		reg, _ := rules.Get(f.Rule)
		var undo []string
		for _, a := range it.Actions {
			if a.Undo != "" {
				undo = append(undo, a.Undo)
			}
		}
		row := []string{it.Account, it.Region, string(f.Severity), string(f.Rule), string(reg.Guardrail), string(f.ResourceType),
			f.Resource, f.ARN, f.Summary, f.Detail, fixOf(it), strings.Join(undo, "; ")}
		for i, c := range row {
			row[i] = defuse(c)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	return nil
}

// defuse keeps a cell from being read as a formula.
func defuse(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}
