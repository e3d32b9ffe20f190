package loadtest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/selfguard/selfguard/infra/eventbus"
)

// DeliveryTally sums up how a target's events ended.
type DeliveryTally struct {
	Events      int `json:"events"`      // distinct event ids delivered
	Attempts    int `json:"attempts"`    // delivery attempts, duplicates included
	Duplicates  int `json:"duplicates"`  // copies the bus delivered twice
	FirstTimeOK int `json:"firstTimeOk"` // ended ok on the first attempt
	RetriedOK   int `json:"retriedOk"`   // failed, then ended ok on a retry
	Unfinished  int `json:"unfinished"`  // neither ok nor dead-lettered (must be 0)
	DeadLetters int `json:"deadLetters"`
	// Reasons counts the dead letters by reason and last error.
	Reasons map[string]int `json:"reasons,omitempty"`
}

// TallyDeliveries sums up the deliveries to target. An event counts as ok
// when any of its copies ended ok.
func TallyDeliveries(ds []eventbus.Delivery, dls []eventbus.DeadLetter, target string) DeliveryTally {
	t := DeliveryTally{Reasons: map[string]int{}}
	okAt := map[string]int{} // event id -> attempt that ended ok (0: none)
	seen := map[string]bool{}
	for _, d := range ds {
		if d.Target != target {
			continue
		}
		if !seen[d.EventID] {
			seen[d.EventID] = true
			t.Events++
		}
		if d.Result != eventbus.ResultExpired && d.Result != eventbus.ResultCancelled {
			t.Attempts++
		}
		if d.Duplicate && d.Attempt == 1 {
			t.Duplicates++
		}
		if d.Result == eventbus.ResultOK && (okAt[d.EventID] == 0 || d.Attempt < okAt[d.EventID]) {
			okAt[d.EventID] = d.Attempt
		}
	}
	dead := map[string]bool{}
	for _, dl := range dls {
		if dl.Target != target {
			continue
		}
		t.DeadLetters++
		dead[dl.EventID] = true
		t.Reasons[dl.Reason+": "+firstLine(dl.FunctionError+" "+dl.Error)]++
	}
	for id := range seen {
		switch {
		case okAt[id] == 1:
			t.FirstTimeOK++
		case okAt[id] > 1:
			t.RetriedOK++
		case !dead[id]:
			t.Unfinished++
		}
	}
	return t
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// String renders the reasons, most frequent first.
func (t DeliveryTally) reasons() string {
	type kv struct {
		k string
		n int
	}
	var r []kv
	for k, n := range t.Reasons {
		r = append(r, kv{k, n})
	}
	sort.Slice(r, func(i, j int) bool { return r[i].n > r[j].n })
	var b strings.Builder
	for _, x := range r {
		fmt.Fprintf(&b, "\n%d× %s", x.n, x.k)
	}
	return b.String()
}
