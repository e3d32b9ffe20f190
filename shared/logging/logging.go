package logging

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/rs/zerolog"
)

// EnvLevel names the variable holding the log level (debug, info, warn,
// error); unset or unknown means info.
const EnvLevel = "SELFGUARD_LOG_LEVEL"

// Stable field names: the one vocabulary of every selfguard log line.
// Metric filters and saved queries match on them, so they never change, and
// code outside this package never spells a field name itself (a test holds
// shared/ and functions/ to that).
const (
	FieldRequestID = "request_id"
	FieldEventID   = "event_id"
	FieldEventName = "event_name"
	FieldOperation = "operation"
	FieldActor     = "actor"
	FieldActorARN  = "actor_arn"
	FieldSourceIP  = "source_ip"
	// FieldSubject is the resource an event points at; FieldResource the
	// resource a finding or an action is about (a code signing config
	// subject has findings on each of its functions).
	FieldSubject  = "subject"
	FieldResource = "resource"
	FieldRule     = "rule"
	FieldSeverity = "severity"
	FieldMode     = "mode"
	FieldDecision = "decision"
	// FieldAction is the action carried out (after a fallback, the one
	// finally taken), FieldPlanned the one decided when that differs.
	FieldAction  = "action"
	FieldPlanned = "planned"
	// FieldOutcome says how an action ended (done, not-needed, refused,
	// failed, planned): never "status".
	FieldOutcome = "outcome"
	// FieldDetail explains an outcome; "message" is zerolog's own.
	FieldDetail = "detail"
	FieldReason = "reason"
	FieldGuard  = "guard"
)

// New returns a JSON logger writing to w at the named level. An empty or
// unknown level gives info, so a typo never silences the guard.
func New(w io.Writer, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(strings.ToLower(strings.TrimSpace(level)))
	if err != nil || lvl == zerolog.NoLevel {
		lvl = zerolog.InfoLevel
	}
	l := zerolog.New(w).Level(lvl).With().Timestamp().Logger()
	if err != nil {
		l.Warn().Str("level", level).Msg("unknown log level, using info")
	}
	return l
}

// FromEnv returns the process logger: JSON on stdout at the level getenv
// gives for SELFGUARD_LOG_LEVEL.
func FromEnv(getenv func(string) string) zerolog.Logger {
	return New(os.Stdout, getenv(EnvLevel))
}

// Invocation starts the logging of one invocation: base with the Lambda
// request id (when ctx is a Lambda invocation's), put in ctx. Call it once
// per invocation; loggers derived from it carry the id once.
func Invocation(ctx context.Context, base zerolog.Logger) (context.Context, zerolog.Logger) {
	if id := requestID(ctx); id != "" {
		base = base.With().Str(FieldRequestID, id).Logger()
	}
	return With(ctx, base), base
}

// With returns a context carrying logger. It is kept in zerolog's own
// context slot (logger.WithContext), the only place a logger travels in
// selfguard; From reads it.
func With(ctx context.Context, logger zerolog.Logger) context.Context {
	return logger.WithContext(ctx)
}

// From returns the logger ctx carries. A context that carries none (or a
// disabled one) gives the process logger with the request id, if any: a
// line is never silently dropped because a caller forgot the logger.
func From(ctx context.Context) zerolog.Logger {
	if l := zerolog.Ctx(ctx); l.GetLevel() != zerolog.Disabled {
		return *l
	}
	l := FromEnv(os.Getenv)
	if id := requestID(ctx); id != "" {
		l = l.With().Str(FieldRequestID, id).Logger()
	}
	return l
}

// RequestID returns the Lambda request id of the invocation ctx belongs
// to, or "" outside Lambda.
func RequestID(ctx context.Context) string { return requestID(ctx) }

func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc != nil {
		return lc.AwsRequestID
	}
	return ""
}
