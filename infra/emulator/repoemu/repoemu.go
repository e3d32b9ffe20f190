// Package repoemu emulates the CodeCommit and CodeGuru Reviewer for selfguard's
// local account. (Skeleton: filled in by the repository emulator work.)
package repoemu

import (
	"net/http"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// World is the repository part of a world file.
type World struct{}

// Service is the emulated CodeCommit and CodeGuru Reviewer.
type Service struct{ env *awsproto.Env }

// New returns an empty CodeCommit and CodeGuru Reviewer.
func New(env *awsproto.Env) *Service { return &Service{env: env} }

// SigningNames implements emulator.Service.
func (s *Service) SigningNames() []string { return []string{"codecommit", "codeguru-reviewer"} }

// ServeAWS implements emulator.Service.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, call *awsproto.Call) {
	awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "not implemented"))
}

// LoadWorld replaces the state with a world's.
func (s *Service) LoadWorld(w World) error { return nil }

// DumpWorld returns the state as a world.
func (s *Service) DumpWorld() World { return World{} }

// Admin implements emulator.Service.
func (s *Service) Admin() (string, http.Handler) { return "repos", nil }
