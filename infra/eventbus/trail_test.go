package eventbus

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// emulatorBed is the real emulator over HTTP and a Lambda client acting as
// one of its default actors.
func emulatorBed(t *testing.T, actor string) (*emulator.Server, string, *lambda.Client) {
	t.Helper()
	srv := emulator.New(testAccount, testRegion)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	for _, a := range emulator.DefaultActors(testAccount) {
		if a.Name == actor {
			return srv, ts.URL, lambda.New(lambda.Options{
				Region: testRegion, BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1,
				Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
					return aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretKey}, nil
				}),
			})
		}
	}
	t.Fatalf("no actor %q", actor)
	return nil, "", nil
}

func createFunction(ctx context.Context, c *lambda.Client, name string) error {
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + testAccount + ":role/fn"),
		Code: &types.FunctionCode{ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "v1"})},
	})
	return err
}

func invokedNames(rec *recorder) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, c := range rec.invokes {
		var ev struct {
			Detail struct {
				EventName         string         `json:"eventName"`
				RequestParameters map[string]any `json:"requestParameters"`
			} `json:"detail"`
		}
		_ = json.Unmarshal([]byte(c.payload), &ev)
		out = append(out, c.target+":"+ev.Detail.EventName+":"+ev.Detail.RequestParameters["functionName"].(string))
	}
	return out
}

func TestFeedTrailDeliversTheEmulatorsEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The test template's rule excludes the guard role by its session
	// issuer, which only assumed-role callers have: an IAM user's call has
	// no such field, and anything-but never matches a missing field.
	srv, _, client := emulatorBed(t, emulator.ActorCI)
	rec := &recorder{}
	bus := New(loadTestTemplate(t, nil), Options{Invoker: rec, Publisher: rec})
	defer bus.Close()
	ch, stop := srv.Env.Trail.Subscribe(16)
	defer stop()
	fed := make(chan struct{})
	go func() { bus.FeedTrail(ctx, ch); close(fed) }()

	if err := createFunction(ctx, client, "payments"); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	// A failed write is recorded with an errorCode and must not match.
	if _, err := client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("missing"), ZipFile: []byte("x"),
	}); err == nil {
		t.Fatal("UpdateFunctionCode of a missing function succeeded")
	}
	waitFor(t, ctx, func() bool { return len(srv.Env.Trail.Since(0)) >= 2 })
	waitFor(t, ctx, func() bool { return len(bus.Deliveries()) >= 1 && bus.lastSeq() >= 2 })
	if err := bus.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := invokedNames(rec), []string{"GuardFunction:CreateFunction20150331:payments"}; !reflect.DeepEqual(got, want) {
		t.Errorf("invoked = %v, want %v", got, want)
	}
	cancel()
	<-fed
}

func TestSyncTrailReadsTheAdminAPIOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, url, client := emulatorBed(t, emulator.ActorCI)
	rec := &recorder{}
	bus := New(loadTestTemplate(t, nil), Options{Invoker: rec, Publisher: rec})
	defer bus.Close()
	for _, name := range []string{"a", "b"} {
		if err := createFunction(ctx, client, name); err != nil {
			t.Fatalf("CreateFunction: %v", err)
		}
	}
	n, err := bus.SyncTrail(ctx, url)
	if err != nil || n != 2 {
		t.Fatalf("SyncTrail = %d, %v; want 2 events", n, err)
	}
	if n, err := bus.SyncTrail(ctx, url); err != nil || n != 0 {
		t.Fatalf("second SyncTrail = %d, %v; want nothing new", n, err)
	}
	if err := createFunction(ctx, client, "c"); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	if n, err := bus.SyncTrail(ctx, url); err != nil || n != 1 {
		t.Fatalf("third SyncTrail = %d, %v; want the one new event", n, err)
	}
	if err := bus.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"GuardFunction:CreateFunction20150331:a", "GuardFunction:CreateFunction20150331:b", "GuardFunction:CreateFunction20150331:c"}
	got := invokedNames(rec)
	if len(got) != 3 {
		t.Fatalf("invoked = %v, want %v", got, want)
	}
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("invoked = %v, missing %s", got, w)
		}
	}
	if got := srv.Env.Trail.Since(0); len(got) != 3 {
		t.Errorf("trail holds %d events, want 3", len(got))
	}
}

func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("timed out waiting")
		case <-time.After(5 * time.Millisecond):
		}
	}
}
