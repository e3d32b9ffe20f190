package adaptive_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/shared/ratelimit/adaptive"
)

// TestCallsAreRetriedUpToMaxAttempts drives a client without Lambda
// (CodeCommit, as repo-guard's) through the emulator answering errors: a
// 429 TooManyRequestsException is retried, and a call gives up after
// MaxAttempts failed attempts. (Server errors stand in for the last case:
// after throttles the adaptive mode slows the client for seconds.)
func TestCallsAreRetriedUpToMaxAttempts(t *testing.T) {
	const account, region = "111122223333", "eu-west-1"
	for _, tc := range []struct {
		name   string
		status int
		code   string
		errors int
		ok     bool
	}{
		{"a throttle is absorbed", 429, "TooManyRequestsException", 1, true},
		{"server errors short of the bound are absorbed", 500, "ServiceException", adaptive.MaxAttempts - 1, true},
		{"failing every attempt: the call fails", 500, "ServiceException", adaptive.MaxAttempts, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator.New(account, region)
			ts := httptest.NewServer(srv)
			t.Cleanup(ts.Close)
			if err := srv.LoadWorld(&emulator.World{Repos: repoemu.World{
				Repositories: []repoemu.Repository{{Name: "payments", DefaultBranch: "main"}}}}); err != nil {
				t.Fatal(err)
			}
			srv.Env.Faults.Set([]awsproto.Fault{{Service: "codecommit", Operation: "GetRepository",
				ErrorRate: 1, Status: tc.status, Code: tc.code, Count: tc.errors}})
			var guard awsproto.Actor
			for _, a := range emulator.DefaultActors(account) {
				if a.Name == emulator.ActorGuard {
					guard = a
				}
			}
			c := codecommit.NewFromConfig(aws.Config{
				Region:      region,
				Credentials: credentials.NewStaticCredentialsProvider(guard.AccessKeyID, guard.SecretKey, ""),
				Retryer:     adaptive.Retryer,
			}, func(o *codecommit.Options) {
				o.BaseEndpoint = aws.String(ts.URL)
				// Keep the test quick: the policy, not the backoff, is tested.
				o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, 1)
			})
			_, err := c.GetRepository(context.Background(), &codecommit.GetRepositoryInput{RepositoryName: aws.String("payments")})
			if tc.ok && err != nil {
				t.Fatalf("%d errors were not absorbed: %v", tc.errors, err)
			}
			var max *retry.MaxAttemptsError
			if !tc.ok && !errors.As(err, &max) {
				t.Fatalf("err = %v, want the attempts exhausted", err)
			}
		})
	}
}
