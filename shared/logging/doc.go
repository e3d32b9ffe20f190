// Package logging sets up selfguard's structured logs: zerolog JSON lines on
// stdout with timestamps, the level taken from SELFGUARD_LOG_LEVEL, and a
// logger carried in the context so that every line of one invocation carries
// the Lambda request id and the event it is about. There is one way to carry
// it: With puts it in zerolog's own context slot, From reads it (and never
// hands out a disabled logger). The field names are constants here because
// dashboards and metric filters depend on them; a test keeps the rest of the
// code from spelling them, or their synonyms, itself.
package logging
