package eventbus

import (
	"reflect"
	"testing"
	"time"
)

func TestMergeGlobalsFollowsSAMsRules(t *testing.T) {
	globals := map[string]any{
		"Timeout":       120,
		"Architectures": []any{"arm64"},
		"Environment":   map[string]any{"Variables": map[string]any{"MODE": "monitor", "TOPIC": map[string]any{"Ref": "Topic"}}},
		"LoggingConfig": map[string]any{"LogFormat": "JSON"},
		"Role":          map[string]any{"Fn::GetAtt": []any{"GlobalRole", "Arn"}},
	}
	// globalsWith is globals with some properties replaced (nil: left out).
	globalsWith := func(changes map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range globals {
			out[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(out, k)
				continue
			}
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		props  map[string]any
		ignore any
		want   map[string]any
	}{
		{
			name:  "a function with nothing of its own gets every global",
			props: map[string]any{},
			want:  globals,
		},
		{
			name:  "the function's own scalar replaces the global one",
			props: map[string]any{"Timeout": 900},
			want:  globalsWith(map[string]any{"Timeout": 900}),
		},
		{
			name:  "environment variables merge and the function's win",
			props: map[string]any{"Environment": map[string]any{"Variables": map[string]any{"MODE": "enforce", "QUEUE": "q"}}},
			want: globalsWith(map[string]any{"Environment": map[string]any{"Variables": map[string]any{
				"MODE": "enforce", "QUEUE": "q", "TOPIC": map[string]any{"Ref": "Topic"}}}}),
		},
		{
			name:  "maps merge key by key",
			props: map[string]any{"LoggingConfig": map[string]any{"LogGroup": map[string]any{"Ref": "Logs"}}},
			want:  globalsWith(map[string]any{"LoggingConfig": map[string]any{"LogFormat": "JSON", "LogGroup": map[string]any{"Ref": "Logs"}}}),
		},
		{
			name:  "lists append the function's to the global ones",
			props: map[string]any{"Architectures": []any{"x86_64"}},
			want:  globalsWith(map[string]any{"Architectures": []any{"arm64", "x86_64"}}),
		},
		{
			name:  "an intrinsic function is one value, not a map to merge",
			props: map[string]any{"Role": map[string]any{"Ref": "OwnRole"}},
			want:  globalsWith(map[string]any{"Role": map[string]any{"Ref": "OwnRole"}}),
		},
		{
			name:   "IgnoreGlobals leaves the named globals out",
			props:  map[string]any{},
			ignore: []any{"LoggingConfig", "Environment"},
			want:   globalsWith(map[string]any{"LoggingConfig": nil, "Environment": nil}),
		},
		{
			name:   "IgnoreGlobals * leaves every global out",
			props:  map[string]any{"Timeout": 3},
			ignore: "*",
			want:   map[string]any{"Timeout": 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MergeGlobals(globals, tt.props, tt.ignore)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	if len(globals["Architectures"].([]any)) != 1 || len(globals["LoggingConfig"].(map[string]any)) != 1 {
		t.Errorf("MergeGlobals changed the globals: %v", globals)
	}
}

func TestMergeGlobalsRejectsWhatSAMRejects(t *testing.T) {
	globals := map[string]any{"Timeout": 120}
	for name, ignore := range map[string]any{
		"a property Globals does not set": []any{"MemorySize"},
		"a word other than *":             "all",
		"a mapping":                       map[string]any{"Timeout": true},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := MergeGlobals(globals, map[string]any{}, ignore); err == nil {
				t.Errorf("IgnoreGlobals %v accepted", ignore)
			}
		})
	}
}

// TestParseTemplateAppliesGlobalsToFunctions: what the bus and the test bed
// read of a function (its asynchronous invocation settings, its role and
// environment) comes from Globals unless the function sets or ignores it.
func TestParseTemplateAppliesGlobalsToFunctions(t *testing.T) {
	const template = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Mode: {Type: String, Default: monitor}
Globals:
  Function:
    EventInvokeConfig:
      MaximumRetryAttempts: 0
      MaximumEventAgeInSeconds: 600
    Environment:
      Variables:
        MODE: !Ref Mode
        ROLES: !Join [",", [!GetAtt ARole.Arn, !GetAtt BRole.Arn]]
        SHARED: global
        DROPPED: !Ref AWS::NoValue
Resources:
  ARole: {Type: AWS::IAM::Role, Properties: {RoleName: a-role}}
  BRole: {Type: AWS::IAM::Role, Properties: {RoleName: b-role}}
  A:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt ARole.Arn
      Environment: {Variables: {SHARED: own, ONLY_A: "1"}}
  B:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [EventInvokeConfig]
    Properties:
      Role: !GetAtt BRole.Arn
`
	tmpl, err := ParseTemplate([]byte(template), TemplateOptions{AccountID: testAccount, Parameters: map[string]string{"Mode": "enforce"}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := tmpl.Functions["A"], tmpl.Functions["B"]
	if a.MaximumRetryAttempts != 0 || a.MaximumEventAge != 10*time.Minute {
		t.Errorf("A's invocation settings %d retries, %v: want Globals' 0 and 10m", a.MaximumRetryAttempts, a.MaximumEventAge)
	}
	if b.MaximumRetryAttempts != 2 || b.MaximumEventAge != 6*time.Hour {
		t.Errorf("B ignores Globals' invocation settings, got %d retries, %v: want Lambda's defaults", b.MaximumRetryAttempts, b.MaximumEventAge)
	}
	roles := "arn:aws:iam::" + testAccount + ":role/a-role,arn:aws:iam::" + testAccount + ":role/b-role"
	wantA := map[string]string{"MODE": "enforce", "ROLES": roles, "SHARED": "own", "ONLY_A": "1"}
	wantB := map[string]string{"MODE": "enforce", "ROLES": roles, "SHARED": "global"}
	if !reflect.DeepEqual(a.Environment, wantA) {
		t.Errorf("A's environment %v, want %v", a.Environment, wantA)
	}
	if !reflect.DeepEqual(b.Environment, wantB) {
		t.Errorf("B's environment %v, want %v", b.Environment, wantB)
	}
	if a.Role != "arn:aws:iam::"+testAccount+":role/a-role" {
		t.Errorf("A's role %q", a.Role)
	}
}
