package finding

import "testing"

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"", ModeMonitor, false},
		{"monitor", ModeMonitor, false},
		{" Enforce ", ModeEnforce, false},
		{"enforcing", "", true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSeverityOrderAndParse(t *testing.T) {
	order := []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
	for i := 1; i < len(order); i++ {
		if !order[i].AtLeast(order[i-1]) || order[i-1].AtLeast(order[i]) {
			t.Errorf("%s and %s are out of order", order[i-1], order[i])
		}
	}
	if s, err := ParseSeverity("HIGH"); err != nil || s != SeverityHigh {
		t.Errorf("ParseSeverity(HIGH) = %q, %v", s, err)
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted an unknown severity")
	}
}

func TestDecisionHighest(t *testing.T) {
	d := Decision{Findings: []Finding{{Severity: SeverityLow}, {Severity: SeverityHigh}, {Severity: SeverityMedium}}}
	if got := d.Highest(); got != SeverityHigh {
		t.Errorf("Highest() = %q, want high", got)
	}
	if got := (Decision{}).Highest(); got != "" {
		t.Errorf("Highest() of no findings = %q, want empty", got)
	}
}

func TestSameFindsTheFreshFormOfAPlannedAction(t *testing.T) {
	planned := Action{Kind: "k", Resource: "r", For: []RuleID{"x"}, Params: map[string]string{"template": "t", "rev": "1"}}
	tests := []struct {
		name   string
		fresh  []Action
		params []string
		want   bool
	}{
		{"same kind and resource, other revision", []Action{{Kind: "k", Resource: "r", Params: map[string]string{"template": "t", "rev": "2"}}}, []string{"template"}, true},
		{"another template is another action", []Action{{Kind: "k", Resource: "r", Params: map[string]string{"template": "u"}}}, []string{"template"}, false},
		{"another resource", []Action{{Kind: "k", Resource: "s"}}, nil, false},
		{"no longer planned", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Decision{Actions: tt.fresh}.Same(planned, tt.params...)
			if ok != tt.want || (ok && got.Resource != "r") {
				t.Errorf("Same = %+v, %v; want found=%v", got, ok, tt.want)
			}
		})
	}
	if !planned.Answers("x") || planned.Answers("y") {
		t.Error("Answers does not follow For")
	}
}
