package sweep_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/sweep"
)

// heavyFunction is a function with n published versions, each with five
// signed layers: the listing facts of one such version are several times
// those of a bare one.
func heavyFunction(i, n int) sweep.Function {
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:heavy-%03d", region, account, i)
	ver := func(v string) sweep.Version {
		out := sweep.Version{
			Version: v, RevisionID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", CodeSha256: strings.Repeat("A", 43) + "=",
			PackageType: "Zip", SigningProfile: trustedProfile + "/v000000001",
			SigningJob:       "arn:aws:signer:" + region + ":" + account + ":/signing-jobs/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
			LastUpdateStatus: "Successful", State: "Active",
		}
		for l := 0; l < 5; l++ {
			out.Layers = append(out.Layers, sweep.Layer{
				ARN: fmt.Sprintf("arn:aws:lambda:%s:%s:layer:shared-%d:%d", region, account, l, 7), SigningProfile: out.SigningProfile,
				SigningJob: out.SigningJob, CodeSize: 1234567,
			})
		}
		return out
	}
	f := sweep.Function{Name: fmt.Sprintf("heavy-%03d", i), ARN: arn, Latest: ver("$LATEST"),
		CSC: &sweep.CSC{ARN: cscARN, AllowedPublishers: []string{trustedProfile + "/v000000001"}, Policy: "Enforce"}}
	for v := 1; v <= n; v++ {
		f.Versions = append(f.Versions, ver(fmt.Sprint(v)))
	}
	return f
}

func TestSQSQueueCarriesBatchesThatDecodeBack(t *testing.T) {
	ctx := context.Background()
	m := motoClients(t)
	url, _ := m.queue(t, "sweep")
	q := &sweep.SQSQueue{Client: m.sqs, URL: url}

	small := sweep.Batch{Run: "run-1", Index: 0, Functions: []sweep.Function{heavyFunction(0, 1)}, Repositories: []string{"payments"}}
	// As large as a message may be: add functions while it stays under.
	large := sweep.Batch{Run: "run-1", Index: 1}
	for i := 0; ; i++ {
		next := large
		next.Functions = append(append([]sweep.Function(nil), large.Functions...), heavyFunction(i, 8))
		if _, err := next.Encode(); err != nil {
			break
		}
		large = next
	}
	body, _ := large.Encode()
	if len(body) < sweep.MaxMessageBytes-(30<<10) {
		t.Fatalf("the large batch is only %d bytes", len(body))
	}
	over := large
	over.Index = 2
	over.Functions = append(over.Functions, heavyFunction(99, 30))

	for _, b := range []sweep.Batch{small, large} {
		if err := q.Send(ctx, b); err != nil {
			t.Fatalf("send batch %d (%d functions): %v", b.Index, len(b.Functions), err)
		}
	}
	if err := q.Send(ctx, over); err == nil || !strings.Contains(err.Error(), "message limit") {
		t.Fatalf("a batch over the limit: %v, want refused before sending", err)
	}
	msgs := m.drain(t, url)
	if len(msgs) != 2 {
		t.Fatalf("%d messages on the queue, want 2 (the oversized batch must not be sent)", len(msgs))
	}
	got := map[int]sweep.Batch{}
	for _, msg := range msgs {
		if n := len(aws.ToString(msg.Body)); n > 256<<10 {
			t.Errorf("message of %d bytes is over SQS's 256 KiB", n)
		}
		b, err := sweep.DecodeBatch(aws.ToString(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		got[b.Index] = b
	}
	for _, want := range []sweep.Batch{small, large} {
		if !reflect.DeepEqual(got[want.Index], want) {
			t.Errorf("batch %d did not decode back to what was sent", want.Index)
		}
	}
}

// layeredWorld has n signed functions with v published versions each, all
// with five signed layers.
func layeredWorld(n, v int) *emulator.World {
	w := &emulator.World{Lambda: lambdaemu.World{
		SigningProfiles: []lambdaemu.ProfileWorld{{Name: "trusted", Version: "v000000001"}},
		CodeSigningConfigs: []lambdaemu.CSCWorld{{
			ID: "csc-0000000000000000a", AllowedPublishers: []string{"trusted"}, UntrustedArtifactOnDeployment: "Enforce",
		}},
	}}
	var layers []string
	for l := 0; l < 5; l++ {
		name := fmt.Sprintf("shared-layer-%d", l)
		w.Lambda.Layers = append(w.Lambda.Layers, lambdaemu.LayerWorld{Name: name, Version: 1, CodeWorld: lambdaemu.CodeWorld{SignedBy: "trusted"}})
		layers = append(layers, fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s:1", region, account, name))
	}
	for i := 0; i < n; i++ {
		f := lambdaemu.FunctionWorld{
			Name: fmt.Sprintf("layered-function-with-a-long-name-%03d", i), CodeSigningConfig: "csc-0000000000000000a", Layers: layers,
			CodeWorld: lambdaemu.CodeWorld{SignedBy: "trusted"},
		}
		for j := 0; j < v; j++ {
			f.Versions = append(f.Versions, lambdaemu.VersionWorld{CodeWorld: lambdaemu.CodeWorld{SignedBy: "trusted"}})
		}
		w.Lambda.Functions = append(w.Lambda.Functions, f)
	}
	return w
}

func TestListerKeepsEveryBatchOfLayeredFunctionsUnderTheMessageLimit(t *testing.T) {
	ctx := context.Background()
	const functions, versions = 25, 20
	m := motoClients(t)
	tb := newTestbed(t, layeredWorld(functions, versions), finding.ModeMonitor)
	url, _ := m.queue(t, "sweep")
	l := tb.lister()
	l.Repositories = nil
	l.Queue = &sweep.SQSQueue{Client: m.sqs, URL: url}
	st, err := l.List(ctx, "run-1")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if st.Batches < 2 {
		t.Errorf("%d batches: the world is too small to need splitting", st.Batches)
	}
	seen := map[string]int{}
	indexes := map[int]bool{}
	for _, msg := range m.drain(t, url) {
		body := aws.ToString(msg.Body)
		if len(body) > sweep.MaxMessageBytes {
			t.Errorf("a message of %d bytes is over the %d-byte limit", len(body), sweep.MaxMessageBytes)
		}
		b, err := sweep.DecodeBatch(body)
		if err != nil {
			t.Fatal(err)
		}
		indexes[b.Index] = true
		for _, f := range b.Functions {
			seen[f.Name]++
			if len(f.Versions) != versions || len(f.Latest.Layers) != 5 || f.Latest.Layers[0].SigningJob == "" {
				t.Errorf("%s arrived with %d versions, layers %+v", f.Name, len(f.Versions), f.Latest.Layers)
			}
		}
	}
	if len(seen) != functions || len(indexes) != st.Batches {
		t.Errorf("received %d functions in %d batches, want %d in %d", len(seen), len(indexes), functions, st.Batches)
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s arrived %d times", name, n)
		}
	}
}
