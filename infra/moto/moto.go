package moto

import (
	"context"

	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Server is a running moto_server.
type Server struct {
	URL string
	cmd *exec.Cmd
}

// ErrNotInstalled means moto_server is not on the PATH.
var ErrNotInstalled = errors.New("moto_server is not installed (pip install 'moto[server]')")

// Start runs moto_server on a free loopback port and waits until it answers.
func Start(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Getenv("SELFGUARD_MOTO_LOG") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Stop()
			return nil, fmt.Errorf("moto_server did not answer on %s: %w", s.URL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Reset forgets every resource moto holds.
func (s *Server) Reset() error {
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	return resp.Body.Close()
}

// Stop ends moto_server and its children.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// Env returns the environment variables that point an SDK at moto for the
// services selfguard uses it for.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_SNS=" + s.URL,
		"AWS_ENDPOINT_URL_SQS=" + s.URL,
		"AWS_ENDPOINT_URL_DYNAMODB=" + s.URL,
		"AWS_ENDPOINT_URL_STS=" + s.URL,
		"AWS_ENDPOINT_URL_IAM=" + s.URL,
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Config is an SDK configuration whose clients reach moto for every service,
// with moto's test credentials, sending one request at a time (see Serial).
func (s *Server) Config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		HTTPClient:   Serial,
	}
}

// Serial sends requests to moto one at a time. moto_server serves requests
// on concurrent threads and, within one UpdateItem or PutItem, checks the
// ConditionExpression and computes ADD apart from the write, unlocked: two
// concurrent conditional writes on one item can both pass, where DynamoDB
// applies each write to an item atomically. One request at a time restores
// that guarantee while callers still interleave freely between requests.
var Serial = &http.Client{Transport: &oneAtATime{next: http.DefaultTransport}}

type oneAtATime struct {
	mu   sync.Mutex
	next http.RoundTripper
}

// RoundTrip holds the lock until the response's headers arrive: moto
// writes them only after it has applied the request.
func (o *oneAtATime) RoundTrip(r *http.Request) (*http.Response, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.next.RoundTrip(r)
}

// Run starts moto for a package's tests, runs them and stops it; call it
// from TestMain with the package's server variable. Without moto_server the
// tests run with a nil server (those that need it skip), except under CI,
// where moto is required and its absence fails the run.
func Run(m interface{ Run() int }, server **Server) int {
	s, err := Start(context.Background())
	if err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "moto is required in CI:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "moto not available, its tests skip:", err)
	}
	*server = s
	defer s.Stop()
	return m.Run()
}
