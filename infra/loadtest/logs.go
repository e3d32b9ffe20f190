package loadtest

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
)

// GuardLine is one structured log line of a guard, the fields the checks use.
type GuardLine struct {
	Level    string `json:"level"`
	Message  string `json:"message"`
	EventID  string `json:"event_id"`
	Decision string `json:"decision"`
	Rule     string `json:"rule"`
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
	Error    string `json:"error"`
}

// LogSink collects the guards' JSON log lines; the runtime hands it the
// functions' output in arbitrary chunks, so it assembles lines itself.
type LogSink struct {
	mu      sync.Mutex
	partial []byte
	lines   []GuardLine
	// Echo, if set, also receives every byte.
	Echo io.Writer
}

// Write implements io.Writer.
func (s *LogSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Echo != nil {
		_, _ = s.Echo.Write(p)
	}
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimSpace(s.partial[:i])
		s.partial = s.partial[i+1:]
		if len(line) == 0 || line[0] != '{' {
			continue // the RIE's own lines
		}
		var g GuardLine
		if json.Unmarshal(line, &g) == nil {
			s.lines = append(s.lines, g)
		}
	}
	return len(p), nil
}

// Lines returns the lines so far.
func (s *LogSink) Lines() []GuardLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]GuardLine(nil), s.lines...)
}

// Findings returns the guard's decision lines that carry a finding.
func (s *LogSink) Findings() []GuardLine {
	var out []GuardLine
	for _, l := range s.Lines() {
		if l.Decision == "finding" {
			out = append(out, l)
		}
	}
	return out
}
