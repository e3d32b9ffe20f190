package repoemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/smithy-go"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

const (
	testAccount = "111122223333"
	testRegion  = "eu-west-1"
)

// bed is one emulator behind an HTTP server, with real SDK clients of one actor.
type bed struct {
	srv *emulator.Server
	url string
	cc  *codecommit.Client
	cg  *codegurureviewer.Client
}

func newBed(t *testing.T) *bed {
	t.Helper()
	return newBedAs(t, emulator.ActorDeveloper)
}

func newBedAs(t *testing.T, actor string) *bed {
	t.Helper()
	srv := emulator.New(testAccount, testRegion)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	b := &bed{srv: srv, url: hs.URL}
	b.cc, b.cg = clientsAs(t, b, actor)
	return b
}

func clientsAs(t *testing.T, b *bed, actor string) (*codecommit.Client, *codegurureviewer.Client) {
	t.Helper()
	a, ok := b.srv.Identities.ByName(actor)
	if !ok {
		t.Fatalf("no actor %q", actor)
	}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretKey, Source: "test"}, nil
	})
	cc := codecommit.New(codecommit.Options{
		Region: testRegion, BaseEndpoint: aws.String(b.url), Credentials: creds, RetryMaxAttempts: 1,
	})
	cg := codegurureviewer.New(codegurureviewer.Options{
		Region: testRegion, BaseEndpoint: aws.String(b.url), Credentials: creds, RetryMaxAttempts: 1,
	})
	return cc, cg
}

func (b *bed) load(t *testing.T, w repoemu.World) {
	t.Helper()
	if err := b.srv.Repos.LoadWorld(w); err != nil {
		t.Fatalf("load world: %v", err)
	}
}

// trail returns the recorded events after seq.
func (b *bed) trail(seq int64) []awsproto.Event { return b.srv.Env.Trail.Since(seq) }

func (b *bed) lastSeq() int64 {
	ev := b.srv.Env.Trail.Since(0)
	return int64(len(ev))
}

// wantCode fails unless err is an AWS API error with that code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

// must turns a call's (value, error) into the value, failing the test on an
// error: must(client.Op(ctx, in))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// adminPut sends a JSON body to an admin route.
func (b *bed) adminPut(t *testing.T, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, b.url+emulator.AdminPrefix+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// testdata returns the path of a file of the shared test data beside the
// checkout, skipping the test only outside CI when it is absent.
func testdata(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("shared test data absent (%v); CI runs this test", err)
		}
		t.Fatalf("shared test data: %v", err)
	}
	return p
}

const contentTwoApprovals = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2,"ApprovalPoolMembers":["arn:aws:sts::111122223333:assumed-role/CodeCommitReview/*"]}]}`

const contentOneApproval = `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`

// rawCodeCommit sends a CodeCommit request as alice without the SDK (for
// requests the SDK refuses to send) and returns the error code answered,
// or "" for a success.
func (b *bed) rawCodeCommit(t *testing.T, op, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "CodeCommit_20150413."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIALOCALALICE000001/20250101/"+testRegion+"/codecommit/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Type string `json:"__type"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Type
}
