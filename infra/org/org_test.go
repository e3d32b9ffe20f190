package org

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/sweep"
)

// tool finds a command the checks need; `make tools` installs it.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (make tools): %v", name, err)
	}
	return p
}

func TestMemberTemplateIsTemplateYamlTransformed(t *testing.T) {
	cmd := exec.Command(tool(t, "python3"), "transform.py", "../../template.yaml")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("transform.py: %v\n%s", err, stderr.String())
	}
	if !bytes.Equal(out, MemberTemplate) {
		t.Fatal("infra/org/member.template.json is not template.yaml's current transform: run `make org-template` and commit it")
	}
}

func TestOrganizationTemplatesPassCfnLint(t *testing.T) {
	out, err := exec.Command(tool(t, "cfn-lint"), "audit-role.yaml", "central-alerts.yaml", "member.template.json").CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
}

func member(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(MemberTemplate, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sub resolves an Fn::Sub string with the given variables.
func sub(v any, vars map[string]string) (string, bool) {
	s, ok := dig(v, "Fn::Sub").(string)
	if !ok {
		return "", false
	}
	for k, x := range vars {
		s = strings.ReplaceAll(s, "${"+k+"}", x)
	}
	return s, !strings.Contains(s, "${")
}

// names returns the literal names the member template gives its functions,
// roles and log groups, for a guard name and region.
func names(t *testing.T, guard, region string) map[string][]string {
	t.Helper()
	vars := map[string]string{"GuardName": guard, "AWS::Region": region, "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}
	out := map[string][]string{}
	for id, r := range member(t)["Resources"].(map[string]any) {
		typ := dig(r, "Type").(string)
		for _, k := range []string{"FunctionName", "RoleName", "LogGroupName"} {
			v := dig(r, "Properties", k)
			if v == nil {
				continue
			}
			if _, ref := dig(v, "Ref").(string); ref {
				continue
			}
			s, ok := sub(v, vars)
			if !ok {
				t.Fatalf("%s %s.%s is not a name the parameters resolve: %v", typ, id, k, v)
			}
			out[typ] = append(out[typ], s)
		}
	}
	return out
}

func TestMemberTemplateNamesFitInEveryRegion(t *testing.T) {
	if bytes.Contains(MemberTemplate, []byte("AWS::StackName")) || bytes.Contains(MemberTemplate, []byte(`"Transform"`)) {
		t.Fatal("the member template still names the stack or a transform")
	}
	// The longest guard name the parameter allows, in a long region name.
	for typ, ns := range names(t, strings.Repeat("g", 20), "ap-southeast-5") {
		for _, n := range ns {
			limit := 64
			if typ == "AWS::Logs::LogGroup" {
				limit = 512
			}
			if len(n) > limit {
				t.Errorf("%s name %q is %d characters, over %d", typ, n, len(n), limit)
			}
		}
	}
	a, b := names(t, "selfguard", "eu-west-1"), names(t, "selfguard", "us-east-1")
	for _, n := range a["AWS::IAM::Role"] {
		if slices.Contains(b["AWS::IAM::Role"], n) {
			t.Errorf("role %s is named alike in two regions: IAM names are per account, the second instance would fail", n)
		}
	}
}

func TestMemberTemplateCopiesAlertsToTheCentralTopic(t *testing.T) {
	res := member(t)["Resources"].(map[string]any)
	roles := dig(res, "CentralAlertPublish", "Properties", "Roles").([]any)
	for id, r := range res {
		if dig(r, "Type") != "AWS::Lambda::Function" {
			continue
		}
		topic := dig(r, "Properties", "Environment", "Variables", "SELFGUARD_TOPIC_ARN")
		if topic == nil {
			continue
		}
		b, _ := json.Marshal(topic)
		if !strings.Contains(string(b), `"HasCentralAlerts"`) || !strings.Contains(string(b), `{"Ref":"CentralAlertTopicArn"}`) {
			t.Errorf("%s: SELFGUARD_TOPIC_ARN = %s, want the central topic added when set", id, b)
		}
		role := dig(r, "Properties", "Role", "Fn::GetAtt").([]any)[0]
		if !slices.ContainsFunc(roles, func(x any) bool { return dig(x, "Ref") == role }) {
			t.Errorf("%s alerts but its role %s may not publish to the central topic", id, role)
		}
	}
}

func TestCentralTopicAdmitsOnlyTheOrganization(t *testing.T) {
	doc, err := Decode(CentralAlertsTemplate)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]string{
		{"CentralAlertTopicPolicy", "Properties", "PolicyDocument", "Statement"},
		{"CentralAlertKey", "Properties", "KeyPolicy", "Statement"},
	} {
		stmts := dig(doc["Resources"], p...).([]any)
		for _, s := range stmts {
			if dig(s, "Principal", "AWS") != "*" {
				continue
			}
			if dig(s, "Condition", "StringEquals", "aws:PrincipalOrgID") != "OrganizationId" {
				t.Errorf("%s admits anyone without aws:PrincipalOrgID: %v", p[0], s)
			}
		}
	}
}

func TestGuardSCPLeavesTheGuardToStackSets(t *testing.T) {
	var p struct {
		Statement []struct {
			Sid, Effect string
			Resource    any
			Condition   map[string]map[string]string
		}
	}
	if err := json.Unmarshal(GuardSCP, &p); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, GuardSCP); err != nil || compact.Len() > 5120 {
		t.Fatalf("the SCP is %d characters compacted (%v); SCPs hold at most 5,120", compact.Len(), err)
	}
	var patterns []string
	for _, s := range p.Statement {
		if s.Effect != "Deny" || s.Condition["ArnNotLike"]["aws:PrincipalArn"] != "arn:*:iam::*:role/stacksets-exec-*" {
			t.Errorf("%s: want a Deny for everyone but the StackSets execution role", s.Sid)
		}
		patterns = append(patterns, stringList(s.Resource)...)
	}
	arn := map[string]string{
		"AWS::Lambda::Function": "arn:aws:lambda:eu-west-1:123456789012:function:",
		"AWS::IAM::Role":        "arn:aws:iam::123456789012:role/",
		"AWS::Logs::LogGroup":   "arn:aws:logs:eu-west-1:123456789012:log-group:",
	}
	for typ, ns := range names(t, "selfguard", "eu-west-1") {
		for _, n := range ns {
			if !slices.ContainsFunc(patterns, func(pat string) bool { ok, _ := path.Match(pat, arn[typ]+n); return ok }) {
				t.Errorf("the SCP does not protect %s %s", typ, n)
			}
		}
	}
}

func TestAuditRoleReadsWhatTheAuditNeedsAndWritesNothing(t *testing.T) {
	got, err := AuditRoleActions()
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]string{"account:ListRegions"}, sweep.ListerPermissions...), sweep.WorkerPermissions...)
	for _, r := range rules.All() {
		want = append(want, r.Check...)
	}
	sort.Strings(want)
	want = slices.Compact(want)
	if !slices.Equal(got, want) {
		t.Errorf("audit role actions:\n got %v\nwant %v", got, want)
	}
	for _, a := range got {
		verb := a[strings.Index(a, ":")+1:]
		if !slices.ContainsFunc([]string{"List", "Get", "Describe", "BatchGet"}, func(p string) bool { return strings.HasPrefix(verb, p) }) {
			t.Errorf("the audit role allows %s, which is not a read", a)
		}
	}
	if _, err := os.Stat("audit-role.yaml"); err != nil {
		t.Fatal(err)
	}
}
