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

// Stable field names. Metric filters and saved queries match on them, so
// they never change.
const (
	FieldRequestID = "request_id"
	FieldEventID   = "event_id"
	FieldEventName = "event_name"
	FieldOperation = "operation"
	FieldActor     = "actor"
	FieldActorARN  = "actor_arn"
	FieldSourceIP  = "source_ip"
	FieldResource  = "resource"
	FieldRule      = "rule"
	FieldSeverity  = "severity"
	FieldMode      = "mode"
	FieldDecision  = "decision"
	FieldAction    = "action"
	FieldOutcome   = "outcome"
	FieldReason    = "reason"
	FieldGuard     = "guard"
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

type ctxKey struct{}

type carried struct {
	logger    zerolog.Logger
	requestID string
}

// With returns a context carrying logger. The first time a logger is put in
// a Lambda invocation's context it gains the request id, so later loggers
// derived from From(ctx) carry it once, not twice.
func With(ctx context.Context, logger zerolog.Logger) context.Context {
	id := requestID(ctx)
	if prev, ok := ctx.Value(ctxKey{}).(carried); ok && prev.requestID == id {
		return context.WithValue(ctx, ctxKey{}, carried{logger: logger, requestID: id})
	}
	if id != "" {
		logger = logger.With().Str(FieldRequestID, id).Logger()
	}
	return context.WithValue(ctx, ctxKey{}, carried{logger: logger, requestID: id})
}

// From returns the logger ctx carries, or a new stdout logger (with the
// request id, if any) when it carries none.
func From(ctx context.Context) zerolog.Logger {
	if c, ok := ctx.Value(ctxKey{}).(carried); ok {
		return c.logger
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
