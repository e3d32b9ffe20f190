package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// owedSK is the sort key, under an event's partition, of the alerts the
// guard owes for that event: alerts about changes it made that could not be
// sent. A retry of the event cannot reproduce them (the state is fixed by
// then), so they are kept until sent.
const owedSK = "OWED"

// Owe keeps alerts (opaque bytes, the caller's encoding) owed for an event.
func (t *Table) Owe(ctx context.Context, eventID string, payload []byte) error {
	item := key(eventPK(eventID), owedSK)
	item["payload"] = &ddb.AttributeValueMemberB{Value: payload}
	item["expires_at"] = n(t.now().Add(ClaimTTL).Unix())
	if _, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item}); err != nil {
		return fmt.Errorf("owe alerts for event %s: %w", eventID, err)
	}
	return nil
}

// Owed returns the alerts owed for an event, or nil.
func (t *Table) Owed(ctx context.Context, eventID string) ([]byte, error) {
	out, err := t.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("pk = :pk AND sk = :sk"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": s(eventPK(eventID)), ":sk": s(owedSK)},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read alerts owed for event %s: %w", eventID, err)
	}
	if len(out.Items) == 0 {
		return nil, nil
	}
	b, ok := out.Items[0]["payload"].(*ddb.AttributeValueMemberB)
	if !ok {
		return nil, errors.New("owed alerts of event " + eventID + " are not binary")
	}
	return b.Value, nil
}

// Paid forgets the alerts owed for an event, once they are sent.
func (t *Table) Paid(ctx context.Context, eventID string) error {
	if _, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(t.Name), Key: key(eventPK(eventID), owedSK)}); err != nil {
		return fmt.Errorf("clear alerts owed for event %s: %w", eventID, err)
	}
	return nil
}

// owedMemory holds Memory's owed alerts.
type owedMemory struct {
	mu   sync.Mutex
	owed map[string][]byte
}

// Owe implements the owed-alert store in memory.
func (m *Memory) Owe(_ context.Context, eventID string, payload []byte) error {
	m.owedStore.mu.Lock()
	defer m.owedStore.mu.Unlock()
	if m.owedStore.owed == nil {
		m.owedStore.owed = map[string][]byte{}
	}
	m.owedStore.owed[eventID] = append([]byte(nil), payload...)
	return nil
}

// Owed implements the owed-alert store in memory.
func (m *Memory) Owed(_ context.Context, eventID string) ([]byte, error) {
	m.owedStore.mu.Lock()
	defer m.owedStore.mu.Unlock()
	return m.owedStore.owed[eventID], nil
}

// Paid implements the owed-alert store in memory.
func (m *Memory) Paid(_ context.Context, eventID string) error {
	m.owedStore.mu.Lock()
	defer m.owedStore.mu.Unlock()
	delete(m.owedStore.owed, eventID)
	return nil
}
