package cloudtrail

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseEnvelope: any input either parses into a record with an event
// source and name, or fails with an error; it never panics.
func FuzzParseEnvelope(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail", "*.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2"}}`))
	f.Add([]byte(`{"detail-type":"Scheduled Event","detail":{}}`))
	f.Add([]byte(`{"eventSource":"x","eventName":"y","readOnly":"yes"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, rec, err := ParseEnvelope(data)
		if err != nil {
			return
		}
		if rec.EventSource == "" || rec.EventName == "" {
			t.Fatalf("parsed a record without source or name from %q", data)
		}
		_ = rec.Operation()
		_ = rec.UserIdentity.Actor()
		var m map[string]any
		_ = rec.Request(&m)
		_ = rec.Response(&m)
	})
}
