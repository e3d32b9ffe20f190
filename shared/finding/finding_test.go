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
