package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/rules"
)

// TestTheREADMERuleTableIsTheRegistrys: the README's table between its
// markers is exactly what `selfguard rules --markdown` prints.
func TestTheREADMERuleTableIsTheRegistrys(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->"
	s := string(raw)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	var out bytes.Buffer
	if code := Main(context.Background(), []string{"rules", "--markdown"}, &out, &out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if got := s[i+len(begin) : j]; got != out.String() {
		t.Errorf("README.md's rule table differs from the registry; regenerate it with `go run ./infra/cmd/selfguard rules --markdown`:\n%s", out.String())
	}
	if out.String() != rules.Markdown() {
		t.Error("the command does not print the registry's table")
	}
}
