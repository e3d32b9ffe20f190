package lambdaemu

import (
	"crypto/rand"
	"net/http"
	"sync"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// Defaults that a World can change.
const (
	// DefaultUpdateDelay is how long a create or update stays Pending or
	// InProgress.
	DefaultUpdateDelay = 300 * time.Millisecond
	// DefaultGetFunctionPerSecond is AWS's GetFunction quota per account
	// and region.
	DefaultGetFunctionPerSecond = 100
	// DefaultControlPlanePerSecond is AWS's shared quota of every other
	// control-plane call per account and region.
	DefaultControlPlanePerSecond = 15
	// DefaultGetPolicyPerSecond is AWS's GetPolicy quota, apart from the
	// shared one.
	DefaultGetPolicyPerSecond = 15
)

// Service is the emulated Lambda control plane.
type Service struct {
	env *awsproto.Env

	mu          sync.Mutex
	functions   map[string]*function
	cscs        map[string]*codeSigningConfig // by ARN
	layers      map[string]*layer             // by unversioned layer ARN
	profiles    map[string]*signingProfile    // by profile name
	jobs        map[string]*signingJob        // by job id
	s3          map[string][]byte             // by bucket + "/" + key
	mappings    map[string]*mapping           // event source mappings by UUID
	mappingSeq  int64
	updateDelay time.Duration
	quotas      Quotas
	getBucket   *awsproto.Bucket
	ctlBucket   *awsproto.Bucket
	policyBkt   *awsproto.Bucket
	urlKey      []byte
	routes      []route
	// kmsKeys maps a customer managed key's ARN to who may decrypt with
	// it through Lambda (kms.go).
	kmsKeys map[string][]string
}

// New returns a Lambda with no resources, AWS's default quotas and the
// default update delay.
func New(env *awsproto.Env) *Service {
	s := &Service{env: env, urlKey: make([]byte, 32)}
	_, _ = rand.Read(s.urlKey)
	s.reset()
	s.setQuotas(Quotas{GetFunctionPerSecond: DefaultGetFunctionPerSecond, ControlPlanePerSecond: DefaultControlPlanePerSecond})
	s.routes = s.buildRoutes()
	return s
}

func (s *Service) reset() {
	s.functions = map[string]*function{}
	s.cscs = map[string]*codeSigningConfig{}
	s.layers = map[string]*layer{}
	s.profiles = map[string]*signingProfile{}
	s.jobs = map[string]*signingJob{}
	s.s3 = map[string][]byte{}
	s.mappings = map[string]*mapping{}
	s.updateDelay = DefaultUpdateDelay
}

// SigningNames implements emulator.Service.
func (s *Service) SigningNames() []string { return []string{"lambda"} }

// Admin implements emulator.Service: the routes of admin.go, mounted at
// /_selfguard/lambda/.
func (s *Service) Admin() (string, http.Handler) { return "lambda", s.adminHandler() }
