package repoemu

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// Pull request override statuses, as CodeCommit names them.
const (
	OverrideStatusOverride = "OVERRIDE"
	OverrideStatusRevoke   = "REVOKE"
)

const (
	maxTitleLength       = 150
	maxDescriptionLength = 10240
)

// prTargetIn is a target of CreatePullRequest.
type prTargetIn struct {
	RepositoryName       string `json:"repositoryName,omitempty"`
	SourceReference      string `json:"sourceReference,omitempty"`
	DestinationReference string `json:"destinationReference,omitempty"`
}

// pullRequest is an open pull request. Repository content is not emulated,
// so its commits are names derived from the references, stable for the
// pull request's life; its one revision never changes.
type pullRequest struct {
	id, title, description, token, author string
	created                               time.Time
	target                                prTarget
	revision                              string
	rules                                 []approvalRule
	overrider                             string // "" while not overridden
}

type prTarget struct {
	repo, source, destination, sourceCommit, destinationCommit string
}

// approvalRule is a pull request's approval rule; here every one comes from
// a template associated with the repository when the pull request opened.
type approvalRule struct {
	id, name, content, sha, user string
	created                      time.Time
	templateID, templateName     string
}

var branchRE = regexp.MustCompile(`^[^\s~^:?*\[\\]+$`)

// fullRef turns a branch name into a full reference (refs/heads/NAME).
func fullRef(ref string) string {
	if strings.HasPrefix(ref, "refs/") {
		return ref
	}
	return "refs/heads/" + ref
}

func fakeCommit(parts ...string) string {
	sum := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

func (s *Service) createPullRequest(c *awsproto.Call, in *ccRequest) ccResult {
	if e := checkPullRequestText(in); e != nil {
		return ccResult{err: e}
	}
	if in.ClientRequestToken != "" {
		for _, pr := range s.prs {
			if pr.token == in.ClientRequestToken {
				if pr.title != in.Title || pr.target.repo != in.Targets[0].RepositoryName {
					return ccResult{err: ccError("IdempotencyParameterMismatchException",
						"The client request token is not valid. Either the token is not in a valid format, or the token has been used in a previous request and cannot be reused.")}
				}
				return s.pullRequestResult(pr)
			}
		}
	}
	target, e := s.pullRequestTarget(in.Targets[0])
	if e != nil {
		return ccResult{err: e}
	}
	pr := &pullRequest{id: strconv.Itoa(s.nextPR), title: in.Title, description: in.Description, token: in.ClientRequestToken,
		author: c.Actor.Identity.ARN, created: c.Time, target: target}
	s.nextPR++
	sum := sha256.Sum256([]byte(pr.id + "\x00" + target.sourceCommit + "\x00" + target.destinationCommit))
	pr.revision = hex.EncodeToString(sum[:])
	pr.rules = s.rulesFromTemplates(target, c)
	s.prs[pr.id] = pr
	return s.pullRequestResult(pr)
}

func checkPullRequestText(in *ccRequest) *awsproto.Error {
	switch {
	case in.Title == "":
		return ccError("TitleRequiredException", "A pull request title is required. It cannot be empty or null.")
	case len([]rune(in.Title)) > maxTitleLength:
		return ccError("InvalidTitleException", "The title of the pull request is not valid. Pull request titles cannot exceed %d characters.", maxTitleLength)
	case len([]rune(in.Description)) > maxDescriptionLength:
		return ccError("InvalidDescriptionException", "The pull request description is not valid. Descriptions cannot be more than %d characters.", maxDescriptionLength)
	case len(in.Targets) == 0:
		return ccError("TargetsRequiredException", "An array of target objects is required. It cannot be empty or null.")
	case len(in.Targets) > 1:
		return ccError("MultipleRepositoriesInPullRequestException", "You cannot include more than one repository in a pull request.")
	}
	return nil
}

// pullRequestTarget checks a target; the destination defaults to the
// repository's default branch (main if it has none).
func (s *Service) pullRequestTarget(t prTargetIn) (prTarget, *awsproto.Error) {
	r, e := s.repository(t.RepositoryName)
	if e != nil {
		return prTarget{}, e
	}
	if t.SourceReference == "" {
		return prTarget{}, ccError("ReferenceNameRequiredException", "A reference name is required, but none was provided.")
	}
	dest := t.DestinationReference
	if dest == "" {
		dest = orDefault(r.defaultBranch, "main")
	}
	for _, ref := range []string{t.SourceReference, dest} {
		if !branchRE.MatchString(ref) || strings.HasSuffix(ref, "/") {
			return prTarget{}, ccError("InvalidReferenceNameException", "The reference name is not valid: %q.", ref)
		}
	}
	src, dst := fullRef(t.SourceReference), fullRef(dest)
	if src == dst {
		return prTarget{}, ccError("SourceAndDestinationAreSameException",
			"The source branch and destination branch for the pull request are the same. You must specify different branches for the source and destination.")
	}
	return prTarget{repo: r.name, source: src, destination: dst,
		sourceCommit: fakeCommit(r.id, src), destinationCommit: fakeCommit(r.id, dst)}, nil
}

// rulesFromTemplates makes the approval rules CodeCommit adds to a new pull
// request: one per template associated with the repository whose
// destination references include the pull request's (or name none).
func (s *Service) rulesFromTemplates(t prTarget, c *awsproto.Call) []approvalRule {
	var rules []approvalRule
	for _, name := range sortedKeys(s.links) {
		tpl := s.templates[name]
		if tpl == nil || !s.links[name][t.repo] {
			continue
		}
		content, err := ParseTemplateContent(tpl.content)
		if err != nil || (len(content.DestinationReferences) > 0 && !slices.Contains(content.DestinationReferences, t.destination)) {
			continue
		}
		rules = append(rules, approvalRule{id: awsproto.NewID(), name: tpl.name, content: tpl.content, sha: tpl.sha,
			user: c.Actor.Identity.ARN, created: c.Time, templateID: tpl.id, templateName: tpl.name})
	}
	return rules
}

func (s *Service) pullRequestResult(pr *pullRequest) ccResult {
	return ccResult{
		resp:      map[string]any{"pullRequest": pr.view(false)},
		trailResp: map[string]any{"pullRequest": pr.view(true)},
		resources: []string{pr.target.repo},
	}
}

// view renders a pull request as the API does, or as CloudTrail prints it.
func (pr *pullRequest) view(forTrail bool) map[string]any {
	date := func(t time.Time) any {
		if forTrail {
			return t.UTC().Format(trailDateLayout)
		}
		return epoch(t)
	}
	rules := []map[string]any{}
	for _, r := range pr.rules {
		rules = append(rules, map[string]any{
			"approvalRuleId": r.id, "approvalRuleName": r.name, "approvalRuleContent": r.content, "ruleContentSha256": r.sha,
			"lastModifiedUser": r.user, "creationDate": date(r.created), "lastModifiedDate": date(r.created),
			"originApprovalRuleTemplate": map[string]any{"approvalRuleTemplateId": r.templateID, "approvalRuleTemplateName": r.templateName},
		})
	}
	m := map[string]any{
		"pullRequestId": pr.id, "title": pr.title, "authorArn": pr.author, "pullRequestStatus": "OPEN",
		"creationDate": date(pr.created), "lastActivityDate": date(pr.created), "revisionId": pr.revision,
		"approvalRules": rules,
		"pullRequestTargets": []map[string]any{{
			"repositoryName": pr.target.repo, "sourceReference": pr.target.source, "destinationReference": pr.target.destination,
			"sourceCommit": pr.target.sourceCommit, "destinationCommit": pr.target.destinationCommit,
			"mergeBase": pr.target.destinationCommit, "mergeMetadata": map[string]any{"isMerged": false},
		}},
	}
	if pr.description != "" {
		m["description"] = pr.description
	}
	if pr.token != "" {
		m["clientRequestToken"] = pr.token
	}
	return m
}

var pullRequestIDRE = regexp.MustCompile(`^[1-9][0-9]*$`)

func (s *Service) pullRequest(id string) (*pullRequest, *awsproto.Error) {
	switch {
	case id == "":
		return nil, ccError("PullRequestIdRequiredException", "A pull request ID is required, but none was provided.")
	case !pullRequestIDRE.MatchString(id):
		return nil, ccError("InvalidPullRequestIdException", "The pull request ID is not valid: %q.", id)
	}
	pr := s.prs[id]
	if pr == nil {
		return nil, ccError("PullRequestDoesNotExistException", "The pull request ID could not be found: %s.", id)
	}
	return pr, nil
}

// revisionOf finds a pull request and checks the revision the caller names
// is its revision.
func (s *Service) revisionOf(in *ccRequest) (*pullRequest, *awsproto.Error) {
	pr, e := s.pullRequest(in.PullRequestID)
	if e != nil {
		return nil, e
	}
	switch {
	case in.RevisionID == "":
		return nil, ccError("RevisionIdRequiredException", "A revision ID is required, but was not provided.")
	case in.RevisionID != pr.revision:
		return nil, ccError("InvalidRevisionIdException", "The revision ID is not valid. Use GetPullRequest to determine the value.")
	}
	return pr, nil
}

func (s *Service) getPullRequest(_ *awsproto.Call, in *ccRequest) ccResult {
	pr, e := s.pullRequest(in.PullRequestID)
	if e != nil {
		return ccResult{err: e}
	}
	return s.pullRequestResult(pr)
}

// overridePullRequest sets aside (OVERRIDE) or restores (REVOKE) a pull
// request's approval rules. REVOKE is not stored: it clears the override.
func (s *Service) overridePullRequest(c *awsproto.Call, in *ccRequest) ccResult {
	pr, e := s.revisionOf(in)
	if e != nil {
		return ccResult{err: e}
	}
	switch in.OverrideStatus {
	case "":
		return ccResult{err: ccError("OverrideStatusRequiredException", "An override status is required, but no value was provided. Valid values include OVERRIDE and REVOKE.")}
	case OverrideStatusOverride:
		if pr.overrider != "" {
			return ccResult{err: ccError("OverrideAlreadySetException", "The pull request has already had its approval rules set to override.")}
		}
		pr.overrider = c.Actor.Identity.ARN
	case OverrideStatusRevoke:
		pr.overrider = ""
	default:
		return ccResult{err: ccError("InvalidOverrideStatusException", "The override status is not valid. Valid statuses are OVERRIDE and REVOKE.")}
	}
	return ccResult{resp: map[string]any{}, resources: []string{pr.target.repo}}
}

func (s *Service) getOverrideState(_ *awsproto.Call, in *ccRequest) ccResult {
	pr, e := s.revisionOf(in)
	if e != nil {
		return ccResult{err: e}
	}
	resp := map[string]any{"overridden": pr.overrider != ""}
	if pr.overrider != "" {
		resp["overrider"] = pr.overrider
	}
	return ccResult{resp: resp, trailResp: resp, resources: []string{pr.target.repo}}
}
