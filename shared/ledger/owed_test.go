package ledger

import (
	"bytes"
	"context"
	"testing"
)

// TestOwedAlertsAreKeptUntilPaid, on DynamoDB (moto) and in memory.
func TestOwedAlertsAreKeptUntilPaid(t *testing.T) {
	type owedStore interface {
		Owe(ctx context.Context, eventID string, payload []byte) error
		Owed(ctx context.Context, eventID string) ([]byte, error)
		Paid(ctx context.Context, eventID string) error
	}
	stores := map[string]func(t *testing.T) owedStore{
		"memory": func(*testing.T) owedStore { return &Memory{} },
		"dynamodb": func(t *testing.T) owedStore {
			c := dynamoClient(t)
			return NewTable(c, newTable(t, c))
		},
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			l := mk(t)
			if got, err := l.Owed(ctx, "e-1"); err != nil || got != nil {
				t.Fatalf("nothing owed yet: got %q, %v", got, err)
			}
			payload := []byte(`[{"Finding":{"rule":"lambda.unsigned-code"}}]`)
			if err := l.Owe(ctx, "e-1", payload); err != nil {
				t.Fatal(err)
			}
			if got, err := l.Owed(ctx, "e-1"); err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("owed = %q, %v; want %q", got, err, payload)
			}
			if got, _ := l.Owed(ctx, "e-2"); got != nil {
				t.Errorf("another event owes %q", got)
			}
			if err := l.Paid(ctx, "e-1"); err != nil {
				t.Fatal(err)
			}
			if got, err := l.Owed(ctx, "e-1"); err != nil || got != nil {
				t.Errorf("after Paid: %q, %v", got, err)
			}
		})
	}
}
