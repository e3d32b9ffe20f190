package templatecheck

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/selfguard/selfguard/shared/alert"
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

func lambdaGuardActions() []string { return lambdaguard.Permissions() }

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
		"LambdaGuardFunction": guardAll(lambdaGuardActions(), alert.Permissions, ledger.Permissions, encrypted, onFailure),
		"RepoGuardFunction":   guardAll(repoGuardActions(), alert.Permissions, ledger.Permissions, encrypted, onFailure),
		// The lister sends batches (sqs:SendMessage, also its on-failure
		// destination) and records the run.
		"SweepFunction": guardAll(sweep.ListerPermissions, sweep.RunPermissions, alert.Permissions, []string{"dynamodb:Query"}, encrypted, onFailure),
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
// function ARNs of the account and region, never "*".
func TestWritesAreScopedToFunctions(t *testing.T) {
	doc := readTemplate(t)
	res := doc["Resources"].(map[string]any)
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::IAM::Role" {
			continue
		}
		for _, st := range statements(m) {
			for _, a := range actions(st) {
				if strings.HasPrefix(a, "lambda:Update") || strings.HasPrefix(a, "lambda:Put") {
					if r, _ := st["Resource"].(string); r == "*" || !strings.Contains(r, ":function:") {
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

// rolePolicies returns, per function, the actions its role's inline
// policies allow.
func rolePolicies(t *testing.T) map[string][]string {
	doc := readTemplate(t)
	res := doc["Resources"].(map[string]any)
	out := map[string][]string{}
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::Serverless::Function" {
			continue
		}
		props, _ := m["Properties"].(map[string]any)
		ref, _ := props["Role"].(string) // !GetAtt Role.Arn decodes as "Role.Arn"
		role, ok := res[strings.TrimSuffix(ref, ".Arn")].(map[string]any)
		if !ok {
			continue
		}
		for _, st := range statements(role) {
			if st["Effect"] == "Allow" {
				out[id] = append(out[id], actions(st)...)
			}
		}
	}
	return out
}

func statements(role map[string]any) []map[string]any {
	props, _ := role["Properties"].(map[string]any)
	pols, _ := props["Policies"].([]any)
	var out []map[string]any
	for _, p := range pols {
		doc, _ := p.(map[string]any)["PolicyDocument"].(map[string]any)
		sts, _ := doc["Statement"].([]any)
		for _, s := range sts {
			out = append(out, s.(map[string]any))
		}
	}
	return out
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
