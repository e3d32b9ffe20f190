package ledger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfguard/selfguard/shared/finding"
)

// DynamoDB is the part of the DynamoDB client the ledger uses.
type DynamoDB interface {
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, params *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, params *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, params *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Attribute and key names of the table.
const (
	AttrPK        = "pk"
	AttrSK        = "sk"
	AttrExpiresAt = "expires_at"

	claimSK     = "CLAIM"
	findingPK   = "FINDING"
	stateActive = "in-progress"
	stateDone   = "done"
)

// Table is the ledger in a DynamoDB table.
type Table struct {
	Client DynamoDB
	Name   string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	owners map[string]string // event id → the owner token of our claim
}

// Permissions are the IAM actions a Table needs on the ledger table.
var Permissions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"}

// NewTable returns a ledger on the named table.
func NewTable(client DynamoDB, name string) *Table {
	return &Table{Client: client, Name: name}
}

var _ Ledger = (*Table)(nil)

func (t *Table) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func s(v string) ddb.AttributeValue { return &ddb.AttributeValueMemberS{Value: v} }
func n(v int64) ddb.AttributeValue {
	return &ddb.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) map[string]ddb.AttributeValue {
	return map[string]ddb.AttributeValue{AttrPK: s(pk), AttrSK: s(sk)}
}

func eventPK(id string) string { return "EVENT#" + id }

// Claim takes the event id for this run. It returns false, without error,
// when another run has it or has finished it.
func (t *Table) Claim(ctx context.Context, eventID string) (bool, error) {
	if eventID == "" {
		return false, errors.New("claim: empty event id")
	}
	now := t.now()
	owner := token()
	item := key(eventPK(eventID), claimSK)
	item["state"] = s(stateActive)
	item["owner"] = s(owner)
	item["claimed_at"] = n(now.Unix())
	item["lease_until"] = n(now.Add(ClaimLease).Unix())
	item[AttrExpiresAt] = n(now.Add(ClaimTTL).Unix())
	_, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(t.Name),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(pk) OR (#state = :active AND lease_until < :now)"),
		ExpressionAttributeNames: map[string]string{
			"#state": "state",
		},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":active": s(stateActive),
			":now":    n(now.Unix()),
		},
	})
	var cond *ddb.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim event %s: %w", eventID, err)
	}
	t.mu.Lock()
	if t.owners == nil {
		t.owners = map[string]string{}
	}
	t.owners[eventID] = owner
	t.mu.Unlock()
	return true, nil
}

func (t *Table) takeOwner(eventID string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.owners[eventID]
	delete(t.owners, eventID)
	return o
}

// Complete marks a claimed event as handled for good.
func (t *Table) Complete(ctx context.Context, eventID string) error {
	t.takeOwner(eventID)
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(eventPK(eventID), claimSK),
		UpdateExpression:          aws.String("SET #state = :done REMOVE lease_until"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":done": s(stateDone)},
	})
	if err != nil {
		return fmt.Errorf("complete event %s: %w", eventID, err)
	}
	return nil
}

// Release gives a claim back so that a retry can take it. It only removes
// this run's own claim: if the lease ran out and another run took over, that
// run's claim stays.
func (t *Table) Release(ctx context.Context, eventID string) error {
	owner := t.takeOwner(eventID)
	if owner == "" {
		return nil
	}
	_, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(eventPK(eventID), claimSK),
		ConditionExpression:       aws.String("#owner = :owner AND #state = :active"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner", "#state": "state"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":owner": s(owner), ":active": s(stateActive)},
	})
	var cond *ddb.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("release event %s: %w", eventID, err)
	}
	return nil
}

func auditPK(rt finding.ResourceType, resource string) string {
	return "AUDIT#" + string(rt) + "#" + resource
}

var auditSeq struct {
	sync.Mutex
	n int64
}

// Record keeps one audit entry.
func (t *Table) Record(ctx context.Context, e Entry) error {
	if e.Time.IsZero() {
		e.Time = t.now()
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	auditSeq.Lock()
	auditSeq.n++
	seq := auditSeq.n
	auditSeq.Unlock()
	item := key(auditPK(e.Finding.ResourceType, e.Finding.Resource),
		e.Time.UTC().Format(time.RFC3339Nano)+"#"+e.EventID+"#"+string(e.Finding.Rule)+"#"+strconv.FormatInt(seq, 10))
	item["entry"] = s(string(body))
	item["rule"] = s(string(e.Finding.Rule))
	item["severity"] = s(string(e.Finding.Severity))
	if e.EventID != "" {
		item["event_id"] = s(e.EventID)
	}
	item[AttrExpiresAt] = n(e.Time.Add(AuditTTL).Unix())
	if _, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item}); err != nil {
		return fmt.Errorf("record audit entry for %s: %w", e.Finding.Resource, err)
	}
	return nil
}

// History returns the audit entries of one resource, oldest first.
func (t *Table) History(ctx context.Context, rt finding.ResourceType, resource string) ([]Entry, error) {
	items, err := t.query(ctx, auditPK(rt, resource), "")
	if err != nil {
		return nil, fmt.Errorf("audit history of %s: %w", resource, err)
	}
	out := make([]Entry, 0, len(items))
	for _, it := range items {
		var e Entry
		if err := json.Unmarshal([]byte(str(it["entry"])), &e); err != nil {
			return nil, fmt.Errorf("decode audit entry of %s: %w", resource, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Digest fingerprints what a person sees of a finding, so that a change of
// severity or evidence counts as changed while a re-sighting does not.
func Digest(f finding.Finding) string {
	b, _ := json.Marshal(f) // a struct of strings always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Upsert records that a finding holds now and says whether it is new,
// changed, reopened or unchanged, in one atomic update.
func (t *Table) Upsert(ctx context.Context, f finding.Finding, now time.Time) (Change, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("encode finding: %w", err)
	}
	out, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(t.Name),
		Key:              key(findingPK, f.Key()),
		UpdateExpression: aws.String("SET #finding = :f, #digest = :d, last_seen = :now, first_seen = if_not_exists(first_seen, :now) REMOVE closed_at ADD rev :one"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":f":   s(string(body)),
			":d":   s(Digest(f)),
			":now": n(now.UnixMilli()),
			":one": n(1),
		},
		ExpressionAttributeNames: map[string]string{"#finding": "finding", "#digest": "digest"},
		ReturnValues:             ddb.ReturnValueAllOld,
	})
	if err != nil {
		return "", fmt.Errorf("upsert finding %s: %w", f.Key(), err)
	}
	old := out.Attributes
	switch {
	case len(old) == 0:
		return ChangeNew, nil
	case old["closed_at"] != nil:
		return ChangeReopened, nil
	case str(old["digest"]) != Digest(f):
		return ChangeChanged, nil
	}
	return ChangeUnchanged, nil
}

// Close marks an open finding as resolved. Closing one that is unknown or
// already closed does nothing.
func (t *Table) Close(ctx context.Context, k string, now time.Time) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(t.Name),
		Key:       key(findingPK, k),
		// A closed finding owes no alert any more.
		UpdateExpression:          aws.String("SET closed_at = :now REMOVE owed, teller, tell_until ADD rev :one"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(closed_at)"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":now": n(now.UnixMilli()), ":one": n(1)},
	})
	var cond *ddb.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("close finding %s: %w", k, err)
	}
	return nil
}

// OpenFindings returns every finding not closed.
func (t *Table) OpenFindings(ctx context.Context) ([]Open, error) {
	items, err := t.query(ctx, findingPK, "attribute_not_exists(closed_at)")
	if err != nil {
		return nil, fmt.Errorf("list open findings: %w", err)
	}
	out := make([]Open, 0, len(items))
	for _, it := range items {
		var f finding.Finding
		if err := json.Unmarshal([]byte(str(it["finding"])), &f); err != nil {
			return nil, fmt.Errorf("decode finding %s: %w", str(it[AttrSK]), err)
		}
		out = append(out, Open{Finding: f, FirstSeen: millis(it["first_seen"]), LastSeen: millis(it["last_seen"])})
	}
	return out, nil
}

func (t *Table) query(ctx context.Context, pk, filter string) ([]map[string]ddb.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": s(pk)},
	}
	if filter != "" {
		in.FilterExpression = aws.String(filter)
	}
	var items []map[string]ddb.AttributeValue
	for {
		out, err := t.Client.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func str(v ddb.AttributeValue) string {
	if m, ok := v.(*ddb.AttributeValueMemberS); ok {
		return m.Value
	}
	return ""
}

func millis(v ddb.AttributeValue) time.Time {
	if m, ok := v.(*ddb.AttributeValueMemberN); ok {
		if i, err := strconv.ParseInt(m.Value, 10, 64); err == nil {
			return time.UnixMilli(i).UTC()
		}
	}
	return time.Time{}
}

func token() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// CreateTableInput describes the table as template.yaml declares it, for
// tests and local setups.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: ddb.BillingModePayPerRequest,
		AttributeDefinitions: []ddb.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: ddb.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: ddb.ScalarAttributeTypeS},
		},
		KeySchema: []ddb.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: ddb.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: ddb.KeyTypeRange},
		},
	}
}
