package decide

import (
	"strings"

	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

// Layer judges with whom a layer version is shared. A statement naming
// everyone is public unless limited to an organization (what
// AddLayerVersionPermission's OrganizationId writes).
func Layer(l snapshot.LayerVersion, cfg settings.Settings) finding.Decision {
	d := decision{cfg: cfg.Exposure}
	for _, st := range l.Statements {
		g := Judge(st, l.Account, cfg.Exposure)
		if !g.Exposes() {
			continue
		}
		rule, whom := rules.PublicLayer, "every AWS account"
		if !g.Public {
			rule, whom = rules.LayerUntrustedShare, strings.Join(g.Untrusted, ", ")
		}
		ref := l.Ref() + "#" + st.Sid
		fd := rules.Finding(rule, ref, l.ARN, "layer "+l.Ref()+" is shared with "+whom+" (statement "+st.Sid+")",
			"Grants "+g.Why+". Statement: "+st.Raw)
		names := append([]string{l.Ref(), l.Name}, g.Grantees...)
		if st.Sid == "" {
			d.add(fd, names)
			continue
		}
		d.add(fd, names, finding.Action{
			Kind: rules.ActionRemoveLayerPermission, Resource: ref,
			Params: map[string]string{ParamLayer: l.Name, ParamLayerVersion: itoa(l.Version), ParamStatementID: st.Sid,
				ParamRevisionID: l.RevisionID, ParamStatement: st.Raw},
			Summary: "remove statement " + st.Sid + " from the policy of layer " + l.Ref(),
			Undo:    undoRemoveLayerPermission(l, st),
		})
	}
	return cfg.Mute(d.Decision, cfg.Now())
}

// Mapping judges an event source mapping: a queue or stream of an
// account that is not trusted may feed the function whatever it likes.
// Sources without an account in their ARN (self-managed Kafka) are not
// judged.
func Mapping(m snapshot.Mapping, cfg settings.Settings) finding.Decision {
	d := decision{cfg: cfg.Exposure}
	src := lambdaarn.Account(m.EventSourceARN)
	if !m.Delivering() || src == "" || cfg.Exposure.TrustedAccount(m.Account(), src) {
		return d.Decision
	}
	fn, _ := lambdaarn.SplitFunction(m.FunctionARN)
	d.add(rules.Finding(rules.UntrustedEventSource, m.UUID, m.ARN,
		fn+" is fed by "+m.EventSourceARN+" of account "+src+", which is not trusted",
		"Event source mapping "+m.UUID+" ("+m.State+") invokes "+m.FunctionARN+" with what that account puts in the source."),
		[]string{fn, m.EventSourceARN},
		finding.Action{
			Kind: rules.ActionDisableMapping, Resource: m.UUID,
			Params:  map[string]string{ParamUUID: m.UUID, ParamFunction: fn},
			Summary: "disable event source mapping " + m.UUID + " of " + fn,
			Undo:    command("aws", "lambda", "update-event-source-mapping", "--uuid", m.UUID, "--enabled"),
		})
	return cfg.Mute(d.Decision, cfg.Now())
}
