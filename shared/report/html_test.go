package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

// browser runs Debian's chromium headless on the page. `make tools`
// installs it (apt-get install chromium): the page is checked as a person's
// browser shows it, scripts and all.
func browser(t *testing.T, args ...string) string {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Fatal("no chromium on the PATH: run `make tools` (it runs apt-get install -y chromium)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir()}
	out, err := exec.CommandContext(ctx, bin, append(base, args...)...).Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return string(out)
}

func htmlSample() *Report {
	r := sample()
	r.Warnings = []string{"judged with no trusted signing profile"}
	r.Items = append(r.Items, item("lambda.unsigned-code", finding.SeverityHigh, finding.ResourceFunction, `<img src=x onerror=alert(1)>`, "code is not signed"))
	r.Muted = []MutedItem{{Account: acct, Region: region, Muted: finding.Muted{Finding: finding.Finding{Rule: "lambda.unsigned-code", Resource: "legacy"}, By: "lambda.*:legacy", Reason: "migrating"}}}
	return r
}

func TestTheHTMLReportWorksInABrowser(t *testing.T) {
	r := htmlSample()
	page := filepath.Join(t.TempDir(), "audit.html")
	var buf bytes.Buffer
	if err := r.Write(&buf, FormatHTML); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"src=\"http", "href=\"http", "<link", "@import"} {
		if strings.Contains(buf.String(), ext) {
			t.Errorf("the page loads something from elsewhere (%s)", ext)
		}
	}

	n := len(r.Items)
	shown := regexp.MustCompile(`<span id="shown">(\d+) of (\d+) shown</span>`)
	hidden := regexp.MustCompile(`<tr class="finding"[^>]*hidden`)

	all := browser(t, "--dump-dom", "file://"+page)
	if m := shown.FindStringSubmatch(all); m == nil || m[1] != m[2] || m[2] != itoa(n) {
		t.Fatalf("the page's script did not count %d findings shown: %v\n%s", n, m, all)
	}
	if strings.Contains(all, "<img src=x") || !strings.Contains(all, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("a resource name became markup")
	}
	for _, want := range []string{`id="chart"`, `class="bar" data-severity="critical"`, `id="by-rule"`, "lambda.untrusted-signer", "Warning: judged with no trusted signing profile",
		"1 finding muted: 1 by lambda.*:legacy (migrating)", "undo: <code>aws lambda update-alias", "enforce mode"} {
		if !strings.Contains(all, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	// The address presets the filters, as a link from a ticket would.
	high := browser(t, "--dump-dom", "file://"+page+"#severity=high")
	wantHigh := r.Counts()[finding.SeverityHigh]
	if m := shown.FindStringSubmatch(high); m == nil || m[1] != itoa(wantHigh) || len(hidden.FindAllString(high, -1)) != n-wantHigh {
		t.Errorf("severity=high shows %v, %d rows hidden; want %d shown", m, len(hidden.FindAllString(high, -1)), wantHigh)
	}
	one := browser(t, "--dump-dom", "file://"+page+"#q=payments-api")
	if m := shown.FindStringSubmatch(one); m == nil || m[1] != "1" {
		t.Errorf("q=payments-api shows %v, want 1", m)
	}

	png := filepath.Join(t.TempDir(), "audit.png")
	browser(t, "--screenshot="+png, "--window-size=1280,1000", "file://"+page)
	if b, err := os.ReadFile(png); err != nil || len(b) < 10_000 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("screenshot: %d bytes, %v", len(b), err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestTheCSVReportIsOneRowPerFindingAndRunsNoFormula(t *testing.T) {
	r := htmlSample()
	r.Items = append(r.Items, item("lambda.unsigned-code", finding.SeverityLow, finding.ResourceFunction, "=HYPERLINK(\"http://x\")", "s"))
	var buf bytes.Buffer
	if err := r.Write(&buf, FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(r.Items)+1 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	if rows[1][2] != "critical" {
		t.Errorf("first row %v, want the most severe first", rows[1])
	}
	for _, row := range rows[1:] {
		for _, c := range row {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("cell %q would run as a formula", c)
			}
		}
	}
}
