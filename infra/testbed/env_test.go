package testbed

import (
	"reflect"
	"testing"

	"github.com/selfguard/selfguard/infra/eventbus"
)

func TestEnvironmentIsTheTemplatesThenTheLocalAccountsThenOverrides(t *testing.T) {
	cfg := eventbus.FunctionConfig{Environment: map[string]string{
		"SELFGUARD_CONCURRENCY": "2", "SELFGUARD_LAMBDA_RATE": "5", "AWS_REGION": "us-east-1",
	}}
	local := []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:1"}
	got := Environment(cfg, local, map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:2"})
	want := []string{
		"AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:2",         // an override (an outage) wins
		"AWS_REGION=eu-west-1",                               // the local account's
		"SELFGUARD_CONCURRENCY=2", "SELFGUARD_LAMBDA_RATE=5", // the template's, untouched
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("environment\n got %v\nwant %v", got, want)
	}
}
