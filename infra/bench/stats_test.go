package bench

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"no samples give zero", nil, 50, 0},
		{"median of an odd count is the middle", ms(30, 10, 20), 50, 20 * time.Millisecond},
		{"p99 of ten samples is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 100), 99, 100 * time.Millisecond},
		{"p50 of ten samples is the fifth", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 50, 5 * time.Millisecond},
		{"p0 is the smallest", ms(3, 1, 2), 0, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.samples, tt.p); got != tt.want {
				t.Fatalf("Percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
		})
	}
}

func TestCostPerMillionBillsStartedMillisecondsAndRequests(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want float64
	}{
		// 100 ms at 0.125 GB: 12.5 GB-s per thousand, 12,500 GB-s per million.
		{"100 ms at 128 MB", 100 * time.Millisecond, 12500*0.0000133334 + 0.20},
		{"a started millisecond is billed whole", 99*time.Millisecond + time.Microsecond, 12500*0.0000133334 + 0.20},
		{"no duration costs the requests only", 0, 0.20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ARM64USEast1.CostPerMillion(tt.d, 128); math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("CostPerMillion(%v) = %v, want %v", tt.d, got, tt.want)
			}
		})
	}
}

func TestParseHWMReadsKilobytes(t *testing.T) {
	status := "Name:\tbootstrap\nVmPeak:\t 1241880 kB\nVmHWM:\t   21344 kB\nVmRSS:\t   20000 kB\n"
	got, err := parseHWM(strings.NewReader(status))
	if err != nil || got != 21344*1024 {
		t.Fatalf("parseHWM = %d, %v; want %d", got, err, 21344*1024)
	}
	if _, err := parseHWM(strings.NewReader("Name:\tx\n")); err == nil {
		t.Fatal("a status without VmHWM must be an error")
	}
}

func TestParseInitTraceOrdersByClock(t *testing.T) {
	out := `init runtime @0.01 ms, 0.47 ms clock, 0 bytes, 0 allocs
some other line
init github.com/aws/aws-sdk-go-v2/service/lambda @3.1 ms, 1.25 ms clock, 90112 bytes, 812 allocs
init net/http @2 ms, 0.2 ms clock, 4096 bytes, 30 allocs
`
	got := ParseInitTrace(strings.NewReader(out))
	if len(got) != 3 {
		t.Fatalf("got %d costs, want 3: %+v", len(got), got)
	}
	first := got[0]
	if first.Package != "github.com/aws/aws-sdk-go-v2/service/lambda" || first.Clock != 1250*time.Microsecond ||
		first.Bytes != 90112 || first.Allocs != 812 {
		t.Fatalf("largest init = %+v", first)
	}
	if total := TotalInit(got); total != 1920*time.Microsecond {
		t.Fatalf("TotalInit = %v, want 1.92ms", total)
	}
}
