package repoemu

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// CodeCommit protocol constants.
const (
	codeCommitTargetPrefix = "CodeCommit_20150413."
	codeCommitAPIVersion   = "2015-04-13"
	codeCommitEventSource  = "codecommit.amazonaws.com"
	codeCommitBusSource    = "aws.codecommit"
	repositoryResourceType = "AWS::CodeCommit::Repository"
	// trailDateLayout is how CodeCommit's CloudTrail records print dates
	// ("Dec 14, 2016 6:19:14 PM").
	trailDateLayout = "Jan 2, 2006 3:04:05 PM"
	// listRepositoriesPage is ListRepositories' batch size.
	listRepositoriesPage = 1000
	// listTemplatesPage is the largest page of the approval rule template lists.
	listTemplatesPage = 100
)

// ccRequest holds the fields of every emulated CodeCommit request; the
// omitempty tags make it what CloudTrail records as requestParameters.
type ccRequest struct {
	RepositoryName                  string            `json:"repositoryName,omitempty"`
	RepositoryDescription           string            `json:"repositoryDescription,omitempty"`
	KmsKeyID                        string            `json:"kmsKeyId,omitempty"`
	Tags                            map[string]string `json:"tags,omitempty"`
	NextToken                       string            `json:"nextToken,omitempty"`
	SortBy                          string            `json:"sortBy,omitempty"`
	Order                           string            `json:"order,omitempty"`
	MaxResults                      *int              `json:"maxResults,omitempty"`
	ApprovalRuleTemplateName        string            `json:"approvalRuleTemplateName,omitempty"`
	ApprovalRuleTemplateDescription string            `json:"approvalRuleTemplateDescription,omitempty"`
	ApprovalRuleTemplateContent     string            `json:"approvalRuleTemplateContent,omitempty"`
	NewRuleContent                  string            `json:"newRuleContent,omitempty"`
	ExistingRuleContentSha256       string            `json:"existingRuleContentSha256,omitempty"`
	RepositoryNames                 []string          `json:"repositoryNames,omitempty"`
	OldApprovalRuleTemplateName     string            `json:"oldApprovalRuleTemplateName,omitempty"`
	NewApprovalRuleTemplateName     string            `json:"newApprovalRuleTemplateName,omitempty"`
	OldName                         string            `json:"oldName,omitempty"`
	NewName                         string            `json:"newName,omitempty"`
	Title                           string            `json:"title,omitempty"`
	Description                     string            `json:"description,omitempty"`
	Targets                         []prTargetIn      `json:"targets,omitempty"`
	ClientRequestToken              string            `json:"clientRequestToken,omitempty"`
	PullRequestID                   string            `json:"pullRequestId,omitempty"`
	RevisionID                      string            `json:"revisionId,omitempty"`
	OverrideStatus                  string            `json:"overrideStatus,omitempty"`
}

// ccResult is what an operation produces: the API response, what CloudTrail
// records as responseElements (CodeCommit prints dates differently there),
// the resources the record names, or an error.
type ccResult struct {
	resp      any
	trailResp any
	resources []string // repository names
	err       *awsproto.Error
}

type ccOperation struct {
	readOnly bool
	run      func(s *Service, c *awsproto.Call, in *ccRequest) ccResult
}

var ccOperations = map[string]ccOperation{
	"CreateRepository":                                      {false, (*Service).createRepository},
	"GetRepository":                                         {true, (*Service).getRepository},
	"ListRepositories":                                      {true, (*Service).listRepositories},
	"DeleteRepository":                                      {false, (*Service).deleteRepository},
	"CreateApprovalRuleTemplate":                            {false, (*Service).createTemplate},
	"GetApprovalRuleTemplate":                               {true, (*Service).getTemplate},
	"ListApprovalRuleTemplates":                             {true, (*Service).listTemplates},
	"UpdateApprovalRuleTemplateContent":                     {false, (*Service).updateTemplateContent},
	"DeleteApprovalRuleTemplate":                            {false, (*Service).deleteTemplate},
	"AssociateApprovalRuleTemplateWithRepository":           {false, (*Service).associateTemplate},
	"DisassociateApprovalRuleTemplateFromRepository":        {false, (*Service).disassociateTemplate},
	"ListAssociatedApprovalRuleTemplatesForRepository":      {true, (*Service).listTemplatesForRepository},
	"ListRepositoriesForApprovalRuleTemplate":               {true, (*Service).listRepositoriesForTemplate},
	"BatchAssociateApprovalRuleTemplateWithRepositories":    {false, (*Service).batchAssociateTemplate},
	"BatchDisassociateApprovalRuleTemplateFromRepositories": {false, (*Service).batchDisassociateTemplate},
	"UpdateApprovalRuleTemplateName":                        {false, (*Service).updateTemplateName},
	"UpdateRepositoryName":                                  {false, (*Service).updateRepositoryName},
	"CreatePullRequest":                                     {false, (*Service).createPullRequest},
	"GetPullRequest":                                        {true, (*Service).getPullRequest},
	"OverridePullRequestApprovalRules":                      {false, (*Service).overridePullRequest},
	"GetPullRequestOverrideState":                           {true, (*Service).getOverrideState},
}

func ccError(code, format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, code, format, args...)
}

func (s *Service) serveCodeCommit(w http.ResponseWriter, r *http.Request, call *awsproto.Call) {
	target := r.Header.Get("X-Amz-Target")
	call.Operation = strings.TrimPrefix(target, codeCommitTargetPrefix)
	op, ok := ccOperations[call.Operation]
	if r.Method != http.MethodPost || !strings.HasPrefix(target, codeCommitTargetPrefix) || !ok {
		e := ccError("UnknownOperationException", "operation %q is not emulated", target)
		s.env.Calls.Add(call.Service, call.Operation, "", e.Status)
		awsproto.WriteJSON11Error(w, e)
		return
	}
	var in ccRequest
	res := ccResult{}
	if e := s.env.Faults.Apply(call.Service, call.Operation); e != nil {
		res.err = e
	} else if body, err := readBody(r); err != nil {
		res.err = ccError("SerializationException", "%v", err)
	} else if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			res.err = ccError("SerializationException", "request body: %v", err)
		}
	}
	if res.err == nil {
		s.mu.Lock()
		res = op.run(s, call, &in)
		s.mu.Unlock()
	}
	entry := awsproto.Entry{
		EventSource: codeCommitEventSource, BusSource: codeCommitBusSource, EventName: call.Operation,
		ReadOnly: op.readOnly, Request: in, Response: res.trailResp, Err: res.err, APIVersion: codeCommitAPIVersion,
	}
	for _, name := range res.resources {
		entry.Resources = append(entry.Resources, awsproto.TrailResource{
			ARN: s.repositoryARN(name), AccountID: s.env.Account, Type: repositoryResourceType})
	}
	s.env.Trail.Record(call, entry)
	if res.err != nil {
		s.env.Calls.Add(call.Service, call.Operation, "", res.err.Status)
		awsproto.WriteJSON11Error(w, res.err)
		return
	}
	s.env.Calls.Add(call.Service, call.Operation, "", http.StatusOK)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(res.resp)
}

func (s *Service) repositoryARN(name string) string {
	return "arn:aws:codecommit:" + s.env.Region + ":" + s.env.Account + ":" + name
}

var repositoryNameRE = regexp.MustCompile(`^[\w.-]{1,100}$`)

func checkRepositoryName(name string) *awsproto.Error {
	switch {
	case name == "":
		return ccError("RepositoryNameRequiredException", "A repository name is required, but was not specified.")
	case !repositoryNameRE.MatchString(name) || strings.HasSuffix(strings.ToLower(name), ".git"):
		return ccError("InvalidRepositoryNameException",
			"The repository name %q is not valid: use 1 to 100 letters, digits, '.', '_' and '-', not ending in .git.", name)
	}
	return nil
}

func checkTemplateName(name string) *awsproto.Error {
	switch {
	case name == "":
		return ccError("ApprovalRuleTemplateNameRequiredException", "An approval rule template name is required, but was not specified.")
	case len([]rune(name)) > 100 || strings.TrimSpace(name) != name:
		return ccError("InvalidApprovalRuleTemplateNameException", "The name of the approval rule template is not valid: %q.", name)
	}
	return nil
}

func checkTemplateContent(content string) *awsproto.Error {
	if content == "" {
		return ccError("ApprovalRuleTemplateContentRequiredException", "The content for the approval rule template is empty.")
	}
	if _, err := ParseTemplateContent(content); err != nil {
		return ccError("InvalidApprovalRuleTemplateContentException", "The content of the approval rule template is not valid: %v", err)
	}
	return nil
}

// repositoryMetadata renders a repository as the API does (dates as epoch
// numbers) or as CloudTrail does (dates as strings).
func (s *Service) repositoryMetadata(r *repository, forTrail bool) map[string]any {
	m := map[string]any{
		"accountId":      s.env.Account,
		"repositoryId":   r.id,
		"repositoryName": r.name,
		"cloneUrlHttp":   "https://git-codecommit." + s.env.Region + ".amazonaws.com/v1/repos/" + r.name,
		"cloneUrlSsh":    "ssh://git-codecommit." + s.env.Region + ".amazonaws.com/v1/repos/" + r.name,
	}
	// The API names the ARN "Arn"; CloudTrail records print it as "arn".
	if forTrail {
		m["arn"] = s.repositoryARN(r.name)
	} else {
		m["Arn"] = s.repositoryARN(r.name)
	}
	if r.description != "" {
		m["repositoryDescription"] = r.description
	}
	if r.defaultBranch != "" {
		m["defaultBranch"] = r.defaultBranch
	}
	setDates(m, r.created, r.modified, forTrail)
	return m
}

func (s *Service) templateView(t *template, forTrail bool) map[string]any {
	m := map[string]any{
		"approvalRuleTemplateId":      t.id,
		"approvalRuleTemplateName":    t.name,
		"approvalRuleTemplateContent": t.content,
		"ruleContentSha256":           t.sha,
		"lastModifiedUser":            t.lastModifiedUser,
	}
	if t.description != "" {
		m["approvalRuleTemplateDescription"] = t.description
	}
	setDates(m, t.created, t.modified, forTrail)
	return m
}

func setDates(m map[string]any, created, modified time.Time, forTrail bool) {
	if forTrail {
		m["creationDate"] = created.UTC().Format(trailDateLayout)
		m["lastModifiedDate"] = modified.UTC().Format(trailDateLayout)
		return
	}
	m["creationDate"] = epoch(created)
	m["lastModifiedDate"] = epoch(modified)
}

func (s *Service) createRepository(c *awsproto.Call, in *ccRequest) ccResult {
	if e := checkRepositoryName(in.RepositoryName); e != nil {
		return ccResult{err: e}
	}
	if len(in.RepositoryDescription) > 1000 {
		return ccResult{err: ccError("InvalidRepositoryDescriptionException", "The description for the repository is not valid: it is longer than 1000 characters.")}
	}
	if s.repos[in.RepositoryName] != nil {
		return ccResult{err: ccError("RepositoryNameExistsException", "Repository named %s already exists", in.RepositoryName)}
	}
	r := &repository{id: awsproto.NewID(), name: in.RepositoryName, description: in.RepositoryDescription, created: c.Time, modified: c.Time}
	s.repos[r.name] = r
	return ccResult{
		resp:      map[string]any{"repositoryMetadata": s.repositoryMetadata(r, false)},
		trailResp: map[string]any{"repositoryMetadata": s.repositoryMetadata(r, true)},
		resources: []string{r.name},
	}
}

func (s *Service) repository(name string) (*repository, *awsproto.Error) {
	if e := checkRepositoryName(name); e != nil {
		return nil, e
	}
	r := s.repos[name]
	if r == nil {
		return nil, ccError("RepositoryDoesNotExistException", "%s does not exist", name)
	}
	return r, nil
}

func (s *Service) getRepository(_ *awsproto.Call, in *ccRequest) ccResult {
	r, e := s.repository(in.RepositoryName)
	if e != nil {
		return ccResult{err: e}
	}
	return ccResult{
		resp:      map[string]any{"repositoryMetadata": s.repositoryMetadata(r, false)},
		trailResp: map[string]any{"repositoryMetadata": s.repositoryMetadata(r, true)},
		resources: []string{r.name},
	}
}

func (s *Service) listRepositories(_ *awsproto.Call, in *ccRequest) ccResult {
	sortBy := orDefault(in.SortBy, "repositoryName")
	if sortBy != "repositoryName" && sortBy != "lastModifiedDate" {
		return ccResult{err: ccError("InvalidSortByException", "The specified sort by value %q is not valid.", in.SortBy)}
	}
	order := orDefault(in.Order, "ascending")
	if order != "ascending" && order != "descending" {
		return ccResult{err: ccError("InvalidOrderException", "The specified sort order %q is not valid.", in.Order)}
	}
	repos := make([]*repository, 0, len(s.repos))
	for _, r := range s.repos {
		repos = append(repos, r)
	}
	slices.SortFunc(repos, func(a, b *repository) int {
		if sortBy == "lastModifiedDate" {
			if c := a.modified.Compare(b.modified); c != 0 {
				return c
			}
		}
		return strings.Compare(a.name, b.name)
	})
	if order == "descending" {
		slices.Reverse(repos)
	}
	from, to, next, e := page(in.NextToken, listRepositoriesPage, len(repos))
	if e != nil {
		return ccResult{err: e}
	}
	pairs := []map[string]string{}
	for _, r := range repos[from:to] {
		pairs = append(pairs, map[string]string{"repositoryName": r.name, "repositoryId": r.id})
	}
	resp := map[string]any{"repositories": pairs}
	if next != "" {
		resp["nextToken"] = next
	}
	return ccResult{resp: resp, trailResp: resp}
}

func (s *Service) deleteRepository(_ *awsproto.Call, in *ccRequest) ccResult {
	if e := checkRepositoryName(in.RepositoryName); e != nil {
		return ccResult{err: e}
	}
	r := s.repos[in.RepositoryName]
	if r == nil {
		// AWS answers a delete of a missing repository with a null id.
		return ccResult{resp: map[string]any{}, trailResp: map[string]any{"repositoryId": nil}, resources: []string{in.RepositoryName}}
	}
	delete(s.repos, r.name)
	for _, repos := range s.links {
		delete(repos, r.name)
	}
	for id, pr := range s.prs {
		if pr.target.repo == r.name {
			delete(s.prs, id)
		}
	}
	resp := map[string]any{"repositoryId": r.id}
	return ccResult{resp: resp, trailResp: resp, resources: []string{r.name}}
}

func (s *Service) createTemplate(c *awsproto.Call, in *ccRequest) ccResult {
	if e := checkTemplateName(in.ApprovalRuleTemplateName); e != nil {
		return ccResult{err: e}
	}
	if e := checkTemplateContent(in.ApprovalRuleTemplateContent); e != nil {
		return ccResult{err: e}
	}
	if len(in.ApprovalRuleTemplateDescription) > 1000 {
		return ccResult{err: ccError("InvalidApprovalRuleTemplateDescriptionException", "The description for the approval rule template is not valid because it exceeds the maximum characters allowed for a description.")}
	}
	if s.templates[in.ApprovalRuleTemplateName] != nil {
		return ccResult{err: ccError("ApprovalRuleTemplateNameAlreadyExistsException", "An approval rule template with name %s already exists.", in.ApprovalRuleTemplateName)}
	}
	t := &template{id: awsproto.NewID(), name: in.ApprovalRuleTemplateName, description: in.ApprovalRuleTemplateDescription,
		content: in.ApprovalRuleTemplateContent, sha: ContentSHA256(in.ApprovalRuleTemplateContent),
		created: c.Time, modified: c.Time, lastModifiedUser: c.Actor.Identity.ARN}
	s.templates[t.name] = t
	return ccResult{
		resp:      map[string]any{"approvalRuleTemplate": s.templateView(t, false)},
		trailResp: map[string]any{"approvalRuleTemplate": s.templateView(t, true)},
	}
}

func (s *Service) template(name string) (*template, *awsproto.Error) {
	if e := checkTemplateName(name); e != nil {
		return nil, e
	}
	t := s.templates[name]
	if t == nil {
		return nil, ccError("ApprovalRuleTemplateDoesNotExistException", "The approval rule template %s does not exist.", name)
	}
	return t, nil
}

func (s *Service) getTemplate(_ *awsproto.Call, in *ccRequest) ccResult {
	t, e := s.template(in.ApprovalRuleTemplateName)
	if e != nil {
		return ccResult{err: e}
	}
	return ccResult{
		resp:      map[string]any{"approvalRuleTemplate": s.templateView(t, false)},
		trailResp: map[string]any{"approvalRuleTemplate": s.templateView(t, true)},
	}
}

func (s *Service) listTemplates(_ *awsproto.Call, in *ccRequest) ccResult {
	return listNames(sortedKeys(s.templates), in, "approvalRuleTemplateNames")
}

func (s *Service) updateTemplateContent(c *awsproto.Call, in *ccRequest) ccResult {
	t, e := s.template(in.ApprovalRuleTemplateName)
	if e != nil {
		return ccResult{err: e}
	}
	if e := checkTemplateContent(in.NewRuleContent); e != nil {
		return ccResult{err: e}
	}
	if in.ExistingRuleContentSha256 != "" && in.ExistingRuleContentSha256 != t.sha {
		return ccResult{err: ccError("InvalidRuleContentSha256Exception", "The SHA-256 hash signature for the rule content is not valid.")}
	}
	t.content, t.sha, t.modified, t.lastModifiedUser = in.NewRuleContent, ContentSHA256(in.NewRuleContent), c.Time, c.Actor.Identity.ARN
	return ccResult{
		resp:      map[string]any{"approvalRuleTemplate": s.templateView(t, false)},
		trailResp: map[string]any{"approvalRuleTemplate": s.templateView(t, true)},
	}
}

func (s *Service) deleteTemplate(_ *awsproto.Call, in *ccRequest) ccResult {
	if e := checkTemplateName(in.ApprovalRuleTemplateName); e != nil {
		return ccResult{err: e}
	}
	t := s.templates[in.ApprovalRuleTemplateName]
	if t == nil {
		// DeleteApprovalRuleTemplate has no does-not-exist error: deleting
		// a missing template succeeds with an empty id.
		resp := map[string]any{"approvalRuleTemplateId": ""}
		return ccResult{resp: resp, trailResp: resp}
	}
	if len(s.links[t.name]) > 0 {
		return ccResult{err: ccError("ApprovalRuleTemplateInUseException",
			"The approval rule template %s is associated with one or more repositories. You cannot delete a template that is associated with a repository. Remove all associations, and then try again.", t.name)}
	}
	delete(s.templates, t.name)
	delete(s.links, t.name)
	resp := map[string]any{"approvalRuleTemplateId": t.id}
	return ccResult{resp: resp, trailResp: resp}
}

func (s *Service) templateAndRepository(in *ccRequest) (*template, *repository, *awsproto.Error) {
	t, e := s.template(in.ApprovalRuleTemplateName)
	if e != nil {
		return nil, nil, e
	}
	r, e := s.repository(in.RepositoryName)
	if e != nil {
		return nil, nil, e
	}
	return t, r, nil
}

func (s *Service) associateTemplate(_ *awsproto.Call, in *ccRequest) ccResult {
	t, r, e := s.templateAndRepository(in)
	if e != nil {
		return ccResult{err: e}
	}
	if s.links[t.name] == nil {
		s.links[t.name] = map[string]bool{}
	}
	s.links[t.name][r.name] = true
	return ccResult{resp: map[string]any{}, resources: []string{r.name}}
}

func (s *Service) disassociateTemplate(_ *awsproto.Call, in *ccRequest) ccResult {
	t, r, e := s.templateAndRepository(in)
	if e != nil {
		return ccResult{err: e}
	}
	delete(s.links[t.name], r.name)
	return ccResult{resp: map[string]any{}, resources: []string{r.name}}
}

func (s *Service) listTemplatesForRepository(_ *awsproto.Call, in *ccRequest) ccResult {
	r, e := s.repository(in.RepositoryName)
	if e != nil {
		return ccResult{err: e}
	}
	var names []string
	for _, t := range sortedKeys(s.links) {
		if s.links[t][r.name] {
			names = append(names, t)
		}
	}
	res := listNames(names, in, "approvalRuleTemplateNames")
	res.resources = []string{r.name}
	return res
}

func (s *Service) listRepositoriesForTemplate(_ *awsproto.Call, in *ccRequest) ccResult {
	t, e := s.template(in.ApprovalRuleTemplateName)
	if e != nil {
		return ccResult{err: e}
	}
	return listNames(sortedKeys(s.links[t.name]), in, "repositoryNames")
}

// listNames pages a sorted list of names for the approval rule template lists.
func listNames(names []string, in *ccRequest, key string) ccResult {
	size := listTemplatesPage
	if in.MaxResults != nil {
		if *in.MaxResults < 1 {
			return ccResult{err: ccError("InvalidMaxResultsException", "The specified number of maximum results is not valid.")}
		}
		size = min(*in.MaxResults, listTemplatesPage)
	}
	from, to, next, e := page(in.NextToken, size, len(names))
	if e != nil {
		return ccResult{err: e}
	}
	resp := map[string]any{key: append([]string{}, names[from:to]...)}
	if next != "" {
		resp["nextToken"] = next
	}
	return ccResult{resp: resp, trailResp: resp}
}

// tokenPrefix marks the emulator's continuation tokens, which hold an offset.
const tokenPrefix = "selfguard-offset:"

// page returns the bounds of the page a continuation token asks for and the
// token of the next page ("" at the end).
func page(token string, size, n int) (from, to int, next string, e *awsproto.Error) {
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		off, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), tokenPrefix))
		if err != nil || convErr != nil || !strings.HasPrefix(string(raw), tokenPrefix) || off < 0 {
			return 0, 0, "", ccError("InvalidContinuationTokenException", "The specified continuation token is not valid.")
		}
		from = min(off, n)
	}
	to = min(from+size, n)
	if to < n {
		next = encodeToken(to)
	}
	return from, to, next, nil
}

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(offset)))
}
