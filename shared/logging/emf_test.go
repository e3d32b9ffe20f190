package logging

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestADecisionLineIsAnEMFRecord checks the line against the Embedded
// Metric Format's rules: every dimension is a top-level string member,
// every metric a top-level number, and the timestamp is in milliseconds.
func TestADecisionLineIsAnEMFRecord(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "info").With().Str(FieldGuard, "lambda-guard").Logger()
	now := time.Date(2026, 11, 24, 10, 0, 3, 0, time.UTC)
	FindingMetrics(log.Warn().Str(FieldRule, "lambda.unsigned-code").Str(FieldSeverity, "high"),
		now, now.Add(-2500*time.Millisecond), Outcomes{Done: 1, Failed: 1}).Msg("unsigned code")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	emf, _ := line[fieldEMF].(map[string]any)
	if ts, _ := emf["Timestamp"].(float64); int64(ts) != now.UnixMilli() {
		t.Errorf("timestamp %v", emf["Timestamp"])
	}
	cms, _ := emf["CloudWatchMetrics"].([]any)
	if len(cms) != 1 {
		t.Fatalf("CloudWatchMetrics %v", emf["CloudWatchMetrics"])
	}
	cm := cms[0].(map[string]any)
	if cm["Namespace"] != MetricNamespace {
		t.Errorf("namespace %v", cm["Namespace"])
	}
	for _, set := range cm["Dimensions"].([]any) {
		for _, d := range set.([]any) {
			if s, ok := line[d.(string)].(string); !ok || s == "" {
				t.Errorf("dimension %v is not a top-level string: %v", d, line[d.(string)])
			}
		}
	}
	want := map[string]float64{MetricFindings: 1, MetricActions: 2, MetricActionsDone: 1, MetricActionsFailed: 1, MetricLatency: 2500}
	for _, m := range cm["Metrics"].([]any) {
		name := m.(map[string]any)["Name"].(string)
		if _, ok := line[name].(float64); !ok {
			t.Errorf("metric %s has no number in the line", name)
		}
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
}
