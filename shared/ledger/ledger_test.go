package ledger

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/shared/finding"
)

var motoServer *moto.Server

func TestMain(m *testing.M) { os.Exit(moto.Run(m, &motoServer)) }

func dynamoClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	cfg := motoServer.Config("us-east-1")
	return dynamodb.NewFromConfig(cfg)
}

var tableSeq atomic.Int64

func newTable(t *testing.T, client *dynamodb.Client) string {
	t.Helper()
	name := "ledger-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if _, err := client.CreateTable(context.Background(), CreateTableInput(name)); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return name
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type factory func(t *testing.T, c *clock) []Ledger // two handles on one store

func implementations() map[string]factory {
	return map[string]factory{
		"dynamodb": func(t *testing.T, c *clock) []Ledger {
			client := dynamoClient(t)
			name := newTable(t, client)
			a, b := NewTable(client, name), NewTable(client, name)
			a.Now, b.Now = c.Now, c.Now
			return []Ledger{a, b}
		},
		"memory": func(t *testing.T, c *clock) []Ledger {
			m := &Memory{Now: c.Now}
			return []Ledger{m, m}
		},
	}
}

func start() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func TestClaim(t *testing.T) {
	ctx := context.Background()
	for impl, mk := range implementations() {
		t.Run(impl+"/a second claim of the same event fails", func(t *testing.T) {
			l := mk(t, start())
			mustClaim(t, l[0], "ev-1", true)
			mustClaim(t, l[1], "ev-1", false)
			mustClaim(t, l[1], "ev-2", true)
		})
		t.Run(impl+"/a completed event is never claimed again", func(t *testing.T) {
			c := start()
			l := mk(t, c)
			mustClaim(t, l[0], "ev-1", true)
			if err := l[0].Complete(ctx, "ev-1"); err != nil {
				t.Fatal(err)
			}
			c.Add(ClaimLease * 3)
			mustClaim(t, l[1], "ev-1", false)
		})
		t.Run(impl+"/a released claim can be taken again", func(t *testing.T) {
			l := mk(t, start())
			mustClaim(t, l[0], "ev-1", true)
			if err := l[0].Release(ctx, "ev-1"); err != nil {
				t.Fatal(err)
			}
			mustClaim(t, l[1], "ev-1", true)
		})
		t.Run(impl+"/a claim left by a run that died is free when Lambda's first retry comes", func(t *testing.T) {
			// A run killed at its timeout never releases its claim. Lambda
			// retries a failed asynchronous invocation one minute after it
			// ended; the retry must find the claim lapsed, not a duplicate,
			// however early in its run the first one died.
			const firstRetry = time.Minute
			c := start()
			l := mk(t, c)
			mustClaim(t, l[0], "ev-1", true)
			c.Add(firstRetry)
			mustClaim(t, l[1], "ev-1", true)
		})
		t.Run(impl+"/an in-progress claim past its lease is taken over", func(t *testing.T) {
			c := start()
			l := mk(t, c)
			mustClaim(t, l[0], "ev-1", true)
			c.Add(ClaimLease - time.Second)
			mustClaim(t, l[1], "ev-1", false)
			c.Add(2 * time.Second)
			mustClaim(t, l[1], "ev-1", true)
		})
	}
}

func TestReleaseKeepsAnotherRunsClaim(t *testing.T) {
	ctx := context.Background()
	c := start()
	l := implementations()["dynamodb"](t, c)
	mustClaim(t, l[0], "ev-1", true)
	c.Add(ClaimLease + time.Second)
	mustClaim(t, l[1], "ev-1", true) // the first run is presumed dead
	if err := l[0].Release(ctx, "ev-1"); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, l[0], "ev-1", false) // the second run's claim still holds
}

func TestConcurrentClaimsConflict(t *testing.T) {
	c := start()
	l := implementations()["dynamodb"](t, c)
	var won atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ok, err := l[i%2].Claim(context.Background(), "ev-race")
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d claims won, want exactly 1", won.Load())
	}
}

func TestTTLAttributes(t *testing.T) {
	ctx := context.Background()
	c := start()
	client := dynamoClient(t)
	name := newTable(t, client)
	tb := NewTable(client, name)
	tb.Now = c.Now
	mustClaim(t, tb, "ev-ttl", true)
	got, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: key(eventPK("ev-ttl"), claimSK)})
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.FormatInt(c.Now().Add(ClaimTTL).Unix(), 10); num(got.Item[AttrExpiresAt]) != want {
		t.Errorf("claim expires_at = %q, want %q", num(got.Item[AttrExpiresAt]), want)
	}
	f := finding.Finding{Rule: "unsigned-code", Severity: finding.SeverityHigh, ResourceType: finding.ResourceFunction, Resource: "payments-api"}
	if err := tb.Record(ctx, Entry{EventID: "ev-ttl", Finding: f, Mode: finding.ModeMonitor}); err != nil {
		t.Fatal(err)
	}
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(name),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]ddb.AttributeValue{":pk": s(auditPK(f.ResourceType, f.Resource))},
	})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("audit items %v, %v", out, err)
	}
	if want := strconv.FormatInt(c.Now().Add(AuditTTL).Unix(), 10); num(out.Items[0][AttrExpiresAt]) != want {
		t.Errorf("audit expires_at = %q, want %q", num(out.Items[0][AttrExpiresAt]), want)
	}
}

func num(v ddb.AttributeValue) string {
	if m, ok := v.(*ddb.AttributeValueMemberN); ok {
		return m.Value
	}
	return ""
}

func TestRecordAndHistory(t *testing.T) {
	ctx := context.Background()
	for impl, mk := range implementations() {
		t.Run(impl, func(t *testing.T) {
			c := start()
			l := mk(t, c)[0]
			f := finding.Finding{Rule: "alias-on-latest", Severity: finding.SeverityHigh, ResourceType: finding.ResourceAlias, Resource: "payments-api:live", Summary: "alias live points at $LATEST"}
			other := f
			other.Resource = "orders:live"
			entries := []Entry{
				{EventID: "ev-1", EventName: "UpdateAlias20150331", Actor: "mallory", Mode: finding.ModeEnforce, Finding: f,
					Actions: []ActionRecord{{Action: finding.Action{Kind: "restore-alias", Undo: "aws lambda update-alias ..."}, Status: "done"}}},
				{EventID: "ev-2", Actor: "mallory", Mode: finding.ModeMonitor, Finding: other},
				{EventID: "ev-3", Actor: "eve", Mode: finding.ModeMonitor, Finding: f},
			}
			for _, e := range entries {
				c.Add(time.Second)
				if err := l.Record(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			h, err := l.History(ctx, f.ResourceType, f.Resource)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 2 || h[0].EventID != "ev-1" || h[1].EventID != "ev-3" {
				t.Fatalf("history = %+v", h)
			}
			if h[0].Actions[0].Status != "done" || h[0].Actions[0].Action.Kind != "restore-alias" || h[0].Time.IsZero() {
				t.Errorf("entry lost detail: %+v", h[0])
			}
		})
	}
}

func TestUpsertTracksOpenFindings(t *testing.T) {
	ctx := context.Background()
	for impl, mk := range implementations() {
		t.Run(impl, func(t *testing.T) {
			c := start()
			l := mk(t, c)[0]
			f := finding.Finding{Rule: "unsigned-code", Severity: finding.SeverityHigh, ResourceType: finding.ResourceFunction, Resource: "payments-api", Summary: "unsigned code"}
			worse := f
			worse.Severity = finding.SeverityCritical
			first := c.Now()
			steps := []struct {
				name string
				f    finding.Finding
				want Change
			}{
				{"first sighting is new", f, ChangeNew},
				{"same finding again is unchanged", f, ChangeUnchanged},
				{"a higher severity is a change", worse, ChangeChanged},
			}
			for _, st := range steps {
				c.Add(time.Minute)
				got, err := l.Upsert(ctx, st.f, c.Now())
				if err != nil {
					t.Fatal(err)
				}
				if got != st.want {
					t.Errorf("%s: got %s, want %s", st.name, got, st.want)
				}
			}
			open, err := l.OpenFindings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != 1 || open[0].Finding.Severity != finding.SeverityCritical ||
				!open[0].FirstSeen.Equal(first.Add(time.Minute)) || !open[0].LastSeen.Equal(c.Now()) {
				t.Fatalf("open = %+v", open)
			}
			if err := l.Close(ctx, f.Key(), c.Now()); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(ctx, "never-seen", c.Now()); err != nil {
				t.Fatalf("closing an unknown finding: %v", err)
			}
			if open, _ := l.OpenFindings(ctx); len(open) != 0 {
				t.Fatalf("closed finding still open: %+v", open)
			}
			if got, _ := l.Upsert(ctx, worse, c.Now()); got != ChangeReopened {
				t.Errorf("after close: %s, want reopened", got)
			}
		})
	}
}

func mustClaim(t *testing.T, l Ledger, id string, want bool) {
	t.Helper()
	got, err := l.Claim(context.Background(), id)
	if err != nil {
		t.Fatalf("claim %s: %v", id, err)
	}
	if got != want {
		t.Fatalf("claim %s = %v, want %v", id, got, want)
	}
}
