package decide

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

// Params keys. The actions use them so:
//   - rules.ActionRemovePermission: function, qualifier, statementId, revisionId, statement
//   - rules.ActionURLRequireIAM: function, qualifier, previousAuthType
//   - rules.ActionURLCorsNoCredentials: function, qualifier, previousCors (JSON)
//   - rules.ActionRemoveLayerPermission: layer, layerVersion, statementId, revisionId, statement
//   - rules.ActionDisableMapping: uuid, function
//   - rules.ActionRecursionTerminate: function
const (
	ParamFunction     = "function"
	ParamQualifier    = "qualifier"
	ParamStatementID  = "statementId"
	ParamRevisionID   = "revisionId"
	ParamStatement    = "statement"
	ParamPreviousAuth = "previousAuthType"
	ParamPreviousCors = "previousCors"
	ParamLayer        = "layer"
	ParamLayerVersion = "layerVersion"
	ParamUUID         = "uuid"
)

// Function judges who can reach a function: the statements of every
// policy read, its URLs and its recursive loop setting. Exempt findings
// are left out.
func Function(f snapshot.Function, cfg settings.Settings) finding.Decision {
	var d decision
	d.cfg = cfg.Exposure
	viaURL := map[string][]snapshot.Statement{}
	for _, p := range f.Policies {
		for _, st := range p.Statements {
			g := Judge(st, f.Account, cfg.Exposure)
			if g.Public && g.Through != Directly {
				// Only a URL of the same holder can use it: judged with the URL.
				viaURL[p.Qualifier] = append(viaURL[p.Qualifier], st)
				continue
			}
			if g.Exposes() {
				d.statement(f, p, st, g)
			}
		}
	}
	for _, u := range f.URLs {
		d.url(f, u, viaURL[u.Qualifier])
	}
	if f.RecursionRead && f.RecursiveLoop == snapshot.RecursionAllow {
		d.add(rules.Finding(rules.RecursionAllowed, f.Name, f.ARN,
			"recursive loop detection is off for "+f.Name,
			"RecursiveLoop is Allow: Lambda lets a loop through SQS, SNS or S3 that invokes this function run on, and bills every round"),
			[]string{f.Name},
			finding.Action{Kind: rules.ActionRecursionTerminate, Resource: f.Name,
				Params:  map[string]string{ParamFunction: f.Name},
				Summary: "set the recursive loop setting of " + f.Name + " back to Terminate",
				Undo:    command("aws", "lambda", "put-function-recursion-config", "--function-name", f.Name, "--recursive-loop", "Allow")})
	}
	return cfg.Mute(d.Decision, cfg.Now())
}

// NeedsURLs reports whether a function's policies hold a public statement
// that only a function URL can use, so that its URLs must be read to
// judge it.
func NeedsURLs(f snapshot.Function, cfg settings.Settings) bool {
	if f.URLsRead {
		return false
	}
	for _, p := range f.Policies {
		for _, st := range p.Statements {
			if g := Judge(st, f.Account, cfg.Exposure); g.Public && g.Through != Directly {
				return true
			}
		}
	}
	return false
}

// decision collects findings, leaving out the exempt ones.
type decision struct {
	finding.Decision
	cfg settings.Exposure
}

func (d *decision) add(f finding.Finding, names []string, actions ...finding.Action) {
	if _, exempt := d.cfg.Exempt(f.Rule, append([]string{f.Resource}, names...)...); exempt {
		return
	}
	d.Findings = append(d.Findings, f)
	for _, a := range actions {
		a.For = []finding.RuleID{f.Rule}
		a.Done = rules.Done(a.Kind)
		d.Actions = append(d.Actions, a)
	}
}

func holderARN(f snapshot.Function, qualifier string) string {
	if qualifier == "" {
		return f.ARN
	}
	return f.ARN + ":" + qualifier
}

func (d *decision) statement(f snapshot.Function, p snapshot.Policy, st snapshot.Statement, g Grant) {
	ref := f.Ref(p.Qualifier)
	rule, whom := rules.PublicInvoke, "anyone"
	if !g.Public {
		rule, whom = rules.UntrustedAccount, strings.Join(g.Untrusted, ", ")
	}
	sid := st.Sid
	if sid == "" {
		sid = "(no Sid)"
	}
	fd := rules.Finding(rule, ref+"#"+sid, holderARN(f, p.Qualifier),
		fmt.Sprintf("%s may call %s on %s (statement %s)", whom, strings.Join(st.Actions, ","), ref, sid),
		"Grants "+g.Why+". Statement: "+st.Raw)
	if st.Sid == "" {
		fd.Detail += ". It has no Sid, so RemovePermission cannot name it: remove it with put-resource-policy"
		d.add(fd, append([]string{f.Name}, g.Grantees...))
		return
	}
	d.add(fd, append([]string{f.Name}, g.Grantees...), finding.Action{
		Kind: rules.ActionRemovePermission, Resource: ref + "#" + st.Sid,
		Params: map[string]string{ParamFunction: f.Name, ParamQualifier: p.Qualifier, ParamStatementID: st.Sid,
			ParamRevisionID: p.RevisionID, ParamStatement: st.Raw},
		Summary: "remove statement " + st.Sid + " from the policy of " + ref,
		Undo:    undoRemovePermission(f.Name, p.Qualifier, st),
	})
}

func (d *decision) url(f snapshot.Function, u snapshot.URL, public []snapshot.Statement) {
	ref := f.Ref(u.Qualifier)
	flags := []string{"aws", "lambda", "update-function-url-config", "--function-name", f.Name}
	if u.Qualifier != "" {
		flags = append(flags, "--qualifier", u.Qualifier)
	}
	if u.AuthType == snapshot.AuthNone {
		fd := rules.Finding(rules.PublicURL, ref, holderARN(f, u.Qualifier),
			"the function URL of "+ref+" authenticates no caller (AuthType NONE)", "URL "+u.URL+".")
		if len(public) > 0 {
			fd.Severity = finding.SeverityCritical
			fd.Summary = "anyone on the internet may call " + ref + " through its function URL (AuthType NONE)"
			for _, st := range public {
				fd.Detail += " Statement: " + st.Raw
			}
		} else {
			fd.Detail += " No statement grants it publicly yet, so calls are refused until one does."
		}
		d.add(fd, []string{f.Name}, finding.Action{
			Kind: rules.ActionURLRequireIAM, Resource: ref,
			Params:  map[string]string{ParamFunction: f.Name, ParamQualifier: u.Qualifier, ParamPreviousAuth: u.AuthType},
			Summary: "set the AuthType of " + ref + "'s function URL to AWS_IAM",
			Undo:    command(append(flags, "--auth-type", snapshot.AuthNone)...),
		})
	}
	if c := u.Cors; c != nil && c.AllowCredentials && slices.Contains(c.AllowOrigins, "*") {
		prev, _ := json.Marshal(c)
		d.add(rules.Finding(rules.URLCorsCredentials, ref, holderARN(f, u.Qualifier),
			"the function URL of "+ref+" lets any web origin send credentials",
			"CORS "+string(prev)+": AllowOrigins has * and AllowCredentials is true."),
			[]string{f.Name},
			finding.Action{
				Kind: rules.ActionURLCorsNoCredentials, Resource: ref,
				Params:  map[string]string{ParamFunction: f.Name, ParamQualifier: u.Qualifier, ParamPreviousCors: string(prev)},
				Summary: "turn AllowCredentials off in the CORS settings of " + ref + "'s function URL",
				Undo:    command(append(flags, "--cors", string(prev))...),
			})
	}
}
