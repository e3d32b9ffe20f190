package lambdaguard_test

import (
	"context"
	"testing"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/rules"
)

// TestBenignEventsTakeNothingFromTheSharedBucket: events of a pipeline's
// redeploy of signed code are dismissed with one GetFunction, on its own
// quota, so a flood of them cannot starve the guard of the shared 15/s
// bucket; what the glance does not settle is read in full, as before, the
// glances' GetFunctions counting as the full read's.
func TestBenignEventsTakeNothingFromTheSharedBucket(t *testing.T) {
	rec := func(name, params string) cloudtrail.Record {
		return cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: name, RequestParameters: []byte(params)}
	}
	cases := []struct {
		name                string
		rec                 cloudtrail.Record
		getFunction, shared int64
		rule                string // a finding the event must still give
	}{
		{"new signed code", rec("UpdateFunctionCode20150331v2", `{"functionName":"web"}`), 1, 0, ""},
		{"a description changed", rec("UpdateFunctionConfiguration20150331v2", `{"functionName":"web","description":"x"}`), 1, 0, ""},
		{"a version published", rec("PublishVersion20150331", `{"functionName":"lay"}`), 1, 0, ""},
		{"an alias moved to a trusted version", rec("UpdateAlias20150331", `{"functionName":"pay","name":"prod","functionVersion":"2"}`), 1, 0, ""},
		{"an unsigned version published is read in full", cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: "PublishVersion20150331",
			RequestParameters: []byte(`{"functionName":"web"}`), ResponseElements: []byte(`{"functionName":"web","version":"2"}`)}, 2, 1, string(rules.UntrustedVersion)},
		{"unsigned code is read in full", rec("UpdateFunctionCode20150331v2", `{"functionName":"pay"}`), 1, 2, string(rules.UnsignedCode)},
		{"an alias on $LATEST is read in full", rec("UpdateAlias20150331", `{"functionName":"canary","name":"live","functionVersion":"$LATEST"}`), 1, 2, string(rules.AliasLatest)},
		{"weights are read in full", rec("UpdateAlias20150331", `{"functionName":"web","name":"live","routingConfig":{"additionalVersionWeights":{"2":0.1}}}`), 0, 2, string(rules.AliasUntrustedVersion)},
		{"a config attached is read in full", rec("PutFunctionCodeSigningConfig", `{"functionName":"web"}`), 1, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t)
			b.guard.Reader.ConfiguredCSC = cscARN
			ctx := context.Background()
			subs, err := b.guard.Subjects(ctx, tc.rec)
			if err != nil || len(subs) != 1 {
				t.Fatalf("subjects %+v, %v", subs, err)
			}
			d, err := b.guard.Evaluate(ctx, subs[0])
			if err != nil {
				t.Fatal(err)
			}
			found := tc.rule == ""
			for _, f := range d.Findings {
				found = found || string(f.Rule) == tc.rule
			}
			if !found {
				t.Errorf("findings %+v lack %s", d.Findings, tc.rule)
			}
			c := b.limiter.Counts()
			if c[ratelimit.BucketGetFunction] != tc.getFunction || c[ratelimit.BucketControl] != tc.shared {
				t.Errorf("calls per bucket = %v, want GetFunction %d, shared %d", c, tc.getFunction, tc.shared)
			}
		})
	}
}

// TestAGlanceAsksSignerLikeAFullRead: code a trusted profile signed, whose
// signing job Signer shows revoked, is not settled at a glance: the event is
// read in full and the revocation found.
func TestAGlanceAsksSignerLikeAFullRead(t *testing.T) {
	b := signerBed(t)
	b.revokeJob(t, "lay", "")
	ctx := context.Background()
	subs, err := b.guard.Subjects(ctx, cloudtrail.Record{EventSource: cloudtrail.SourceLambda,
		EventName: "UpdateFunctionConfiguration20150331v2", RequestParameters: []byte(`{"functionName":"lay","description":"x"}`)})
	if err != nil || len(subs) != 1 || !subs[0].Quick {
		t.Fatalf("subjects %+v, %v; want one quick subject", subs, err)
	}
	d, err := b.guard.Evaluate(ctx, subs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleIDs(d); len(got) != 1 || got[0] != "lay "+string(rules.RevokedSignature) {
		t.Errorf("findings %v, want lay's revoked signature", got)
	}
}

// TestAGlanceWithSignerStillTakesNothingShared: with Signer asked, a benign
// event on trusted code whose signature holds is still settled by its
// glance: one GetFunction, nothing from Lambda's shared bucket.
func TestAGlanceWithSignerStillTakesNothingShared(t *testing.T) {
	b := signerBed(t)
	b.guard.Reader.ConfiguredCSC = cscARN
	ctx := context.Background()
	subs, err := b.guard.Subjects(ctx, cloudtrail.Record{EventSource: cloudtrail.SourceLambda,
		EventName: "UpdateFunctionConfiguration20150331v2", RequestParameters: []byte(`{"functionName":"web","description":"x"}`)})
	if err != nil || len(subs) != 1 {
		t.Fatalf("subjects %+v, %v", subs, err)
	}
	d, err := b.guard.Evaluate(ctx, subs[0])
	if err != nil || len(d.Findings) != 0 {
		t.Fatalf("decision %+v, %v", d, err)
	}
	if c := b.limiter.Counts(); c[ratelimit.BucketGetFunction] != 1 || c[ratelimit.BucketControl] != 0 {
		t.Errorf("calls per bucket = %v, want one GetFunction and nothing shared", c)
	}
}
