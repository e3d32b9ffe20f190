package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/selfguard/selfguard/shared/finding"
)

// outputFlags are what audit and evaluate share about where and how much
// they write.
type outputFlags struct {
	output         string
	quiet, verbose bool
	failOn         string
}

func (o *outputFlags) register(fs *flag.FlagSet, failOnDefault string) {
	fs.StringVar(&o.output, "output", "", "write the report to this file instead of standard output")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing on standard error but errors")
	fs.BoolVar(&o.verbose, "verbose", false, "say on standard error what is read and with which settings")
	fs.StringVar(&o.failOn, "fail-on", failOnDefault, "exit 1 if findings at or above this severity exist (low, medium, high, critical; none: never)")
}

// threshold reads --fail-on; ok is false for none.
func (o *outputFlags) threshold() (finding.Severity, bool, error) {
	if strings.EqualFold(strings.TrimSpace(o.failOn), "none") {
		return "", false, nil
	}
	s, err := finding.ParseSeverity(o.failOn)
	if err != nil {
		return "", false, fmt.Errorf("--fail-on: %w (or none)", err)
	}
	return s, true, nil
}

func (o *outputFlags) check() error {
	if o.quiet && o.verbose {
		return errors.New("--quiet and --verbose exclude each other")
	}
	_, _, err := o.threshold()
	return err
}

// info is where notes go: stderr, or nowhere with --quiet.
func (o *outputFlags) info(stderr io.Writer) io.Writer {
	if o.quiet {
		return io.Discard
	}
	return stderr
}

// debug is where --verbose notes go.
func (o *outputFlags) debug(stderr io.Writer) io.Writer {
	if o.verbose {
		return stderr
	}
	return io.Discard
}

// write renders through fn to stdout or, with --output, to the file, which
// appears whole or not at all.
func (o *outputFlags) write(stdout io.Writer, fn func(io.Writer) error) error {
	if o.output == "" || o.output == "-" {
		return fn(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.output), ".selfguard-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", o.output, err)
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", o.output, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.output, err)
	}
	if err := os.Rename(tmp.Name(), o.output); err != nil {
		return fmt.Errorf("write %s: %w", o.output, err)
	}
	return nil
}

// credentialHints recognise the SDK's answers when it has no usable
// credentials, which otherwise read as a list of every provider it tried.
var credentialHints = []string{
	"failed to refresh cached credentials", "no EC2 IMDS role found", "get credentials", "failed to retrieve credentials",
	"the SSO session has expired", "token has expired", "ExpiredToken", "InvalidClientTokenId", "UnrecognizedClientException",
	"SSOProviderInvalidToken", "could not find profile", "failed to get shared config profile", "AccessDenied",
}

// explain turns an AWS error into what to do about it, where it can tell.
func explain(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, h := range credentialHints {
		if strings.Contains(msg, h) {
			if h == "AccessDenied" {
				return fmt.Errorf("%w\nthe credentials lack a permission: infra/audit-role.yaml has the read-only policy audit needs", err)
			}
			return fmt.Errorf("no usable AWS credentials: sign in (aws sso login --profile NAME, or aws configure), "+
				"then choose the profile with AWS_PROFILE=NAME or --profile NAME\n(the SDK said: %s)", firstLine(msg))
		}
	}
	return err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
