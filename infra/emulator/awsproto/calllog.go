package awsproto

import (
	"sort"
	"sync"
)

// CallStat counts the calls to one operation.
type CallStat struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	// Bucket is the quota bucket the call drew on ("" if none).
	Bucket    string `json:"bucket,omitempty"`
	Calls     int64  `json:"calls"`
	Throttled int64  `json:"throttled"`
	Errors    int64  `json:"errors"`
}

// CallLog counts calls per operation and actor, for the figures the
// benchmarks report (calls per event, per bucket, 429s seen).
type CallLog struct {
	mu    sync.Mutex
	stats map[[3]string]*CallStat
}

// NewCallLog returns an empty log.
func NewCallLog() *CallLog { return &CallLog{stats: map[[3]string]*CallStat{}} }

// Add counts one call. status is the HTTP status answered.
func (l *CallLog) Add(service, operation, bucket string, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := [3]string{service, operation, bucket}
	s := l.stats[k]
	if s == nil {
		s = &CallStat{Service: service, Operation: operation, Bucket: bucket}
		l.stats[k] = s
	}
	s.Calls++
	switch {
	case status == 429:
		s.Throttled++
	case status >= 400:
		s.Errors++
	}
}

// Stats returns the counts, sorted by service and operation.
func (l *CallLog) Stats() []CallStat {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]CallStat, 0, len(l.stats))
	for _, s := range l.stats {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Operation < out[j].Operation
	})
	return out
}

// Reset clears the counts.
func (l *CallLog) Reset() {
	l.mu.Lock()
	l.stats = map[[3]string]*CallStat{}
	l.mu.Unlock()
}
