package templatecheck

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// functionARNPrefix is how template.yaml spells the stack's function ARNs
// (the !Sub text, as the YAML decodes it).
const functionARNPrefix = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"

// onBehalf are the statements Lambda or another service uses with the role
// outside the function's code, where Lambda sets no lambda:SourceFunctionArn
// (Lambda docs, "Using source function ARN to control function access
// behavior"): the on-failure destination, the SQS event source's polling,
// KMS behind SNS and SQS, and what CodeGuru Reviewer does with the caller's
// session when it associates a repository.
var onBehalf = map[string]bool{
	"OnFailureDestination": true, "ReceiveBatches": true, "EncryptAlertsAndQueues": true,
	"CodeGuruTagsTheRepository": true, "CodeGuruManagedRules": true, "CodeGuruServiceRole": true,
}

// functionsAndRoles returns, per function of the template, its FunctionName
// (as written) and its role's logical id.
func functionsAndRoles(t *testing.T) map[string][2]string {
	t.Helper()
	res := readTemplate(t)["Resources"].(map[string]any)
	out := map[string][2]string{}
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::Serverless::Function" {
			continue
		}
		props := m["Properties"].(map[string]any)
		name, _ := props["FunctionName"].(string)
		role, _ := props["Role"].(string)
		out[id] = [2]string{name, strings.TrimSuffix(role, ".Arn")}
	}
	return out
}

// roleStatements returns a role's inline statements and those of the
// template's managed policies attached to it.
func roleStatements(t *testing.T, role string) []map[string]any {
	t.Helper()
	res := readTemplate(t)["Resources"].(map[string]any)
	m, ok := res[role].(map[string]any)
	if !ok {
		t.Fatalf("no role %s", role)
	}
	out := statements(m)
	for _, p := range attachedPolicies(t, res, role) {
		out = append(out, statements(res[p].(map[string]any))...)
	}
	return out
}

// TestAGuardCredentialWorksOnlyInItsOwnFunction: every permission the
// function's code uses holds only when Lambda says the call comes from that
// function (lambda:SourceFunctionArn). Another function given the role, and
// credentials taken out of the function, get nothing of it.
func TestAGuardCredentialWorksOnlyInItsOwnFunction(t *testing.T) {
	for fn, nr := range functionsAndRoles(t) {
		t.Run(fn, func(t *testing.T) {
			want := functionARNPrefix + nr[0]
			for _, st := range roleStatements(t, nr[1]) {
				sid, _ := st["Sid"].(string)
				if st["Effect"] != "Allow" || onBehalf[sid] {
					continue
				}
				cond, _ := st["Condition"].(map[string]any)
				eq, _ := cond["ArnEquals"].(map[string]any)
				// Its own function, or (a policy all of them share) one of the
				// stack's four functions, its own among them.
				got := eq["lambda:SourceFunctionArn"]
				switch v := got.(type) {
				case string:
					if v != want {
						t.Errorf("statement %s: lambda:SourceFunctionArn %q, want %q", sid, v, want)
					}
				case []any:
					if len(v) != len(functionsAndRoles(t)) || !slices.Contains(v, any(want)) {
						t.Errorf("statement %s: lambda:SourceFunctionArn %v, want the stack's functions, %q among them", sid, v, want)
					}
				default:
					t.Errorf("statement %s holds without lambda:SourceFunctionArn", sid)
				}
			}
		})
	}
}

// TestKeyUseGoesThroughSNSOrSQSOnly: the statements left without the source
// function's condition may use the alert key only through SNS and SQS.
func TestKeyUseGoesThroughSNSOrSQSOnly(t *testing.T) {
	for fn, nr := range functionsAndRoles(t) {
		for _, st := range roleStatements(t, nr[1]) {
			if !strings.HasPrefix(strings.Join(actions(st), " "), "kms:") {
				continue
			}
			cond, _ := st["Condition"].(map[string]any)
			eq, _ := cond["StringEquals"].(map[string]any)
			via, _ := eq["kms:ViaService"].([]any)
			var got []string
			for _, v := range via {
				got = append(got, v.(string))
			}
			sort.Strings(got)
			if strings.Join(got, ",") != "sns.${AWS::Region}.amazonaws.com,sqs.${AWS::Region}.amazonaws.com" {
				t.Errorf("%s: %s uses the key via %v, want SNS and SQS only", fn, st["Sid"], got)
			}
		}
	}
}

// exposureWrites only take away an exposure someone added (a public
// permission, an open URL, a foreign queue, recursion allowed): the exposure
// guard may take it away from the stack's own functions too.
var exposureWrites = map[string]bool{
	"lambda:RemovePermission": true, "lambda:UpdateFunctionUrlConfig": true,
	"lambda:PutFunctionRecursionConfig": true, "lambda:UpdateEventSourceMapping": true,
}

// TestNoRoleMayWriteToTheStacksOwnFunctions: a role that may change
// functions is denied every change of code, configuration, release,
// concurrency or code signing on each of the stack's functions, qualified
// or not, and may attach only the configured code signing config.
func TestNoRoleMayWriteToTheStacksOwnFunctions(t *testing.T) {
	own := functionsAndRoles(t)
	for fn, nr := range own {
		t.Run(fn, func(t *testing.T) {
			writes := map[string]bool{}
			var deny, attach map[string]any
			for _, st := range roleStatements(t, nr[1]) {
				switch {
				case st["Sid"] == "NeverActOnItself":
					deny = st
				case st["Sid"] == "AttachOnlyTheConfiguredCodeSigningConfig":
					attach = st
				case st["Effect"] == "Allow":
					for _, a := range actions(st) {
						if strings.HasPrefix(a, "lambda:Update") || strings.HasPrefix(a, "lambda:Put") {
							writes[a] = true
						}
					}
				}
			}
			if len(writes) == 0 {
				return
			}
			if deny == nil || deny["Effect"] != "Deny" {
				t.Fatalf("may write %v with no NeverActOnItself deny", writes)
			}
			denied := set(actions(deny))
			for a := range writes {
				if exposureWrites[a] {
					continue
				}
				if !denied[a] {
					t.Errorf("%s is not denied on the stack's own functions", a)
				}
			}
			resources := map[string]bool{}
			for _, r := range deny["Resource"].([]any) {
				resources[r.(string)] = true
			}
			for _, other := range own {
				arn := functionARNPrefix + other[0]
				if !resources[arn] || !resources[arn+":*"] {
					t.Errorf("the deny does not cover %s and its versions and aliases", arn)
				}
			}
			cond, _ := attach["Condition"].(map[string]any)
			ne, _ := cond["StringNotEquals"].(map[string]any)
			if attach["Effect"] != "Deny" || ne["lambda:CodeSigningConfigArn"] != "CodeSigningConfigArn" {
				t.Errorf("attaching a code signing config other than the CodeSigningConfigArn parameter is not denied: %v", attach)
			}
		})
	}
}

// TestTheEnvironmentNamesEveryOwnFunctionAndRole: the settings the guards
// read name all four of the stack's functions and roles, so none of them is
// acted on and no other function may borrow any of their roles.
func TestTheEnvironmentNamesEveryOwnFunctionAndRole(t *testing.T) {
	doc := readTemplate(t)
	vars := doc["Globals"].(map[string]any)["Function"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
	fns := strings.Split(vars["SELFGUARD_GUARD_FUNCTION_ARNS"].(string), ",")
	roles := strings.Split(vars["SELFGUARD_STACK_ROLE_ARNS"].(string), ",")
	res := doc["Resources"].(map[string]any)
	for id, nr := range functionsAndRoles(t) {
		if !contains(fns, functionARNPrefix+nr[0]) {
			t.Errorf("SELFGUARD_GUARD_FUNCTION_ARNS lacks %s (%s)", nr[0], id)
		}
		roleName := res[nr[1]].(map[string]any)["Properties"].(map[string]any)["RoleName"].(string)
		if !contains(roles, "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"+roleName) {
			t.Errorf("SELFGUARD_STACK_ROLE_ARNS lacks %s (%s)", roleName, nr[1])
		}
	}
	if vars["SELFGUARD_GUARD_SIGNING_PROFILE"] != "GuardSigningProfileVersionArn" {
		t.Error("SELFGUARD_GUARD_SIGNING_PROFILE is not the GuardSigningProfileVersionArn parameter")
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
