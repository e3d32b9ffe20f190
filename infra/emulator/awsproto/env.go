package awsproto

// Env is what the emulator gives every service: the account it emulates, the
// shared clock, trail, faults and call log, and the base URL it is served at
// (for URLs it hands out, such as Lambda's Code.Location).
type Env struct {
	Account string
	Region  string
	BaseURL string
	Clock   *Clock
	Trail   *Trail
	Faults  *Faults
	Calls   *CallLog
}

// NewEnv returns an Env with a fresh clock, trail, faults and call log.
func NewEnv(account, region string) *Env {
	return &Env{
		Account: account, Region: region,
		Clock: &Clock{}, Trail: NewTrail(), Faults: &Faults{}, Calls: NewCallLog(),
	}
}
