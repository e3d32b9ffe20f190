package templatecheck

import "testing"

// TestInstancesOfAGuardShareItsLambdaRate: each function that calls
// Lambda's shared control plane has a reserved concurrency, and tells its
// instances that number (SELFGUARD_CONCURRENCY) so each takes only its share
// of LambdaRate; a burst of changes then cannot scale the guard past the
// rate the operator configured and starve the account's own deploys.
func TestInstancesOfAGuardShareItsLambdaRate(t *testing.T) {
	doc := readTemplate(t)
	for _, id := range []string{"LambdaGuardFunction", "SweepWorkerFunction"} {
		p := functionProperties(t, doc, id)
		reserved, _ := p["ReservedConcurrentExecutions"].(string) // !Ref X decodes as "X"
		env, _ := p["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		told, _ := vars["SELFGUARD_CONCURRENCY"].(string)
		if reserved == "" || told != reserved {
			t.Errorf("%s: reserved concurrency %q, SELFGUARD_CONCURRENCY %q; want both set to the same parameter", id, reserved, told)
		}
	}
}
