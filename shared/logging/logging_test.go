package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestNewLevels(t *testing.T) {
	tests := []struct {
		name      string
		level     string
		debugKept bool
		infoKept  bool
		warnings  int
	}{
		{"unset means info", "", false, true, 0},
		{"debug keeps debug", "debug", true, true, 0},
		{"upper case is accepted", "WARN", false, false, 0},
		{"unknown falls back to info and says so", "loud", false, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := New(&buf, tt.level)
			l.Debug().Msg("d")
			l.Info().Msg("i")
			got := map[string]bool{}
			warnings := 0
			for _, m := range lines(t, &buf) {
				if _, ok := m["time"]; !ok {
					t.Errorf("line without timestamp: %v", m)
				}
				switch m["message"] {
				case "d", "i":
					got[m["message"].(string)] = true
				default:
					warnings++
				}
			}
			if got["d"] != tt.debugKept || got["i"] != tt.infoKept || warnings != tt.warnings {
				t.Errorf("debug=%v info=%v warnings=%d, want %v %v %d", got["d"], got["i"], warnings, tt.debugKept, tt.infoKept, tt.warnings)
			}
		})
	}
}

func TestContextCarriesLoggerWithRequestIDOnce(t *testing.T) {
	var buf bytes.Buffer
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ctx = With(ctx, New(&buf, "info"))
	ctx = With(ctx, From(ctx).With().Str(FieldEventID, "ev-1").Logger())
	l := From(ctx)
	l.Info().Msg("hello")
	raw := buf.String()
	if n := strings.Count(raw, `"request_id"`); n != 1 {
		t.Fatalf("request_id appears %d times in %s", n, raw)
	}
	m := lines(t, &buf)[0]
	if m[FieldRequestID] != "req-1" || m[FieldEventID] != "ev-1" {
		t.Errorf("fields = %v", m)
	}
}

func TestRequestID(t *testing.T) {
	if got := RequestID(context.Background()); got != "" {
		t.Errorf("outside Lambda: %q", got)
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-2"})
	if got := RequestID(ctx); got != "req-2" {
		t.Errorf("inside Lambda: %q", got)
	}
}
