package awsproto

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault makes an operation slow or failing. Operation "*" matches every
// operation of the service; Service "*" every service.
type Fault struct {
	Service   string        `json:"service"`
	Operation string        `json:"operation"`
	Latency   time.Duration `json:"latency,omitempty"`
	// ErrorRate is the share of calls, 0 to 1, answered with the error.
	ErrorRate float64 `json:"errorRate,omitempty"`
	// Status and Code are the injected error; the default is a 500 ServiceException.
	Status int    `json:"status,omitempty"`
	Code   string `json:"code,omitempty"`
	// Count, if set, limits how many errors the fault injects before it stops.
	Count int `json:"count,omitempty"`
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
