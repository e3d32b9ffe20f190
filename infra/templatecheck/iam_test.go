package templatecheck

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/sweep"
)

// Permissions Lambda itself uses on a function's behalf with its role, not
// calls in the function's code: the on-failure destination (a dead-letter
// queue), the KMS key that encrypts the topic and the queues, and, for an SQS
// event source, polling the queue.
var (
	onFailure     = []string{"sqs:SendMessage"}
	encrypted     = []string{"kms:GenerateDataKey", "kms:Decrypt"}
	sqsEventSouce = []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}
)

func repoGuardActions() []string { return repoguard.Permissions() }

// lambdaGuardActions are the Lambda guard function's: its code guard and
// its exposure guard.
func lambdaGuardActions() []string {
	return append(lambdaguard.Permissions(), exposureguard.Permissions()...)
}

// expected is, per function of template.yaml, every IAM action its code and
// Lambda on its behalf need.
func expected() map[string][]string {
	guardAll := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	return map[string][]string{
		// The guard also fans a changed code signing config out to the sweep queue.
		"LambdaGuardFunction": guardAll(lambdaGuardActions(), lambdaguard.FanOutPermissions, alert.Permissions, ledger.Permissions, encrypted, onFailure),
		"RepoGuardFunction":   guardAll(repoGuardActions(), alert.Permissions, ledger.Permissions, encrypted, onFailure),
		// The lister sends batches (sqs:SendMessage, also its on-failure
		// destination) and records the run.
		"SweepFunction": guardAll(sweep.ListerPermissions, sweep.ExposureListerPermissions, sweep.RunPermissions, alert.Permissions, []string{"dynamodb:Query"}, encrypted, onFailure),
		// The worker judges and repairs with both guards' code.
		"SweepWorkerFunction": guardAll(sweep.WorkerPermissions, sweep.RunPermissions, lambdaGuardActions(), repoGuardActions(),
			alert.Permissions, []string{"dynamodb:PutItem", "dynamodb:Query"}, encrypted, sqsEventSouce),
	}
}

// TestRolesGrantExactlyWhatTheCodeCalls derives each function's IAM actions
// from what its packages declare and requires template.yaml's role policy to
// grant exactly those: no missing permission (the guard would fail in AWS)
// and none spare (least privilege).
func TestRolesGrantExactlyWhatTheCodeCalls(t *testing.T) {
	roles := rolePolicies(t)
	for fn, want := range expected() {
		t.Run(fn, func(t *testing.T) {
			got, ok := roles[fn]
			if !ok {
				t.Fatalf("template.yaml has no function %s with a role of its own", fn)
			}
			missing, spare := diff(set(want), set(got))
			if len(missing) > 0 {
				t.Errorf("the role lacks what the code calls: %v", missing)
			}
			if len(spare) > 0 {
				t.Errorf("the role grants what no code calls: %v", spare)
			}
		})
	}
	for fn := range roles {
		if _, ok := expected()[fn]; !ok {
			t.Errorf("function %s has a role this test does not check: add it to expected()", fn)
		}
	}
}

// TestWritesAreScopedToFunctions: the guards' Lambda writes are limited to
// function ARNs of the account and region, never "*"; a mapping's update to
// event source mapping ARNs; in the roles' own policies and in the managed
// policies they share.
func TestWritesAreScopedToFunctions(t *testing.T) {
	doc := readTemplate(t)
	res := doc["Resources"].(map[string]any)
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::IAM::Role" && m["Type"] != "AWS::IAM::ManagedPolicy" {
			continue
		}
		for _, st := range statements(m) {
			if st["Effect"] != "Allow" {
				continue // a Deny grants nothing
			}
			for _, a := range actions(st) {
				if strings.HasPrefix(a, "lambda:Update") || strings.HasPrefix(a, "lambda:Put") {
					want := ":function:"
					if a == "lambda:UpdateEventSourceMapping" {
						want = ":event-source-mapping:"
					}
					if r, _ := st["Resource"].(string); r == "*" || !strings.Contains(r, want) {
						t.Errorf("%s grants %s on %v, want function ARNs only", id, a, st["Resource"])
					}
				}
			}
		}
	}
}

func readTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// functionProperties are a SAM function's properties with the template's
// Globals applied, as SAM's transform applies them.
func functionProperties(t *testing.T, doc map[string]any, id string) map[string]any {
	t.Helper()
	fn := doc["Resources"].(map[string]any)[id].(map[string]any)
	globals, _ := doc["Globals"].(map[string]any)
	global, _ := globals["Function"].(map[string]any)
	props, _ := fn["Properties"].(map[string]any)
	merged, err := eventbus.MergeGlobals(global, props, fn["IgnoreGlobals"])
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return merged
}

// rolePolicies returns, per function, the actions its role allows: its
// inline policies and the template's managed policies attached to it (by
// the role's ManagedPolicyArns or the policy's Roles).
func rolePolicies(t *testing.T) map[string][]string {
	t.Helper()
	res := readTemplate(t)["Resources"].(map[string]any)
	out := map[string][]string{}
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::Serverless::Function" {
			continue
		}
		props, _ := m["Properties"].(map[string]any)
		ref, _ := props["Role"].(string) // !GetAtt Role.Arn decodes as "Role.Arn"
		roleID := strings.TrimSuffix(ref, ".Arn")
		role, ok := res[roleID].(map[string]any)
		if !ok {
			continue
		}
		sts := statements(role)
		for _, p := range attachedPolicies(t, res, roleID) {
			sts = append(sts, statements(res[p].(map[string]any))...)
		}
		for _, st := range sts {
			if st["Effect"] == "Allow" {
				out[id] = append(out[id], actions(st)...)
			}
		}
	}
	return out
}

// awsManagedPolicies are the AWS managed policies a role may have: only the
// basic execution role, for the function's own logs. Its actions are not the
// code's calls and are not counted.
var awsManagedPolicies = map[string]bool{
	"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": true,
}

// attachedPolicies are the template's managed policies attached to a role.
// A role that names any other managed policy than the basic execution role
// fails the test: what that grants is not checked here.
func attachedPolicies(t *testing.T, res map[string]any, roleID string) []string {
	t.Helper()
	attached := map[string]bool{}
	props, _ := res[roleID].(map[string]any)["Properties"].(map[string]any)
	arns, _ := props["ManagedPolicyArns"].([]any)
	for _, a := range arns {
		s, _ := a.(string) // !Ref Policy decodes as "Policy"
		if awsManagedPolicies[s] {
			continue
		}
		if p, ok := res[s].(map[string]any); !ok || p["Type"] != "AWS::IAM::ManagedPolicy" {
			t.Errorf("role %s has managed policy %v, which is neither the template's nor one this test knows", roleID, a)
			continue
		}
		attached[s] = true
	}
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::IAM::ManagedPolicy" {
			continue
		}
		pp, _ := m["Properties"].(map[string]any)
		roles, _ := pp["Roles"].([]any)
		if slices.Contains(roles, any(roleID)) {
			attached[id] = true
		}
	}
	out := make([]string, 0, len(attached))
	for id := range attached {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// statements returns the statements of a role's inline policies or of a
// managed policy. A statement under `!If [Condition, statement, !Ref
// AWS::NoValue]` (decoded as that list) counts as granted: the role holds it
// when the condition is chosen.
func statements(resource map[string]any) []map[string]any {
	var out []map[string]any
	for _, s := range rawStatements(resource) {
		switch st := s.(type) {
		case map[string]any:
			out = append(out, st)
		case []any:
			if len(st) == 3 {
				if m, ok := st[1].(map[string]any); ok {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

func rawStatements(resource map[string]any) []any {
	props, _ := resource["Properties"].(map[string]any)
	docs := []any{props["PolicyDocument"]} // a managed policy's
	pols, _ := props["Policies"].([]any)   // a role's inline ones
	for _, p := range pols {
		docs = append(docs, p.(map[string]any)["PolicyDocument"])
	}
	var out []any
	for _, d := range docs {
		doc, _ := d.(map[string]any)
		sts, _ := doc["Statement"].([]any)
		out = append(out, sts...)
	}
	return out
}

// TestDeletingVersionsIsGrantedOnlyWhenChosen: lambda:DeleteFunction cannot
// be undone, so the roles that may delete an untrusted version hold it only
// under the DeleteVersions condition (DeleteUntrustedVersions=true), and
// only on qualified function ARNs (function:name:version), so that no
// whole function can be deleted.
func TestDeletingVersionsIsGrantedOnlyWhenChosen(t *testing.T) {
	doc := readTemplate(t)
	res := doc["Resources"].(map[string]any)
	granted := map[string]bool{}
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::IAM::Role" && m["Type"] != "AWS::IAM::ManagedPolicy" {
			continue
		}
		for _, s := range rawStatements(m) {
			if st, ok := s.(map[string]any); ok && st["Effect"] == "Allow" && slices.Contains(actions(st), "lambda:DeleteFunction") {
				t.Errorf("%s grants lambda:DeleteFunction unconditionally", id)
			}
			cond, ok := s.([]any)
			if !ok || len(cond) != 3 {
				continue
			}
			st, _ := cond[1].(map[string]any)
			if !slices.Contains(actions(st), "lambda:DeleteFunction") {
				continue
			}
			granted[id] = true
			if cond[0] != "DeleteVersions" || cond[2] != "AWS::NoValue" {
				t.Errorf("%s grants lambda:DeleteFunction under %v, else %v; want DeleteVersions, else nothing", id, cond[0], cond[2])
			}
			if r, _ := st["Resource"].(string); !strings.HasSuffix(r, ":function:*:*") {
				t.Errorf("%s grants lambda:DeleteFunction on %v, want qualified function ARNs only", id, st["Resource"])
			}
		}
	}
	for _, role := range []string{"LambdaGuardRole", "SweepWorkerRole"} {
		if !granted[role] {
			t.Errorf("%s cannot delete versions even when chosen", role)
		}
	}
	params := doc["Parameters"].(map[string]any)
	p, _ := params["DeleteUntrustedVersions"].(map[string]any)
	if p["Default"] != "false" {
		t.Errorf("DeleteUntrustedVersions defaults to %v, want false", p["Default"])
	}
	cond, _ := doc["Conditions"].(map[string]any)["DeleteVersions"].([]any)
	if len(cond) != 2 || cond[0] != "DeleteUntrustedVersions" || cond[1] != "true" {
		t.Errorf("condition DeleteVersions = %v, want DeleteUntrustedVersions equal to true", cond)
	}
}

func actions(st map[string]any) []string {
	switch a := st["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

func set(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func diff(want, got map[string]bool) (missing, spare []string) {
	for w := range want {
		if !got[w] {
			missing = append(missing, w)
		}
	}
	for g := range got {
		if !want[g] {
			spare = append(spare, g)
		}
	}
	sort.Strings(missing)
	sort.Strings(spare)
	return missing, spare
}
