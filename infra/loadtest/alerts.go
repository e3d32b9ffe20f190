package loadtest

import (
	"regexp"

	"github.com/selfguard/selfguard/infra/testbed"
)

var eventIDLine = regexp.MustCompile(`(?m)^Event id:\s+(\S+)`)

// AlertKey names what one alert is about: the event, rule and resource.
type AlertKey struct{ EventID, Rule, Resource string }

// KeyOf returns the alert's key; the event id comes from the body.
func KeyOf(a testbed.Alert) AlertKey {
	k := AlertKey{Rule: a.Attributes["rule"], Resource: a.Attributes["resource"]}
	if m := eventIDLine.FindStringSubmatch(a.Message); m != nil {
		k.EventID = m[1]
	}
	return k
}

// AlertTally compares the alerts a subscriber received with the findings
// the guard logged, key by key.
type AlertTally struct {
	Alerts, Findings int
	// Missing are findings without an alert; Extra alerts without a finding.
	Missing, Extra []AlertKey
	// DoubleDone are keys alerted more than once as done (an action
	// reported done twice for one event).
	DoubleDone []AlertKey
}

// TallyAlerts matches alerts to findings.
func TallyAlerts(alerts []testbed.Alert, findings []GuardLine) AlertTally {
	t := AlertTally{Alerts: len(alerts), Findings: len(findings)}
	want := map[AlertKey]int{}
	for _, f := range findings {
		want[AlertKey{f.EventID, f.Rule, f.Resource}]++
	}
	got := map[AlertKey]int{}
	done := map[AlertKey]int{}
	for _, a := range alerts {
		k := KeyOf(a)
		got[k]++
		if a.Attributes["outcome"] == "done" {
			done[k]++
		}
	}
	for k, n := range want {
		for i := got[k]; i < n; i++ {
			t.Missing = append(t.Missing, k)
		}
	}
	for k, n := range got {
		for i := want[k]; i < n; i++ {
			t.Extra = append(t.Extra, k)
		}
	}
	for k, n := range done {
		if n > 1 {
			t.DoubleDone = append(t.DoubleDone, k)
		}
	}
	return t
}
