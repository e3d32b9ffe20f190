package repoemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// DefaultAssociationDelay is how long, on the emulator clock, a CodeGuru
// Reviewer association stays Associating (and a disassociation
// Disassociating) unless the world says otherwise.
const DefaultAssociationDelay = 5 * time.Second

// World is the repository part of a world file: CodeCommit repositories,
// approval rule templates and their associations, and CodeGuru Reviewer
// associations. Loading a world replaces all of them.
type World struct {
	// Repositories are the CodeCommit repositories.
	Repositories []Repository `json:"repositories,omitempty"`
	// ApprovalRuleTemplates are the account's approval rule templates.
	ApprovalRuleTemplates []ApprovalRuleTemplate `json:"approvalRuleTemplates,omitempty"`
	// TemplateAssociations attach templates to repositories.
	TemplateAssociations []TemplateAssociation `json:"templateAssociations,omitempty"`
	// CodeGuruAssociations are CodeGuru Reviewer repository associations.
	CodeGuruAssociations []CodeGuruAssociation `json:"codeGuruAssociations,omitempty"`
	// CodeGuruClosedToNew reproduces the availability change of 2025-11-07:
	// AssociateRepository refuses every new association, while existing
	// ones can still be described, listed and disassociated. Absent means
	// true, as in AWS today.
	CodeGuruClosedToNew *bool `json:"codeGuruClosedToNew,omitempty"`
	// AssociationDelay is a Go duration ("5s", "0s"): how long associations
	// stay Associating and disassociations Disassociating on the emulator
	// clock. Absent means DefaultAssociationDelay.
	AssociationDelay string `json:"associationDelay,omitempty"`
}

// Repository is a CodeCommit repository of a world.
type Repository struct {
	Name string `json:"name"`
	// ID is the repository id; a random UUID if absent.
	ID            string `json:"id,omitempty"`
	Description   string `json:"description,omitempty"`
	DefaultBranch string `json:"defaultBranch,omitempty"`
}

// ApprovalRuleTemplate is an approval rule template of a world.
type ApprovalRuleTemplate struct {
	Name string `json:"name"`
	// ID is the template id; a random UUID if absent.
	ID          string `json:"id,omitempty"`
	Description string `json:"description,omitempty"`
	// Content is the template content, the JSON document CodeCommit takes
	// (see ParseTemplateContent), as a string.
	Content string `json:"content"`
}

// TemplateAssociation associates an approval rule template with a repository.
type TemplateAssociation struct {
	Template   string `json:"template"`
	Repository string `json:"repository"`
}

// CodeGuruAssociation is a CodeGuru Reviewer repository association of a world.
type CodeGuruAssociation struct {
	// Repository is the repository name; for CodeCommit it must be a
	// repository of the world.
	Repository string `json:"repository"`
	// ID is the association id; a random UUID if absent.
	ID string `json:"id,omitempty"`
	// State is Associated (the default), Associating, Failed,
	// Disassociating or Disassociated. Associating and Disassociating move
	// on after the association delay, counted from loading.
	State string `json:"state,omitempty"`
	// ProviderType is CodeCommit (the default), GitHub, Bitbucket,
	// GitHubEnterpriseServer or S3Bucket.
	ProviderType string `json:"providerType,omitempty"`
	// Owner is the repository owner; the account for CodeCommit by default.
	Owner string `json:"owner,omitempty"`
	// ClientRequestToken is the idempotency token the association was made with.
	ClientRequestToken string `json:"clientRequestToken,omitempty"`
}

// Association states, as CodeGuru Reviewer names them.
const (
	StateAssociated     = "Associated"
	StateAssociating    = "Associating"
	StateFailed         = "Failed"
	StateDisassociating = "Disassociating"
	StateDisassociated  = "Disassociated"
)

// Provider types, as CodeGuru Reviewer names them.
const (
	ProviderCodeCommit = "CodeCommit"
)

var (
	validStates    = []string{StateAssociated, StateAssociating, StateFailed, StateDisassociating, StateDisassociated}
	validProviders = []string{ProviderCodeCommit, "GitHub", "Bitbucket", "GitHubEnterpriseServer", "S3Bucket"}
	uuidRE         = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

type repository struct {
	id, name, description, defaultBranch string
	created, modified                    time.Time
}

type template struct {
	id, name, description, content, sha string
	created, modified                   time.Time
	lastModifiedUser                    string
}

type association struct {
	id, name, owner, provider, token string
	tags                             map[string]string
	state                            string
	created, updated                 time.Time
	// due is when a transitional state (Associating, Disassociating) ends.
	due time.Time
}

// Service is the emulated CodeCommit and CodeGuru Reviewer.
type Service struct {
	env *awsproto.Env

	mu        sync.Mutex
	repos     map[string]*repository // by name
	templates map[string]*template   // by name
	// links holds template name → repository name → true.
	links map[string]map[string]bool
	// assocs is in creation order, as ListRepositoryAssociations pages them.
	assocs []*association
	closed bool
	delay  time.Duration
	// prs holds the pull requests by id; nextPR numbers the next one.
	prs    map[string]*pullRequest
	nextPR int
}

// New returns an empty CodeCommit and CodeGuru Reviewer, closed to new
// CodeGuru associations as AWS is.
func New(env *awsproto.Env) *Service {
	s := &Service{env: env}
	s.reset()
	return s
}

func (s *Service) reset() {
	s.repos = map[string]*repository{}
	s.templates = map[string]*template{}
	s.links = map[string]map[string]bool{}
	s.assocs = nil
	s.prs = map[string]*pullRequest{}
	s.nextPR = 1
	s.closed = true
	s.delay = DefaultAssociationDelay
}

// SigningNames implements emulator.Service.
func (s *Service) SigningNames() []string { return []string{"codecommit", "codeguru-reviewer"} }

// ServeAWS implements emulator.Service: CodeCommit by X-Amz-Target, CodeGuru
// Reviewer by method and path.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, call *awsproto.Call) {
	switch call.Service {
	case "codecommit":
		s.serveCodeCommit(w, r, call)
	case "codeguru-reviewer":
		s.serveCodeGuru(w, r, call)
	default:
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException",
			"service %q is not emulated by repoemu", call.Service))
	}
}

// LoadWorld replaces the state with a world's. It checks the world as AWS
// would check the same requests and reports the first problem.
func (s *Service) LoadWorld(w World) error {
	now := s.env.Clock.Now()
	delay := DefaultAssociationDelay
	if w.AssociationDelay != "" {
		d, err := time.ParseDuration(w.AssociationDelay)
		if err != nil || d < 0 {
			return fmt.Errorf("repos: associationDelay %q: want a Go duration such as 5s", w.AssociationDelay)
		}
		delay = d
	}
	repos := map[string]*repository{}
	for i, r := range w.Repositories {
		if err := checkRepositoryName(r.Name); err != nil {
			return fmt.Errorf("repos: repositories[%d]: %s", i, err.Message)
		}
		if repos[r.Name] != nil {
			return fmt.Errorf("repos: repository %q appears twice", r.Name)
		}
		if len(r.Description) > 1000 {
			return fmt.Errorf("repos: repository %q: description longer than 1000 characters", r.Name)
		}
		if r.ID != "" && !uuidRE.MatchString(r.ID) {
			return fmt.Errorf("repos: repository %q: id %q is not a UUID", r.Name, r.ID)
		}
		if r.DefaultBranch != "" && strings.ContainsAny(r.DefaultBranch, " \t\n~^:?*[\\") {
			return fmt.Errorf("repos: repository %q: defaultBranch %q is not a branch name", r.Name, r.DefaultBranch)
		}
		repos[r.Name] = &repository{id: orNewID(r.ID), name: r.Name, description: r.Description,
			defaultBranch: r.DefaultBranch, created: now, modified: now}
	}
	templates := map[string]*template{}
	for i, t := range w.ApprovalRuleTemplates {
		if err := checkTemplateName(t.Name); err != nil {
			return fmt.Errorf("repos: approvalRuleTemplates[%d]: %s", i, err.Message)
		}
		if templates[t.Name] != nil {
			return fmt.Errorf("repos: approval rule template %q appears twice", t.Name)
		}
		if len(t.Description) > 1000 {
			return fmt.Errorf("repos: approval rule template %q: description longer than 1000 characters", t.Name)
		}
		if t.ID != "" && !uuidRE.MatchString(t.ID) {
			return fmt.Errorf("repos: approval rule template %q: id %q is not a UUID", t.Name, t.ID)
		}
		if _, err := ParseTemplateContent(t.Content); err != nil {
			return fmt.Errorf("repos: approval rule template %q: %w", t.Name, err)
		}
		templates[t.Name] = &template{id: orNewID(t.ID), name: t.Name, description: t.Description,
			content: t.Content, sha: ContentSHA256(t.Content), created: now, modified: now,
			lastModifiedUser: "arn:aws:iam::" + s.env.Account + ":root"}
	}
	links := map[string]map[string]bool{}
	for _, l := range w.TemplateAssociations {
		if templates[l.Template] == nil {
			return fmt.Errorf("repos: template association: no approval rule template %q", l.Template)
		}
		if repos[l.Repository] == nil {
			return fmt.Errorf("repos: template association of %q: no repository %q", l.Template, l.Repository)
		}
		if links[l.Template] == nil {
			links[l.Template] = map[string]bool{}
		}
		links[l.Template][l.Repository] = true
	}
	var assocs []*association
	ids := map[string]bool{}
	for i, a := range w.CodeGuruAssociations {
		what := fmt.Sprintf("repos: codeGuruAssociations[%d] (%q)", i, a.Repository)
		provider := orDefault(a.ProviderType, ProviderCodeCommit)
		if !slices.Contains(validProviders, provider) {
			return fmt.Errorf("%s: providerType %q: want one of %s", what, provider, strings.Join(validProviders, ", "))
		}
		state := orDefault(a.State, StateAssociated)
		if !slices.Contains(validStates, state) {
			return fmt.Errorf("%s: state %q: want one of %s", what, state, strings.Join(validStates, ", "))
		}
		if a.Repository == "" {
			return fmt.Errorf("%s: repository is empty", what)
		}
		if provider == ProviderCodeCommit && repos[a.Repository] == nil {
			return fmt.Errorf("%s: no CodeCommit repository %q in the world", what, a.Repository)
		}
		if a.ID != "" && !uuidRE.MatchString(a.ID) {
			return fmt.Errorf("%s: id %q is not a UUID", what, a.ID)
		}
		id := orNewID(a.ID)
		if ids[id] {
			return fmt.Errorf("%s: id %q appears twice", what, id)
		}
		ids[id] = true
		owner := a.Owner
		if owner == "" && provider == ProviderCodeCommit {
			owner = s.env.Account
		}
		assocs = append(assocs, &association{id: id, name: a.Repository, owner: owner, provider: provider,
			token: a.ClientRequestToken, state: state, created: now, updated: now, due: now.Add(delay)})
	}
	for i, a := range assocs {
		for _, b := range assocs[:i] {
			if a.provider == b.provider && a.name == b.name && a.owner == b.owner && active(a.state) && active(b.state) {
				return fmt.Errorf("repos: repository %q has two active CodeGuru associations", a.name)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
	s.repos, s.templates, s.links, s.assocs, s.delay = repos, templates, links, assocs, delay
	if w.CodeGuruClosedToNew != nil {
		s.closed = *w.CodeGuruClosedToNew
	}
	return nil
}

// DumpWorld returns the state as a world.
func (s *Service) DumpWorld() World {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.env.Clock.Now())
	closed := s.closed
	w := World{CodeGuruClosedToNew: &closed, AssociationDelay: s.delay.String()}
	for _, name := range sortedKeys(s.repos) {
		r := s.repos[name]
		w.Repositories = append(w.Repositories, Repository{Name: r.name, ID: r.id, Description: r.description, DefaultBranch: r.defaultBranch})
	}
	for _, name := range sortedKeys(s.templates) {
		t := s.templates[name]
		w.ApprovalRuleTemplates = append(w.ApprovalRuleTemplates, ApprovalRuleTemplate{Name: t.name, ID: t.id, Description: t.description, Content: t.content})
		for _, repo := range sortedKeys(s.links[name]) {
			w.TemplateAssociations = append(w.TemplateAssociations, TemplateAssociation{Template: name, Repository: repo})
		}
	}
	for _, a := range s.assocs {
		w.CodeGuruAssociations = append(w.CodeGuruAssociations, CodeGuruAssociation{Repository: a.name, ID: a.id,
			State: a.state, ProviderType: a.provider, Owner: a.owner, ClientRequestToken: a.token})
	}
	return w
}

// CodeGuruAvailability is the body of the admin route /_selfguard/repos/codeguru.
type CodeGuruAvailability struct {
	// ClosedToNew: AssociateRepository refuses new associations.
	ClosedToNew *bool `json:"closedToNew,omitempty"`
	// AssociationDelay is a Go duration.
	AssociationDelay string `json:"associationDelay,omitempty"`
}

// Admin implements emulator.Service: GET /codeguru reads the availability
// switch and association delay, PUT /codeguru sets either.
func (s *Service) Admin() (string, http.Handler) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /codeguru", func(w http.ResponseWriter, _ *http.Request) {
		awsproto.WriteJSON(w, http.StatusOK, s.availability())
	})
	mux.HandleFunc("PUT /codeguru", func(w http.ResponseWriter, r *http.Request) {
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		var req CodeGuruAvailability
		if err := dec.Decode(&req); err != nil {
			awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidRequest", "decode body: %v", err))
			return
		}
		var delay *time.Duration
		if req.AssociationDelay != "" {
			d, err := time.ParseDuration(req.AssociationDelay)
			if err != nil || d < 0 {
				awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidRequest",
					"associationDelay %q: want a Go duration such as 5s", req.AssociationDelay))
				return
			}
			delay = &d
		}
		s.mu.Lock()
		if req.ClosedToNew != nil {
			s.closed = *req.ClosedToNew
		}
		if delay != nil {
			s.delay = *delay
		}
		s.mu.Unlock()
		awsproto.WriteJSON(w, http.StatusOK, s.availability())
	})
	return "repos", mux
}

func (s *Service) availability() CodeGuruAvailability {
	s.mu.Lock()
	defer s.mu.Unlock()
	closed := s.closed
	return CodeGuruAvailability{ClosedToNew: &closed, AssociationDelay: s.delay.String()}
}

// epoch marshals a time as epoch seconds with milliseconds, a JSON number:
// the timestamp format of both JSON 1.1 and REST-JSON.
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (e epoch) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(e).UnixMilli())/1e3, 'f', 3, 64)), nil
}

func orNewID(id string) string { return orDefault(id, awsproto.NewID()) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// readBody reads a request body of at most 1 MiB.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}
