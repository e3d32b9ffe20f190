package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Run is one run of the performance figures as JSON, one file per run
// (docs/bench/<date>-<commit>.json), so that runs can be compared.
// Metrics names say their unit at the end (_ms, _x, _mb, _calls, _usd...).
type Run struct {
	Commit  string             `json:"commit"`
	Dirty   bool               `json:"dirty,omitempty"`
	Time    time.Time          `json:"time"`
	Machine Machine            `json:"machine"`
	Options map[string]string  `json:"options,omitempty"`
	Metrics map[string]float64 `json:"metrics"`
}

// Machine is what the figures were measured on, and how loaded it was at
// the start and the end of the run (1-minute load average per CPU).
type Machine struct {
	OS        string  `json:"os"`
	Arch      string  `json:"arch"`
	CPUs      int     `json:"cpus"`
	Go        string  `json:"go"`
	LoadStart float64 `json:"loadStart"`
	LoadEnd   float64 `json:"loadEnd"`
}

// Set records a metric.
func (r *Run) Set(name string, v float64) {
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	r.Metrics[name] = v
}

// SetMs records a duration in milliseconds.
func (r *Run) SetMs(name string, d time.Duration) { r.Set(name, float64(d)/float64(time.Millisecond)) }

// FileName is the run's file name: <date>-<commit>.json.
func (r *Run) FileName() string {
	c := r.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if c == "" {
		c = "nocommit"
	}
	if r.Dirty {
		c += "-dirty"
	}
	return r.Time.UTC().Format("2006-01-02T150405Z") + "-" + c + ".json"
}

// Write writes the run into dir and returns the file's path.
func (r *Run) Write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write run: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("write run: %w", err)
	}
	p := filepath.Join(dir, r.FileName())
	if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write run: %w", err)
	}
	return p, nil
}

// Previous returns the newest run in dir from before the given time, nil
// if there is none.
func Previous(dir string, before time.Time) (*Run, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("previous run: %w", err)
	}
	var best *Run
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("previous run: %w", err)
		}
		var r Run
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("previous run %s: %w", f, err)
		}
		if !r.Time.Before(before) || best != nil && !r.Time.After(best.Time) {
			continue
		}
		best = &r
	}
	return best, nil
}

// LoadPerCPU is the 1-minute load average divided by the CPUs, from
// /proc/loadavg; 0 where that cannot be read.
func LoadPerCPU(cpus int) float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil || cpus < 1 {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0
	}
	return v / float64(cpus)
}

// Compare writes a Markdown table of every metric of latest beside the
// previous run's, with the change; prev may be nil.
func Compare(w io.Writer, latest, prev *Run) error {
	if latest == nil {
		return errors.New("compare: no run")
	}
	names := make([]string, 0, len(latest.Metrics))
	for n := range latest.Metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	head := "previous"
	if prev != nil {
		head = fmt.Sprintf("previous (%s, %s, load %.1f/CPU)", prev.Time.UTC().Format("2006-01-02 15:04"), short(prev.Commit), prev.Machine.LoadStart)
	}
	fmt.Fprintf(w, "| metric | latest (%s, %s, load %.1f/CPU) | %s | change |\n|---|---|---|---|\n",
		latest.Time.UTC().Format("2006-01-02 15:04"), short(latest.Commit), latest.Machine.LoadStart, head)
	for _, n := range names {
		v := latest.Metrics[n]
		pv, change := "-", "-"
		if prev != nil {
			if p, ok := prev.Metrics[n]; ok {
				pv = num(p)
				if p != 0 {
					change = fmt.Sprintf("%+.0f%%", (v-p)/p*100)
				}
			}
		}
		if _, err := fmt.Fprintf(w, "| %s | %s | %s | %s |\n", n, num(v), pv, change); err != nil {
			return fmt.Errorf("compare: %w", err)
		}
	}
	return nil
}

func short(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}

func num(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
