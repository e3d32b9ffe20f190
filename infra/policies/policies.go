package policies

import _ "embed"

// The policy documents, as shipped beside this file.
var (
	// Boundary is a permission boundary for developer roles: it allows what
	// their identity policies allow, minus every way to turn, starve, blind
	// or deafen selfguard, or to forge its input and output.
	//
	//go:embed developer-boundary.json
	Boundary []byte
	// TamperingSCP denies changing selfguard's resources to every principal
	// of the account but the deployer role.
	//
	//go:embed scp-deny-guard-tampering.json
	TamperingSCP []byte
	// ForgerySCP denies invoking the guards, publishing to their topic and
	// writing their ledger, queues and logs to every principal but the
	// stack's own roles and the deployer.
	//
	//go:embed scp-deny-guard-forgery.json
	ForgerySCP []byte
)
