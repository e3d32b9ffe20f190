package difftest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

const (
	account = "111111111111" // the account LocalStack's snapshots normalise to
	region  = "us-east-1"
)

// sharedDir is the shared test data beside the checkout.
var sharedDir = filepath.Join("..", "..", "..", "..", "shared", "testdata")

// sharedFile returns the path of a shared test data file, skipping the test
// when the directory is absent outside CI and failing in CI.
func sharedFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(sharedDir, rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("shared test data absent (%v); CI runs this test", err)
		}
		t.Fatalf("shared test data missing in CI: %v", err)
	}
	return p
}

func staticCreds(key, secret string) aws.CredentialsProviderFunc {
	return func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, nil
	}
}

func actorKeys(t *testing.T, name string) (string, string) {
	t.Helper()
	for _, a := range emulator.DefaultActors(account) {
		if a.Name == name {
			return a.AccessKeyID, a.SecretKey
		}
	}
	t.Fatalf("no default actor %q", name)
	return "", ""
}

// lambdaAt returns a Lambda client for url with retries off, so every
// status is seen once.
func lambdaAt(url, key, secret string) *lambda.Client {
	return lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: staticCreds(key, secret)})
}

func codeguruAt(url, key, secret string) *codegurureviewer.Client {
	return codegurureviewer.New(codegurureviewer.Options{Region: region, BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: staticCreds(key, secret)})
}

// emu is an emulator on an httptest server with clients acting as the
// default developer.
type emu struct {
	srv    *emulator.Server
	url    string
	lambda *lambda.Client
	cg     *codegurureviewer.Client
}

func newEmu(t *testing.T, w lambdaemu.World) *emu {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if err := srv.Lambda.LoadWorld(w); err != nil {
		t.Fatalf("load world: %v", err)
	}
	// These tests make more calls a second than AWS's quotas allow; the
	// quotas themselves are held to AWS's in lambdaemu's own tests.
	if err := srv.Lambda.SetQuotas(lambdaemu.Quotas{}); err != nil {
		t.Fatal(err)
	}
	key, secret := actorKeys(t, emulator.ActorDeveloper)
	return &emu{srv: srv, url: ts.URL, lambda: lambdaAt(ts.URL, key, secret), cg: codeguruAt(ts.URL, key, secret)}
}

// finish moves the emulator clock past any update in progress.
func (e *emu) finish() { e.srv.Env.Clock.Advance(2 * time.Minute) }

// canned is one recorded response as the replay server sends it.
type canned struct {
	status  int
	body    []byte
	errCode string
}

// replay is an HTTP server that answers every request with the canned
// response set last, the way AWS sends it: for errors the code in the
// X-Amzn-ErrorType header and a {"Type","message"} body.
type replay struct {
	mu  sync.Mutex
	cur canned
	url string
}

func newReplay(t *testing.T) *replay {
	t.Helper()
	r := &replay{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		c := r.cur
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000000")
		if c.errCode != "" {
			w.Header().Set("X-Amzn-ErrorType", c.errCode)
		}
		w.WriteHeader(c.status)
		if c.status != http.StatusNoContent {
			_, _ = w.Write(c.body)
		}
	}))
	t.Cleanup(ts.Close)
	r.url = ts.URL
	return r
}

func (r *replay) set(c canned) {
	r.mu.Lock()
	r.cur = c
	r.mu.Unlock()
}

func (r *replay) lambda() *lambda.Client { return lambdaAt(r.url, "AKIAREPLAY", "replay") }

func (r *replay) codeguru() *codegurureviewer.Client {
	return codeguruAt(r.url, "AKIAREPLAY", "replay")
}

// readJSON reads a shared test data file.
func readJSON(t *testing.T, rel string, v any) {
	t.Helper()
	data, err := os.ReadFile(sharedFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// snapshotStep returns one step of a LocalStack snapshot as a canned
// response.
func snapshotStep(t *testing.T, file, step string) canned {
	t.Helper()
	return cannedOf(t, snapshotRaw(t, file, step), 200)
}

// snapshotRaw returns one step of a LocalStack snapshot as decoded JSON.
func snapshotRaw(t *testing.T, file, step string) map[string]any {
	t.Helper()
	var snap struct {
		Content map[string]map[string]any `json:"recorded-content"`
	}
	readJSON(t, "awsapi/"+file, &snap)
	resp, ok := snap.Content[step]
	if !ok {
		t.Fatalf("%s has no step %q", file, step)
	}
	return resp
}

// placebo returns a Cloud Custodian placebo file as a canned response.
func placebo(t *testing.T, file string) canned {
	t.Helper()
	var p struct {
		Status int            `json:"status_code"`
		Data   map[string]any `json:"data"`
	}
	readJSON(t, "awsapi/"+file, &p)
	return cannedOf(t, p.Data, p.Status)
}

// cannedOf turns a boto3-shaped response into what AWS sent: the status
// from ResponseMetadata (or def), the error code of an Error member, and
// the body without ResponseMetadata. LocalStack normalises CodeSize to the
// string "<code-size>"; it is put back as a number so the SDK can decode it.
func cannedOf(t *testing.T, resp map[string]any, def int) canned {
	t.Helper()
	c := canned{status: def}
	if md, ok := resp["ResponseMetadata"].(map[string]any); ok {
		if s, ok := md["HTTPStatusCode"].(float64); ok {
			c.status = int(s)
		}
	}
	if e, ok := resp["Error"].(map[string]any); ok {
		c.errCode, _ = e["Code"].(string)
		msg, _ := e["Message"].(string)
		c.body, _ = json.Marshal(map[string]string{"Type": "User", "message": msg})
		return c
	}
	body := map[string]any{}
	for k, v := range resp {
		if k != "ResponseMetadata" {
			body[k] = unplaceholder(k, v)
		}
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(body); err != nil {
		t.Fatal(err)
	}
	c.body = buf.Bytes()
	return c
}

func unplaceholder(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			x[k] = unplaceholder(k, vv)
		}
	case []any:
		for i := range x {
			x[i] = unplaceholder(key, x[i])
		}
	case string:
		if key == "CodeSize" && strings.HasPrefix(x, "<") {
			return 1024
		}
	}
	return v
}

// outcome is what one SDK call yielded: its output, error, HTTP status
// and, for errors, the AWS error code and the SDK's error type.
type outcome struct {
	out     any
	err     error
	status  int
	code    string
	errType string
}

func outcomeOf(out any, md middleware.Metadata, err error) outcome {
	o := outcome{out: out, err: err}
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			o.code, o.errType = ae.ErrorCode(), fmt.Sprintf("%T", ae)
		}
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			o.status = re.HTTPStatusCode()
		}
		return o
	}
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		o.status = raw.StatusCode
	}
	return o
}

// call runs one Lambda operation on a client; outputs carry their
// ResultMetadata, so the HTTP status can be read back.
type call func(ctx context.Context, c *lambda.Client) outcome

// wrap adapts an SDK method with its output type into a call.
func wrap[O any](f func(ctx context.Context, c *lambda.Client) (*O, error)) call {
	return func(ctx context.Context, c *lambda.Client) outcome {
		out, err := f(ctx, c)
		if err != nil {
			return outcomeOf(nil, middleware.Metadata{}, err)
		}
		md := reflectMetadata(out)
		return outcomeOf(out, md, nil)
	}
}

// compareOutcomes fails on a different status, error code or error type,
// or on populated fields that differ beyond the allowance.
func compareOutcomes(t *testing.T, what string, ref, got outcome, allow allowance) {
	t.Helper()
	if ref.status != got.status {
		t.Errorf("%s: HTTP status %d, reference %d (err %v)", what, got.status, ref.status, got.err)
	}
	if ref.code != got.code || ref.errType != got.errType {
		t.Errorf("%s: error %q (%s), reference %q (%s); err %v, reference err %v", what, got.code, got.errType, ref.code, ref.errType, got.err, ref.err)
	}
	if ref.err == nil && got.err == nil {
		sameFields(t, what, ref.out, got.out, allow)
	}
}

// against runs c on the replay server serving rec and on the emulator, and
// compares the two outcomes. It returns the reference's and the emulator's.
func (r *replay) against(t *testing.T, e *emu, what string, rec canned, c call, allow allowance) (outcome, outcome) {
	t.Helper()
	ctx := context.Background()
	r.set(rec)
	ref := c(ctx, r.lambda())
	if ref.err != nil && ref.code == "" {
		t.Fatalf("%s: the SDK could not decode the recorded response: %v", what, ref.err)
	}
	got := c(ctx, e.lambda)
	compareOutcomes(t, what, ref, got, allow)
	return ref, got
}

// reflectMetadata returns the ResultMetadata of an SDK output.
func reflectMetadata(out any) middleware.Metadata {
	v := reflect.ValueOf(out)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if f := v.FieldByName("ResultMetadata"); f.IsValid() {
		if md, ok := f.Interface().(middleware.Metadata); ok {
			return md
		}
	}
	return middleware.Metadata{}
}

// lambdaWorldNone is an empty Lambda world.
var lambdaWorldNone = lambdaemu.World{}
