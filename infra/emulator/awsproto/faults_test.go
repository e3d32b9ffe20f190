package awsproto_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

func TestFaultLatencyIsAGoDurationStringInJSON(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault awsproto.Fault
		json  string
	}{
		{name: "latency as a duration string",
			fault: awsproto.Fault{Service: "lambda", Operation: "GetFunction", Latency: 25 * time.Millisecond},
			json:  `{"service":"lambda","operation":"GetFunction","latency":"25ms"}`},
		{name: "no latency leaves the field out",
			fault: awsproto.Fault{Service: "*", Operation: "*", ErrorRate: 1, Status: 503, Code: "ServiceException", Count: 2},
			json:  `{"service":"*","operation":"*","errorRate":1,"status":503,"code":"ServiceException","count":2}`},
		{name: "every field at once",
			fault: awsproto.Fault{Service: "codecommit", Operation: "CreateRepository", Latency: 1500 * time.Millisecond, ErrorRate: 0.5, Count: 1},
			json:  `{"service":"codecommit","operation":"CreateRepository","errorRate":0.5,"count":1,"latency":"1.5s"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			var gotMap, wantMap map[string]any
			if err := json.Unmarshal(raw, &gotMap); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.json), &wantMap); err != nil {
				t.Fatal(err)
			}
			if !sameJSON(gotMap, wantMap) {
				t.Errorf("marshal: %s, want %s", raw, tc.json)
			}
			var back awsproto.Fault
			if err := json.Unmarshal([]byte(tc.json), &back); err != nil {
				t.Fatal(err)
			}
			if back != tc.fault {
				t.Errorf("unmarshal: %+v, want %+v", back, tc.fault)
			}
		})
	}
}

func TestFaultLatencyRefusesWhatCannotBeWaitedFor(t *testing.T) {
	for _, tc := range []struct{ name, json string }{
		{name: "nanoseconds as a number, the old form", json: `{"service":"lambda","operation":"*","latency":25000000}`},
		{name: "not a duration", json: `{"service":"lambda","operation":"*","latency":"soon"}`},
		{name: "a negative duration", json: `{"service":"lambda","operation":"*","latency":"-1s"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f awsproto.Fault
			if err := json.Unmarshal([]byte(tc.json), &f); err == nil {
				t.Errorf("%s decoded to %+v, want an error", tc.json, f)
			}
		})
	}
}

func sameJSON(a, b map[string]any) bool {
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	return string(ra) == string(rb)
}
