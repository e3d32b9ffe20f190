package lambdaemu

import (
	"net/http"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// Quotas are the Lambda API request quotas per account and region, in
// requests per second; 0 is unlimited. AWS allows GetFunction 100 a second,
// GetPolicy 15 a second, and every other control-plane call shares one
// bucket of 15 a second.
type Quotas struct {
	// GetFunctionPerSecond is the GetFunction quota.
	GetFunctionPerSecond float64 `json:"getFunctionPerSecond"`
	// ControlPlanePerSecond is the quota shared by every other operation.
	ControlPlanePerSecond float64 `json:"controlPlanePerSecond"`
	// GetPolicyPerSecond is the GetPolicy quota; absent means AWS's 15, so
	// quotas set before the field existed keep their meaning.
	GetPolicyPerSecond *float64 `json:"getPolicyPerSecond,omitempty"`
}

func (q Quotas) valid() error {
	if q.GetFunctionPerSecond < 0 || q.ControlPlanePerSecond < 0 || (q.GetPolicyPerSecond != nil && *q.GetPolicyPerSecond < 0) {
		return errNegativeQuota
	}
	return nil
}

func (q Quotas) getPolicy() float64 {
	if q.GetPolicyPerSecond == nil {
		return DefaultGetPolicyPerSecond
	}
	return *q.GetPolicyPerSecond
}

// SetQuotas replaces the quotas; the buckets start full.
func (s *Service) SetQuotas(q Quotas) error {
	if err := q.valid(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setQuotas(q)
	return nil
}

// CurrentQuotas returns the quotas in force.
func (s *Service) CurrentQuotas() Quotas {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quotas
}

func (s *Service) setQuotas(q Quotas) {
	s.quotas = q
	s.getBucket = awsproto.NewBucket(q.GetFunctionPerSecond, q.GetFunctionPerSecond)
	s.ctlBucket = awsproto.NewBucket(q.ControlPlanePerSecond, q.ControlPlanePerSecond)
	s.policyBkt = awsproto.NewBucket(q.getPolicy(), q.getPolicy())
}

// Quota buckets, as the call log names them.
const (
	bucketControlPlane = "control-plane"
	bucketGetFunction  = "get-function"
	bucketGetPolicy    = "get-policy"
)

// bucketOf is the quota an operation draws on.
func bucketOf(op string) string {
	switch op {
	case "GetFunction":
		return bucketGetFunction
	case "GetPolicy":
		return bucketGetPolicy
	default:
		return bucketControlPlane
	}
}

func (s *Service) bucket(name string) *awsproto.Bucket {
	switch name {
	case bucketGetFunction:
		return s.getBucket
	case bucketGetPolicy:
		return s.policyBkt
	default:
		return s.ctlBucket
	}
}

func throttled() *awsproto.Error {
	return &awsproto.Error{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Rate exceeded", Type: "User"}
}
