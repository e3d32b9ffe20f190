package moto

import (
	"bufio"
	"context"

	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
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

// Start runs moto_server on a port the kernel picks and waits until it
// answers. The port comes from moto's own startup line, not from a probe
// closed before moto binds: two packages probing at once could otherwise
// get the same port, and the loser would talk to the winner's moto.
func Start(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", "0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	if os.Getenv("SELFGUARD_MOTO_LOG") != "" {
		cmd.Stdout = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{cmd: cmd}
	url, err := listenURL(out, 30*time.Second)
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s.URL = url
	if err := s.waitAnswer(ctx, time.Now().Add(30*time.Second)); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// listenedOn is moto's (werkzeug's) startup line naming the bound address.
var listenedOn = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)

// listenURL reads moto's output until it names the address it bound, then
// keeps draining it (moto logs every request; a full pipe would block it).
func listenURL(out io.Reader, wait time.Duration) (string, error) {
	found := make(chan string, 1)
	go func() {
		var sink io.Writer = io.Discard
		if os.Getenv("SELFGUARD_MOTO_LOG") != "" {
			sink = os.Stderr
		}
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			fmt.Fprintln(sink, lines.Text())
			if m := listenedOn.FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
				_, _ = io.Copy(sink, out)
				return
			}
		}
		close(found)
	}()
	select {
	case url, ok := <-found:
		if !ok {
			return "", errors.New("moto_server exited before it listened")
		}
		return url, nil
	case <-time.After(wait):
		return "", fmt.Errorf("moto_server did not listen within %s", wait)
	}
}

func (s *Server) waitAnswer(ctx context.Context, deadline time.Time) error {
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("moto_server did not answer on %s: %w", s.URL, err)
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
