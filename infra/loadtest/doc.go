// Package loadtest runs selfguard's guards on the local account under load
// and faults and checks what must hold: every event handled, no action
// taken twice, no alert lost, the shared Lambda quota left to others.
//
// RunBurst is a deploy pipeline redeploying many functions while an
// attacker slips unsigned code into some, with Lambda's real quotas and
// injected errors; RunOutage makes SNS or DynamoDB unreachable for the
// guard for a while. Both return a Report of named checks. They take
// minutes, so they run from cmd/burst (make bench-burst) or from the tests
// when SELFGUARD_LOADTEST is set, never in make test's default run.
package loadtest
