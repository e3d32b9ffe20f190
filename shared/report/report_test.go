package report

import (
	"bytes"
	"encoding/json"
	"github.com/aws/aws-sdk-go-v2/aws"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

const (
	acct   = "111122223333"
	region = "eu-west-1"
)

func item(rule string, sev finding.Severity, rt finding.ResourceType, resource, summary string) Item {
	return Item{Account: acct, Region: region, Finding: finding.Finding{
		Rule: finding.RuleID(rule), Severity: sev, ResourceType: rt, Resource: resource, Summary: summary,
	}}
}

func sample() *Report {
	alias := item("lambda.alias-latest", finding.SeverityHigh, finding.ResourceAlias, "payments-api:live", "alias live points to $LATEST")
	alias.Actions = []finding.Action{{Kind: "move-alias", Summary: "move alias live back to version 3", Undo: "aws lambda update-alias --function-name payments-api --name live --function-version $LATEST"}}
	return &Report{
		GeneratedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Accounts: []string{acct}, Regions: []string{region},
		Functions: 4, Repositories: 2,
		Items: []Item{
			item("repo.no-approval-rule", finding.SeverityMedium, finding.ResourceRepository, "website", "no approval rule on main"),
			item("lambda.unsigned-code", finding.SeverityHigh, finding.ResourceFunction, "orders", "code is not signed"),
			item("lambda.untrusted-signer", finding.SeverityCritical, finding.ResourceFunction, "rogue", "signed by an untrusted profile"),
			alias,
			item("lambda.unsigned-code", finding.SeverityLow, finding.ResourceFunction, "sandbox\x1b[2Jfake\nline", "code is not signed"),
		},
	}
}

func TestTableGroupsBySeverityMostSevereFirst(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().Write(&buf, FormatTable); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	sections := []struct {
		heading string
		rows    []string
	}{
		{"CRITICAL (1)", []string{"rogue"}},
		{"HIGH (2)", []string{"orders", "payments-api:live"}},
		{"MEDIUM (1)", []string{"website"}},
		{"LOW (1)", []string{"sandbox [2Jfake line"}},
	}
	last := -1
	for i, s := range sections {
		at := strings.Index(out, "\n"+s.heading+"\n")
		if at < 0 || at < last {
			t.Fatalf("section %q missing or out of order:\n%s", s.heading, out)
		}
		end := len(out)
		if i+1 < len(sections) {
			end = strings.Index(out, "\n"+sections[i+1].heading+"\n")
		}
		for _, r := range s.rows {
			if !strings.Contains(out[at:end], "  "+r+" ") {
				t.Errorf("%q not listed under %s:\n%s", r, s.heading, out)
			}
		}
		last = at
	}
	if strings.ContainsAny(out, "\x1b") || strings.Contains(out, "\nline") {
		t.Errorf("a resource name forged terminal output:\n%q", out)
	}
	if !strings.Contains(out, "5 findings: 1 critical 2 high 1 medium 1 low") {
		t.Errorf("no totals line:\n%s", out)
	}
	if strings.Contains(out, "REGION") {
		t.Errorf("a one-region report has a region column:\n%s", out)
	}
}

func TestTableShapes(t *testing.T) {
	cases := []struct {
		name string
		r    *Report
		want []string
	}{
		{"no findings says so", &Report{Accounts: []string{acct}, Regions: []string{region}, Functions: 3},
			[]string{"3 functions, 0 repositories evaluated", "No findings."}},
		{"several regions add a region column", func() *Report {
			r := sample()
			r.Regions = []string{region, "us-east-1"}
			r.Items[0].Region = "us-east-1"
			return r
		}(), []string{"REGION", "us-east-1  website"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.r.WriteTable(&buf); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("missing %q in:\n%s", w, buf.String())
				}
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for name, r := range map[string]*Report{"findings": sample(), "none": {Accounts: []string{acct}, Regions: []string{region}}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := r.Write(&buf, FormatJSON); err != nil {
				t.Fatal(err)
			}
			var back Report
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			want := *r
			if want.Items == nil {
				want.Items = []Item{} // scripts get [] rather than null
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("round trip changed the report:\n got %+v\nwant %+v", back, want)
			}
		})
	}
}

func TestASFFHasEverythingSecurityHubRequires(t *testing.T) {
	r := sample()
	var buf bytes.Buffer
	if err := r.Write(&buf, FormatASFF); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(r.Items) {
		t.Fatalf("%d ASFF findings for %d items", len(got), len(r.Items))
	}
	required := []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources",
		"ProductName", "CompanyName", "FirstObservedAt", "LastObservedAt", "Compliance", "RecordState"}
	labels := map[string]bool{"INFORMATIONAL": true, "LOW": true, "MEDIUM": true, "HIGH": true, "CRITICAL": true}
	ids := map[string]bool{}
	for i, f := range got {
		for _, k := range required {
			if v, ok := f[k]; !ok || v == "" || v == nil {
				t.Errorf("finding %d lacks %s", i, k)
			}
		}
		if c, _ := f["Compliance"].(map[string]any); c["Status"] != "FAILED" || f["RecordState"] != "ACTIVE" || f["ProductName"] != "selfguard" {
			t.Errorf("finding %d: compliance %v, record state %v, product %v", i, f["Compliance"], f["RecordState"], f["ProductName"])
		}
		for k, v := range f {
			if v == nil || v == "" {
				t.Errorf("finding %d: %s is written empty", i, k)
			}
		}
		if f["SchemaVersion"] != "2018-10-08" || f["AwsAccountId"] != acct {
			t.Errorf("finding %d: schema %v, account %v", i, f["SchemaVersion"], f["AwsAccountId"])
		}
		if f["ProductArn"] != "arn:aws:securityhub:"+region+":"+acct+":product/"+acct+"/default" {
			t.Errorf("finding %d: product ARN %v", i, f["ProductArn"])
		}
		for _, k := range []string{"CreatedAt", "UpdatedAt"} {
			if _, err := time.Parse(time.RFC3339, f[k].(string)); err != nil {
				t.Errorf("finding %d: %s %v is not ISO 8601: %v", i, k, f[k], err)
			}
		}
		if l, _ := f["Severity"].(map[string]any)["Label"].(string); !labels[l] {
			t.Errorf("finding %d: severity label %q", i, l)
		}
		types, _ := f["Types"].([]any)
		if len(types) == 0 || strings.Count(types[0].(string), "/") < 1 {
			t.Errorf("finding %d: types %v are not namespace/category[/classifier]", i, types)
		}
		res, _ := f["Resources"].([]any)
		if len(res) == 0 {
			t.Fatalf("finding %d has no resource", i)
		}
		r0 := res[0].(map[string]any)
		if r0["Type"] == "" || !strings.HasPrefix(r0["Id"].(string), "arn:aws:") || r0["Region"] != region {
			t.Errorf("finding %d: resource %v", i, r0)
		}
		if len(f["Title"].(string)) > 256 || len(f["Description"].(string)) > 1024 {
			t.Errorf("finding %d: title or description over Security Hub's limits", i)
		}
		id := f["Id"].(string)
		if ids[id] {
			t.Errorf("finding id %s repeats", id)
		}
		ids[id] = true
	}
}

func TestASFFFields(t *testing.T) {
	long := item("lambda.unsigned-code", finding.SeverityHigh, finding.ResourceFunction, "orders", strings.Repeat("é", 400))
	long.Finding.Detail = strings.Repeat("x", 2000)
	cn := item("lambda.unsigned-code", finding.SeverityHigh, finding.ResourceFunction, "orders", "code is not signed")
	cn.Region = "cn-north-1"
	repo := item("repo.no-approval-rule", finding.SeverityMedium, finding.ResourceRepository, "website", "no approval rule")
	alias := sample().Items[3]
	cases := []struct {
		name  string
		it    Item
		check func(t *testing.T, f shtypes.AwsSecurityFinding)
	}{
		{"severity label is the upper-cased severity", repo, func(t *testing.T, f shtypes.AwsSecurityFinding) {
			if f.Severity.Label != "MEDIUM" || aws.ToString(f.Severity.Original) != "medium" {
				t.Errorf("severity %+v", f.Severity)
			}
		}},
		{"a repository is an Other resource with its CodeCommit ARN", repo, func(t *testing.T, f shtypes.AwsSecurityFinding) {
			if aws.ToString(f.Resources[0].Type) != "Other" || aws.ToString(f.Resources[0].Id) != "arn:aws:codecommit:"+region+":"+acct+":website" {
				t.Errorf("resource %+v", f.Resources[0])
			}
		}},
		{"an alias is its Lambda function", alias, func(t *testing.T, f shtypes.AwsSecurityFinding) {
			if aws.ToString(f.Resources[0].Type) != "AwsLambdaFunction" {
				t.Errorf("resource %+v", f.Resources[0])
			}
			if f.Remediation == nil || !strings.Contains(aws.ToString(f.Remediation.Recommendation.Text), "update-alias") {
				t.Errorf("remediation %+v lacks the undo", f.Remediation)
			}
		}},
		{"a finding without actions has no remediation", repo, func(t *testing.T, f shtypes.AwsSecurityFinding) {
			if f.Remediation != nil {
				t.Errorf("remediation %+v", f.Remediation)
			}
		}},
		{"long text is cut to the limits on a character boundary", long, func(t *testing.T, f shtypes.AwsSecurityFinding) {
			title, desc := aws.ToString(f.Title), aws.ToString(f.Description)
			if len(title) > 256 || len(desc) > 1024 || !strings.HasSuffix(title, "...") {
				t.Errorf("title %d bytes, description %d bytes", len(title), len(desc))
			}
			if !json.Valid([]byte(`"`+title+`"`)) || strings.ContainsRune(title, '\uFFFD') {
				t.Errorf("title split a character")
			}
		}},
		{"China regions use their partition", cn, func(t *testing.T, f shtypes.AwsSecurityFinding) {
			if !strings.HasPrefix(aws.ToString(f.ProductArn), "arn:aws-cn:securityhub:cn-north-1:") || f.Resources[0].Partition != "aws-cn" {
				t.Errorf("product %s, resource %+v", aws.ToString(f.ProductArn), f.Resources[0])
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{GeneratedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Items: []Item{tc.it}}
			got := r.ASFF()
			if len(got) != 1 {
				t.Fatalf("%d findings", len(got))
			}
			if aws.ToString(got[0].CreatedAt) != "2026-03-01T12:00:00.000Z" || got[0].RecordState != "ACTIVE" {
				t.Errorf("created %s, state %s", aws.ToString(got[0].CreatedAt), got[0].RecordState)
			}
			tc.check(t, got[0])
		})
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		name             string
		rules, resources []string
		want             []string
	}{
		{"no patterns keep everything", nil, nil, []string{"website", "orders", "rogue", "payments-api:live", "sandbox\x1b[2Jfake\nline"}},
		{"a rule pattern", []string{"lambda.*"}, nil, []string{"orders", "rogue", "payments-api:live", "sandbox\x1b[2Jfake\nline"}},
		{"an exact rule", []string{"lambda.unsigned-code"}, nil, []string{"orders", "sandbox\x1b[2Jfake\nline"}},
		{"a resource pattern", nil, []string{"pay*"}, []string{"payments-api:live"}},
		{"rule and resource must both match", []string{"lambda.unsigned-code"}, []string{"o*"}, []string{"orders"}},
		{"any of several patterns", []string{"repo.*", "lambda.untrusted-signer"}, nil, []string{"website", "rogue"}},
		{"nothing matches", []string{"iam.*"}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sample()
			r.Filter(tc.rules, tc.resources)
			var got []string
			for _, it := range r.Items {
				got = append(got, it.Finding.Resource)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("kept %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCountAtLeast(t *testing.T) {
	cases := []struct {
		min  finding.Severity
		want int
	}{
		{finding.SeverityCritical, 1},
		{finding.SeverityHigh, 3},
		{finding.SeverityMedium, 4},
		{finding.SeverityLow, 5},
	}
	for _, tc := range cases {
		t.Run(string(tc.min), func(t *testing.T) {
			if got := sample().CountAtLeast(tc.min); got != tc.want {
				t.Errorf("CountAtLeast(%s) = %d, want %d", tc.min, got, tc.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatTable, "TABLE": FormatTable, " json ": FormatJSON, "asff": FormatASFF} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestTheTableCountsInWords(t *testing.T) {
	r := &Report{Accounts: []string{acct}, Regions: []string{region}, Functions: 1, Repositories: 2,
		Items: []Item{item("repo.no-approval-rule", finding.SeverityMedium, finding.ResourceRepository, "website", "no approval rule")}}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 function, 2 repositories evaluated", "\n1 finding: 1 medium"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}
