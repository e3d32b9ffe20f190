package templatecheck

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/logging"
)

var subVar = regexp.MustCompile(`\$\{[^}]+\}`)

// TestTheDashboardIsJSONAndNamesTheMetricsTheGuardsWrite: the dashboard's
// body is valid JSON once CloudFormation substitutes it, and every metric it
// shows is one the decision lines write (shared/logging's EMF).
func TestTheDashboardIsJSONAndNamesTheMetricsTheGuardsWrite(t *testing.T) {
	res := readTemplate(t)["Resources"].(map[string]any)
	d, ok := res["Dashboard"].(map[string]any)
	if !ok {
		t.Fatal("no Dashboard")
	}
	body, _ := d["Properties"].(map[string]any)["DashboardBody"].(string)
	var dash struct {
		Widgets []struct {
			Type       string `json:"type"`
			Properties struct {
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(subVar.ReplaceAllString(body, "x")), &dash); err != nil {
		t.Fatalf("dashboard body: %v", err)
	}
	known := map[string]bool{logging.MetricFindings: true, logging.MetricActions: true, logging.MetricActionsDone: true,
		logging.MetricActionsFailed: true, logging.MetricActionsRefused: true, logging.MetricActionsPlanned: true, logging.MetricLatency: true}
	for _, w := range dash.Widgets {
		for _, m := range w.Properties.Metrics {
			if len(m) > 1 && m[0] == logging.MetricNamespace {
				if name, _ := m[1].(string); !known[name] {
					t.Errorf("the dashboard shows %s, which no decision line writes", name)
				}
			}
		}
	}
}

// TestTheSavedQueriesReadTheDecisionLines: each saved query reads the four
// guards' log groups and filters on fields the decision lines carry.
func TestTheSavedQueriesReadTheDecisionLines(t *testing.T) {
	res := readTemplate(t)["Resources"].(map[string]any)
	n := 0
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::Logs::QueryDefinition" {
			continue
		}
		n++
		p := m["Properties"].(map[string]any)
		if groups, _ := p["LogGroupNames"].([]any); len(groups) != 4 {
			t.Errorf("%s reads %v, want the four guards' log groups", id, p["LogGroupNames"])
		}
		q, _ := p["QueryString"].(string)
		for _, f := range regexp.MustCompile(`\b([a-z_]+) (=|>)`).FindAllStringSubmatch(q, -1) {
			switch f[1] {
			case logging.FieldDecision, logging.FieldRule, logging.FieldSeverity, "level":
			default:
				t.Errorf("%s filters on %q, not a decision line field", id, f[1])
			}
		}
		if !strings.Contains(q, `decision = "finding"`) && !strings.Contains(q, `level = "error"`) {
			t.Errorf("%s reads neither decisions nor errors: %s", id, q)
		}
	}
	if n < 4 {
		t.Errorf("%d saved queries, want at least 4 (what the guards did, by actor, by rule, failures)", n)
	}
}
