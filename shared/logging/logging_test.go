package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/rs/zerolog"
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

func TestInvocationCarriesTheRequestIDOnce(t *testing.T) {
	var buf bytes.Buffer
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ctx, _ = Invocation(ctx, New(&buf, "info"))
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

// TestOneLoggerForEveryReader: a logger put in the context with With is the
// one From and zerolog.Ctx both read, so no line written through either is
// lost to a disabled logger.
func TestOneLoggerForEveryReader(t *testing.T) {
	var buf bytes.Buffer
	ctx := With(context.Background(), New(&buf, "info").With().Str(FieldGuard, "g").Logger())
	from := From(ctx)
	from.Info().Msg("via From")
	zerolog.Ctx(ctx).Info().Msg("via zerolog.Ctx")
	got := lines(t, &buf)
	if len(got) != 2 || got[0][FieldGuard] != "g" || got[1][FieldGuard] != "g" {
		t.Errorf("lines = %v, want both with the carried logger's fields", got)
	}
}

func TestFromWithoutALoggerIsNeverDisabled(t *testing.T) {
	if l := From(context.Background()); l.GetLevel() == zerolog.Disabled {
		t.Error("From of a bare context returned a disabled logger: its lines would vanish")
	}
}

// forbidden are field names code outside this package must not spell: the
// vocabulary's own (use the constant), and synonyms or zerolog's own keys,
// which split or duplicate a field.
var forbidden = map[string]string{
	"status":  "FieldOutcome",
	"message": "FieldDetail (zerolog writes its own message key)",
	"taken":   "FieldAction (the action taken) and FieldPlanned",
}

func init() {
	for name, value := range map[string]string{
		"FieldRequestID": FieldRequestID, "FieldEventID": FieldEventID, "FieldEventName": FieldEventName,
		"FieldOperation": FieldOperation, "FieldActor": FieldActor, "FieldActorARN": FieldActorARN,
		"FieldSourceIP": FieldSourceIP, "FieldSubject": FieldSubject, "FieldResource": FieldResource,
		"FieldRule": FieldRule, "FieldSeverity": FieldSeverity, "FieldMode": FieldMode,
		"FieldDecision": FieldDecision, "FieldAction": FieldAction, "FieldPlanned": FieldPlanned,
		"FieldOutcome": FieldOutcome, "FieldDetail": FieldDetail, "FieldReason": FieldReason, "FieldGuard": FieldGuard,
	} {
		forbidden[value] = name
	}
}

var (
	fieldLiteral = regexp.MustCompile(`\.(Str|Strs|Int|Int64|Bool|Dur|Time|Float64|Stringer|Any|Interface|RawJSON)\("([A-Za-z_]+)"`)
	ctxReader    = regexp.MustCompile(`zerolog\.Ctx\(`)
)

// TestOneWayAndOneVocabulary holds the guards' code (shared/ and
// functions/) to one way of reading the context's logger (From) and to the
// field constants above.
func TestOneWayAndOneVocabulary(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, dir := range []string{"shared", "functions"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "logging" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(src), "\n") {
				if ctxReader.MatchString(line) {
					t.Errorf("%s:%d reads the logger with zerolog.Ctx; use logging.From", path, i+1)
				}
				for _, m := range fieldLiteral.FindAllStringSubmatch(line, -1) {
					if use, ok := forbidden[m[2]]; ok {
						t.Errorf("%s:%d spells field %q; use logging.%s", path, i+1, m[2], use)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
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
