package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

// Format names an output format.
type Format string

// The formats audit writes.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatASFF  Format = "asff"
	FormatHTML  Format = "html"
	FormatCSV   Format = "csv"
)

// Formats lists the format names, for help and completion.
func Formats() []string {
	return []string{string(FormatTable), string(FormatJSON), string(FormatASFF), string(FormatHTML), string(FormatCSV)}
}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", FormatTable:
		return FormatTable, nil
	case FormatJSON, FormatASFF, FormatHTML, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want %s)", s, strings.Join(Formats(), ", "))
}

// Item is one finding in one account and region, with the actions enforce
// mode would plan for its resource.
type Item struct {
	Account string            `json:"account"`
	Region  string            `json:"region"`
	Finding finding.Finding   `json:"finding"`
	Actions []finding.Action  `json:"actions,omitempty"`
	Extra   map[string]string `json:"-"`
}

// Report is the outcome of one audit.
type Report struct {
	GeneratedAt time.Time `json:"generatedAt"`
	Accounts    []string  `json:"accounts"`
	Regions     []string  `json:"regions"`
	// Functions and Repositories count the resources evaluated.
	Functions    int `json:"functions"`
	Repositories int `json:"repositories"`
	// JudgedWith says where the settings the findings were judged with
	// came from (a deployed stack, a file), per region.
	JudgedWith []string `json:"judgedWith,omitempty"`
	// Warnings say what makes the findings less than the deployed guard's
	// judgement (no trusted signing profile, ...).
	Warnings []string `json:"warnings,omitempty"`
	Items    []Item   `json:"items"`
	// Muted are the findings the configured mutes silenced.
	Muted []MutedItem `json:"muted,omitempty"`
}

// MutedItem is a muted finding in one account and region.
type MutedItem struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	finding.Muted
}

// MutedBy counts the muted findings by the mute that silenced them, in the
// order the mutes first appear.
func (r *Report) MutedBy() []string {
	counts := map[string]int{}
	var order []string
	label := map[string]string{}
	for _, m := range r.Muted {
		if counts[m.By] == 0 {
			order = append(order, m.By)
			label[m.By] = m.Reason
			if m.Expires != "" {
				label[m.By] += ", until " + m.Expires
			}
		}
		counts[m.By]++
	}
	out := make([]string, len(order))
	for i, by := range order {
		out[i] = fmt.Sprintf("%d by %s (%s)", counts[by], by, label[by])
	}
	return out
}

// Warn adds a warning once.
func (r *Report) Warn(w string) {
	for _, x := range r.Warnings {
		if x == w {
			return
		}
	}
	r.Warnings = append(r.Warnings, w)
}

// Filter keeps the items whose rule matches one of rules and whose
// resource matches one of resources (path.Match patterns; an empty list
// keeps everything).
func (r *Report) Filter(rules, resources []string) {
	kept := r.Items[:0]
	for _, it := range r.Items {
		if matches(rules, string(it.Finding.Rule)) && matches(resources, it.Finding.Resource) {
			kept = append(kept, it)
		}
	}
	r.Items = kept
	muted := r.Muted[:0]
	for _, m := range r.Muted {
		if matches(rules, string(m.Finding.Rule)) && matches(resources, m.Finding.Resource) {
			muted = append(muted, m)
		}
	}
	r.Muted = muted
}

func matches(patterns []string, v string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, v); ok || p == v {
			return true
		}
	}
	return false
}

// Sort orders items most severe first, then by account, region, resource
// and rule, so output is stable from run to run.
func (r *Report) Sort() {
	sort.SliceStable(r.Items, func(i, j int) bool {
		a, b := r.Items[i], r.Items[j]
		if ra, rb := a.Finding.Severity.Rank(), b.Finding.Severity.Rank(); ra != rb {
			return ra > rb
		}
		for _, p := range [][2]string{
			{a.Account, b.Account}, {a.Region, b.Region},
			{a.Finding.Resource, b.Finding.Resource}, {string(a.Finding.Rule), string(b.Finding.Rule)},
		} {
			if p[0] != p[1] {
				return p[0] < p[1]
			}
		}
		return false
	})
}

// CountAtLeast counts the items as severe as min or more.
func (r *Report) CountAtLeast(min finding.Severity) int {
	n := 0
	for _, it := range r.Items {
		if it.Finding.Severity.AtLeast(min) {
			n++
		}
	}
	return n
}

// Counts returns the number of items per severity.
func (r *Report) Counts() map[finding.Severity]int {
	c := map[finding.Severity]int{}
	for _, it := range r.Items {
		c[it.Finding.Severity]++
	}
	return c
}

// Write renders the report in format f.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case FormatJSON:
		return r.WriteJSON(w)
	case FormatASFF:
		return r.WriteASFF(w)
	case FormatHTML:
		return r.WriteHTML(w)
	case FormatCSV:
		return r.WriteCSV(w)
	default:
		return r.WriteTable(w)
	}
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	out := *r
	if out.Items == nil {
		out.Items = []Item{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

var severityOrder = []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow}

// WriteTable writes one section per severity, most severe first, each a
// table of resource, rule and summary, then what enforce mode would do.
func (r *Report) WriteTable(w io.Writer) error {
	r.Sort()
	bw := &errWriter{w: w}
	fmt.Fprintf(bw, "selfguard audit - %s in %s: %s, %s evaluated\n",
		strings.Join(r.Accounts, ", "), strings.Join(r.Regions, ", "), plural(r.Functions, "function"), plural(r.Repositories, "repository"))
	if len(r.JudgedWith) > 0 {
		fmt.Fprintf(bw, "judged with the settings of: %s\n", strings.Join(dedupe(r.JudgedWith), ", "))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(bw, "WARNING: %s\n", w)
	}
	defer r.writeMuted(bw)
	if len(r.Items) == 0 {
		fmt.Fprintln(bw, "\nNo findings.")
		return bw.err
	}
	counts := r.Counts()
	multiRegion := len(r.Regions) > 1
	for _, sev := range severityOrder {
		if counts[sev] == 0 {
			continue
		}
		fmt.Fprintf(bw, "\n%s (%d)\n", strings.ToUpper(string(sev)), counts[sev])
		tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		if multiRegion {
			fmt.Fprintln(tw, "  REGION\tRESOURCE\tRULE\tSUMMARY")
		} else {
			fmt.Fprintln(tw, "  RESOURCE\tRULE\tSUMMARY")
		}
		for _, it := range r.Items {
			if it.Finding.Severity != sev {
				continue
			}
			if multiRegion {
				fmt.Fprintf(tw, "  %s\t", clean(it.Region))
			} else {
				fmt.Fprint(tw, "  ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", clean(it.Finding.Resource), clean(string(it.Finding.Rule)), clean(it.Finding.Summary))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write table report: %w", err)
		}
	}
	fmt.Fprintf(bw, "\n%s:", plural(len(r.Items), "finding"))
	for _, sev := range severityOrder {
		if counts[sev] > 0 {
			fmt.Fprintf(bw, " %d %s", counts[sev], sev)
		}
	}
	fmt.Fprintln(bw)
	return bw.err
}

// writeMuted says how many findings the mutes silenced, and by which.
func (r *Report) writeMuted(w io.Writer) {
	if len(r.Muted) == 0 {
		return
	}
	fmt.Fprintf(w, "%s muted: %s\n", plural(len(r.Muted), "finding"), strings.Join(r.MutedBy(), "; "))
}

// plural writes "1 finding", "2 findings", "1 repository", "2 repositories".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func dedupe(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// clean keeps attacker-chosen names (function names, descriptions) from
// forging lines or escape sequences in a terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("write table report: %w", err)
	}
	return n, err
}
