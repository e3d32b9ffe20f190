package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfguard/selfguard/shared/finding"
)

// TellLease is how long the caller that Sight chose to alert holds that
// duty; if it neither confirms (Told) nor gives it back (Untold) in that
// time, the next sighting alerts instead. Far above one SNS publish.
const TellLease = 5 * time.Minute

// sightAttempts bounds the read-and-conditional-write loop of Sight when
// other writers keep changing the same finding.
const sightAttempts = 8

// Sighting is what Sight learned about a finding: how it compares with
// what the ledger held, and whether this caller owes a person an alert.
type Sighting struct {
	Key    string
	Change Change
	// Tell says this caller must alert and then call Told, or Untold if
	// the alert failed. It is true when the finding is new, changed or
	// reopened, or when an earlier alert about it never went out; false
	// while another caller is telling.
	Tell   bool
	teller string
}

// Sight records that a finding holds now, like Upsert, and also keeps an
// alert owed until Told confirms it went out: a sighting whose alert
// failed (Untold) or whose caller died leaves the debt for the next
// sighting, so a retried batch alerts exactly once instead of never (the
// finding is no longer new) or twice. Among concurrent sightings of the
// same change exactly one is told to alert.
func (t *Table) Sight(ctx context.Context, f finding.Finding, now time.Time) (Sighting, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return Sighting{}, fmt.Errorf("encode finding: %w", err)
	}
	k, d := f.Key(), Digest(f)
	for i := 0; i < sightAttempts; i++ {
		old, err := t.findingItem(ctx, k)
		if err != nil {
			return Sighting{}, fmt.Errorf("sight finding %s: %w", k, err)
		}
		st := Sighting{Key: k, Change: changeOf(old != nil, old["closed_at"] != nil, str(old["digest"]), d)}
		owed := Change(str(old["owed"]))
		if st.Change == ChangeUnchanged && owed != "" && !millis(old["tell_until"]).After(now) {
			st.Change, st.Tell = owed, true // an earlier alert never went out
		}
		if st.Change != ChangeUnchanged {
			st.Tell, st.teller = true, token()
		}
		values := map[string]ddb.AttributeValue{
			":f": s(string(body)), ":d": s(d), ":now": n(now.UnixMilli()), ":one": n(1),
		}
		update := "SET #finding = :f, #digest = :d, last_seen = :now, first_seen = if_not_exists(first_seen, :now)"
		if st.Tell {
			update += ", owed = :owed, teller = :me, tell_until = :until"
			values[":owed"], values[":me"], values[":until"] = s(string(st.Change)), s(st.teller), n(now.Add(TellLease).UnixMilli())
		}
		update += " REMOVE closed_at ADD rev :one"
		// Optimistic locking on rev: the decision above holds only for
		// the item as read.
		cond := "attribute_not_exists(pk)"
		switch rev := old["rev"]; {
		case old == nil:
		case rev == nil:
			cond = "attribute_exists(pk) AND attribute_not_exists(rev)"
		default:
			cond, values[":rev"] = "rev = :rev", rev
		}
		_, err = t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(t.Name),
			Key:                       key(findingPK, k),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#finding": "finding", "#digest": "digest"},
			ExpressionAttributeValues: values,
		})
		var condErr *ddb.ConditionalCheckFailedException
		if errors.As(err, &condErr) {
			continue // another writer came between: read again
		}
		if err != nil {
			return Sighting{}, fmt.Errorf("sight finding %s: %w", k, err)
		}
		return st, nil
	}
	return Sighting{}, fmt.Errorf("sight finding %s: still contended after %d attempts", k, sightAttempts)
}

// Told records that the alert Sight asked for went out. It does nothing
// for a sighting that owed none, or whose duty another caller took over.
func (t *Table) Told(ctx context.Context, st Sighting) error {
	return t.endTelling(ctx, st, "REMOVE owed, teller, tell_until ADD rev :one", "told")
}

// Untold gives back the duty to alert after the alert failed, so the next
// sighting (the retried batch) alerts at once instead of after TellLease.
func (t *Table) Untold(ctx context.Context, st Sighting) error {
	return t.endTelling(ctx, st, "REMOVE teller, tell_until ADD rev :one", "untold")
}

func (t *Table) endTelling(ctx context.Context, st Sighting, update, what string) error {
	if !st.Tell || st.teller == "" {
		return nil
	}
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(findingPK, st.Key),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("teller = :me"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":me": s(st.teller), ":one": n(1)},
	})
	var cond *ddb.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("mark finding %s %s: %w", st.Key, what, err)
	}
	return nil
}

// findingItem reads one finding's item, nil if there is none. The read is
// consistent: Sight's decision must see the last write.
func (t *Table) findingItem(ctx context.Context, k string) (map[string]ddb.AttributeValue, error) {
	out, err := t.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk AND sk = :sk"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":pk": s(findingPK), ":sk": s(k),
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if len(out.Items) == 0 {
		return nil, nil
	}
	return out.Items[0], nil
}

func changeOf(exists, closed bool, oldDigest, digest string) Change {
	switch {
	case !exists:
		return ChangeNew
	case closed:
		return ChangeReopened
	case oldDigest != digest:
		return ChangeChanged
	}
	return ChangeUnchanged
}

// Sight records a sighting, as Table.Sight does.
func (m *Memory) Sight(_ context.Context, f finding.Finding, now time.Time) (Sighting, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.findings == nil {
		m.findings = map[string]*memFinding{}
	}
	k, d := f.Key(), Digest(f)
	old := m.findings[k]
	var st Sighting
	if old == nil {
		st = Sighting{Key: k, Change: ChangeNew}
		old = &memFinding{open: Open{Finding: f, FirstSeen: now}}
		m.findings[k] = old
	} else {
		st = Sighting{Key: k, Change: changeOf(true, old.open.ClosedAt != nil, old.digest, d)}
	}
	if st.Change == ChangeUnchanged && old.owed != "" && !old.tellUntil.After(now) {
		st.Change, st.Tell = old.owed, true
	}
	if st.Change != ChangeUnchanged {
		st.Tell, st.teller = true, token()
		old.owed, old.teller, old.tellUntil = st.Change, st.teller, now.Add(TellLease)
	}
	old.open.Finding, old.open.LastSeen, old.open.ClosedAt, old.digest = f, now, nil, d
	return st, nil
}

// Told records that the alert went out.
func (m *Memory) Told(_ context.Context, st Sighting) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.findings[st.Key]; st.Tell && f != nil && f.teller == st.teller {
		f.owed, f.teller, f.tellUntil = "", "", time.Time{}
	}
	return nil
}

// Untold gives back the duty to alert.
func (m *Memory) Untold(_ context.Context, st Sighting) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.findings[st.Key]; st.Tell && f != nil && f.teller == st.teller {
		f.teller, f.tellUntil = "", time.Time{}
	}
	return nil
}
