package runtime

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/eventbus"
)

const (
	account = "123456789012"
	region  = "eu-west-1"
	echoPkg = "github.com/selfguard/selfguard/infra/echo"
)

var (
	buildDir  string
	buildOnce sync.Once
	echoPath  string
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "selfguard-runtime-")
	if err != nil {
		panic(err)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// echoBootstrap builds infra/echo once for the test binary.
func echoBootstrap(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		echoPath, buildErr = Build(ctx, echoPkg, filepath.Join(buildDir, "echo"))
	})
	if buildErr != nil {
		t.Fatalf("build echo: %v", buildErr)
	}
	return echoPath
}

func startEcho(t *testing.T, env ...string) *Function {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f, err := Start(ctx, Spec{Name: "echo", Bootstrap: echoBootstrap(t), Env: env})
	if err != nil {
		t.Fatalf("start echo: %v", err)
	}
	t.Cleanup(f.Stop)
	return f
}

// eventBridgeEvent is a CloudTrail event as EventBridge delivers it.
func eventBridgeEvent(eventName, functionName string) []byte {
	detail := map[string]any{"eventName": eventName, "eventSource": "lambda.amazonaws.com", "readOnly": false}
	if functionName != "" {
		detail["requestParameters"] = map[string]any{"functionName": functionName}
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "ev-1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.lambda",
		"account": account, "region": region, "time": "2026-01-01T00:00:00Z", "resources": []string{}, "detail": detail,
	})
	return b
}

// logLines returns the function's JSON log lines with the given message.
func logLines(f *Function, msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(f.Logs()))
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "{")
		if i < 0 {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line[i:]), &m) == nil && m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func credentialsEnv(t *testing.T, actor string) []string {
	t.Helper()
	for _, a := range emulator.DefaultActors(account) {
		if a.Name == actor {
			return []string{"AWS_ACCESS_KEY_ID=" + a.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + a.SecretKey, "AWS_REGION=" + region}
		}
	}
	t.Fatalf("no actor %q", actor)
	return nil
}

// startEmulator serves the real emulator over HTTP with one function in it.
func startEmulator(t *testing.T) (*emulator.Server, string, *lambda.Client) {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	var ci awsproto.Actor
	for _, a := range emulator.DefaultActors(account) {
		if a.Name == emulator.ActorCI {
			ci = a
		}
	}
	client := lambda.New(lambda.Options{
		Region: region, BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: ci.AccessKeyID, SecretAccessKey: ci.SecretKey}, nil
		}),
	})
	return srv, ts.URL, client
}

func createFunction(t *testing.T, c *lambda.Client, name string) string {
	t.Helper()
	out, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + account + ":role/fn"),
		Code: &types.FunctionCode{ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "v1"})},
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	return aws.ToString(out.FunctionArn)
}

func TestEchoLogsTheEventItReceives(t *testing.T) {
	f := startEcho(t)
	resp, fnErr, err := f.Invoke(context.Background(), eventBridgeEvent("PublishVersion20150331", ""))
	if err != nil || fnErr != "" {
		t.Fatalf("Invoke = %s, %q, %v; want success", resp, fnErr, err)
	}
	lines := logLines(f, "event received")
	if len(lines) != 1 {
		t.Fatalf("log lines %v, want one \"event received\"; logs:\n%s", lines, f.Logs())
	}
	l := lines[0]
	if l["event_id"] != "ev-1" || l["source"] != "aws.lambda" || l["detail_type"] != "AWS API Call via CloudTrail" ||
		l["event_name"] != "PublishVersion20150331" {
		t.Errorf("log line = %v", l)
	}
}

func TestHandlerErrorIsReportedAsFunctionError(t *testing.T) {
	// Nothing listens on the endpoint, so GetFunction fails and so does the handler.
	closed := httptest.NewServer(nil)
	url := closed.URL
	closed.Close()
	f := startEcho(t, append(credentialsEnv(t, emulator.ActorGuard), "AWS_ENDPOINT_URL_LAMBDA="+url, "AWS_MAX_ATTEMPTS=1")...)
	resp, fnErr, err := f.Invoke(context.Background(), eventBridgeEvent("UpdateFunctionCode20150331v2", "payments"))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if fnErr != "Unhandled" {
		t.Fatalf("functionError = %q, want Unhandled; response %s", fnErr, resp)
	}
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if err := json.Unmarshal(resp, &doc); err != nil || !strings.Contains(doc.ErrorMessage, "get function payments") {
		t.Errorf("response = %s, want the handler's error message", resp)
	}
	if len(logLines(f, "get function failed")) != 1 {
		t.Errorf("logs lack the failure line:\n%s", f.Logs())
	}
	// Through the bus's invoker the handler's words travel with the error,
	// so a dead letter says why.
	got, err := NewInvoker(map[string]*Function{"Echo": f}).Invoke(context.Background(), "Echo", eventBridgeEvent("UpdateFunctionCode20150331v2", "payments"))
	if err != nil || !strings.HasPrefix(got, "Unhandled: ") || !strings.Contains(got, "get function payments") {
		t.Errorf("invoker functionError = %q, %v; want Unhandled with the handler's message", got, err)
	}
}

func TestEchoReadsTheFunctionBackFromTheEmulator(t *testing.T) {
	_, url, client := startEmulator(t)
	arn := createFunction(t, client, "payments")
	f := startEcho(t, append(credentialsEnv(t, emulator.ActorGuard), "AWS_ENDPOINT_URL_LAMBDA="+url)...)
	resp, fnErr, err := f.Invoke(context.Background(), eventBridgeEvent("CreateFunction20150331", "payments"))
	if err != nil || fnErr != "" {
		t.Fatalf("Invoke = %s, %q, %v; logs:\n%s", resp, fnErr, err, f.Logs())
	}
	seen := logLines(f, "function seen")
	if len(seen) != 1 || seen[0]["function_arn"] != arn || seen[0]["version"] != "$LATEST" {
		t.Errorf("function seen = %v, want %s at $LATEST", seen, arn)
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	ctx := context.Background()
	f, err := Start(ctx, Spec{Name: "echo", Bootstrap: echoBootstrap(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, fnErr, err := f.Invoke(ctx, eventBridgeEvent("CreateAlias20150331", "")); err != nil || fnErr != "" {
		t.Fatalf("Invoke: %q %v", fnErr, err)
	}
	rie := f.Pid()
	children := childPids(rie)
	if len(children) != 1 || !alive(children[0]) {
		f.Stop()
		t.Fatalf("the RIE %d has children %v, want the running bootstrap", rie, children)
	}
	f.Stop()
	for _, pid := range append(children, rie) {
		if alive(pid) {
			t.Errorf("process %d still runs after Stop", pid)
		}
	}
	if _, _, err := f.Invoke(ctx, []byte(`{}`)); err == nil {
		t.Error("Invoke after Stop succeeded")
	}
}

// alive reports whether a process exists and is not a zombie (a killed
// orphan stays a zombie until init reaps it, which some containers never do).
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

func TestFunctionEnvIsBuiltNotInherited(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-the-test-process")
	t.Setenv("AWS_ENDPOINT_URL", "http://leak")
	env := functionEnv(Spec{Name: "fn", Env: []string{"AWS_REGION=eu-west-1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512"}}, "/task", 3*time.Second)
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
	}
	for _, leaked := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "HOME"} {
		if _, ok := got[leaked]; ok {
			t.Errorf("%s leaked into the function's environment", leaked)
		}
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "3", "LAMBDA_TASK_ROOT": "/task",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestIsErrorDocument(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"errorMessage":"boom","errorType":"wrapError"}`, true},
		{`{"errorMessage":"boom"}`, true},
		{`{"errorType":"Runtime.ExitError","errorMessage":"exit status 2","stackTrace":[]}`, true},
		{`null`, false},
		{`{"status":"ok"}`, false},
		{`{"errorMessage":"part of a result","items":[]}`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		if got := isErrorDocument([]byte(tt.body)); got != tt.want {
			t.Errorf("isErrorDocument(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

// TestBusDeliversEmulatorEventsToTheEchoUnderTheRIE is the test bed end to
// end: an SDK call to the emulator is recorded in its trail, the bus applies
// the template's rule to it and invokes the echo binary under the RIE, which
// calls the emulator back.
func TestBusDeliversEmulatorEventsToTheEchoUnderTheRIE(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, url, client := startEmulator(t)
	tmpl, err := eventbus.LoadTemplate("testdata/template.yaml", eventbus.TemplateOptions{AccountID: account, Region: region})
	if err != nil {
		t.Fatal(err)
	}
	echo := startEcho(t, append(credentialsEnv(t, emulator.ActorGuard), "AWS_ENDPOINT_URL_LAMBDA="+url)...)
	inv := NewInvoker(map[string]*Function{"EchoFunction": echo})
	bus := eventbus.New(tmpl, eventbus.Options{Invoker: inv})
	defer bus.Close()
	ch, stop := srv.Env.Trail.Subscribe(16)
	defer stop()
	go bus.FeedTrail(ctx, ch)

	arn := createFunction(t, client, "payments")
	for len(bus.Deliveries()) == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("no delivery; echo logs:\n%s", echo.Logs())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := bus.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	ds := bus.Deliveries()
	if len(ds) != 1 || ds[0].Rule != "EchoFunctionLambdaWrites" || ds[0].Target != "EchoFunction" || ds[0].Result != eventbus.ResultOK {
		t.Fatalf("deliveries = %+v; echo logs:\n%s", ds, echo.Logs())
	}
	received := logLines(echo, "event received")
	if len(received) != 1 || received[0]["event_name"] != "CreateFunction20150331" || received[0]["resource"] != "payments" ||
		received[0]["event_id"] != ds[0].EventID {
		t.Errorf("event received = %v", received)
	}
	seen := logLines(echo, "function seen")
	if len(seen) != 1 || seen[0]["function_arn"] != arn {
		t.Errorf("function seen = %v, want %s", seen, arn)
	}
	// The echo's own GetFunction is a read: it is not in the trail, so it
	// caused no second delivery.
	if n := len(srv.Env.Trail.Since(0)); n != 1 {
		t.Errorf("trail holds %d events, want only the CreateFunction", n)
	}
}

func TestBuildMakeBuildsForTheHostArchitecture(t *testing.T) {
	if _, err := os.Stat("../../Makefile"); err != nil {
		t.Skip("no Makefile at the repository root yet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bootstrap, err := BuildMake(ctx, "../..", "LambdaGuardFunction", t.TempDir())
	if err != nil {
		t.Fatalf("BuildMake: %v", err)
	}
	checkELF(t, bootstrap)
}

func TestBuildProducesAStaticLinuxBinary(t *testing.T) {
	checkELF(t, echoBootstrap(t))
	// A second build into the same directory is served from the cache.
	again, err := Build(context.Background(), echoPkg, filepath.Dir(echoBootstrap(t)))
	if err != nil || again != echoBootstrap(t) {
		t.Errorf("second Build = %s, %v", again, err)
	}
}

// checkELF asserts a statically linked Linux executable for this machine.
func checkELF(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goruntime.GOARCH]
	if f.Machine != want {
		t.Errorf("%s is for %v, want %v", path, f.Machine, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked; CGO_ENABLED=0 should make it static", path)
		}
	}
	if filepath.Base(path) != "bootstrap" {
		t.Errorf("binary is named %s, want bootstrap", filepath.Base(path))
	}
}
