package policies

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"
)

type statement struct {
	Sid       string
	Effect    string
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

type document struct {
	Version   string
	Statement []statement
}

func parse(t *testing.T, name string, raw []byte) document {
	t.Helper()
	var d document
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if d.Version != "2012-10-17" || len(d.Statement) == 0 {
		t.Fatalf("%s: version %q, %d statements", name, d.Version, len(d.Statement))
	}
	return d
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// matches applies IAM's wildcards: * is any run of characters, ? one.
func matches(pattern, value string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(value)
}

func (d document) sid(t *testing.T, sid string) statement {
	t.Helper()
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("no statement %s", sid)
	return statement{}
}

func deniesOn(s statement, action, resource string) bool {
	if s.Effect != "Deny" {
		return false
	}
	ok := false
	for _, a := range strs(s.Action) {
		ok = ok || matches(a, action)
	}
	if !ok {
		return false
	}
	for _, r := range strs(s.Resource) {
		if matches(r, resource) {
			return true
		}
	}
	return false
}

// stack reads template.yaml's function and role names and the tamper
// rule's Lambda event names, for the stack named selfguard.
func stack(t *testing.T) (functions, roles, lambdaEvents []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	sub := strings.NewReplacer("${AWS::StackName}", "selfguard")
	for _, r := range doc["Resources"].(map[string]any) {
		m := r.(map[string]any)
		props, _ := m["Properties"].(map[string]any)
		switch m["Type"] {
		case "AWS::Serverless::Function":
			functions = append(functions, sub.Replace(props["FunctionName"].(string)))
		case "AWS::IAM::Role":
			roles = append(roles, sub.Replace(props["RoleName"].(string)))
		}
	}
	rule := doc["Resources"].(map[string]any)["TamperFunctionsRule"].(map[string]any)["Properties"].(map[string]any)
	names := rule["EventPattern"].(map[string]any)["detail"].(map[string]any)["eventName"].([]any)
	for _, n := range names {
		p := n.(map[string]any)["prefix"].(string)
		lambdaEvents = append(lambdaEvents, p)
	}
	return functions, roles, lambdaEvents
}

func TestThePoliciesParseAndFitAWSsLimits(t *testing.T) {
	limits := map[string]struct {
		raw   []byte
		limit int
	}{
		// A managed policy (a boundary) may hold 6,144 characters, white
		// space not counted; an SCP 5,120, white space counted.
		"developer-boundary.json":       {Boundary, 6144},
		"scp-deny-guard-tampering.json": {TamperingSCP, 5120},
		"scp-deny-guard-forgery.json":   {ForgerySCP, 5120},
	}
	for name, l := range limits {
		t.Run(name, func(t *testing.T) {
			onDisk, err := os.ReadFile(name)
			if err != nil || string(onDisk) != string(l.raw) {
				t.Fatalf("embedded copy differs from %s (%v)", name, err)
			}
			d := parse(t, name, l.raw)
			size := len(l.raw)
			if strings.HasPrefix(name, "developer") {
				size = len(strings.Map(func(r rune) rune {
					if unicode.IsSpace(r) {
						return -1
					}
					return r
				}, string(l.raw)))
			}
			if size > l.limit {
				t.Errorf("%d characters, over AWS's %d", size, l.limit)
			}
			allows := 0
			for _, s := range d.Statement {
				if s.Sid == "" || len(strs(s.Action)) == 0 || len(strs(s.Resource)) == 0 {
					t.Errorf("statement %+v lacks a Sid, an action or a resource", s)
				}
				if s.Effect == "Allow" {
					allows++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[strings.HasPrefix(name, "developer")]; allows != want {
				t.Errorf("%d Allow statements, want %d (a boundary allows what the identity policy allows; an SCP only denies)", allows, want)
			}
		})
	}
}

// TestThePoliciesNameTheStacksFunctionsAndRoles holds the policies to
// template.yaml: every function and role of the stack is covered, every
// Lambda change the tamper rule alerts on is denied, and only the stack's
// own roles may do what the guards do.
func TestThePoliciesNameTheStacksFunctionsAndRoles(t *testing.T) {
	functions, roles, events := stack(t)
	if len(functions) != 4 || len(roles) != 4 {
		t.Fatalf("template.yaml has %v and %v; the test expects four of each", functions, roles)
	}
	boundary := parse(t, "boundary", Boundary)
	tampering := parse(t, "tampering", TamperingSCP)
	forgery := parse(t, "forgery", ForgerySCP)
	const acct = "arn:aws:iam::111122223333:role/"
	for _, d := range []document{boundary, tampering} {
		for _, r := range roles {
			if !deniesOn(d.sid(t, "PassRole"), "iam:PassRole", acct+r) {
				t.Errorf("iam:PassRole of %s is not denied", r)
			}
			if !deniesOn(d.sid(t, "Roles"), "iam:PutRolePolicy", acct+r) {
				t.Errorf("changing %s is not denied", r)
			}
		}
		for _, f := range functions {
			arn := "arn:aws:lambda:eu-west-1:111122223333:function:" + f
			for _, e := range events {
				action := "lambda:" + strings.TrimRight(e, "0123456789v")
				for _, res := range []string{arn, arn + ":7"} {
					if !deniesOn(d.sid(t, "Functions"), action, res) && !deniesOn(d.sid(t, "Triggers"), action, "*") {
						t.Errorf("%s on %s is alerted by the tamper rule but not denied", action, res)
					}
				}
			}
		}
	}
	for _, d := range []document{boundary, forgery} {
		for _, f := range functions {
			if !deniesOn(d.sid(t, "Invoke"), "lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:"+f) {
				t.Errorf("invoking %s is not denied", f)
			}
		}
	}
	exempt := strs(forgery.sid(t, "Alerts").Condition["ArnNotLike"]["aws:PrincipalArn"])
	for _, r := range roles {
		if !containsPattern(exempt, acct+r) {
			t.Errorf("the forgery SCP would deny the stack's own %s what it must do", r)
		}
	}
	if containsPattern(exempt, acct+"payments-api-role") || containsPattern(exempt, acct+"selfguard-lambda-guard-copy") {
		t.Error("the forgery SCP exempts roles that are not the stack's")
	}
}

func containsPattern(patterns []string, v string) bool {
	for _, p := range patterns {
		if matches(p, v) {
			return true
		}
	}
	return false
}

// TestTheBoundaryLeavesProtectedBranchesOnlyReviewedMerges: approval rule
// templates gate pull requests only, so a developer who may push, put a
// file, commit or merge branches straight into a protected branch never
// meets the review selfguard keeps. The boundary denies those on every
// branch template.yaml protects by default, and leaves merging a pull
// request (which the approval rules gate) alone; overriding the approval
// rules or loosening the template is denied too.
func TestTheBoundaryLeavesProtectedBranchesOnlyReviewedMerges(t *testing.T) {
	d := parse(t, "developer-boundary.json", Boundary)
	branches := protectedBranches(t)
	s := d.sid(t, "ProtectedBranches")
	refs := strs(s.Condition["StringEqualsIfExists"]["codecommit:References"])
	for _, b := range branches {
		if !slices.Contains(refs, "refs/heads/"+b) {
			t.Errorf("branch %s is not among the protected references %v", b, refs)
		}
	}
	if s.Condition["Null"]["codecommit:References"] != "false" {
		t.Error("the branch statement must apply only where the request names references (Null: false)")
	}
	repo := "arn:aws:codecommit:eu-west-1:111122223333:payments"
	for _, a := range []string{"GitPush", "PutFile", "CreateCommit", "DeleteFile", "DeleteBranch",
		"MergeBranchesByFastForward", "MergeBranchesBySquash", "MergeBranchesByThreeWay"} {
		if !deniesOn(s, "codecommit:"+a, repo) {
			t.Errorf("codecommit:%s into a protected branch is not denied", a)
		}
	}
	for _, st := range d.Statement {
		for _, a := range []string{"MergePullRequestByFastForward", "MergePullRequestBySquash", "MergePullRequestByThreeWay"} {
			if deniesOn(st, "codecommit:"+a, repo) {
				t.Errorf("statement %s denies codecommit:%s, the reviewed way in", st.Sid, a)
			}
		}
	}
	bypass := d.sid(t, "ReviewBypass")
	for _, a := range []string{"OverridePullRequestApprovalRules", "DeleteApprovalRuleTemplate", "UpdateApprovalRuleTemplateContent",
		"UpdateApprovalRuleTemplateName", "DisassociateApprovalRuleTemplateFromRepository", "BatchDisassociateApprovalRuleTemplateFromRepositories"} {
		if !deniesOn(bypass, "codecommit:"+a, repo) {
			t.Errorf("codecommit:%s is not denied", a)
		}
	}
}

// protectedBranches reads the default of template.yaml's ProtectedBranches.
func protectedBranches(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parameters map[string]struct {
			Default any `yaml:"Default"`
		} `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	def, _ := doc.Parameters["ProtectedBranches"].Default.(string)
	var out []string
	for _, b := range strings.Split(def, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		t.Fatal("template.yaml protects no branch by default")
	}
	return out
}
