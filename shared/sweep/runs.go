package sweep

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// RunDB is the part of the DynamoDB client the run store uses.
type RunDB interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// RunPermissions are the IAM actions the run store needs.
var RunPermissions = []string{"dynamodb:UpdateItem"}

// RunTTL is how long a sweep run's record is kept.
const RunTTL = 30 * 24 * time.Hour

// FinishLease is how long one worker holds the right to finish a run; if
// it dies meanwhile, the next delivery of a batch may finish it instead.
const FinishLease = 5 * time.Minute

// Progress is a run as the store holds it.
type Progress struct {
	Run     string
	Started time.Time
	// Total is the number of batches, -1 while the lister is still listing.
	Total    int
	Done     int
	Finished bool
}

// Complete reports whether every batch of a fully listed run is done.
func (p Progress) Complete() bool { return p.Total >= 0 && p.Done >= p.Total }

// Runs keeps sweep runs in the ledger's table, beside its items:
//
//	pk            sk    attributes
//	SWEEP#<run>   RUN   started_at, total, functions, repositories,
//	                    done (number set of batch indexes), finish_lease,
//	                    finished_at, expires_at
//
// Batches done are a set, not a counter, so a batch delivered twice counts
// once.
type Runs struct {
	DB    RunDB
	Table string
}

func runKey(run string) map[string]ddb.AttributeValue {
	return map[string]ddb.AttributeValue{
		"pk": &ddb.AttributeValueMemberS{Value: "SWEEP#" + run},
		"sk": &ddb.AttributeValueMemberS{Value: "RUN"},
	}
}

func num(v int64) ddb.AttributeValue {
	return &ddb.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// Start records a run's start time.
func (r *Runs) Start(ctx context.Context, run string, at time.Time) error {
	_, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(r.Table),
		Key:              runKey(run),
		UpdateExpression: aws.String("SET started_at = if_not_exists(started_at, :t), expires_at = :e"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":t": num(at.UnixMilli()), ":e": num(at.Add(RunTTL).Unix()),
		},
	})
	if err != nil {
		return fmt.Errorf("start sweep run %s: %w", run, err)
	}
	return nil
}

// Listed records how many batches the lister sent.
func (r *Runs) Listed(ctx context.Context, run string, st ListStats) (Progress, error) {
	out, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(r.Table),
		Key:              runKey(run),
		UpdateExpression: aws.String("SET #total = :n, #functions = :f, #repositories = :r"),
		// total and functions are DynamoDB reserved words.
		ExpressionAttributeNames: map[string]string{"#total": "total", "#functions": "functions", "#repositories": "repositories"},
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":n": num(int64(st.Batches)), ":f": num(int64(st.Functions)), ":r": num(int64(st.Repositories)),
		},
		ReturnValues: ddb.ReturnValueAllNew,
	})
	if err != nil {
		return Progress{}, fmt.Errorf("record sweep run %s total: %w", run, err)
	}
	return progressOf(run, out.Attributes), nil
}

// BatchDone records that one batch was evaluated.
func (r *Runs) BatchDone(ctx context.Context, run string, index int) (Progress, error) {
	out, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(r.Table),
		Key:              runKey(run),
		UpdateExpression: aws.String("ADD done :i"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":i": &ddb.AttributeValueMemberNS{Value: []string{strconv.Itoa(index)}},
		},
		ReturnValues: ddb.ReturnValueAllNew,
	})
	if err != nil {
		return Progress{}, fmt.Errorf("record sweep run %s batch %d: %w", run, index, err)
	}
	return progressOf(run, out.Attributes), nil
}

// ClaimFinish takes the right to finish a complete run: true for exactly
// one caller, unless that caller's lease ran out without MarkFinished.
func (r *Runs) ClaimFinish(ctx context.Context, run string, now time.Time) (bool, error) {
	_, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(r.Table),
		Key:                 runKey(run),
		UpdateExpression:    aws.String("SET finish_lease = :until"),
		ConditionExpression: aws.String("attribute_not_exists(finished_at) AND (attribute_not_exists(finish_lease) OR finish_lease < :now)"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{
			":until": num(now.Add(FinishLease).UnixMilli()), ":now": num(now.UnixMilli()),
		},
	})
	var cond *ddb.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim finishing sweep run %s: %w", run, err)
	}
	return true, nil
}

// MarkFinished records that the run's summary went out.
func (r *Runs) MarkFinished(ctx context.Context, run string, now time.Time) error {
	_, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(r.Table),
		Key:                       runKey(run),
		UpdateExpression:          aws.String("SET finished_at = :now REMOVE finish_lease"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":now": num(now.UnixMilli())},
	})
	if err != nil {
		return fmt.Errorf("finish sweep run %s: %w", run, err)
	}
	return nil
}

// ReleaseFinish gives up a claim to finish after a failure, so the next
// delivery can try at once instead of waiting for the lease.
func (r *Runs) ReleaseFinish(ctx context.Context, run string) error {
	_, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(r.Table),
		Key:              runKey(run),
		UpdateExpression: aws.String("REMOVE finish_lease"),
	})
	if err != nil {
		return fmt.Errorf("release finishing sweep run %s: %w", run, err)
	}
	return nil
}

func progressOf(run string, item map[string]ddb.AttributeValue) Progress {
	p := Progress{Run: run, Total: -1}
	if v, ok := item["started_at"].(*ddb.AttributeValueMemberN); ok {
		if ms, err := strconv.ParseInt(v.Value, 10, 64); err == nil {
			p.Started = time.UnixMilli(ms).UTC()
		}
	}
	if v, ok := item["total"].(*ddb.AttributeValueMemberN); ok {
		if n, err := strconv.Atoi(v.Value); err == nil {
			p.Total = n
		}
	}
	if v, ok := item["done"].(*ddb.AttributeValueMemberNS); ok {
		p.Done = len(v.Value)
	}
	_, p.Finished = item["finished_at"]
	return p
}

// MemoryRuns is Runs in memory, for a sweep in one process and for tests.
type MemoryRuns struct {
	mu   sync.Mutex
	runs map[string]*memRun
}

type memRun struct {
	p     Progress
	done  map[int]bool
	lease time.Time
}

func (m *MemoryRuns) get(run string) *memRun {
	if m.runs == nil {
		m.runs = map[string]*memRun{}
	}
	r := m.runs[run]
	if r == nil {
		r = &memRun{p: Progress{Run: run, Total: -1}, done: map[int]bool{}}
		m.runs[run] = r
	}
	return r
}

// Start records a run's start time.
func (m *MemoryRuns) Start(_ context.Context, run string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.get(run); r.p.Started.IsZero() {
		r.p.Started = at.UTC()
	}
	return nil
}

// Listed records how many batches the lister sent.
func (m *MemoryRuns) Listed(_ context.Context, run string, st ListStats) (Progress, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.get(run)
	r.p.Total = st.Batches
	return r.p, nil
}

// BatchDone records that one batch was evaluated.
func (m *MemoryRuns) BatchDone(_ context.Context, run string, index int) (Progress, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.get(run)
	r.done[index] = true
	r.p.Done = len(r.done)
	return r.p, nil
}

// ClaimFinish takes the right to finish a run.
func (m *MemoryRuns) ClaimFinish(_ context.Context, run string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.get(run)
	if r.p.Finished || now.Before(r.lease) {
		return false, nil
	}
	r.lease = now.Add(FinishLease)
	return true, nil
}

// MarkFinished records that the run's summary went out.
func (m *MemoryRuns) MarkFinished(_ context.Context, run string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.get(run).p.Finished = true
	return nil
}

// ReleaseFinish gives up a claim to finish.
func (m *MemoryRuns) ReleaseFinish(_ context.Context, run string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.get(run).lease = time.Time{}
	return nil
}
