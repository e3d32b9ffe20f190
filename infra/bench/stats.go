package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Percentile returns the p-th percentile (0..100) of the samples by the
// nearest-rank method; 0 for no samples.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(s) {
		rank = len(s)
	}
	return s[rank-1]
}

// Prices are the Lambda price assumptions of the cost figure.
type Prices struct {
	// PerGBSecond is the arm64 duration price, USD.
	PerGBSecond float64
	// PerMillionRequests is the request price, USD.
	PerMillionRequests float64
}

// ARM64USEast1 is Lambda's arm64 price in us-east-1 as assumed for 2026.
var ARM64USEast1 = Prices{PerGBSecond: 0.0000133334, PerMillionRequests: 0.20}

// CostPerMillion returns the USD cost of a million invocations of a
// function of memoryMB that each run for d, billed per started millisecond.
func (p Prices) CostPerMillion(d time.Duration, memoryMB int) float64 {
	billedMs := math.Ceil(float64(d) / float64(time.Millisecond))
	gbSeconds := billedMs / 1000 * float64(memoryMB) / 1024
	return 1e6*gbSeconds*p.PerGBSecond + p.PerMillionRequests
}

// PeakRSS returns a process's peak resident set size (VmHWM) from
// /proc/<pid>/status.
func PeakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("peak rss of %d: %w", pid, err)
	}
	defer f.Close()
	return parseHWM(f)
}

func parseHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("peak rss: unexpected VmHWM line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("peak rss: %w", err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("peak rss: %w", err)
	}
	return 0, fmt.Errorf("peak rss: no VmHWM line")
}

// Children returns the pids whose parent is pid.
func Children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces: the
		// fields after the last ')' are state, ppid, ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// InitCost is one package's initialisation cost as GODEBUG=inittrace=1
// reports it.
type InitCost struct {
	Package string
	Clock   time.Duration
	Bytes   int64
	Allocs  int64
}

// ParseInitTrace reads GODEBUG=inittrace=1 output ("init pkg @0.1 ms, 0.02
// ms clock, 1024 bytes, 9 allocs") and returns the costs, largest clock first.
func ParseInitTrace(r io.Reader) []InitCost {
	var out []InitCost
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// init PKG @T ms, C ms clock, B bytes, A allocs
		if len(f) != 11 || f[0] != "init" || f[6] != "clock," || f[8] != "bytes," || f[10] != "allocs" {
			continue
		}
		clock, err1 := strconv.ParseFloat(f[4], 64)
		bytes, err2 := strconv.ParseInt(f[7], 10, 64)
		allocs, err3 := strconv.ParseInt(f[9], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		out = append(out, InitCost{Package: f[1], Clock: time.Duration(clock * float64(time.Millisecond)), Bytes: bytes, Allocs: allocs})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Clock > out[j].Clock })
	return out
}

// TotalInit sums the clock time of every package init.
func TotalInit(costs []InitCost) time.Duration {
	var t time.Duration
	for _, c := range costs {
		t += c.Clock
	}
	return t
}
