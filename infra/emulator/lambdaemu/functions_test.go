package lambdaemu_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

func TestCreateFunctionIsPendingThenActiveAndServesItsCode(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{})
	zip := zipOf("v1")
	out, err := createZip(t, b, "orders", zip, "")
	if err != nil {
		t.Fatal(err)
	}
	if out.State != types.StatePending || out.StateReasonCode != types.StateReasonCodeCreating || out.Version == nil || *out.Version != "$LATEST" {
		t.Errorf("create: state %s/%s version %v, want Pending/Creating $LATEST", out.State, out.StateReasonCode, aws.ToString(out.Version))
	}
	b.settle()
	for _, name := range []string{"orders", "arn:aws:lambda:eu-west-1:111122223333:function:orders", "111122223333:function:orders", "orders:$LATEST"} {
		got, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		if got.Configuration.State != types.StateActive || got.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful {
			t.Errorf("get %s: %s/%s, want Active/Successful", name, got.Configuration.State, got.Configuration.LastUpdateStatus)
		}
		if aws.ToString(got.Code.RepositoryType) != "S3" || !strings.Contains(aws.ToString(got.Code.Location), "X-Amz-Expires=600") {
			t.Errorf("get %s: code %+v", name, got.Code)
		}
	}
	got, _ := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(zip) {
		t.Errorf("download: %d, %d bytes; want 200 and the zip", resp.StatusCode, len(body))
	}
	b.srv.Env.Clock.Advance(11 * time.Minute)
	resp, err = http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("download after 11 minutes: %d, want 403", resp.StatusCode)
	}
	if _, err := createZip(t, b, "orders", zip, ""); apiCode(t, err) != "ResourceConflictException" {
		t.Errorf("create twice: %v, want ResourceConflictException", err)
	}
	_, err = b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errorsAs(err, &nf) {
		t.Errorf("get missing: %v, want ResourceNotFoundException", err)
	}
}

func TestUpdatesAreAsynchronousAndConflict(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{Functions: []lambdaemu.FunctionWorld{{Name: "orders"}}})
	up, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: zipOf("v2")})
	if err != nil {
		t.Fatal(err)
	}
	if up.LastUpdateStatus != types.LastUpdateStatusInProgress || up.LastUpdateStatusReasonCode != "Creating" {
		t.Errorf("update: %s/%s, want InProgress/Creating", up.LastUpdateStatus, up.LastUpdateStatusReasonCode)
	}
	arn := "arn:aws:lambda:eu-west-1:111122223333:function:orders"
	calls := map[string]func() error{
		"UpdateFunctionCode": func() error {
			_, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: zipOf("v3")})
			return err
		},
		"UpdateFunctionConfiguration": func() error {
			_, err := b.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), Description: aws.String("x")})
			return err
		},
		"PublishVersion": func() error {
			_, err := b.client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if apiCode(t, err) != "ResourceConflictException" ||
			apiMessage(err) != "The operation cannot be performed at this time. An update is in progress for resource: "+arn {
			t.Errorf("%s during an update: %v, want 409 ResourceConflictException with AWS's message", name, err)
		}
	}
	w := lambda.NewFunctionUpdatedV2Waiter(b.client, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}, 5*time.Second); err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if err := calls["PublishVersion"](); err != nil {
		t.Errorf("publish after the update: %v", err)
	}
}

func TestStaleRevisionIDIsRefused(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{UpdateDelayMs: aws.Int(0), Functions: []lambdaemu.FunctionWorld{{
		Name: "orders", Versions: []lambdaemu.VersionWorld{{}}, Aliases: []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "1"}},
	}}})
	cur, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	stale := "00000000-0000-4000-8000-000000000000"
	cases := []struct {
		name string
		call func(rev string) error
	}{
		{"UpdateFunctionConfiguration", func(rev string) error {
			_, err := b.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), Description: aws.String("d"), RevisionId: aws.String(rev)})
			return err
		}},
		{"UpdateFunctionCode", func(rev string) error {
			_, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: zipOf("v2"), RevisionId: aws.String(rev)})
			return err
		}},
		{"PublishVersion", func(rev string) error {
			_, err := b.client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders"), RevisionId: aws.String(rev)})
			return err
		}},
	}
	rev := aws.ToString(cur.Configuration.RevisionId)
	for _, c := range cases {
		if err := c.call(stale); apiCode(t, err) != "PreconditionFailedException" {
			t.Errorf("%s with a stale RevisionId: %v, want 412 PreconditionFailedException", c.name, err)
		}
		if err := c.call(rev); err != nil {
			t.Errorf("%s with the current RevisionId: %v", c.name, err)
		}
		g, _ := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})
		if aws.ToString(g.Configuration.RevisionId) == rev {
			t.Errorf("%s: RevisionId did not change", c.name)
		}
		rev = aws.ToString(g.Configuration.RevisionId)
	}
	a, _ := b.client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live")})
	if _, err := b.client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("2"), RevisionId: aws.String(stale)}); apiCode(t, err) != "PreconditionFailedException" {
		t.Errorf("UpdateAlias with a stale RevisionId: %v", err)
	}
	up, err := b.client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("2"), RevisionId: a.RevisionId})
	if err != nil || aws.ToString(up.RevisionId) == aws.ToString(a.RevisionId) || aws.ToString(up.FunctionVersion) != "2" {
		t.Errorf("UpdateAlias with the current RevisionId: %+v, %v", up, err)
	}
}

func TestPublishedVersionsAreImmutableSnapshots(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{UpdateDelayMs: aws.Int(0), Functions: []lambdaemu.FunctionWorld{{Name: "orders"}}})
	v1, err := b.client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")})
	if err != nil || aws.ToString(v1.Version) != "1" {
		t.Fatalf("publish: %v %v", v1, err)
	}
	again, err := b.client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")})
	if err != nil || aws.ToString(again.Version) != "1" {
		t.Errorf("publish with nothing changed: version %v, %v; want 1 again", aws.ToString(again.Version), err)
	}
	up, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: zipOf("v2"), Publish: true})
	if err != nil || aws.ToString(up.Version) != "2" || !strings.HasSuffix(aws.ToString(up.FunctionArn), ":2") {
		t.Fatalf("update with publish: %v %v", up, err)
	}
	old, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")})
	if err != nil || aws.ToString(old.Configuration.CodeSha256) != aws.ToString(v1.CodeSha256) || aws.ToString(old.Configuration.CodeSha256) == aws.ToString(up.CodeSha256) {
		t.Errorf("version 1 after an update: %v %v; want its original code", old, err)
	}
	if _, err := b.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.1}}}); err != nil {
		t.Fatal(err)
	}
	viaAlias, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders:live")})
	if err != nil || aws.ToString(viaAlias.Configuration.Version) != "2" {
		t.Errorf("get via alias: %v %v", viaAlias, err)
	}
	if _, err := b.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")}); apiCode(t, err) != "ResourceConflictException" {
		t.Errorf("delete a version an alias routes to: %v, want ResourceConflictException", err)
	}
	if _, err := b.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("bad"), FunctionVersion: aws.String("$LATEST"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.5}}}); apiCode(t, err) != "InvalidParameterValueException" {
		t.Errorf("weighted alias on $LATEST: %v", err)
	}
}

func TestPaginationStopsAtFiftyAndCoversAll(t *testing.T) {
	ctx := context.Background()
	w := lambdaemu.World{Quotas: &lambdaemu.Quotas{}}
	for i := range 120 {
		w.Functions = append(w.Functions, lambdaemu.FunctionWorld{Name: "fn-" + string(rune('a'+i/26)) + string(rune('a'+i%26))})
	}
	w.Functions[0].Versions = []lambdaemu.VersionWorld{{}, {}}
	b := newBed(t, w)
	p := lambda.NewListFunctionsPaginator(b.client, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1000)})
	seen, pages := map[string]bool{}, 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Functions) > 50 {
			t.Errorf("page of %d functions, want at most 50", len(out.Functions))
		}
		for _, f := range out.Functions {
			seen[aws.ToString(f.FunctionName)] = true
		}
	}
	if len(seen) != 120 || pages != 3 {
		t.Errorf("listed %d functions in %d pages, want 120 in 3", len(seen), pages)
	}
	all, err := b.client.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll, MaxItems: aws.Int32(3)})
	if err != nil || len(all.Functions) != 3 || aws.ToString(all.Functions[1].Version) != "1" || all.NextMarker == nil {
		t.Errorf("FunctionVersion=ALL: %v %v", all, err)
	}
	vp := lambda.NewListVersionsByFunctionPaginator(b.client, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(w.Functions[0].Name), MaxItems: aws.Int32(2)})
	var versions []string
	for vp.HasMorePages() {
		out, err := vp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			versions = append(versions, aws.ToString(v.Version))
		}
	}
	if strings.Join(versions, ",") != "$LATEST,1,2" {
		t.Errorf("versions %v, want $LATEST,1,2", versions)
	}
}

func TestQuotasThrottlePerBucket(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{Quotas: &lambdaemu.Quotas{GetFunctionPerSecond: 5, ControlPlanePerSecond: 3},
		Functions: []lambdaemu.FunctionWorld{{Name: "orders"}}})
	b.srv.Env.Clock.Set(time.Now().Add(time.Hour)) // a still clock would be nicer; an hour ahead keeps refills negligible
	list := func() error {
		_, err := b.client.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		return err
	}
	for i := range 3 {
		if err := list(); err != nil {
			t.Fatalf("call %d within the burst: %v", i, err)
		}
	}
	err := list()
	var tm *types.TooManyRequestsException
	if !errorsAs(err, &tm) || tm.Reason != types.ThrottleReasonCallerRateLimitExceeded || aws.ToString(tm.RetryAfterSeconds) != "1" {
		t.Fatalf("over the control-plane quota: %v, want TooManyRequestsException CallerRateLimitExceeded Retry-After 1", err)
	}
	if _, err := b.client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("orders"), Name: aws.String("x")}); apiCode(t, err) != "TooManyRequestsException" {
		t.Errorf("another control-plane operation shares the bucket: %v", err)
	}
	for i := range 5 {
		if _, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}); err != nil {
			t.Fatalf("GetFunction %d has its own bucket: %v", i, err)
		}
	}
	if _, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}); apiCode(t, err) != "TooManyRequestsException" {
		t.Errorf("over the GetFunction quota: %v", err)
	}
	stats := map[string]awsproto.CallStat{}
	for _, s := range b.srv.Env.Calls.Stats() {
		stats[s.Operation] = s
	}
	if s := stats["ListFunctions"]; s.Bucket != "control-plane" || s.Calls != 4 || s.Throttled != 1 {
		t.Errorf("ListFunctions stats %+v", s)
	}
	if s := stats["GetFunction"]; s.Bucket != "get-function" || s.Calls != 6 || s.Throttled != 1 {
		t.Errorf("GetFunction stats %+v", s)
	}
	b.srv.Env.Clock.Advance(2 * time.Second)
	if err := list(); err != nil {
		t.Errorf("after the bucket refills: %v", err)
	}
	if err := b.srv.Lambda.SetQuotas(lambdaemu.Quotas{}); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if err := list(); err != nil {
			t.Fatalf("unlimited: %v", err)
		}
	}
}

func TestFaultsAndUnknownRoutes(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{Functions: []lambdaemu.FunctionWorld{{Name: "orders"}}})
	b.srv.Env.Faults.Set([]awsproto.Fault{{Service: "lambda", Operation: "GetFunction", ErrorRate: 1, Status: 503, Code: "ServiceUnavailableException", Count: 1}})
	if _, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}); apiCode(t, err) != "ServiceUnavailableException" {
		t.Errorf("injected fault: %v", err)
	}
	if _, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}); err != nil {
		t.Errorf("after the fault's count: %v", err)
	}
	if _, err := b.client.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{}); apiCode(t, err) != "UnknownOperationException" {
		t.Errorf("unknown route: %v", err)
	}
}

func TestConcurrencyAndTags(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{Functions: []lambdaemu.FunctionWorld{{Name: "orders", Tags: map[string]string{"team": "a"}}}})
	if _, err := b.client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("orders"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	g, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})
	if err != nil || g.Concurrency == nil || aws.ToInt32(g.Concurrency.ReservedConcurrentExecutions) != 0 || g.Tags["team"] != "a" {
		t.Errorf("get: %+v %v", g, err)
	}
	if _, err := b.client.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	c, err := b.client.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("orders")})
	if err != nil || c.ReservedConcurrentExecutions != nil {
		t.Errorf("concurrency after delete: %+v %v", c, err)
	}
	arn := "arn:aws:lambda:eu-west-1:111122223333:function:orders"
	if _, err := b.client.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := b.client.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil || tags.Tags["env"] != "prod" || tags.Tags["team"] != "a" {
		t.Errorf("tags: %v %v", tags, err)
	}
}
