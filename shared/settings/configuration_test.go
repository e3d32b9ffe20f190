package settings

import "testing"

func TestTrustedLayerAccountsAndLoaderVariablesAreRead(t *testing.T) {
	env := map[string]string{
		EnvTrustedLayerAccounts: "444455556666, 777788889999",
		EnvTrustedLoaderVars:    "AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument; JAVA_TOOL_OPTIONS=-javaagent:/opt/a.jar,-Dx=1\nNODE_OPTIONS=",
		EnvSweepQueueURL:        "https://sqs.eu-west-1.amazonaws.com/111122223333/selfguard-sweep",
	}
	s, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TrustedLayerAccounts) != 2 || len(s.TrustedLoaderVariables) != 3 || s.SweepQueueURL == "" {
		t.Fatalf("settings %+v", s)
	}
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"own account's layer", s.LayerAccountTrusted("111122223333", "111122223333"), true},
		{"listed account's layer", s.LayerAccountTrusted("777788889999", "111122223333"), true},
		{"other account's layer", s.LayerAccountTrusted("999988887777", "111122223333"), false},
		{"listed wrapper with its value", s.LoaderVariableTrusted("AWS_LAMBDA_EXEC_WRAPPER", "/opt/otel-instrument"), true},
		{"listed wrapper with another value", s.LoaderVariableTrusted("AWS_LAMBDA_EXEC_WRAPPER", "/tmp/w"), false},
		{"a value holding a comma", s.LoaderVariableTrusted("JAVA_TOOL_OPTIONS", "-javaagent:/opt/a.jar,-Dx=1"), true},
		{"listed empty value", s.LoaderVariableTrusted("NODE_OPTIONS", ""), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestMalformedLayerAccountsAndLoaderVariablesAreRefused(t *testing.T) {
	for _, env := range []map[string]string{
		{EnvTrustedLayerAccounts: "12345"},
		{EnvTrustedLayerAccounts: "abcdefabcdef"},
		{EnvTrustedLoaderVars: "NODE_OPTIONS"},
		{EnvTrustedLoaderVars: "=x"},
	} {
		if _, err := FromEnv(func(k string) string { return env[k] }); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}
