package moto

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStartAnswersAndStops(t *testing.T) {
	s, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if resp, err := http.Get(s.URL + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Fatal("moto_server still answers after Stop")
	}
}

// TestServersStartedTogetherEachAnswerOnTheirOwnPort: packages start their
// moto at the same moment; none may end up talking to another's.
func TestServersStartedTogetherEachAnswerOnTheirOwnPort(t *testing.T) {
	const n = 3
	urls := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			s, err := Start(context.Background())
			if err != nil {
				urls <- "error: " + err.Error()
				return
			}
			t.Cleanup(s.Stop)
			urls <- s.URL
		}()
	}
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		u := <-urls
		if seen[u] || strings.HasPrefix(u, "error") {
			t.Fatalf("server %d: %s (others: %v)", i, u, seen)
		}
		seen[u] = true
	}
}

func TestListenURLReadsTheBoundAddressOrSaysMotoDied(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"bound", "WARNING: dev server\n * Running on http://127.0.0.1:34755\nPress CTRL+C\n", "http://127.0.0.1:34755"},
		{"exited", "OSError: [Errno 98] Address already in use\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := listenURL(strings.NewReader(tt.out), time.Second)
			if got != tt.want || (tt.want == "") != (err != nil) {
				t.Fatalf("listenURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
