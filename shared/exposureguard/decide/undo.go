package decide

import (
	"strconv"
	"strings"

	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/lambdaarn"
)

// Shell quotes a word for a POSIX shell: as it is when it holds only
// characters no shell treats specially, else in single quotes.
func Shell(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func command(words ...string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if strings.HasPrefix(w, "--") || i < 3 {
			out[i] = w
			continue
		}
		out[i] = Shell(w)
	}
	return strings.Join(out, " ")
}

// addPermission returns the AddPermission arguments that write the
// statement again, exactly, or ok false when AddPermission cannot write it
// (several principals or actions, a condition AddPermission has no
// parameter for: a policy written with PutResourcePolicy).
func addPermission(st snapshot.Statement) (args []string, ok bool) {
	if st.Sid == "" || !st.Allows() || st.NotPrincipal || st.NotAction || len(st.Principals) != 1 || len(st.Actions) != 1 {
		return nil, false
	}
	p := st.Principals[0]
	principal := p.Value
	switch p.Type {
	case snapshot.Anyone:
		principal = "*"
	case snapshot.PrincipalAWS:
		// AddPermission writes an account id as its root ARN.
		if a := lambdaarn.Account(p.Value); a != "" && p.Value == "arn:aws:iam::"+a+":root" {
			principal = a
		}
	case snapshot.PrincipalSvc:
	default:
		return nil, false
	}
	args = []string{"--statement-id", st.Sid, "--action", st.Actions[0], "--principal", principal}
	params := map[string]string{
		"arnlike aws:sourcearn":                   "--source-arn",
		"stringequals aws:sourceaccount":          "--source-account",
		"stringequals aws:principalorgid":         "--principal-org-id",
		"stringequals lambda:eventsourcetoken":    "--event-source-token",
		"stringequals lambda:functionurlauthtype": "--function-url-auth-type",
	}
	for _, c := range st.Conditions {
		key := strings.ToLower(c.Operator + " " + c.Key)
		if len(c.Values) != 1 {
			return nil, false
		}
		if key == "bool lambda:invokedviafunctionurl" && c.Values[0] == "true" {
			args = append(args, "--invoked-via-function-url")
			continue
		}
		flag, known := params[key]
		if !known {
			return nil, false
		}
		args = append(args, flag, c.Values[0])
	}
	return args, true
}

// undoRemovePermission says how to put a removed statement back.
func undoRemovePermission(function, qualifier string, st snapshot.Statement) string {
	args, ok := addPermission(st)
	if !ok {
		return "put the statement back as the alert shows it, with `aws lambda put-resource-policy` on " + function +
			" (AddPermission cannot write it)"
	}
	words := []string{"aws", "lambda", "add-permission", "--function-name", function}
	if qualifier != "" {
		words = append(words, "--qualifier", qualifier)
	}
	return command(append(words, args...)...)
}

// undoRemoveLayerPermission says how to share a layer version again as
// the removed statement did.
func undoRemoveLayerPermission(l snapshot.LayerVersion, st snapshot.Statement) string {
	words := []string{"aws", "lambda", "add-layer-version-permission", "--layer-name", l.Name,
		"--version-number", itoa(l.Version), "--statement-id", st.Sid, "--action", "lambda:GetLayerVersion"}
	principal := "*"
	for _, p := range st.Principals {
		if p.Type == snapshot.PrincipalAWS {
			principal = p.Value
			if a := lambdaarn.Account(p.Value); a != "" && p.Value == "arn:aws:iam::"+a+":root" {
				principal = a
			}
		}
	}
	words = append(words, "--principal", principal)
	for _, c := range st.Conditions {
		if strings.EqualFold(c.Key, "aws:PrincipalOrgID") && len(c.Values) == 1 {
			words = append(words, "--organization-id", c.Values[0])
		}
	}
	return command(words...)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
