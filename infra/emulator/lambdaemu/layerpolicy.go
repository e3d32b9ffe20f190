package lambdaemu

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// layerPermission is one statement of a layer version's policy, kept as the
// AddLayerVersionPermission request that made it.
type layerPermission struct {
	StatementID    string `json:"StatementId"`
	Action         string
	Principal      string
	OrganizationID string `json:"OrganizationId"`
}

const layerAction = "lambda:GetLayerVersion"

var layerPrincipalRE = regexp.MustCompile(`^(\d{12}|\*|arn:aws[a-zA-Z-]*:iam::\d{12}:root)$`)

func (p layerPermission) validate() *awsproto.Error {
	if !statementIDRE.MatchString(p.StatementID) {
		return validationError(p.StatementID, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
	}
	if p.Action != layerAction {
		return validationError(p.Action, "action", "Member must satisfy regular expression pattern: lambda:GetLayerVersion")
	}
	if !layerPrincipalRE.MatchString(p.Principal) {
		return validationError(p.Principal, "principal", `Member must satisfy regular expression pattern: \d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root`)
	}
	if p.OrganizationID != "" && !orgIDRE.MatchString(p.OrganizationID) {
		return validationError(p.OrganizationID, "organizationId", "Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}")
	}
	return nil
}

func (p layerPermission) statement(resource string) policyStatement {
	st := policyStatement{Sid: p.StatementID, Effect: "Allow", Principal: principalOf(p.Principal), Action: p.Action, Resource: resource}
	if p.OrganizationID != "" {
		st.Condition = map[string]map[string]string{"StringEquals": {"aws:PrincipalOrgID": p.OrganizationID}}
	}
	return st
}

func layerPolicy(perms []layerPermission, resource string) policyDocument {
	doc := policyDocument{Version: "2012-10-17", ID: "default"}
	for _, p := range perms {
		doc.Statement = append(doc.Statement, p.statement(resource))
	}
	return doc
}

// layerVersionOf resolves the LayerName and VersionNumber labels; a
// version that does not exist is 404 with Lambda's message.
func (s *Service) layerVersionOf(rc *reqCtx) (*layer, *layerVersion, string, *awsproto.Error) {
	account, name, err := s.layerOf(rc.labels["LayerName"])
	if err != nil {
		return nil, nil, "", err
	}
	arn := fmt.Sprintf("%s:%s", s.layerARN(account, name), rc.labels["VersionNumber"])
	n, perr := strconv.ParseInt(rc.labels["VersionNumber"], 10, 64)
	l := s.layers[s.layerARN(account, name)]
	if perr != nil || l == nil || l.version(n) == nil {
		return nil, nil, "", awsproto.Errorf(404, "ResourceNotFoundException", "Layer version %s does not exist.", arn)
	}
	return l, l.version(n), arn, nil
}

// ownLayerVersion is layerVersionOf for writes: another account's layer
// cannot be changed from this one.
func (s *Service) ownLayerVersion(rc *reqCtx, op string) (*layerVersion, string, *awsproto.Error) {
	l, v, arn, err := s.layerVersionOf(rc)
	if err != nil {
		return nil, "", err
	}
	if l.Account != s.env.Account {
		return nil, "", awsproto.Errorf(403, "AccessDeniedException",
			"User: %s is not authorized to perform: lambda:%s on resource: %s", rc.call.Actor.Identity.ARN, op, arn)
	}
	return v, arn, nil
}

func layerRevisionMismatch() *awsproto.Error {
	return awsproto.Errorf(412, "PreconditionFailedException",
		"The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id")
}

// addLayerPermission adds a statement after the revision and statement id
// checks, as AddLayerVersionPermission does.
func addLayerPermission(v *layerVersion, p layerPermission, arn, revisionID string) *awsproto.Error {
	if revisionID != "" && revisionID != v.PolicyRevision {
		return layerRevisionMismatch()
	}
	if slices.ContainsFunc(v.Permissions, func(x layerPermission) bool { return x.StatementID == p.StatementID }) {
		return awsproto.Errorf(409, "ResourceConflictException",
			"The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", p.StatementID)
	}
	next := append(slices.Clone(v.Permissions), p)
	if n := len(policyJSON(layerPolicy(next, arn))); n > maxPolicySize {
		return awsproto.Errorf(400, "PolicyLengthExceededException", "The final policy size (%d) is bigger than the limit (%d).", n, maxPolicySize)
	}
	v.Permissions = next
	v.PolicyRevision = awsproto.NewID()
	return nil
}

func (s *Service) addLayerVersionPermission(rc *reqCtx) (int, any, *awsproto.Error) {
	var p layerPermission
	if err := rc.decode(&p); err != nil {
		return 0, nil, err
	}
	if err := p.validate(); err != nil {
		return 0, nil, err
	}
	v, arn, err := s.ownLayerVersion(rc, "AddLayerVersionPermission")
	if err != nil {
		return 0, nil, err
	}
	// Unlike AddPermission's, this RevisionId is a query parameter.
	if err := addLayerPermission(v, p, arn, rc.query.Get("RevisionId")); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]string{"Statement": policyJSON(p.statement(arn)), "RevisionId": v.PolicyRevision}, nil
}

func (s *Service) removeLayerVersionPermission(rc *reqCtx) (int, any, *awsproto.Error) {
	v, _, err := s.ownLayerVersion(rc, "RemoveLayerVersionPermission")
	if err != nil {
		return 0, nil, err
	}
	if rev := rc.query.Get("RevisionId"); rev != "" && rev != v.PolicyRevision {
		return 0, nil, layerRevisionMismatch()
	}
	sid := rc.labels["StatementId"]
	i := slices.IndexFunc(v.Permissions, func(x layerPermission) bool { return x.StatementID == sid })
	if i < 0 {
		return 0, nil, awsproto.Errorf(404, "ResourceNotFoundException", "Statement %s is not found in resource policy.", sid)
	}
	v.Permissions = slices.Delete(slices.Clone(v.Permissions), i, i+1)
	v.PolicyRevision = awsproto.NewID()
	return http.StatusNoContent, nil, nil
}

func (s *Service) getLayerVersionPolicy(rc *reqCtx) (int, any, *awsproto.Error) {
	_, v, arn, err := s.layerVersionOf(rc)
	if err != nil {
		return 0, nil, err
	}
	if len(v.Permissions) == 0 {
		return 0, nil, awsproto.Errorf(404, "ResourceNotFoundException", "No policy is associated with the given resource.")
	}
	return http.StatusOK, map[string]string{"Policy": policyJSON(layerPolicy(v.Permissions, arn)), "RevisionId": v.PolicyRevision}, nil
}
