package ledger

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Release is the newest published version of a function the guard saw
// trusted: the restore target of an unsigned code update, known without
// listing every version. It is a hint: the guard reads the version again
// before restoring from it, and forgets it when that read disagrees.
type Release struct {
	Function string
	Version  int
	// Code is the version's code as the guard judged it (its encoding).
	Code []byte
}

// releaseSK is the sort key, under RELEASE#<function>, of the release.
const releaseSK = "TRUSTED"

func releasePK(fn string) string { return "RELEASE#" + fn }

// RememberRelease keeps r as its function's release unless a newer one is
// remembered already (a later publish seen first).
func (t *Table) RememberRelease(ctx context.Context, r Release) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Name),
		Key:                 key(releasePK(r.Function), releaseSK),
		UpdateExpression:    aws.String("SET version_n = :v, code = :c, seen_at = :now"),
		ConditionExpression: aws.String("attribute_not_exists(pk) OR version_n < :v"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":v": n(int64(r.Version)), ":c": &ddb.AttributeValueMemberB{Value: r.Code}, ":now": n(t.now().Unix()),
		},
	})
	var cond *ddb.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("remember release %d of %s: %w", r.Version, r.Function, err)
	}
	return nil
}

// TrustedRelease returns the function's remembered release; ok is false if
// none is. An eventually consistent read: a hint need not be the newest.
func (t *Table) TrustedRelease(ctx context.Context, fn string) (Release, bool, error) {
	out, err := t.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("pk = :pk AND sk = :sk"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": s(releasePK(fn)), ":sk": s(releaseSK)},
	})
	if err != nil {
		return Release{}, false, fmt.Errorf("read the release of %s: %w", fn, err)
	}
	if len(out.Items) == 0 {
		return Release{}, false, nil
	}
	it := out.Items[0]
	v, _ := strconv.Atoi(numText(it["version_n"]))
	code, _ := it["code"].(*ddb.AttributeValueMemberB)
	if v < 1 || code == nil {
		return Release{}, false, nil
	}
	return Release{Function: fn, Version: v, Code: code.Value}, true, nil
}

// ForgetRelease forgets the function's release if it is still version v
// (found gone or no longer trusted).
func (t *Table) ForgetRelease(ctx context.Context, fn string, v int) error {
	_, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(releasePK(fn), releaseSK),
		ConditionExpression:       aws.String("version_n = :v"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":v": n(int64(v))},
	})
	var cond *ddb.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("forget release %d of %s: %w", v, fn, err)
	}
	return nil
}

func numText(v ddb.AttributeValue) string {
	if m, ok := v.(*ddb.AttributeValueMemberN); ok {
		return m.Value
	}
	return ""
}

// releaseMemory holds Memory's releases.
type releaseMemory struct {
	mu       sync.Mutex
	releases map[string]Release
}

// RememberRelease implements the release memory in memory.
func (m *Memory) RememberRelease(_ context.Context, r Release) error {
	m.releaseStore.mu.Lock()
	defer m.releaseStore.mu.Unlock()
	if m.releaseStore.releases == nil {
		m.releaseStore.releases = map[string]Release{}
	}
	if old, ok := m.releaseStore.releases[r.Function]; !ok || old.Version < r.Version {
		r.Code = append([]byte(nil), r.Code...)
		m.releaseStore.releases[r.Function] = r
	}
	return nil
}

// TrustedRelease implements the release memory in memory.
func (m *Memory) TrustedRelease(_ context.Context, fn string) (Release, bool, error) {
	m.releaseStore.mu.Lock()
	defer m.releaseStore.mu.Unlock()
	r, ok := m.releaseStore.releases[fn]
	return r, ok, nil
}

// ForgetRelease implements the release memory in memory.
func (m *Memory) ForgetRelease(_ context.Context, fn string, v int) error {
	m.releaseStore.mu.Lock()
	defer m.releaseStore.mu.Unlock()
	if r, ok := m.releaseStore.releases[fn]; ok && r.Version == v {
		delete(m.releaseStore.releases, fn)
	}
	return nil
}
