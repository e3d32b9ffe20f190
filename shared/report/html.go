package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

// htmlPage is one self-contained page: no request leaves it (its content
// security policy forbids any), so it can be attached to a ticket or a CI
// run and opened anywhere. It is parsed on first use: the guards link this
// package (for Security Hub) and never write HTML, so parsing it at init
// would only lengthen their cold start.
var htmlPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"upper": func(s finding.Severity) string { return strings.ToUpper(string(s)) },
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>selfguard audit - {{.Where}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d8dee4;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}.sev{font-weight:600;white-space:nowrap}
.critical{color:#8b0000}.high{color:#c2410c}.medium{color:#a16207}.low{color:#4b5563}
.warn{background:#fff4e5;border-left:4px solid #c2410c;padding:.5em 1em}
code{font:12px ui-monospace,monospace;background:#f6f8fa;padding:.1em .3em;word-break:break-all}
.filters{display:flex;gap:1em;align-items:center;margin:.8em 0}
</style>
</head>
<body>
<h1>selfguard audit</h1>
<p>{{.Where}}: {{.Evaluated}} evaluated, generated {{.Generated}}.{{if .JudgedWith}} Judged with the settings of {{.JudgedWith}}.{{end}}</p>
{{range .Warnings}}<p class="warn">Warning: {{.}}</p>
{{end}}
<h2>Summary</h2>
<svg id="chart" role="img" aria-label="findings by severity" width="520" height="{{.ChartHeight}}" xmlns="http://www.w3.org/2000/svg">
{{range $i, $b := .Bars}}<g transform="translate(0,{{$b.Y}})"><text x="0" y="16" font-size="13">{{$b.Label}}</text><rect class="bar" data-severity="{{$b.Severity}}" x="90" y="2" width="{{$b.Width}}" height="18" fill="{{$b.Color}}"></rect><text x="{{$b.TextX}}" y="16" font-size="13">{{$b.Count}}</text></g>
{{end}}</svg>
<table id="by-rule"><thead><tr><th>Rule</th><th>Severity</th><th>What it means</th><th>Findings</th></tr></thead><tbody>
{{range .Rules}}<tr><td><code>{{.ID}}</code></td><td class="sev {{.Severity}}">{{upper .Severity}}</td><td>{{.Title}}</td><td>{{.Count}}</td></tr>
{{end}}</tbody></table>
{{if .Muted}}<p id="muted">{{.Muted}}</p>{{end}}
<h2>Findings</h2>
<div class="filters">
<label>Severity <select id="severity"><option value="">all</option><option>critical</option><option>high</option><option>medium</option><option>low</option></select></label>
<label>Search <input id="q" type="search" placeholder="resource, rule or text"></label>
<span id="shown"></span>
</div>
<table id="findings"><thead><tr><th>Severity</th><th>Resource</th><th>Rule</th><th>Finding</th><th>Fix</th></tr></thead><tbody>
{{range .Items}}<tr class="finding" data-severity="{{.Severity}}" data-text="{{.Search}}"><td class="sev {{.Severity}}">{{upper .Severity}}</td><td>{{.Resource}}{{if .Region}}<br><small>{{.Account}} {{.Region}}</small>{{end}}</td><td><code>{{.Rule}}</code></td><td>{{.Summary}}{{if .Detail}}<br><small>{{.Detail}}</small>{{end}}</td><td>{{.Fix}}{{range .Undo}}<br><small>undo: <code>{{.}}</code></small>{{end}}</td></tr>
{{else}}<tr><td colspan="5">No findings.</td></tr>
{{end}}</tbody></table>
<script>
(function () {
  var sev = document.getElementById('severity'), q = document.getElementById('q'), shown = document.getElementById('shown');
  var rows = document.querySelectorAll('tr.finding');
  // The page's address may preset the filters: report.html#severity=high&q=payments
  var params = new URLSearchParams(location.hash.slice(1));
  if (params.get('severity')) sev.value = params.get('severity');
  if (params.get('q')) q.value = params.get('q');
  function apply() {
    var s = sev.value, t = q.value.toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!s || r.dataset.severity === s) && (!t || r.dataset.text.indexOf(t) >= 0);
      r.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
  }
  sev.addEventListener('change', apply);
  q.addEventListener('input', apply);
  apply();
})();
</script>
</body>
</html>
`))
})

type htmlBar struct {
	Label, Severity, Color string
	Count, Y, Width, TextX int
}

type htmlRule struct {
	ID       finding.RuleID
	Severity finding.Severity
	Title    string
	Count    int
}

type htmlItem struct {
	Severity                        finding.Severity
	Account, Region, Resource, Rule string
	Summary, Detail, Fix, Search    string
	Undo                            []string
}

var severityColors = map[finding.Severity]string{
	finding.SeverityCritical: "#8b0000", finding.SeverityHigh: "#c2410c", finding.SeverityMedium: "#ca8a04", finding.SeverityLow: "#6b7280",
}

// WriteHTML writes the report as one self-contained page: a summary by
// severity (an inline SVG chart) and by rule, and the findings in a table
// that filters by severity and text, each with what fixes it.
func (r *Report) WriteHTML(w io.Writer) error {
	r.Sort()
	counts := r.Counts()
	most := 1
	for _, n := range counts {
		most = max(most, n)
	}
	var bars []htmlBar
	for i, sev := range severityOrder {
		width := counts[sev] * 380 / most
		bars = append(bars, htmlBar{Label: strings.ToUpper(string(sev)), Severity: string(sev), Color: severityColors[sev],
			Count: counts[sev], Y: i * 24, Width: width, TextX: 96 + width})
	}
	byRule := map[finding.RuleID]*htmlRule{}
	var items []htmlItem
	for _, it := range r.Items {
		f := it.Finding
		rr, ok := byRule[f.Rule]
		if !ok {
			reg, _ := rules.Get(f.Rule)
			rr = &htmlRule{ID: f.Rule, Severity: f.Severity, Title: reg.Title}
			byRule[f.Rule] = rr
		}
		rr.Count++
		hi := htmlItem{Severity: f.Severity, Account: it.Account, Region: it.Region, Resource: f.Resource, Rule: string(f.Rule),
			Summary: f.Summary, Detail: f.Detail, Fix: fixOf(it)}
		for _, a := range it.Actions {
			if a.Undo != "" {
				hi.Undo = append(hi.Undo, a.Undo)
			}
		}
		hi.Search = strings.ToLower(strings.Join([]string{f.Resource, string(f.Rule), f.Summary, f.Detail}, " "))
		items = append(items, hi)
	}
	var ruleRows []htmlRule
	for _, rr := range byRule {
		ruleRows = append(ruleRows, *rr)
	}
	sort.Slice(ruleRows, func(i, j int) bool {
		if ruleRows[i].Count != ruleRows[j].Count {
			return ruleRows[i].Count > ruleRows[j].Count
		}
		return ruleRows[i].ID < ruleRows[j].ID
	})
	muted := ""
	if len(r.Muted) > 0 {
		muted = fmt.Sprintf("%s muted: %s", plural(len(r.Muted), "finding"), strings.Join(r.MutedBy(), "; "))
	}
	data := map[string]any{
		"Where":       strings.Join(r.Accounts, ", ") + " in " + strings.Join(r.Regions, ", "),
		"Evaluated":   plural(r.Functions, "function") + ", " + plural(r.Repositories, "repository"),
		"Generated":   r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"),
		"JudgedWith":  strings.Join(dedupe(r.JudgedWith), ", "),
		"Warnings":    r.Warnings,
		"Bars":        bars,
		"ChartHeight": len(bars) * 24,
		"Rules":       ruleRows,
		"Items":       items,
		"Muted":       muted,
	}
	if err := htmlPage().Execute(w, data); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// fixOf says what fixes a finding: what enforce mode would do about it,
// else what its rule says enforce mode does.
func fixOf(it Item) string {
	var parts []string
	for _, a := range it.Actions {
		parts = append(parts, a.Summary)
	}
	if len(parts) > 0 {
		return "selfguard enforce mode would " + strings.Join(parts, "; ")
	}
	if r, ok := rules.Get(it.Finding.Rule); ok && r.Enforce != "" {
		return "enforce mode: " + r.Enforce
	}
	return ""
}
