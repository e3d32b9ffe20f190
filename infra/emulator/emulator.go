package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/emulator/signeremu"
)

// AdminPrefix is the path under which the admin API is served. No AWS API
// path begins with it.
const AdminPrefix = "/_selfguard/"

// Service is one emulated AWS service.
type Service interface {
	// SigningNames are the SigV4 service names the service answers to.
	SigningNames() []string
	// ServeAWS answers an API request whose caller is already known.
	ServeAWS(w http.ResponseWriter, r *http.Request, call *awsproto.Call)
	// Admin serves the service's own admin routes, mounted at
	// /_selfguard/<name>/ (nil if it has none).
	Admin() (name string, h http.Handler)
}

// Server is the emulator.
type Server struct {
	Env        *awsproto.Env
	Identities *awsproto.Identities
	Lambda     *lambdaemu.Service
	Repos      *repoemu.Service
	// Signer is the Signer API over Lambda's signing state.
	Signer *signeremu.Service

	mu       sync.RWMutex
	services map[string]Service
	admin    *http.ServeMux
	// loadMu keeps two world loads from interleaving their sections.
	loadMu sync.Mutex
}

// New returns an emulator of one account and region, with the default actors
// and no resources.
func New(account, region string) *Server {
	env := awsproto.NewEnv(account, region)
	lambda := lambdaemu.New(env)
	s := &Server{
		Env: env, Identities: awsproto.NewIdentities(), services: map[string]Service{}, admin: http.NewServeMux(),
		Lambda: lambda, Repos: repoemu.New(env), Signer: signeremu.New(env, lambda),
	}
	for _, a := range DefaultActors(account) {
		s.Identities.Add(a)
	}
	for _, svc := range []Service{s.Lambda, s.Repos, s.Signer} {
		for _, n := range svc.SigningNames() {
			s.services[n] = svc
		}
		if name, h := svc.Admin(); h != nil {
			s.admin.Handle(AdminPrefix+name+"/", http.StripPrefix(AdminPrefix+name, h))
		}
	}
	s.admin.HandleFunc("POST "+AdminPrefix+"world", s.handleLoadWorld)
	s.admin.HandleFunc("GET "+AdminPrefix+"state", s.handleDump)
	s.admin.HandleFunc("GET "+AdminPrefix+"trail", s.handleTrail)
	s.admin.HandleFunc("GET "+AdminPrefix+"faults", s.handleGetFaults)
	s.admin.HandleFunc("PUT "+AdminPrefix+"faults", s.handleSetFaults)
	s.admin.HandleFunc("POST "+AdminPrefix+"clock", s.handleClock)
	s.admin.HandleFunc("GET "+AdminPrefix+"calls", s.handleCalls)
	s.admin.HandleFunc("DELETE "+AdminPrefix+"calls", s.handleResetCalls)
	s.admin.HandleFunc("GET "+AdminPrefix+"health", func(w http.ResponseWriter, _ *http.Request) {
		awsproto.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return s
}

// ServeHTTP routes admin requests and AWS API requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, AdminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	cred, ok := awsproto.ParseCredential(r)
	if !ok {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusForbidden, "MissingAuthenticationTokenException",
			"Missing Authentication Token"))
		return
	}
	actor, ok := s.Identities.Lookup(cred.AccessKeyID)
	if !ok {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusForbidden, "UnrecognizedClientException",
			"The security token included in the request is invalid."))
		return
	}
	s.mu.RLock()
	svc := s.services[cred.Service]
	s.mu.RUnlock()
	if svc == nil {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException",
			"service %q is not emulated here", cred.Service))
		return
	}
	region := cred.Region
	if region == "" {
		region = s.Env.Region
	}
	call := &awsproto.Call{
		Service:   cred.Service,
		Region:    region,
		Account:   s.Env.Account,
		Actor:     actor,
		RequestID: awsproto.NewID(),
		UserAgent: r.Header.Get("User-Agent"),
		Time:      s.Env.Clock.Now(),
	}
	w.Header().Set("X-Amzn-RequestId", call.RequestID)
	svc.ServeAWS(w, r, call)
}

// LoadWorld replaces the whole state with a world, all or nothing: a world
// rejected in any section leaves the account, region, actors, Lambda (with
// its signing state) and repositories as they were.
func (s *Server) LoadWorld(w *World) error {
	if err := w.Validate(); err != nil {
		return err
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	// The services build ARNs from the account and region while loading, so
	// those are set first and put back on failure.
	account, region := s.Env.Account, s.Env.Region
	if w.Account != "" {
		s.Env.Account = w.Account
	}
	if w.Region != "" {
		s.Env.Region = w.Region
	}
	undoLambda, err := s.Lambda.ReplaceWorld(w.Lambda)
	if err != nil {
		s.Env.Account, s.Env.Region = account, region
		return fmt.Errorf("load world: %w", err)
	}
	// The Signer section adds to the signing state Lambda's section made,
	// and Lambda's undo takes it back.
	if err := s.Signer.LoadWorld(w.Signer); err != nil {
		undoLambda()
		s.Env.Account, s.Env.Region = account, region
		return fmt.Errorf("load world: %w", err)
	}
	// Repos.LoadWorld changes nothing when it fails; Lambda is put back.
	if err := s.Repos.LoadWorld(w.Repos); err != nil {
		undoLambda()
		s.Env.Account, s.Env.Region = account, region
		return fmt.Errorf("load world: %w", err)
	}
	for _, a := range w.Actors {
		s.Identities.Add(a)
	}
	return nil
}

// Dump returns the whole state as a world.
func (s *Server) Dump() *World {
	return &World{
		Account: s.Env.Account, Region: s.Env.Region, Actors: s.Identities.All(),
		Lambda: s.Lambda.DumpWorld(), Signer: s.Signer.DumpWorld(), Repos: s.Repos.DumpWorld(),
	}
}

func (s *Server) handleLoadWorld(w http.ResponseWriter, r *http.Request) {
	world, err := DecodeWorld(io.LimitReader(r.Body, 64<<20))
	if err == nil {
		err = s.LoadWorld(world)
	}
	if err != nil {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidWorld", "%v", err))
		return
	}
	awsproto.WriteJSON(w, http.StatusOK, map[string]string{"status": "loaded"})
}

func (s *Server) handleDump(w http.ResponseWriter, _ *http.Request) {
	awsproto.WriteJSON(w, http.StatusOK, s.Dump())
}

func (s *Server) handleTrail(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	events := s.Env.Trail.Since(since)
	if events == nil {
		events = []awsproto.Event{}
	}
	awsproto.WriteJSON(w, http.StatusOK, events)
}

func (s *Server) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	awsproto.WriteJSON(w, http.StatusOK, s.Env.Faults.List())
}

func (s *Server) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	var faults []awsproto.Fault
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&faults); err != nil {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidFaults", "%v", err))
		return
	}
	s.Env.Faults.Set(faults)
	awsproto.WriteJSON(w, http.StatusOK, faults)
}

func (s *Server) handleClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance string     `json:"advance"`
		Set     *time.Time `json:"set"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidClock", "%v", err))
		return
	}
	if req.Advance != "" {
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d < 0 {
			awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidClock", "advance %q: want a positive Go duration", req.Advance))
			return
		}
		s.Env.Clock.Advance(d)
	}
	if req.Set != nil {
		s.Env.Clock.Set(*req.Set)
	}
	awsproto.WriteJSON(w, http.StatusOK, map[string]time.Time{"now": s.Env.Clock.Now()})
}

func (s *Server) handleCalls(w http.ResponseWriter, _ *http.Request) {
	awsproto.WriteJSON(w, http.StatusOK, s.Env.Calls.Stats())
}

func (s *Server) handleResetCalls(w http.ResponseWriter, _ *http.Request) {
	s.Env.Calls.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// Listen serves the emulator on addr (loopback only) until the listener is
// closed, and returns the base URL and the listener.
func (s *Server) Listen(addr string) (string, net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("listen address %q: the emulator serves loopback only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	s.Env.BaseURL = base
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed && !strings.Contains(err.Error(), "use of closed") {
			fmt.Fprintf(os.Stderr, "emulator: %v\n", err)
		}
	}()
	return base, ln, nil
}

// SDKEnv returns the environment variables that point an SDK or the aws CLI
// at the emulator at baseURL as the given actor.
func SDKEnv(baseURL, region string, a awsproto.Actor) []string {
	return []string{
		"AWS_ENDPOINT_URL_LAMBDA=" + baseURL,
		"AWS_ENDPOINT_URL_CODECOMMIT=" + baseURL,
		"AWS_ENDPOINT_URL_CODEGURU_REVIEWER=" + baseURL,
		"AWS_ENDPOINT_URL_SIGNER=" + baseURL,
		"AWS_REGION=" + region,
		// aws CLI v1 reads the region from AWS_DEFAULT_REGION only.
		"AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=" + a.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + a.SecretKey,
	}
}
