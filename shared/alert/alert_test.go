package alert

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

func sample() Alert {
	return Alert{
		Guard: "code-guard", Account: "123456789012", Region: "eu-west-1", Mode: finding.ModeEnforce,
		Event: Event{
			ID: "4672b74f-2466-4784-b3fb-5b4db904a995", Name: "UpdateFunctionCode20150331v2",
			Time:  time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
			Actor: "mallory", ActorARN: "arn:aws:iam::123456789012:user/mallory",
			SourceIP: "203.0.113.9", UserAgent: "aws-cli/2.15.0",
		},
		Finding: finding.Finding{
			Rule: "unsigned-code", Severity: finding.SeverityHigh, ResourceType: finding.ResourceFunction,
			Resource: "payments-api", ARN: "arn:aws:lambda:eu-west-1:123456789012:function:payments-api",
			Summary: "unsigned code deployed", Detail: "no signing profile on version 7",
		},
		Actions: []ActionReport{{
			Action: finding.Action{Kind: "contain", Done: "contained", Resource: "payments-api", Summary: "set reserved concurrency to 0",
				Undo: "aws lambda delete-function-concurrency --function-name payments-api"},
			Status: StatusDone,
		}},
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Alert)
		want   string
		prefix string
	}{
		{"enforced action reads at a glance", func(*Alert) {},
			"[selfguard] HIGH payments-api: unsigned code deployed by mallory - contained", ""},
		{"monitor says nothing changed", func(a *Alert) { a.Mode = finding.ModeMonitor; a.Actions[0].Status = StatusPlanned },
			"[selfguard] HIGH payments-api: unsigned code deployed by mallory - not changed (monitor mode)", ""},
		{"failure is shouted", func(a *Alert) { a.Actions[0].Status = StatusFailed },
			"[selfguard] HIGH payments-api: unsigned code deployed by mallory - ACTION FAILED", ""},
		{"no remedy is alert only", func(a *Alert) { a.Actions = nil },
			"[selfguard] HIGH payments-api: unsigned code deployed by mallory - alert only", ""},
		{"a fallback action names what was taken", func(a *Alert) {
			a.Actions[0].Action.Kind = "restore"
			a.Actions[0].Taken = &finding.Action{Kind: "contain", Done: "contained"}
		},
			"[selfguard] HIGH payments-api: unsigned code deployed by mallory - contained", ""},
		{"a long name is cut but the verdict stays", func(a *Alert) {
			a.Finding.Resource = strings.Repeat("f", 64)
			a.Event.Actor = strings.Repeat("m", 200)
		}, "", "[selfguard] HIGH " + strings.Repeat("f", 37) + "...: "},
		{"newlines in the actor cannot add lines", func(a *Alert) { a.Event.Actor = "eve\nSubject: all clear\r\n" },
			"[selfguard] HIGH payments-api: unsigned code deployed by eve Subject: all clear - contained", ""},
		{"ARNs in the problem become the names a person says", func(a *Alert) {
			a.Finding.Summary = "$LATEST code signed by untrusted profile arn:aws:signer:eu-west-1:444455556666:/signing-profiles/evil/Zz99"
		}, "[selfguard] HIGH payments-api: $LATEST code signed by untrusted profile evil by mallory - contained", ""},
		{"a layer ARN reads as the layer's name and version", func(a *Alert) {
			a.Finding.Resource = "payments-api/shared:3"
			a.Finding.Summary = "layer arn:aws:lambda:eu-west-1:999988887777:layer:thirdparty:1 is unsigned"
		}, "[selfguard] HIGH payments-api/shared:3: layer thirdparty:1 is unsigned by mallory - contained", ""},
		{"non-ASCII becomes question marks", func(a *Alert) { a.Event.Actor = "mallöry\u202e" },
			"[selfguard] HIGH payments-api: unsigned code deployed by mall?ry - contained", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			tt.edit(&a)
			got := a.Subject()
			if tt.want != "" && got != tt.want {
				t.Errorf("subject\n got %q\nwant %q", got, tt.want)
			}
			if tt.prefix != "" && !strings.HasPrefix(got, tt.prefix) {
				t.Errorf("subject %q lacks prefix %q", got, tt.prefix)
			}
			if len(got) > MaxSubject || !strings.HasSuffix(got, " - "+a.verdict()) {
				t.Errorf("subject %q (%d bytes) too long or lost its verdict", got, len(got))
			}
			for _, r := range got {
				if r < 0x20 || r > 0x7e {
					t.Fatalf("subject %q has non-printable-ASCII %q", got, r)
				}
			}
		})
	}
}

func TestFormatBody(t *testing.T) {
	hugeUA := strings.Repeat("Mozilla/5.0 ", 900) // about 10 KB
	tests := []struct {
		name    string
		edit    func(*Alert)
		has     []string
		hasNot  []string
		attrs   map[string]string
		maxBody int
	}{
		{"says what, who, when, which event and how to undo", func(*Alert) {},
			[]string{"Finding:     unsigned code deployed", "Who:         mallory", "Identity:    arn:aws:iam::123456789012:user/mallory",
				"Source IP:   203.0.113.9", "When:        2026-03-01T12:00:00Z", "Event:       UpdateFunctionCode20150331v2",
				"Event id:    4672b74f", "Detail:      no signing profile on version 7", "- done: set reserved concurrency to 0",
				"To undo: aws lambda delete-function-concurrency --function-name payments-api"}, nil,
			map[string]string{AttrSeverity: "high", AttrRule: "unsigned-code", AttrAction: "contain", AttrOutcome: "done",
				AttrAccount: "123456789012", AttrRegion: "eu-west-1", AttrResource: "payments-api", AttrMode: "enforce"}, 0},
		{"monitor says what enforce would do and offers no undo", func(a *Alert) { a.Mode = finding.ModeMonitor; a.Actions[0].Status = StatusPlanned },
			[]string{"- Would: set reserved concurrency to 0 (not done: monitor mode"}, []string{"To undo"},
			map[string]string{AttrOutcome: "planned", AttrMode: "monitor"}, 0},
		{"a registered rule is named with its guardrail and title, and filterable by guardrail", func(a *Alert) { a.Finding.Rule = rules.UnsignedCode },
			[]string{"Rule:        lambda.unsigned-code (code-signing): $LATEST runs code no trusted profile signed"}, nil,
			map[string]string{AttrRule: "lambda.unsigned-code", AttrGuardrail: "code-signing"}, 0},
		{"forged lines in a user agent stay on one line", func(a *Alert) {
			a.Event.UserAgent = "curl\n\nWhat selfguard did (mode: enforce)\n- done: nothing to worry about"
		}, []string{"User agent:  curl What selfguard did (mode: enforce) - done: nothing to worry about\n"}, nil, nil, 0},
		{"ANSI escapes lose their ESC", func(a *Alert) { a.Finding.Resource = "\x1b[2J\x1b[31mpayments" },
			[]string{"Resource:    [2J[31mpayments\n"}, []string{"\x1b"}, map[string]string{AttrResource: "[2J[31mpayments"}, 0},
		{"a 10 KB user agent is cut", func(a *Alert) { a.Event.UserAgent = hugeUA },
			[]string{"User agent:  Mozilla/5.0", "...\n"}, nil, nil, 4096},
		{"presigned URLs lose their query", func(a *Alert) {
			a.Finding.Detail = "code at https://awslambda-eu-west-1-tasks.s3.eu-west-1.amazonaws.com/snapshots/x?X-Amz-Security-Token=SECRET&X-Amz-Signature=abc"
		}, []string{"snapshots/x?[query removed]"}, []string{"SECRET", "Signature"}, nil, 0},
		{"empty fields are left out, not sent empty", func(a *Alert) { a.Region = ""; a.Event.SourceIP = "" },
			nil, []string{"Source IP:"}, map[string]string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			tt.edit(&a)
			m := Format(a)
			for _, s := range tt.has {
				if !strings.Contains(m.Body, s) {
					t.Errorf("body lacks %q:\n%s", s, m.Body)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(m.Body, s) || strings.Contains(m.Subject, s) {
					t.Errorf("message contains %q:\n%s", s, m.Body)
				}
			}
			for k, v := range tt.attrs {
				if m.Attributes[k] != v {
					t.Errorf("attribute %s = %q, want %q", k, m.Attributes[k], v)
				}
			}
			for k, v := range m.Attributes {
				if v == "" {
					t.Errorf("attribute %s is empty", k)
				}
			}
			if tt.maxBody > 0 && len(m.Body) > tt.maxBody {
				t.Errorf("body is %d bytes, want at most %d", len(m.Body), tt.maxBody)
			}
			if len(m.Body) > maxBody {
				t.Errorf("body is %d bytes", len(m.Body))
			}
		})
	}
}

func TestFormatStaysWithinSNSLimitWhateverTheInput(t *testing.T) {
	a := sample()
	big := strings.Repeat("x\n", 200_000)
	a.Finding.Detail, a.Finding.Summary, a.Event.UserAgent = big, big, big
	for i := 0; i < 500; i++ {
		a.Actions = append(a.Actions, ActionReport{Action: finding.Action{Kind: "contain", Summary: big, Undo: big}, Status: StatusDone, Message: big})
	}
	m := Format(a)
	size := len(m.Subject) + len(m.Body)
	for k, v := range m.Attributes {
		size += len(k) + len(v) + len("String")
	}
	if size > MaxMessage {
		t.Fatalf("message is %d bytes, over SNS's %d", size, MaxMessage)
	}
	if !strings.Contains(m.Body, "more actions") {
		t.Error("body does not say actions were left out")
	}
}

func TestFormatSummary(t *testing.T) {
	var fs []finding.Finding
	for i := 0; i < 30; i++ {
		fs = append(fs, finding.Finding{Rule: "no-review", Severity: finding.SeverityMedium, ResourceType: finding.ResourceRepository, Resource: "repo-" + string(rune('a'+i%26)), Summary: "no approval rule"})
	}
	fs = append(fs, finding.Finding{Rule: "unsigned-code", Severity: finding.SeverityCritical, ResourceType: finding.ResourceFunction, Resource: "payments-api", Summary: "unsigned code"})
	m := FormatSummary(Summary{Account: "123456789012", Region: "eu-west-1", Mode: finding.ModeMonitor, Label: "new or changed", Findings: fs})
	if want := "[selfguard] sweep 123456789012/eu-west-1: 31 new or changed findings (1 CRITICAL, 30 MEDIUM)"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	lines := strings.Split(m.Body, "\n")
	var first string
	for _, l := range lines {
		if strings.HasPrefix(l, "- ") {
			first = l
			break
		}
	}
	if first != "- CRITICAL payments-api [unsigned-code]: unsigned code" {
		t.Errorf("the most severe finding is not listed first: %q", first)
	}
	if !strings.Contains(m.Body, "... and 6 more") {
		t.Errorf("body does not say how many were left out:\n%s", m.Body)
	}
	if m.Attributes[AttrKind] != "summary" || m.Attributes[AttrSeverity] != "critical" {
		t.Errorf("attributes %v", m.Attributes)
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain text is kept", "payments-api", 64, "payments-api"},
		{"line breaks become one space", "a\r\n\n\tb", 64, "a b"},
		{"unicode line separators too", "a\u2028b\u2029c\u0085d", 64, "a b c d"},
		{"escape and bidi override are dropped", "\x1b[31mred\u202egreen", 64, "[31mredgreen"},
		{"invalid UTF-8 is dropped", "ok\xff\xfe!", 64, "ok!"},
		{"cut on a rune boundary with a mark", "ééééé", 7, "éé..."},
		{"query strings are removed", "see https://x.s3.amazonaws.com/k?X-Amz-Credential=AKIA#frag now", 200, "see https://x.s3.amazonaws.com/k?[query removed] now"},
		{"zero max is empty", "abc", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in, tt.max); got != tt.want {
				t.Errorf("Clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

// urlScheme finds where a URL starts, for the fuzz target's check.
var urlScheme = regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://`)

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\x1b[0m", "https://h/p?sig=1", "\u202e\u2028", strings.Repeat("é", 100), "\xff"} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, in string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		got := Clean(in, max)
		if len(got) > max {
			t.Fatalf("Clean(%q, %d) = %q is longer than max", in, max, got)
		}
		for _, r := range got {
			if r == '\n' || r == '\r' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == unicode.ReplacementChar && !strings.ContainsRune(in, unicode.ReplacementChar) {
				t.Fatalf("Clean(%q) = %q keeps %q", in, got, r)
			}
		}
		for _, w := range strings.Fields(got) {
			loc := urlScheme.FindStringIndex(w)
			if loc == nil {
				continue
			}
			i := loc[1] - len("://")
			j := strings.IndexAny(w[i:], "?#")
			if j < 0 {
				continue
			}
			rest := strings.TrimSuffix(w[i+j+1:], Ellipsis)
			if !strings.HasPrefix("[query removed]", rest) {
				t.Fatalf("Clean(%q, %d) = %q keeps a query string", in, max, got)
			}
		}
		a := ASCII(in, max)
		if len(a) > max {
			t.Fatalf("ASCII too long: %q", a)
		}
		for _, r := range a {
			if r < 0x20 || r > 0x7e {
				t.Fatalf("ASCII(%q) = %q keeps %q", in, a, r)
			}
		}
	})
}
