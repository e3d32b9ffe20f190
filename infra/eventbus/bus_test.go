package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAccount  = "123456789012"
	testRegion   = "eu-west-1"
	guardRoleArn = "arn:aws:iam::123456789012:role/selfguard-lambda-guard"
)

// recorder is a hand-written Invoker and Publisher that records every call
// and fails the first failures[function] invocations of a function.
type recorder struct {
	mu       sync.Mutex
	invokes  []call
	messages []call
	failures map[string]int
	err      error // returned by every invocation when set
}

type call struct {
	target  string
	payload string
}

func (r *recorder) Invoke(_ context.Context, function string, payload []byte) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invokes = append(r.invokes, call{function, string(payload)})
	if r.err != nil {
		return "", r.err
	}
	if r.failures[function] > 0 {
		r.failures[function]--
		return "Unhandled", nil
	}
	return "", nil
}

func (r *recorder) Publish(_ context.Context, topic, message string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.messages = append(r.messages, call{topic, message})
	return nil
}

func (r *recorder) invoked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.invokes {
		out = append(out, c.target)
	}
	sort.Strings(out)
	return out
}

func loadTestTemplate(t *testing.T, params map[string]string) *Template {
	t.Helper()
	tmpl, err := LoadTemplate("testdata/template.yaml", TemplateOptions{
		Parameters: params, AccountID: testAccount, Region: testRegion,
	})
	if err != nil {
		t.Fatalf("LoadTemplate: %v", err)
	}
	return tmpl
}

func ruleNames(tmpl *Template) []string {
	var names []string
	for _, r := range tmpl.Rules {
		names = append(names, r.Name)
	}
	return names
}

func TestLoadTemplateReadsBothRuleFormsAndSkipsDisabledOnes(t *testing.T) {
	tmpl := loadTestTemplate(t, nil)
	if got, want := ruleNames(tmpl), []string{"AliasRule", "GuardFunctionLambdaChanges", "RepoRule"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rules = %v, want %v", got, want)
	}
	byName := map[string]Rule{}
	for _, r := range tmpl.Rules {
		byName[r.Name] = r
	}
	guard := byName["GuardFunctionLambdaChanges"].Targets
	if len(guard) != 1 || guard[0].Kind != TargetFunction || guard[0].Name != "GuardFunction" ||
		guard[0].DeadLetterArn != "arn:aws:sqs:"+testRegion+":"+testAccount+":selfguard-DeadLetterQueue" {
		t.Errorf("SAM rule targets = %+v", guard)
	}
	repo := byName["RepoRule"].Targets
	if len(repo) != 2 || repo[0].Kind != TargetFunction || repo[0].Name != "RepoFunction" ||
		repo[1].Kind != TargetTopic || repo[1].Name != "AlertTopic" || repo[1].InputTransformer == nil {
		t.Errorf("RepoRule targets = %+v", repo)
	}
	alias := byName["AliasRule"]
	if !strings.Contains(string(alias.PatternJSON), `"prefix":"CreateAlias"`) {
		t.Errorf("AliasRule pattern = %s, want Fn::Sub resolved", alias.PatternJSON)
	}
	if got := string(byName["RepoRule"].PatternJSON); !strings.Contains(got, `"awsRegion":["`+testRegion+`"]`) ||
		!strings.Contains(got, `"recipientAccountId":["`+testAccount+`"]`) {
		t.Errorf("RepoRule pattern = %s, want pseudo parameters resolved", got)
	}
	if got := tmpl.Functions["GuardFunction"]; got.MaximumRetryAttempts != 1 || got.MaximumEventAge != 2*time.Minute || got.OnFailure == "" {
		t.Errorf("GuardFunction config = %+v", got)
	}
	if got := tmpl.Functions["RepoFunction"]; got.MaximumRetryAttempts != defaultFunctionConfig.MaximumRetryAttempts ||
		got.MaximumEventAge != defaultFunctionConfig.MaximumEventAge || got.OnFailure != "" {
		t.Errorf("RepoFunction config = %+v, want Lambda's defaults", got)
	}
}

func TestLoadTemplateEvaluatesConditionsWithGivenParameters(t *testing.T) {
	tmpl := loadTestTemplate(t, map[string]string{"Stage": "prod"})
	if got, want := ruleNames(tmpl), []string{"AliasRule", "GuardFunctionLambdaChanges", "ProdOnlyRule", "RepoRule"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rules = %v, want %v", got, want)
	}
}

func TestParseTemplateRejectsBrokenTemplates(t *testing.T) {
	tests := []struct{ name, template, opts, wantErr string }{
		{"invalid pattern", `
Resources:
  F: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: EventBridgeRule, Properties: {Pattern: {source: aws.lambda}}}}}}`,
			"", "must be an array"},
		{"unknown parameter reference", `
Resources:
  R: {Type: AWS::Events::Rule, Properties: {EventPattern: {source: [!Ref Nope]}, Targets: []}}`,
			"", "unknown name Nope"},
		{"unsupported target", `
Resources:
  Q: {Type: AWS::SQS::Queue}
  R: {Type: AWS::Events::Rule, Properties: {EventPattern: {source: [x]}, Targets: [{Id: q, Arn: !GetAtt Q.Arn}]}}`,
			"", "not a function"},
		{"unknown tag", `
Resources:
  R: !Bogus x`, "", "unknown tag"},
		{"parameter without default", `
Parameters:
  P: {Type: String}
Resources: {}`, "", "no Default"},
		{"parameter not in template", `
Resources: {}`, "Extra", "not declared"},
		{"retry attempts out of range", `
Resources:
  F: {Type: AWS::Serverless::Function, Properties: {EventInvokeConfig: {MaximumRetryAttempts: 3}}}`,
			"", "MaximumRetryAttempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := TemplateOptions{}
			if tt.opts != "" {
				opts.Parameters = map[string]string{tt.opts: "x"}
			}
			_, err := ParseTemplate([]byte(tt.template), opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseTemplate error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// lambdaEvent is an EventBridge CloudTrail event for a Lambda call.
func lambdaEvent(eventName string, mut func(detail map[string]any)) []byte {
	detail := map[string]any{
		"eventSource": "lambda.amazonaws.com", "eventName": eventName, "readOnly": false,
		"awsRegion": testRegion, "recipientAccountId": testAccount,
		"requestParameters": map[string]any{"functionName": "payments"},
		"userIdentity": map[string]any{
			"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ci-deployer/build",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"arn": "arn:aws:iam::123456789012:role/ci-deployer"}},
		},
	}
	if mut != nil {
		mut(detail)
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "ev-" + eventName, "detail-type": "AWS API Call via CloudTrail", "source": "aws.lambda",
		"account": testAccount, "region": testRegion, "time": "2026-01-01T00:00:00Z",
		"resources": []string{"arn:aws:lambda:eu-west-1:123456789012:function:payments"}, "detail": detail,
	})
	return b
}

func repoEvent(region string) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "ev-repo", "detail-type": "AWS API Call via CloudTrail", "source": "aws.codecommit",
		"account": testAccount, "region": region, "time": "2026-01-01T00:00:00Z", "resources": []string{},
		"detail": map[string]any{
			"eventName": "CreateRepository", "awsRegion": region, "recipientAccountId": testAccount,
			"requestParameters": map[string]any{"repositoryName": "payments-api"},
			"userIdentity":      map[string]any{"arn": "arn:aws:iam::123456789012:user/alice"},
		},
	})
	return b
}

func TestPublishDeliversMatchingEventsToTheirTargets(t *testing.T) {
	tmpl := loadTestTemplate(t, map[string]string{"GuardRoleArn": guardRoleArn})
	tests := []struct {
		name         string
		event        []byte
		wantRules    []string
		wantInvoked  []string
		wantMessages int
	}{
		{"a code update reaches the guard", lambdaEvent("UpdateFunctionCode20150331v2", nil),
			[]string{"GuardFunctionLambdaChanges"}, []string{"GuardFunction"}, 0},
		{"a new function reaches the guard", lambdaEvent("CreateFunction20150331", nil),
			[]string{"GuardFunctionLambdaChanges"}, []string{"GuardFunction"}, 0},
		{"a failed call matches nothing", lambdaEvent("UpdateFunctionCode20150331v2", func(d map[string]any) {
			d["errorCode"] = "ResourceConflictException"
		}), nil, nil, 0},
		{"a read-only call matches nothing", lambdaEvent("UpdateFunctionCode20150331v2", func(d map[string]any) {
			d["readOnly"] = true
		}), nil, nil, 0},
		{"the guard's own call matches nothing", lambdaEvent("UpdateFunctionCode20150331v2", func(d map[string]any) {
			d["userIdentity"].(map[string]any)["sessionContext"] = map[string]any{"sessionIssuer": map[string]any{"arn": guardRoleArn}}
		}), nil, nil, 0},
		{"an unwatched operation matches nothing", lambdaEvent("DeleteFunction20150331", nil), nil, nil, 0},
		{"an alias reaches the topic and the guard", lambdaEvent("CreateAlias20150331", nil),
			[]string{"AliasRule"}, []string{"GuardFunction"}, 1},
		{"a new repository reaches the repository guard and the topic", repoEvent(testRegion),
			[]string{"RepoRule"}, []string{"RepoFunction"}, 1},
		{"a repository in another region matches nothing", repoEvent("us-west-2"), nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			bus := New(tmpl, Options{Invoker: rec, Publisher: rec})
			defer bus.Close()
			rules, err := bus.Publish(context.Background(), tt.event)
			if err != nil {
				t.Fatal(err)
			}
			if err := bus.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rules, tt.wantRules) {
				t.Errorf("matched rules = %v, want %v", rules, tt.wantRules)
			}
			if got := rec.invoked(); !reflect.DeepEqual(got, tt.wantInvoked) {
				t.Errorf("invoked = %v, want %v", got, tt.wantInvoked)
			}
			if len(rec.messages) != tt.wantMessages {
				t.Errorf("messages = %v, want %d", rec.messages, tt.wantMessages)
			}
			for _, c := range rec.invokes {
				if c.payload != string(tt.event) {
					t.Errorf("function %s got payload %s, want the event unchanged", c.target, c.payload)
				}
			}
			if want := len(tt.wantInvoked) + tt.wantMessages; len(bus.Deliveries()) != want {
				t.Errorf("deliveries = %+v, want %d", bus.Deliveries(), want)
			}
		})
	}
}

func TestInputTransformerShapesTopicMessages(t *testing.T) {
	tmpl := loadTestTemplate(t, nil)
	tests := []struct {
		name  string
		event []byte
		want  string
	}{
		{"a string template becomes plain text", repoEvent(testRegion),
			"Repository payments-api was created by arn:aws:iam::123456789012:user/alice (rule RepoRule)."},
		{"a JSON template takes values as text in quotes and as JSON outside", lambdaEvent("CreateAlias20150331", nil),
			`{"function": "payments", "request": {"functionName":"payments"}, "first": "arn:aws:lambda:eu-west-1:123456789012:function:payments", "gone": null, "rule": "AliasRule"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			bus := New(tmpl, Options{Invoker: rec, Publisher: rec})
			if _, err := bus.Publish(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			if err := bus.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(rec.messages) != 1 || rec.messages[0].target != "AlertTopic" {
				t.Fatalf("messages = %+v", rec.messages)
			}
			if got := rec.messages[0].payload; got != tt.want {
				t.Errorf("message =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestInputTransformerEscapesValuesInsideStrings(t *testing.T) {
	x, err := newInputTransformer(map[string]any{
		"InputPathsMap": map[string]any{"v": "$.detail.v", "n": "$.detail['n-1']", "obj": "$.detail"},
		"InputTemplate": `{"text": "<v>", "num": <n>, "inline": "<obj>", "unknown": "<other>"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.Apply([]byte(`{"detail":{"v":"say \"hi\" <b>","n-1":1.50}}`), "R", "arn", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"text": "say \"hi\" <b>", "num": 1.50, "inline": "{\"n-1\":1.50,\"v\":\"say \\\"hi\\\" <b>\"}", "unknown": "<other>"}`
	if got != want {
		t.Errorf("Apply =\n%s\nwant\n%s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Errorf("Apply produced invalid JSON: %s", got)
	}
}

func TestInputTransformerRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"detail.x", "$.a..b", "$.a[x]", "$.a[1", "$x"} {
		if _, err := newInputTransformer(map[string]any{"InputPathsMap": map[string]any{"v": p}, "InputTemplate": "<v>"}); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if _, err := newInputTransformer(map[string]any{"InputPathsMap": map[string]any{"aws.events.x": "$"}, "InputTemplate": "x"}); err == nil {
		t.Error("reserved variable name accepted")
	}
}

// fastOptions scales AWS's one and two minute retry delays to 6 and 12 ms.
func fastOptions(rec *recorder) Options {
	return Options{Invoker: rec, Publisher: rec, TimeScale: 0.0001}
}

func TestFunctionErrorsAreRetriedThenDeadLettered(t *testing.T) {
	tmpl := loadTestTemplate(t, nil)
	tests := []struct {
		name         string
		failures     int
		err          error
		retryDelays  []time.Duration
		wantResults  []Result
		wantReason   string
		wantAttempts int
	}{
		{"a function that recovers is retried once", 1, nil, nil,
			[]Result{ResultFunctionError, ResultOK}, "", 0},
		{"a function that keeps failing uses its one retry, then the event is dead-lettered", 5, nil, nil,
			[]Result{ResultFunctionError, ResultFunctionError}, ReasonRetriesExhausted, 2},
		{"an invoke that cannot run counts as a failure", 0, errors.New("connection refused"), nil,
			[]Result{ResultError, ResultError}, ReasonRetriesExhausted, 2},
		{"an event older than the maximum age is not retried", 5, nil, []time.Duration{3 * time.Minute},
			[]Result{ResultFunctionError, ResultExpired}, ReasonEventAgeExceeded, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{failures: map[string]int{"GuardFunction": tt.failures}, err: tt.err}
			var failed []DeadLetter
			var mu sync.Mutex
			opts := fastOptions(rec)
			opts.RetryDelays = tt.retryDelays
			opts.OnFailure = func(dl DeadLetter) { mu.Lock(); failed = append(failed, dl); mu.Unlock() }
			bus := New(tmpl, opts)
			event := lambdaEvent("UpdateFunctionCode20150331v2", nil)
			start := time.Now()
			if _, err := bus.Publish(context.Background(), event); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := bus.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			var results []Result
			for _, d := range bus.Deliveries() {
				results = append(results, d.Result)
				if d.Rule != "GuardFunctionLambdaChanges" || d.Target != "GuardFunction" || d.EventID != "ev-UpdateFunctionCode20150331v2" {
					t.Errorf("delivery = %+v", d)
				}
			}
			if !reflect.DeepEqual(results, tt.wantResults) {
				t.Errorf("results = %v, want %v", results, tt.wantResults)
			}
			if len(results) > 1 && results[1] != ResultExpired && time.Since(start) < 6*time.Millisecond {
				t.Errorf("retry came after %v, want at least the scaled one-minute delay", time.Since(start))
			}
			dls := bus.DeadLetters()
			if tt.wantReason == "" {
				if len(dls) != 0 || len(failed) != 0 {
					t.Errorf("dead letters = %+v, want none", dls)
				}
				return
			}
			if len(dls) != 1 || len(failed) != 1 {
				t.Fatalf("dead letters = %+v, callback saw %d, want one each", dls, len(failed))
			}
			dl := dls[0]
			if dl.Reason != tt.wantReason || dl.Attempts != tt.wantAttempts || string(dl.Payload) != string(event) ||
				!strings.HasSuffix(dl.Destination, ":selfguard-DeadLetterQueue") {
				t.Errorf("dead letter = %+v, want reason %s after %d attempts", dl, tt.wantReason, tt.wantAttempts)
			}
		})
	}
}

func TestDuplicateDeliveryDeliversEachEventTwice(t *testing.T) {
	tmpl := loadTestTemplate(t, nil)
	rec := &recorder{}
	opts := fastOptions(rec)
	opts.Duplicate = 1
	bus := New(tmpl, opts)
	if _, err := bus.Publish(context.Background(), lambdaEvent("UpdateFunctionCode20150331v2", nil)); err != nil {
		t.Fatal(err)
	}
	if err := bus.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.invoked(); !reflect.DeepEqual(got, []string{"GuardFunction", "GuardFunction"}) {
		t.Errorf("invoked = %v, want the guard twice", got)
	}
	dups := 0
	for _, d := range bus.Deliveries() {
		if d.Duplicate {
			dups++
		}
	}
	if dups != 1 {
		t.Errorf("deliveries marked duplicate = %d, want 1", dups)
	}
}

func TestCloseEndsPendingRetries(t *testing.T) {
	tmpl := loadTestTemplate(t, nil)
	rec := &recorder{failures: map[string]int{"GuardFunction": 5}}
	bus := New(tmpl, Options{Invoker: rec}) // real one-minute delays
	if _, err := bus.Publish(context.Background(), lambdaEvent("UpdateFunctionCode20150331v2", nil)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := bus.Wait(ctx); err == nil {
		t.Fatal("Wait returned while a retry was pending")
	}
	bus.Close()
	dls := bus.DeadLetters()
	if len(dls) != 1 || dls[0].Reason != ReasonCancelled {
		t.Errorf("dead letters = %+v, want one cancelled", dls)
	}
}

func TestLoadTemplateResolvesFunctionNameRoleAndEnvironment(t *testing.T) {
	tmpl, err := LoadTemplate(filepath.Join("..", "..", "template.yaml"), TemplateOptions{
		AccountID: testAccount, Region: testRegion, StackName: "sg",
		Parameters: map[string]string{"Mode": "enforce", "TrustedSigningProfileArns": "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release"},
		Physical:   map[string]string{"AlertTopic": "arn:aws:sns:eu-west-1:111122223333:real-topic"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fn := tmpl.Functions["LambdaGuardFunction"]
	if fn.Name != "sg-lambda-guard" || fn.Role != "arn:aws:iam::"+testAccount+":role/sg-lambda-guard" {
		t.Errorf("name %q role %q", fn.Name, fn.Role)
	}
	if fn.MaximumRetryAttempts != 2 || fn.MaximumEventAge != time.Hour || !strings.Contains(fn.OnFailure, ":sg-DeadLetterQueue") {
		t.Errorf("asynchronous invocation: %d retries, %v, on failure %q; want Globals' 2, 1h and the dead-letter queue",
			fn.MaximumRetryAttempts, fn.MaximumEventAge, fn.OnFailure)
	}
	env := fn.Environment
	if env["SELFGUARD_MODE"] != "enforce" || env["SELFGUARD_TOPIC_ARN"] != "arn:aws:sns:eu-west-1:111122223333:real-topic" ||
		env["SELFGUARD_REQUIRED_APPROVALS"] != "1" || env["SELFGUARD_GUARD_ROLE_ARNS"] != "arn:aws:iam::"+testAccount+":role/sg-lambda-guard,arn:aws:iam::"+testAccount+
		":role/sg-repo-guard,arn:aws:iam::"+testAccount+":role/sg-sweep-worker" {
		t.Errorf("environment = %v", env)
	}
}
