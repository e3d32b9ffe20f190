package moto

import (
	"context"
	"net/http"
	"testing"
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
