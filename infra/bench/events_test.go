package bench

import (
	"encoding/json"
	"testing"
	"time"
)

// TestEventsTellOfAChangeJustMade: a replayed event carries the time of
// the change as now, as a real one would. A guard dismisses an event about
// a change older than its last read that found the function fine
// (pipeline.Judged), so an event stamped in the past would measure a
// dismissal, not a judgement.
func TestEventsTellOfAChangeJustMade(t *testing.T) {
	before := time.Now().UTC().Truncate(time.Second)
	var env struct {
		Time   time.Time `json:"time"`
		Detail struct {
			EventTime time.Time `json:"eventTime"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(Event(KindCodeUpdate, "ev-1", benchTarget), &env); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UTC()
	if at := env.Detail.EventTime; at.Before(before) || at.After(after) {
		t.Errorf("eventTime %s, want between %s and %s", at, before, after)
	}
	if env.Time.Before(env.Detail.EventTime) {
		t.Errorf("delivered at %s, before the change at %s", env.Time, env.Detail.EventTime)
	}
}
