package act

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

func TestDeleteVersion(t *testing.T) {
	unsignedV7 := func() types.FunctionConfiguration {
		return types.FunctionConfiguration{Version: aws.String("7"), CodeSha256: aws.String("u7"), CodeSize: 211,
			PackageType: types.PackageTypeZip, Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
			Role: aws.String("arn:aws:iam::111122223333:role/pay"), MemorySize: aws.Int32(128), Timeout: aws.Int32(3),
			LastModified: aws.String("2026-03-01T10:02:12.000+0000"),
			Environment:  &types.EnvironmentResponse{Variables: map[string]string{"DB_PASSWORD": "hunter2"}}}
	}
	cases := []struct {
		name     string
		arrange  func(f *fakeLambda)
		status   pipeline.OutcomeStatus
		conflict bool
		deleted  bool
	}{
		{name: "an untrusted version is deleted and its configuration kept", status: pipeline.OutcomeDone, deleted: true},
		{name: "a version gone already needs nothing", arrange: func(f *fakeLambda) { delete(f.versions, "7") },
			status: pipeline.OutcomeNotNeeded},
		{name: "a version an alias took meanwhile (409) is decided again",
			arrange: func(f *fakeLambda) {
				f.deleteErr = &types.ResourceConflictException{Message: aws.String("Unable to delete version because the following aliases reference it")}
			},
			status: pipeline.OutcomeFailed, conflict: true},
		{name: "a version whose code is not the judged one is decided again",
			arrange: func(f *fakeLambda) { v := f.versions["7"]; v.CodeSha256 = aws.String("other"); f.versions["7"] = v },
			status:  pipeline.OutcomeFailed, conflict: true},
		{name: "a trusted version is never deleted",
			arrange: func(f *fakeLambda) {
				v := f.versions["7"]
				v.SigningProfileVersionArn = aws.String(profile + "/v1")
				f.versions["7"] = v
			},
			status: pipeline.OutcomeNotNeeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := world(t)
			f.versions["7"] = unsignedV7()
			if tc.arrange != nil {
				tc.arrange(f)
			}
			a := finding.Action{Kind: rules.ActionDeleteVersion, For: []finding.RuleID{rules.UntrustedVersion}, Resource: "pay:7",
				Params: map[string]string{decide.ParamFunction: "pay", decide.ParamVersion: "7", decide.ParamCodeSha256: "u7"}}
			o := remediator(f).Do(context.Background(), a)
			if o.Status != tc.status || errors.Is(o.Err, ErrConflict) != tc.conflict {
				t.Fatalf("outcome %s (%v), want %s, conflict %v; calls %v", o.Status, o.Err, tc.status, tc.conflict, f.calls)
			}
			if got := len(f.deleted) == 1; got != tc.deleted {
				t.Errorf("deleted %v, want %v", f.deleted, tc.deleted)
			}
			if !tc.deleted {
				return
			}
			for _, want := range []string{"u7", "provided.al2023", "arn:aws:iam::111122223333:role/pay", "DB_PASSWORD", "2026-03-01T10:02:12"} {
				if !strings.Contains(o.Message, want) {
					t.Errorf("message %q does not keep %q", o.Message, want)
				}
			}
			cfg := o.Taken.Params[ParamConfiguration]
			var back map[string]any
			if err := json.Unmarshal([]byte(cfg), &back); err != nil || back["CodeSha256"] != "u7" {
				t.Errorf("configuration kept %q (%v), want the version's JSON", cfg, err)
			}
			if strings.Contains(cfg+o.Message, "hunter2") {
				t.Error("an environment variable's value was kept")
			}
		})
	}
}
