// Package logging sets up selfguard's structured logs: zerolog JSON lines on
// stdout with timestamps, the level taken from SELFGUARD_LOG_LEVEL, and a
// logger carried in the context so that every line of one invocation carries
// the Lambda request id and the event it is about. The field names are
// constants here because dashboards and metric filters depend on them.
package logging
