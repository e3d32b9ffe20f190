package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RIEModule is the pinned AWS Lambda Runtime Interface Emulator.
const RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

const rieName = "aws-lambda-rie"

// invocationPath is the only function route the RIE serves.
const invocationPath = "/2015-03-31/functions/function/invocations"

// EnsureRIE returns the path of aws-lambda-rie: on PATH, in $(go env
// GOPATH)/bin, or installed there with go install at the pinned version.
func EnsureRIE(ctx context.Context) (string, error) {
	if p, err := exec.LookPath(rieName); err == nil {
		return p, nil
	}
	goBin, err := goTool()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, goBin, "env", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOPATH: %w", err)
	}
	gopath := strings.TrimSpace(strings.Split(string(out), string(os.PathListSeparator))[0])
	p := filepath.Join(gopath, "bin", rieName)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	cmd := exec.CommandContext(ctx, goBin, "install", RIEModule)
	cmd.Dir = os.TempDir() // outside any module, so go.mod plays no part
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %w: %s", RIEModule, err, msg)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("installed %s but %s is missing: %w", rieName, p, err)
	}
	return p, nil
}

// goTool finds the go command; go test puts its own on PATH.
func goTool() (string, error) {
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go tool is not on PATH: %w", err)
	}
	return p, nil
}

var (
	buildMu sync.Mutex
	built   = map[string]string{} // output dir -> package built there
)

// Build compiles a Go main package into outDir/bootstrap as Lambda's
// provided.al2023 runtime runs it, for the host's architecture (the RIE runs
// it here). A package already built into outDir by this process is reused.
func Build(ctx context.Context, pkg, outDir string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	bootstrap := filepath.Join(outDir, "bootstrap")
	if built[outDir] == pkg {
		if _, err := os.Stat(bootstrap); err == nil {
			return bootstrap, nil
		}
	}
	goBin, err := goTool()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w",
		"-o", bootstrap, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goruntime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", pkg, err, msg)
	}
	built[outDir] = pkg
	return bootstrap, nil
}

// BuildMake builds a function the way sam build does with BuildMethod
// makefile: make build-<LogicalId> ARTIFACTS_DIR=<dir>, for the host's
// architecture.
func BuildMake(ctx context.Context, repoRoot, logicalID, artifactsDir string) (string, error) {
	abs, err := filepath.Abs(artifactsDir)
	if err != nil {
		return "", fmt.Errorf("make build-%s: %w", logicalID, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("make build-%s: %w", logicalID, err)
	}
	cmd := exec.CommandContext(ctx, "make", "build-"+logicalID, "ARTIFACTS_DIR="+abs, "GOARCH="+goruntime.GOARCH)
	cmd.Dir = repoRoot
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build-%s: %w: %s", logicalID, err, msg)
	}
	bootstrap := filepath.Join(abs, "bootstrap")
	if _, err := os.Stat(bootstrap); err != nil {
		return "", fmt.Errorf("make build-%s left no bootstrap: %w", logicalID, err)
	}
	return bootstrap, nil
}

// Spec describes a function to run.
type Spec struct {
	Name      string   // AWS_LAMBDA_FUNCTION_NAME
	Bootstrap string   // path of the bootstrap binary
	Env       []string // KEY=value pairs added to the function's environment
	// RIE is the emulator's path; empty means EnsureRIE.
	RIE string
	// LogWriter, if set, also receives the function's and the RIE's output.
	LogWriter io.Writer
	// Timeout is the function timeout; default 30 s.
	Timeout time.Duration
}

// Function is a function running under its own RIE process.
type Function struct {
	Name string
	url  string
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{}

	invokeMu sync.Mutex // one invocation at a time, like one execution environment
	stopOnce sync.Once
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Start runs the bootstrap under a new RIE process on free loopback ports
// and returns once the RIE accepts connections. The bootstrap itself starts
// on the first invocation, as in Lambda.
func Start(ctx context.Context, spec Spec) (*Function, error) {
	if spec.Name == "" || spec.Bootstrap == "" {
		return nil, errors.New("start function: Name and Bootstrap are required")
	}
	rie := spec.RIE
	if rie == "" {
		var err error
		if rie, err = EnsureRIE(ctx); err != nil {
			return nil, fmt.Errorf("start function %s: %w", spec.Name, err)
		}
	}
	bootstrap, err := filepath.Abs(spec.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("start function %s: %w", spec.Name, err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("start function %s: %w", spec.Name, err)
	}
	emuAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	apiAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", emuAddr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = functionEnv(spec, filepath.Dir(bootstrap), timeout)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	f := &Function{Name: spec.Name, url: "http://" + emuAddr, cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	var out io.Writer = f.logs
	if spec.LogWriter != nil {
		out = io.MultiWriter(f.logs, spec.LogWriter)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start function %s: %w", spec.Name, err)
	}
	go func() { _ = cmd.Wait(); close(f.done) }()
	if err := f.waitReady(ctx, emuAddr); err != nil {
		f.Stop()
		return nil, fmt.Errorf("start function %s: %w; output: %s", spec.Name, err, f.Logs())
	}
	return f, nil
}

// functionEnv builds the function's whole environment: the RIE hands its
// own environment to the function, so nothing of the caller's (AWS keys,
// endpoints) leaks in unless the spec says so.
func functionEnv(spec Spec, taskRoot string, timeout time.Duration) []string {
	base := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"AWS_LAMBDA_FUNCTION_NAME=" + spec.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(timeout.Seconds())),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + spec.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"_HANDLER=bootstrap",
		// No instance metadata here: without it a missing credential fails
		// at once instead of after IMDS timeouts.
		"AWS_EC2_METADATA_DISABLED=true",
	}
	env := map[string]int{}
	var out []string
	for _, kv := range append(base, spec.Env...) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := env[k]; ok {
			out[i] = kv
			continue
		}
		env[k] = len(out)
		out = append(out, kv)
	}
	return out
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (f *Function) waitReady(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	backoff := time.Millisecond
	for {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-f.done:
			return errors.New("the RIE exited")
		case <-ctx.Done():
			return fmt.Errorf("the RIE did not listen on %s: %w", addr, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// URL is the RIE's base URL.
func (f *Function) URL() string { return f.url }

// Pid is the RIE's process id; the bootstrap runs in its process group.
func (f *Function) Pid() int { return f.cmd.Process.Pid }

// Invoke runs the function once with the payload. A handler error comes
// back as functionError "Unhandled" (what Lambda's X-Amz-Function-Error
// says) with the error document as the response; err is for failing to
// reach the function at all.
func (f *Function) Invoke(ctx context.Context, payload []byte) (response []byte, functionError string, err error) {
	f.invokeMu.Lock()
	defer f.invokeMu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url+invocationPath, bytes.NewReader(payload))
	if err != nil {
		return nil, "", fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 6<<20))
	if err != nil {
		return nil, "", fmt.Errorf("invoke %s: read response: %w", f.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, "", fmt.Errorf("invoke %s: %s: %s", f.Name, resp.Status, body)
	}
	if h := resp.Header.Get("X-Amz-Function-Error"); h != "" {
		return body, h, nil
	}
	if isErrorDocument(body) {
		return body, "Unhandled", nil
	}
	return body, "", nil
}

// isErrorDocument reports whether a response is the runtime's error shape
// ({"errorMessage": ..., "errorType": ...}), which the RIE returns with
// status 200 and no error header.
func isErrorDocument(body []byte) bool {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	_, hasType := doc["errorType"]
	_, hasMessage := doc["errorMessage"]
	if !hasType && !hasMessage {
		return false
	}
	for k := range doc {
		if k != "errorType" && k != "errorMessage" && k != "stackTrace" && k != "cause" {
			return false
		}
	}
	return true
}

// Logs returns everything the function and its RIE wrote so far.
func (f *Function) Logs() string { return f.logs.String() }

// Stop kills the RIE and the bootstrap and waits for the RIE to exit. The
// RIE starts the bootstrap in a process group of its own, so the bootstrap
// is found by its parent and killed too.
func (f *Function) Stop() {
	f.stopOnce.Do(func() {
		pid := f.cmd.Process.Pid
		// Children first, while the RIE lives to reap them: an orphan left
		// to a container's init may stay a zombie.
		children := childPids(pid)
		for _, c := range children {
			_ = syscall.Kill(c, syscall.SIGKILL)
		}
		deadline := time.Now().Add(time.Second)
		for _, c := range children {
			for time.Now().Before(deadline) {
				if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(c))); err != nil {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-f.done
	})
}

// childPids lists the processes whose parent is pid, from /proc (Linux);
// elsewhere it finds none.
func childPids(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) >= 2 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}
