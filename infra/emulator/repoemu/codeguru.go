package repoemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// CodeGuru Reviewer protocol constants.
const (
	codeGuruEventSource   = "codeguru-reviewer.amazonaws.com"
	codeGuruBusSource     = "aws.codeguru-reviewer"
	associationsPath      = "/associations"
	listAssociationsPage  = 100
	stateReasonPending    = "Pending Repository Association"
	stateReasonFailed     = "Repository association failed"
	codeGuruClosedMessage = "Amazon CodeGuru Reviewer stopped accepting new repository associations on November 7, 2025. " +
		"Existing associations keep working. For code review and code security scanning, use Amazon Q Developer or Amazon Inspector."
)

// ClosedToNewErrorCode is the error AssociateRepository answers with while the
// service refuses new associations. AWS has not published the exact error of
// the 2025-11-07 availability change (only the user-guide notice that new
// associations cannot be created); AccessDeniedException is the modelled
// AssociateRepository error that says "you may not do this", and the message
// above restates the notice in our own words.
const ClosedToNewErrorCode = "AccessDeniedException"

var (
	codeGuruNameRE   = regexp.MustCompile(`^\S[\w.-]{0,99}$`)
	requestTokenRE   = regexp.MustCompile(`^[\w-]{1,64}$`)
	associationARNRE = regexp.MustCompile(`^arn:aws[^:]*:codeguru-reviewer:[\w-]+:\d{12}:association:([\w-]{36})$`)
)

func cgError(status int, code, format string, args ...any) *awsproto.Error {
	e := awsproto.Errorf(status, code, format, args...)
	e.Type = ""
	return e
}

func cgValidation(format string, args ...any) *awsproto.Error {
	return cgError(http.StatusBadRequest, "ValidationException", format, args...)
}

func cgNotFound(arn string) *awsproto.Error {
	return cgError(http.StatusNotFound, "NotFoundException", "Repository association %s not found.", arn)
}

// cgResult is what a CodeGuru Reviewer operation produces; CloudTrail records
// the request and response bodies as they are (PascalCase, epoch dates).
type cgResult struct {
	resp     any
	trailReq any
	err      *awsproto.Error
}

func (s *Service) serveCodeGuru(w http.ResponseWriter, r *http.Request, call *awsproto.Call) {
	path := r.URL.EscapedPath()
	var run func() cgResult
	readOnly := true
	switch {
	case path == associationsPath && r.Method == http.MethodPost:
		call.Operation, readOnly = "AssociateRepository", false
		run = func() cgResult { return s.associateRepository(call, r) }
	case path == associationsPath && r.Method == http.MethodGet:
		call.Operation = "ListRepositoryAssociations"
		run = func() cgResult { return s.listAssociations(call, r.URL.Query()) }
	case strings.HasPrefix(path, associationsPath+"/"):
		arn, err := url.PathUnescape(strings.TrimPrefix(path, associationsPath+"/"))
		if err != nil {
			arn = ""
		}
		switch r.Method {
		case http.MethodGet:
			call.Operation = "DescribeRepositoryAssociation"
			run = func() cgResult { return s.describeAssociation(call, arn) }
		case http.MethodDelete:
			call.Operation, readOnly = "DisassociateRepository", false
			run = func() cgResult { return s.disassociateRepository(call, arn) }
		}
	}
	if run == nil {
		e := cgError(http.StatusNotFound, "UnknownOperationException", "%s %s is not emulated", r.Method, path)
		s.env.Calls.Add(call.Service, r.Method+" "+path, "", e.Status)
		awsproto.WriteRESTJSONError(w, e)
		return
	}
	var res cgResult
	if e := s.env.Faults.Apply(call.Service, call.Operation); e != nil {
		res.err = e
	} else {
		res = run()
	}
	s.env.Trail.Record(call, awsproto.Entry{
		EventSource: codeGuruEventSource, BusSource: codeGuruBusSource, EventName: call.Operation,
		ReadOnly: readOnly, Request: res.trailReq, Response: res.resp, Err: res.err,
	})
	if res.err != nil {
		s.env.Calls.Add(call.Service, call.Operation, "", res.err.Status)
		awsproto.WriteRESTJSONError(w, res.err)
		return
	}
	s.env.Calls.Add(call.Service, call.Operation, "", http.StatusOK)
	awsproto.WriteJSON(w, http.StatusOK, res.resp)
}

// active reports whether an association in this state blocks a new one for
// the same repository.
func active(state string) bool {
	return state == StateAssociated || state == StateAssociating || state == StateDisassociating
}

// settle ends the transitional states whose time has come.
func (s *Service) settle(now time.Time) {
	for _, a := range s.assocs {
		if now.Before(a.due) {
			continue
		}
		switch a.state {
		case StateAssociating:
			a.state, a.updated = StateAssociated, a.due
		case StateDisassociating:
			a.state, a.updated = StateDisassociated, a.due
		}
	}
}

func (s *Service) associationARN(a *association) string {
	return "arn:aws:codeguru-reviewer:" + s.env.Region + ":" + s.env.Account + ":association:" + a.id
}

func (s *Service) associationView(a *association) map[string]any {
	m := map[string]any{
		"AssociationArn":       s.associationARN(a),
		"AssociationId":        a.id,
		"Name":                 a.name,
		"ProviderType":         a.provider,
		"State":                a.state,
		"CreatedTimeStamp":     epoch(a.created),
		"LastUpdatedTimeStamp": epoch(a.updated),
	}
	if a.owner != "" {
		m["Owner"] = a.owner
	}
	switch a.state {
	case StateAssociating:
		m["StateReason"] = stateReasonPending
	case StateFailed:
		m["StateReason"] = stateReasonFailed
	}
	return m
}

func (s *Service) associationSummary(a *association) map[string]any {
	m := s.associationView(a)
	delete(m, "CreatedTimeStamp")
	delete(m, "StateReason")
	return m
}

func (s *Service) associationResponse(a *association) map[string]any {
	resp := map[string]any{"RepositoryAssociation": s.associationView(a)}
	if len(a.tags) > 0 {
		resp["Tags"] = a.tags
	}
	return resp
}

type associateRequest struct {
	ClientRequestToken string
	Repository         *struct {
		CodeCommit *struct {
			Name string
		}
		Bitbucket              json.RawMessage
		GitHubEnterpriseServer json.RawMessage
		S3Bucket               json.RawMessage
	}
	KMSKeyDetails json.RawMessage
	Tags          map[string]string
}

func (s *Service) associateRepository(c *awsproto.Call, r *http.Request) cgResult {
	body, err := readBody(r)
	if err != nil {
		return cgResult{err: cgValidation("%v", err)}
	}
	var trailReq map[string]any
	var in associateRequest
	if err := json.Unmarshal(body, &trailReq); err != nil {
		return cgResult{err: cgError(http.StatusBadRequest, "SerializationException", "request body: %v", err)}
	}
	res := cgResult{trailReq: trailReq}
	if err := json.Unmarshal(body, &in); err != nil {
		res.err = cgError(http.StatusBadRequest, "SerializationException", "request body: %v", err)
		return res
	}
	switch {
	case in.Repository == nil:
		res.err = cgValidation("1 validation error detected: Value null at 'repository' failed to satisfy constraint: Member must not be null")
	case in.Repository.Bitbucket != nil || in.Repository.GitHubEnterpriseServer != nil || in.Repository.S3Bucket != nil:
		res.err = cgValidation("The selfguard emulator associates CodeCommit repositories only.")
	case in.Repository.CodeCommit == nil:
		res.err = cgValidation("Repository must name a CodeCommit repository.")
	case !codeGuruNameRE.MatchString(in.Repository.CodeCommit.Name):
		res.err = cgValidation("1 validation error detected: Value '%s' at 'repository.codeCommit.name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\S[\\w.-]*$", in.Repository.CodeCommit.Name)
	case in.ClientRequestToken != "" && !requestTokenRE.MatchString(in.ClientRequestToken):
		res.err = cgValidation("1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\w-]+$", in.ClientRequestToken)
	}
	if res.err != nil {
		return res
	}
	name := in.Repository.CodeCommit.Name
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(c.Time)
	for _, a := range s.assocs {
		if in.ClientRequestToken != "" && a.token == in.ClientRequestToken {
			if a.provider != ProviderCodeCommit || a.name != name {
				res.err = cgError(http.StatusConflict, "ConflictException",
					"The client request token %s was already used for another request.", in.ClientRequestToken)
				return res
			}
			// The same request again: the same association, as it is now.
			res.resp = s.associationResponse(a)
			return res
		}
	}
	for _, a := range s.assocs {
		if a.provider == ProviderCodeCommit && a.name == name && a.owner == s.env.Account && active(a.state) {
			res.err = cgError(http.StatusConflict, "ConflictException",
				"An association for the repository %s already exists: %s (%s).", name, s.associationARN(a), a.state)
			return res
		}
	}
	if s.closed {
		res.err = cgError(http.StatusForbidden, ClosedToNewErrorCode, "%s", codeGuruClosedMessage)
		return res
	}
	if s.repos[name] == nil {
		// CodeGuru Reviewer checks that it can reach the repository; for a
		// missing CodeCommit repository the modelled error is a validation one.
		res.err = cgValidation("The CodeCommit repository %s does not exist in account %s.", name, s.env.Account)
		return res
	}
	a := &association{id: awsproto.NewID(), name: name, owner: s.env.Account, provider: ProviderCodeCommit,
		token: in.ClientRequestToken, state: StateAssociating, created: c.Time, updated: c.Time,
		due: c.Time.Add(s.delay), tags: in.Tags}
	s.assocs = append(s.assocs, a)
	res.resp = s.associationResponse(a)
	return res
}

func (s *Service) findAssociation(arn string) (*association, *awsproto.Error) {
	m := associationARNRE.FindStringSubmatch(arn)
	if m == nil {
		return nil, cgValidation("1 validation error detected: Value '%s' at 'associationArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws[^:\\s]*:codeguru-reviewer:[^:\\s]+:[\\d]{12}:association:[\\w-]{36}$", arn)
	}
	for _, a := range s.assocs {
		if s.associationARN(a) == arn {
			return a, nil
		}
	}
	return nil, cgNotFound(arn)
}

func (s *Service) describeAssociation(c *awsproto.Call, arn string) cgResult {
	res := cgResult{trailReq: map[string]string{"AssociationArn": arn}}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(c.Time)
	a, e := s.findAssociation(arn)
	if e != nil {
		res.err = e
		return res
	}
	res.resp = s.associationResponse(a)
	return res
}

func (s *Service) disassociateRepository(c *awsproto.Call, arn string) cgResult {
	res := cgResult{trailReq: map[string]string{"AssociationArn": arn}}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(c.Time)
	a, e := s.findAssociation(arn)
	if e != nil {
		res.err = e
		return res
	}
	if a.state != StateAssociated && a.state != StateFailed {
		res.err = cgError(http.StatusConflict, "ConflictException",
			"The repository association %s is %s and cannot be disassociated now.", arn, a.state)
		return res
	}
	a.state, a.updated, a.due = StateDisassociating, c.Time, c.Time.Add(s.delay)
	res.resp = s.associationResponse(a)
	return res
}

func (s *Service) listAssociations(c *awsproto.Call, q url.Values) cgResult {
	trailReq := map[string]any{}
	for k, v := range q {
		trailReq[k] = v
	}
	res := cgResult{trailReq: trailReq}
	size := listAssociationsPage
	if v := q.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > listAssociationsPage {
			res.err = cgValidation("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", v)
			return res
		}
		size = n
	}
	for _, st := range q["State"] {
		if !slices.Contains(validStates, st) {
			res.err = cgValidation("Value '%s' at 'states' failed to satisfy constraint: Member must satisfy enum value set: [%s]", st, strings.Join(validStates, ", "))
			return res
		}
	}
	for _, p := range q["ProviderType"] {
		if !slices.Contains(validProviders, p) {
			res.err = cgValidation("Value '%s' at 'providerTypes' failed to satisfy constraint: Member must satisfy enum value set: [%s]", p, strings.Join(validProviders, ", "))
			return res
		}
	}
	match := func(filter []string, v string) bool { return len(filter) == 0 || slices.Contains(filter, v) }
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(c.Time)
	var hits []*association
	for _, a := range s.assocs {
		if match(q["Name"], a.name) && match(q["Owner"], a.owner) && match(q["ProviderType"], a.provider) && match(q["State"], a.state) {
			hits = append(hits, a)
		}
	}
	from, to, next, e := page(q.Get("NextToken"), size, len(hits))
	if e != nil {
		res.err = cgValidation("The NextToken %q is not valid.", q.Get("NextToken"))
		return res
	}
	summaries := []map[string]any{}
	for _, a := range hits[from:to] {
		summaries = append(summaries, s.associationSummary(a))
	}
	resp := map[string]any{"RepositoryAssociationSummaries": summaries}
	if next != "" {
		resp["NextToken"] = next
	}
	res.resp = resp
	return res
}
