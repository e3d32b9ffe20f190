package lambdaemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// permission is one statement of a function's resource-based policy, kept
// as the AddPermission request that made it, so a dump can replay it and
// the statement is always built the same way.
type permission struct {
	StatementID           string `json:"StatementId"`
	Action                string
	Principal             string
	SourceArn             string
	SourceAccount         string
	PrincipalOrgID        string
	EventSourceToken      string
	FunctionUrlAuthType   string
	InvokedViaFunctionUrl bool
}

// policyStatement is a statement as Lambda writes it; the field order is
// AWS's.
type policyStatement struct {
	Sid       string
	Effect    string
	Principal any
	Action    string
	Resource  string
	Condition map[string]map[string]string `json:",omitempty"`
}

type policyDocument struct {
	Version   string
	ID        string `json:"Id"`
	Statement []policyStatement
}

// maxPolicySize is Lambda's limit on a resource-based policy, in bytes.
const maxPolicySize = 20480

var (
	statementIDRE  = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,100}$`)
	policyActionRE = regexp.MustCompile(`^(lambda:\*|lambda:[a-zA-Z]+|\*)$`)
	accountIDRE    = regexp.MustCompile(`^\d{12}$`)
	iamARNRE       = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:(root|user/.+|role/.+)$`)
	servicePrinRE  = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.(amazonaws\.com|amazon\.com)(\.cn)?$`)
	orgIDRE        = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// principalOf renders a Principal parameter as the policy shows it: "*",
// an account as its root ARN, an IAM ARN as is, a service by name.
func principalOf(p string) any {
	switch {
	case p == "*":
		return "*"
	case accountIDRE.MatchString(p):
		return map[string]string{"AWS": "arn:aws:iam::" + p + ":root"}
	case iamARNRE.MatchString(p):
		return map[string]string{"AWS": p}
	default:
		return map[string]string{"Service": p}
	}
}

func (p permission) statement(resource string) policyStatement {
	st := policyStatement{Sid: p.StatementID, Effect: "Allow", Principal: principalOf(p.Principal), Action: p.Action, Resource: resource}
	cond := map[string]map[string]string{}
	add := func(op, key, val string) {
		if val == "" {
			return
		}
		if cond[op] == nil {
			cond[op] = map[string]string{}
		}
		cond[op][key] = val
	}
	add("ArnLike", "AWS:SourceArn", p.SourceArn)
	add("StringEquals", "AWS:SourceAccount", p.SourceAccount)
	add("StringEquals", "aws:PrincipalOrgID", p.PrincipalOrgID)
	add("StringEquals", "lambda:EventSourceToken", p.EventSourceToken)
	add("StringEquals", "lambda:FunctionUrlAuthType", p.FunctionUrlAuthType)
	if p.InvokedViaFunctionUrl {
		add("Bool", "lambda:InvokedViaFunctionUrl", "true")
	}
	if len(cond) > 0 {
		st.Condition = cond
	}
	return st
}

// validationError is the error AWS's request validation answers with
// (no Type field, unlike Lambda's own errors).
func validationError(value, field, constraint string) *awsproto.Error {
	return &awsproto.Error{Status: http.StatusBadRequest, Code: "ValidationException",
		Message: "1 validation error detected: Value '" + value + "' at '" + field + "' failed to satisfy constraint: " + constraint}
}

// validate checks a permission as AddPermission does.
func (p permission) validate() *awsproto.Error {
	if !statementIDRE.MatchString(p.StatementID) {
		return validationError(p.StatementID, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
	}
	if !policyActionRE.MatchString(p.Action) {
		return validationError(p.Action, "action", "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")
	}
	if p.Principal != "*" && !accountIDRE.MatchString(p.Principal) && !iamARNRE.MatchString(p.Principal) && !servicePrinRE.MatchString(p.Principal) {
		return invalid("The provided principal was invalid. Please check the principal and try again.")
	}
	if p.FunctionUrlAuthType != "" && p.FunctionUrlAuthType != authNone && p.FunctionUrlAuthType != authIAM {
		return validationError(p.FunctionUrlAuthType, "functionUrlAuthType", "Member must satisfy enum value set: [AWS_IAM, NONE]")
	}
	if p.PrincipalOrgID != "" && !orgIDRE.MatchString(p.PrincipalOrgID) {
		return validationError(p.PrincipalOrgID, "principalOrgID", "Member must satisfy regular expression pattern: ^o-[a-z0-9]{10,32}$")
	}
	if p.InvokedViaFunctionUrl && p.Action != "lambda:InvokeFunction" {
		return invalid("InvokedViaFunctionUrl can only be used with the lambda:InvokeFunction action.")
	}
	return nil
}

// policyJSON renders a policy as Lambda returns it: compact JSON, with no
// HTML escaping (AWS writes ARNs and conditions as they are).
func policyJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func functionPolicy(perms []permission, resource string) policyDocument {
	doc := policyDocument{Version: "2012-10-17", ID: "default"}
	for _, p := range perms {
		doc.Statement = append(doc.Statement, p.statement(resource))
	}
	return doc
}

// policyHolder is what a function policy hangs on: the unqualified function
// ($LATEST), a published version or an alias. Lambda gives the policy the
// holder's RevisionId and gives the holder a new one with every write
// (GetFunction and GetPolicy report the same id).
type policyHolder struct {
	perms    *[]permission
	revision *string
	resource string
}

// Kinds of missing holder, whose answers differ by operation.
const (
	missingVersion = "version"
	missingAlias   = "alias"
)

// holder finds the policy holder a qualifier names; what says the error for
// a version or alias that does not exist.
func (s *Service) holder(f *function, q string, what func(kind, arn string) *awsproto.Error) (policyHolder, *awsproto.Error) {
	arn := s.functionARN(f.Name)
	switch {
	case q == "" || q == latest:
		return policyHolder{perms: &f.Latest.Permissions, revision: &f.Latest.RevisionID, resource: arn}, nil
	case digitsRE.MatchString(q):
		v := f.version(q)
		if v == nil {
			return policyHolder{}, what(missingVersion, arn+":"+q)
		}
		return policyHolder{perms: &v.Permissions, revision: &v.RevisionID, resource: arn + ":" + q}, nil
	default:
		a := f.Aliases[q]
		if a == nil {
			return policyHolder{}, what(missingAlias, arn+":"+q)
		}
		return policyHolder{perms: &a.Permissions, revision: &a.RevisionID, resource: arn + ":" + q}, nil
	}
}

// writeMissing is how AddPermission and RemovePermission answer for a
// version or alias that does not exist.
func writeMissing(kind, arn string) *awsproto.Error {
	if kind == missingAlias {
		return awsproto.Errorf(404, "ResourceNotFoundException", "Cannot find alias arn: %s", arn)
	}
	return notFound(arn)
}

func resourceMissing(string, string) *awsproto.Error {
	return awsproto.Errorf(404, "ResourceNotFoundException", "The resource you requested does not exist.")
}

func (s *Service) addPermission(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		permission
		RevisionID string `json:"RevisionId"`
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	p := in.permission
	if err := p.validate(); err != nil {
		return 0, nil, err
	}
	f, q, err := s.lookup(rc, rc.labels["FunctionName"], rc.query.Get("Qualifier"))
	if err != nil {
		return 0, nil, err
	}
	if q == latest {
		return 0, nil, invalid("We currently do not support adding policies for $LATEST.")
	}
	h, err := s.holder(f, q, writeMissing)
	if err != nil {
		return 0, nil, err
	}
	st, err := addTo(h, p, in.RevisionID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]string{"Statement": policyJSON(st)}, nil
}

// addTo adds a permission to a holder's policy, as AddPermission does after
// its checks: the revision precondition, a free statement id, the size
// limit.
func addTo(h policyHolder, p permission, revisionID string) (policyStatement, *awsproto.Error) {
	if revisionID != "" && revisionID != *h.revision {
		return policyStatement{}, revisionMismatch()
	}
	if slices.ContainsFunc(*h.perms, func(x permission) bool { return x.StatementID == p.StatementID }) {
		return policyStatement{}, awsproto.Errorf(409, "ResourceConflictException",
			"The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", p.StatementID)
	}
	next := append(slices.Clone(*h.perms), p)
	if n := len(policyJSON(functionPolicy(next, h.resource))); n > maxPolicySize {
		return policyStatement{}, awsproto.Errorf(400, "PolicyLengthExceededException",
			"The final policy size (%d) is bigger than the limit (%d).", n, maxPolicySize)
	}
	*h.perms = next
	*h.revision = awsproto.NewID()
	return p.statement(h.resource), nil
}

func (s *Service) removePermission(rc *reqCtx) (int, any, *awsproto.Error) {
	name, _, err := s.parseFunctionName(rc.labels["FunctionName"])
	if err != nil {
		return 0, nil, err
	}
	if s.functions[name] == nil {
		return 0, nil, awsproto.Errorf(404, "ResourceNotFoundException", "No policy found for: %s", s.functionARN(name))
	}
	f, q, err := s.lookup(rc, rc.labels["FunctionName"], rc.query.Get("Qualifier"))
	if err != nil {
		return 0, nil, err
	}
	h, err := s.holder(f, q, writeMissing)
	if err != nil {
		return 0, nil, err
	}
	if len(*h.perms) == 0 {
		return 0, nil, awsproto.Errorf(404, "ResourceNotFoundException", "No policy is associated with the given resource.")
	}
	if rev := rc.query.Get("RevisionId"); rev != "" && rev != *h.revision {
		return 0, nil, revisionMismatch()
	}
	sid := rc.labels["StatementId"]
	i := slices.IndexFunc(*h.perms, func(x permission) bool { return x.StatementID == sid })
	if i < 0 {
		return 0, nil, awsproto.Errorf(404, "ResourceNotFoundException", "Statement %s is not found in resource policy.", sid)
	}
	*h.perms = slices.Delete(slices.Clone(*h.perms), i, i+1)
	*h.revision = awsproto.NewID()
	return http.StatusNoContent, nil, nil
}

func (s *Service) getPolicy(rc *reqCtx) (int, any, *awsproto.Error) {
	f, q, err := s.lookup(rc, rc.labels["FunctionName"], rc.query.Get("Qualifier"))
	if err != nil {
		return 0, nil, err
	}
	h, err := s.holder(f, q, resourceMissing)
	if err != nil {
		return 0, nil, err
	}
	if len(*h.perms) == 0 {
		return 0, nil, resourceMissing("", "")
	}
	return http.StatusOK, map[string]string{"Policy": policyJSON(functionPolicy(*h.perms, h.resource)), "RevisionId": *h.revision}, nil
}
