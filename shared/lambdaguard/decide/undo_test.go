package decide

import (
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/shellcmd/shelltest"
)

// flag returns the word after name in a command's words.
func flag(words []string, name string) (string, bool) {
	for i, w := range words {
		if w == name && i+1 < len(words) {
			return words[i+1], true
		}
	}
	return "", false
}

// TestEveryUndoIsACompleteCommandTheShellRunsAsWritten parses the undo
// command of every action kind with a real shell parser: it is an aws
// lambda command on the right function, in the function's region, and
// values the shell would expand ($LATEST, JSON) reach aws unchanged.
func TestEveryUndoIsACompleteCommandTheShellRunsAsWritten(t *testing.T) {
	odd := "pay$api"
	tests := []struct {
		name string
		snap func() snapshot.Snapshot
		kind finding.ActionKind
		op   string
		args map[string]string
	}{
		{"alias moved off $LATEST goes back to $LATEST", func() snapshot.Snapshot {
			s := base()
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: snapshot.Latest}}
			return s
		}, rules.ActionMoveAlias, "update-alias", map[string]string{"--name": "prod", "--function-version": "$LATEST"}},
		{"alias with weights gets its routing back as JSON", func() snapshot.Snapshot {
			s := base()
			s.Versions["7"] = unsigned("7", "u7")
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "3", AdditionalWeights: map[string]float64{"7": 0.25}}}
			return s
		}, rules.ActionMoveAlias, "update-alias", map[string]string{"--function-version": "3", "--routing-config": `{"AdditionalVersionWeights":{"7":0.25}}`}},
		{"code signing config attached where there was none", func() snapshot.Snapshot {
			s := base()
			s.CSC = nil
			return s
		}, rules.ActionAttachCSC, "delete-function-code-signing-config", nil},
		{"code signing config replaced", func() snapshot.Snapshot {
			s := base()
			s.CSC = &snapshot.CodeSigningConfig{ARN: theirCSC, AllowedPublishers: []string{trustedV1}, UntrustedArtifactOnDeployment: "Warn"}
			return s
		}, rules.ActionAttachCSC, "put-function-code-signing-config", map[string]string{"--code-signing-config-arn": theirCSC}},
		{"code restored", func() snapshot.Snapshot {
			s := base()
			s.Latest = unsigned(snapshot.Latest, "bad")
			return s
		}, rules.ActionRestoreCode, "update-function-code", map[string]string{"--zip-file": "fileb://replaced-package.zip"}},
		{"layers restored with the configuration", func() snapshot.Snapshot {
			s := base()
			s.Latest = withLayers(signed(snapshot.Latest, "L"), snapshot.Layer{ARN: layerFar})
			return s
		}, rules.ActionRestoreConfiguration, "update-function-configuration", map[string]string{"--layers": layerFar}},
		{"contained with no trusted version", func() snapshot.Snapshot {
			s := base()
			s.Name, s.ARN = odd, "arn:aws:lambda:eu-west-1:"+acct+":function:"+odd
			s.Latest = unsigned(snapshot.Latest, "bad")
			s.Versions = map[string]snapshot.Code{}
			return s
		}, rules.ActionContain, "delete-function-concurrency", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.snap()
			var undo string
			for _, a := range Decide(s, cfg()).Actions {
				if a.Kind == tt.kind {
					undo = a.Undo
				}
			}
			if undo == "" {
				t.Fatalf("no %s action", tt.kind)
			}
			cmds := shelltest.Words(t, undo)
			if len(cmds) != 1 {
				t.Fatalf("%q is %d commands", undo, len(cmds))
			}
			w := cmds[0]
			if strings.Join(w[:3], " ") != "aws lambda "+tt.op {
				t.Errorf("%q runs %v", undo, w[:3])
			}
			want := map[string]string{"--function-name": s.Name, "--region": "eu-west-1"}
			for k, v := range tt.args {
				want[k] = v
			}
			for k, v := range want {
				if got, ok := flag(w, k); !ok || got != v {
					t.Errorf("%q: %s is %q, want %q", undo, k, got, v)
				}
			}
		})
	}
}
