// Package finding is the vocabulary every selfguard guard speaks: modes,
// severities, rule ids, findings and planned actions. Decision packages return
// these values; the alert, ledger and CLI packages render and store them, so a
// finding looks the same whether it came from an event, the sweep or an audit.
package finding
