package awsproto

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault makes an operation slow or failing. Operation "*" matches every
// operation of the service; Service "*" every service. In JSON, Latency is
// a Go duration string ("25ms"), like every other duration of the admin API.
type Fault struct {
	Service   string        `json:"service"`
	Operation string        `json:"operation"`
	Latency   time.Duration `json:"-"`
	// ErrorRate is the share of calls, 0 to 1, answered with the error.
	ErrorRate float64 `json:"errorRate,omitempty"`
	// Status and Code are the injected error; the default is a 500 ServiceException.
	Status int    `json:"status,omitempty"`
	Code   string `json:"code,omitempty"`
	// Count, if set, limits how many errors the fault injects before it stops.
	Count int `json:"count,omitempty"`
}

// faultJSON is Fault's wire form: all fields but Latency as they are.
type faultJSON struct {
	*faultFields
	Latency string `json:"latency,omitempty"`
}

// faultFields has Fault's fields and none of its methods, so encoding/json
// does not call MarshalJSON on it again.
type faultFields Fault

// MarshalJSON writes Latency as a Go duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	out := faultJSON{faultFields: (*faultFields)(&f)}
	if f.Latency != 0 {
		out.Latency = f.Latency.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads Latency as a Go duration string; a negative one is
// refused, as it cannot be waited for.
func (f *Fault) UnmarshalJSON(data []byte) error {
	in := faultJSON{faultFields: (*faultFields)(f)}
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	f.Latency = 0
	if in.Latency != "" {
		d, err := time.ParseDuration(in.Latency)
		if err != nil {
			return fmt.Errorf("fault latency: %w", err)
		}
		if d < 0 {
			return fmt.Errorf("fault latency %s: want a duration of 0 or more", in.Latency)
		}
		f.Latency = d
	}
	return nil
}

// Faults holds the injected faults.
type Faults struct {
	mu     sync.Mutex
	faults []*Fault
}

// Set replaces the injected faults.
func (f *Faults) Set(faults []Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = f.faults[:0]
	for i := range faults {
		ff := faults[i]
		f.faults = append(f.faults, &ff)
	}
}

// List returns the injected faults.
func (f *Faults) List() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, 0, len(f.faults))
	for _, ff := range f.faults {
		out = append(out, *ff)
	}
	return out
}

// Apply sleeps for any injected latency and returns an injected error, or nil.
func (f *Faults) Apply(service, operation string) *Error {
	f.mu.Lock()
	var delay time.Duration
	var injected *Error
	for _, ff := range f.faults {
		if (ff.Service != "*" && ff.Service != service) || (ff.Operation != "*" && ff.Operation != operation) {
			continue
		}
		delay += ff.Latency
		if injected == nil && ff.ErrorRate > 0 && rand.Float64() < ff.ErrorRate {
			status, code := ff.Status, ff.Code
			if status == 0 {
				status, code = http.StatusInternalServerError, "ServiceException"
			}
			injected = &Error{Status: status, Code: code, Message: "injected fault", Type: "Service"}
			if ff.Count > 0 {
				ff.Count--
				if ff.Count == 0 {
					ff.ErrorRate = 0
				}
			}
		}
	}
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	return injected
}
