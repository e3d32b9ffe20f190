package lambdaemu

import (
	"net/http"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// Quotas are the Lambda API request quotas per account and region, in
// requests per second; 0 is unlimited. AWS allows GetFunction 100 a second
// and every other control-plane call shares one bucket of 15 a second.
type Quotas struct {
	// GetFunctionPerSecond is the GetFunction quota.
	GetFunctionPerSecond float64 `json:"getFunctionPerSecond"`
	// ControlPlanePerSecond is the quota shared by every other operation.
	ControlPlanePerSecond float64 `json:"controlPlanePerSecond"`
}

// SetQuotas replaces the quotas; the buckets start full.
func (s *Service) SetQuotas(q Quotas) error {
	if q.GetFunctionPerSecond < 0 || q.ControlPlanePerSecond < 0 {
		return errNegativeQuota
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
}

func throttled() *awsproto.Error {
	return &awsproto.Error{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Rate exceeded", Type: "User"}
}
