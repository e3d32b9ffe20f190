package exposureguard_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// words splits a command as a POSIX shell does for the quoting the undo
// commands use: bare words, single quotes, and the '\” idiom.
func words(t *testing.T, cmd string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	in, started := false, false
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case in && c == '\'':
			in = false
		case in:
			cur.WriteByte(c)
		case c == '\'':
			in, started = true, true
		case c == '\\' && i+1 < len(cmd):
			i++
			cur.WriteByte(cmd[i])
			started = true
		case c == ' ':
			if started {
				out = append(out, cur.String())
				cur.Reset()
				started = false
			}
		case strings.ContainsRune("*?$`\"|;&<>(){}[]", rune(c)):
			t.Fatalf("unquoted %q in %s: a shell would read it", c, cmd)
		default:
			cur.WriteByte(c)
			started = true
		}
	}
	if in {
		t.Fatalf("unterminated quote in %s", cmd)
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

// runUndo carries out an undo command with the SDK, as the AWS CLI would,
// word for word: a test that the command an alert gives is exact.
func runUndo(t *testing.T, l *lambda.Client, cmd string) {
	t.Helper()
	w := words(t, cmd)
	if len(w) < 3 || w[0] != "aws" || w[1] != "lambda" {
		t.Fatalf("undo %q is not an aws lambda command", cmd)
	}
	flags := map[string]string{}
	for i := 3; i < len(w); i++ {
		if !strings.HasPrefix(w[i], "--") {
			t.Fatalf("undo %q: %q is not a flag", cmd, w[i])
		}
		if i+1 < len(w) && !strings.HasPrefix(w[i+1], "--") {
			flags[w[i]] = w[i+1]
			i++
		} else {
			flags[w[i]] = "true"
		}
	}
	opt := func(k string) *string {
		if v, ok := flags[k]; ok {
			return aws.String(v)
		}
		return nil
	}
	ctx := context.Background()
	var err error
	switch w[2] {
	case "add-permission":
		_, err = l.AddPermission(ctx, &lambda.AddPermissionInput{
			FunctionName: opt("--function-name"), Qualifier: opt("--qualifier"), StatementId: opt("--statement-id"),
			Action: opt("--action"), Principal: opt("--principal"), SourceArn: opt("--source-arn"), SourceAccount: opt("--source-account"),
			PrincipalOrgID: opt("--principal-org-id"), EventSourceToken: opt("--event-source-token"),
			FunctionUrlAuthType:   types.FunctionUrlAuthType(flags["--function-url-auth-type"]),
			InvokedViaFunctionUrl: boolFlag(flags, "--invoked-via-function-url"),
		})
	case "update-function-url-config":
		in := &lambda.UpdateFunctionUrlConfigInput{FunctionName: opt("--function-name"), Qualifier: opt("--qualifier"),
			AuthType: types.FunctionUrlAuthType(flags["--auth-type"])}
		if c, ok := flags["--cors"]; ok {
			in.Cors = &types.Cors{}
			if err := json.Unmarshal([]byte(c), in.Cors); err != nil {
				t.Fatalf("undo %q: --cors: %v", cmd, err)
			}
		}
		_, err = l.UpdateFunctionUrlConfig(ctx, in)
	case "add-layer-version-permission":
		v, _ := strconv.ParseInt(flags["--version-number"], 10, 64)
		_, err = l.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{
			LayerName: opt("--layer-name"), VersionNumber: aws.Int64(v), StatementId: opt("--statement-id"),
			Action: opt("--action"), Principal: opt("--principal"), OrganizationId: opt("--organization-id")})
	case "update-event-source-mapping":
		_, err = l.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: opt("--uuid"), Enabled: aws.Bool(flags["--enabled"] == "true")})
	case "put-function-recursion-config":
		_, err = l.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{FunctionName: opt("--function-name"),
			RecursiveLoop: types.RecursiveLoop(flags["--recursive-loop"])})
	default:
		t.Fatalf("undo %q: no runner for %s", cmd, w[2])
	}
	if err != nil {
		t.Fatalf("undo %q: %v", cmd, err)
	}
}

func boolFlag(flags map[string]string, k string) *bool {
	if _, ok := flags[k]; !ok {
		return nil
	}
	return aws.Bool(true)
}
