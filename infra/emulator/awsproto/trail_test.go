package awsproto_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// recordedIdentity records one call by actor and returns the event's
// detail.userIdentity.
func recordedIdentity(t *testing.T, actor awsproto.Actor, at time.Time) map[string]any {
	t.Helper()
	tr := awsproto.NewTrail()
	tr.Record(&awsproto.Call{Service: "lambda", Operation: "DeleteFunction", Region: "eu-west-1", Account: "111122223333",
		Actor: actor, Time: at}, awsproto.Entry{EventSource: "lambda.amazonaws.com", BusSource: "aws.lambda",
		EventName: "DeleteFunction20150331"})
	evs := tr.Since(0)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	var env struct {
		Detail struct {
			UserIdentity map[string]any `json:"userIdentity"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(evs[0].Event, &env); err != nil {
		t.Fatal(err)
	}
	return env.Detail.UserIdentity
}

func attributes(id map[string]any) map[string]any {
	sc, _ := id["sessionContext"].(map[string]any)
	attrs, _ := sc["attributes"].(map[string]any)
	return attrs
}

func TestTrailStampsEveryAssumedRoleSessionAsRealRecordsShowIt(t *testing.T) {
	at := time.Date(2025, 3, 4, 15, 42, 7, 0, time.FixedZone("CET", 3600))
	issuer := awsproto.SessionIssuer{Type: "Role", PrincipalID: "AROAEXAMPLE", ARN: "arn:aws:iam::111122223333:role/deployer",
		AccountID: "111122223333", UserName: "deployer"}
	assumed := func(sc *awsproto.SessionContext) awsproto.Actor {
		return awsproto.Actor{Name: "ci", AccessKeyID: "ASIAEXAMPLE", Identity: awsproto.Identity{
			Type: "AssumedRole", PrincipalID: "AROAEXAMPLE:build", AccountID: "111122223333",
			ARN: "arn:aws:sts::111122223333:assumed-role/deployer/build", SessionContext: sc}}
	}
	for _, tc := range []struct {
		name       string
		actor      awsproto.Actor
		wantAttrs  map[string]any
		wantIssuer string
	}{
		{name: "an actor with only mfaAuthenticated gets creationDate at the top of the call's hour, in UTC",
			actor:     assumed(&awsproto.SessionContext{SessionIssuer: issuer, Attributes: map[string]string{"mfaAuthenticated": "false"}}),
			wantAttrs: map[string]any{"creationDate": "2025-03-04T14:00:00Z", "mfaAuthenticated": "false"}, wantIssuer: issuer.ARN},
		{name: "an actor's own attributes are kept",
			actor: assumed(&awsproto.SessionContext{SessionIssuer: issuer,
				Attributes: map[string]string{"creationDate": "2025-03-04T13:59:00Z", "mfaAuthenticated": "true"}}),
			wantAttrs: map[string]any{"creationDate": "2025-03-04T13:59:00Z", "mfaAuthenticated": "true"}, wantIssuer: issuer.ARN},
		{name: "an actor without a sessionContext gets one, its issuer read from the session ARN",
			actor:     assumed(nil),
			wantAttrs: map[string]any{"creationDate": "2025-03-04T14:00:00Z", "mfaAuthenticated": "false"}, wantIssuer: issuer.ARN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := recordedIdentity(t, tc.actor, at)
			attrs := attributes(id)
			if len(attrs) != len(tc.wantAttrs) {
				t.Errorf("attributes %v, want %v", attrs, tc.wantAttrs)
			}
			for k, v := range tc.wantAttrs {
				if attrs[k] != v {
					t.Errorf("attributes.%s = %v, want %v", k, attrs[k], v)
				}
			}
			si, _ := id["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)
			if si["arn"] != tc.wantIssuer || si["type"] != "Role" {
				t.Errorf("sessionIssuer %v, want the Role %s", si, tc.wantIssuer)
			}
		})
	}

	t.Run("the actor itself is left unchanged", func(t *testing.T) {
		a := assumed(&awsproto.SessionContext{SessionIssuer: issuer, Attributes: map[string]string{"mfaAuthenticated": "false"}})
		recordedIdentity(t, a, at)
		if len(a.Identity.SessionContext.Attributes) != 1 {
			t.Errorf("recording changed the actor's attributes: %v", a.Identity.SessionContext.Attributes)
		}
	})

	t.Run("an IAM user gets no sessionContext", func(t *testing.T) {
		id := recordedIdentity(t, awsproto.Actor{Name: "alice", AccessKeyID: "AKIAEXAMPLE", Identity: awsproto.Identity{
			Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice", UserName: "alice"}}, at)
		if _, ok := id["sessionContext"]; ok {
			t.Errorf("IAMUser identity has a sessionContext: %v", id)
		}
	})
}
