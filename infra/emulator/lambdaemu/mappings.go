package lambdaemu

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// mapping is an event source mapping. A create, update or delete takes the
// update delay, as in AWS, during which the mapping shows a transitional
// State and refuses other changes.
type mapping struct {
	UUID             string
	seq              int64
	FunctionArn      string
	EventSourceArn   string
	Enabled          bool
	BatchSize        int32
	BatchWindow      int32
	StartingPosition string
	LastModified     time.Time
	busy             string // Creating, Updating, Enabling, Disabling or Deleting; "" when settled
	busyUntil        time.Time
}

// Event source kinds the emulator knows.
const (
	sourceSQS      = "sqs"
	sourceKinesis  = "kinesis"
	sourceDynamoDB = "dynamodb"
	maxBatch       = 10000
	stateDeleting  = "Deleting"
)

var (
	sqsARNRE       = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_.-]{1,80}$`)
	kinesisARNRE   = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:kinesis:[a-z0-9-]+:\d{12}:stream/[a-zA-Z0-9_.-]+$`)
	ddbStreamARNRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[a-zA-Z0-9_.-]+/stream/.+$`)
)

func sourceKind(arn string) string {
	switch {
	case sqsARNRE.MatchString(arn):
		return sourceSQS
	case kinesisARNRE.MatchString(arn):
		return sourceKinesis
	case ddbStreamARNRE.MatchString(arn):
		return sourceDynamoDB
	default:
		return ""
	}
}

func (m *mapping) state() string {
	switch {
	case m.busy != "":
		return m.busy
	case m.Enabled:
		return "Enabled"
	default:
		return "Disabled"
	}
}

// settleMappings finishes transitions whose time has come; a finished
// delete removes the mapping.
func (s *Service) settleMappings(now time.Time) {
	for id, m := range s.mappings {
		if m.busy == "" || now.Before(m.busyUntil) {
			continue
		}
		if m.busy == stateDeleting {
			delete(s.mappings, id)
			continue
		}
		m.busy = ""
	}
}

type mappingDestination struct {
	OnFailure struct{}
}

type mappingOut struct {
	UUID                           string
	BatchSize                      int32
	MaximumBatchingWindowInSeconds int32
	EventSourceArn                 string
	EventSourceMappingArn          string
	FunctionArn                    string
	LastModified                   float64
	LastProcessingResult           string `json:",omitempty"`
	State                          string
	StateTransitionReason          string
	StartingPosition               string              `json:",omitempty"`
	ParallelizationFactor          *int32              `json:",omitempty"`
	MaximumRecordAgeInSeconds      *int32              `json:",omitempty"`
	MaximumRetryAttempts           *int32              `json:",omitempty"`
	BisectBatchOnFunctionError     *bool               `json:",omitempty"`
	TumblingWindowInSeconds        *int32              `json:",omitempty"`
	DestinationConfig              *mappingDestination `json:",omitempty"`
	FunctionResponseTypes          []string
}

// out renders a mapping as Lambda does: SQS mappings carry the SQS fields
// ("USER_INITIATED"), stream mappings the stream defaults ("User action",
// the recorded DynamoDB mapping).
func (s *Service) mappingOut(m *mapping) mappingOut {
	out := mappingOut{UUID: m.UUID, BatchSize: m.BatchSize, MaximumBatchingWindowInSeconds: m.BatchWindow,
		EventSourceArn: m.EventSourceArn, FunctionArn: m.FunctionArn,
		EventSourceMappingArn: fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s", s.env.Region, s.env.Account, m.UUID),
		LastModified:          float64(m.LastModified.UnixMilli()) / 1000, State: m.state(),
		StateTransitionReason: "USER_INITIATED", FunctionResponseTypes: []string{}}
	if sourceKind(m.EventSourceArn) == sourceSQS {
		return out
	}
	one, minusOne, zero, no := int32(1), int32(-1), int32(0), false
	out.StateTransitionReason, out.LastProcessingResult, out.StartingPosition = "User action", "No records processed", m.StartingPosition
	out.ParallelizationFactor, out.MaximumRecordAgeInSeconds, out.MaximumRetryAttempts = &one, &minusOne, &minusOne
	out.BisectBatchOnFunctionError, out.TumblingWindowInSeconds, out.DestinationConfig = &no, &zero, &mappingDestination{}
	return out
}

// mappingFunction resolves the function a mapping invokes (a name or ARN,
// optionally qualified) to the ARN it records.
func (s *Service) mappingFunction(in string) (string, *awsproto.Error) {
	name, q, err := s.parseFunctionName(in)
	if err != nil {
		return "", err
	}
	f := s.functions[name]
	missing := invalid("Function does not exist")
	if f == nil {
		return "", missing
	}
	arn := s.functionARN(name)
	if q == "" || q == latest {
		return arn, nil
	}
	if f.version(q) == nil && f.Aliases[q] == nil {
		return "", missing
	}
	return arn + ":" + q, nil
}

// mappingInput is the body of Create/UpdateEventSourceMapping, as far as the
// emulator models it.
type mappingInput struct {
	FunctionName                   *string
	EventSourceArn                 string
	Enabled                        *bool
	BatchSize                      *int32
	MaximumBatchingWindowInSeconds *int32
	StartingPosition               string
}

func checkBatch(kind, arn string, size int32) *awsproto.Error {
	limit := int32(maxBatch)
	if kind == sourceSQS && len(arn) > 5 && arn[len(arn)-5:] == ".fifo" {
		limit = 10
	}
	if size < 1 || size > limit {
		return invalid("BatchSize %d is out of range for this event source: 1 to %d.", size, limit)
	}
	return nil
}

// checkStartingPosition: a stream mapping must say where to start.
func checkStartingPosition(p string) *awsproto.Error {
	switch p {
	case "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP":
		return nil
	case "":
		return invalid("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null")
	default:
		return validationError(p, "startingPosition", "Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]")
	}
}

// newMapping validates a create as Lambda does and builds the mapping.
func (s *Service) newMapping(in mappingInput, now time.Time) (*mapping, *awsproto.Error) {
	kind := sourceKind(in.EventSourceArn)
	if kind == "" {
		return nil, invalid("Unrecognized event source.")
	}
	if in.FunctionName == nil {
		return nil, validationError("null", "functionName", "Member must not be null")
	}
	fnArn, err := s.mappingFunction(*in.FunctionName)
	if err != nil {
		return nil, err
	}
	m := &mapping{UUID: awsproto.NewID(), FunctionArn: fnArn, EventSourceArn: in.EventSourceArn, Enabled: true,
		BatchSize: 100, StartingPosition: in.StartingPosition, LastModified: now}
	if kind == sourceSQS {
		m.BatchSize = 10
		if in.StartingPosition != "" {
			return nil, invalid("StartingPosition is not valid for SQS event sources.")
		}
	} else if err := checkStartingPosition(in.StartingPosition); err != nil {
		return nil, err
	}
	if in.Enabled != nil {
		m.Enabled = *in.Enabled
	}
	if in.BatchSize != nil {
		m.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		m.BatchWindow = *in.MaximumBatchingWindowInSeconds
	}
	if err := checkBatch(kind, m.EventSourceArn, m.BatchSize); err != nil {
		return nil, err
	}
	if other := s.mappingFor(m.FunctionArn, m.EventSourceArn); other != nil {
		return nil, duplicateMapping(kind, other)
	}
	return m, nil
}

// mappingFor finds the mapping of a function and source, if any.
func (s *Service) mappingFor(fnArn, sourceArn string) *mapping {
	for _, m := range s.mappings {
		if m.FunctionArn == fnArn && m.EventSourceArn == sourceArn && m.busy != stateDeleting {
			return m
		}
	}
	return nil
}

func duplicateMapping(kind string, m *mapping) *awsproto.Error {
	if kind == sourceSQS {
		return awsproto.Errorf(409, "ResourceConflictException",
			"An event source mapping with SQS arn (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s",
			m.EventSourceArn, m.FunctionArn, m.UUID)
	}
	return awsproto.Errorf(409, "ResourceConflictException",
		"The event source arn (\" %s \") and function (\" %s \") provided mapping already exists. Please update or delete the existing mapping with UUID %s",
		m.EventSourceArn, m.FunctionArn, m.UUID)
}

// addMapping stores a new mapping, Creating for the update delay.
func (s *Service) addMapping(m *mapping, now time.Time, transition bool) {
	s.mappingSeq++
	m.seq = s.mappingSeq
	if transition {
		m.busy, m.busyUntil = "Creating", now.Add(s.updateDelay)
	}
	s.mappings[m.UUID] = m
}

func (s *Service) createMapping(rc *reqCtx) (int, any, *awsproto.Error) {
	var in mappingInput
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	s.settleMappings(rc.now)
	m, err := s.newMapping(in, rc.now)
	if err != nil {
		return 0, nil, err
	}
	s.addMapping(m, rc.now, true)
	return http.StatusAccepted, s.mappingOut(m), nil
}

// mappingOf finds the mapping a UUID label names.
func (s *Service) mappingOf(rc *reqCtx) (*mapping, *awsproto.Error) {
	s.settleMappings(rc.now)
	m := s.mappings[rc.labels["UUID"]]
	if m == nil {
		return nil, resourceMissing("", "")
	}
	return m, nil
}

func (s *Service) getMapping(rc *reqCtx) (int, any, *awsproto.Error) {
	m, err := s.mappingOf(rc)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.mappingOut(m), nil
}

func inUse(verb string) *awsproto.Error {
	return awsproto.Errorf(400, "ResourceInUseException", "Cannot %s the event source mapping because it is in use.", verb)
}

func (s *Service) updateMapping(rc *reqCtx) (int, any, *awsproto.Error) {
	var in mappingInput
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	m, err := s.mappingOf(rc)
	if err != nil {
		return 0, nil, err
	}
	if m.busy != "" {
		return 0, nil, inUse("update")
	}
	next := *m
	if in.FunctionName != nil {
		if next.FunctionArn, err = s.mappingFunction(*in.FunctionName); err != nil {
			return 0, nil, err
		}
	}
	if in.BatchSize != nil {
		next.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		next.BatchWindow = *in.MaximumBatchingWindowInSeconds
	}
	if err := checkBatch(sourceKind(next.EventSourceArn), next.EventSourceArn, next.BatchSize); err != nil {
		return 0, nil, err
	}
	next.busy = "Updating"
	if in.Enabled != nil && *in.Enabled != m.Enabled {
		next.Enabled = *in.Enabled
		next.busy = map[bool]string{true: "Enabling", false: "Disabling"}[next.Enabled]
	}
	next.busyUntil, next.LastModified = rc.now.Add(s.updateDelay), rc.now
	*m = next
	return http.StatusAccepted, s.mappingOut(m), nil
}

func (s *Service) deleteMapping(rc *reqCtx) (int, any, *awsproto.Error) {
	m, err := s.mappingOf(rc)
	if err != nil {
		return 0, nil, err
	}
	if m.busy != "" {
		return 0, nil, inUse("delete")
	}
	m.busy, m.busyUntil = stateDeleting, rc.now.Add(s.updateDelay)
	return http.StatusAccepted, s.mappingOut(m), nil
}

// listMappings lists by function (its exact ARN, qualified or not) and/or
// by event source, in creation order.
func (s *Service) listMappings(rc *reqCtx) (int, any, *awsproto.Error) {
	s.settleMappings(rc.now)
	fnArn := ""
	if fn := rc.query.Get("FunctionName"); fn != "" {
		name, q, err := s.parseFunctionName(fn)
		if err != nil {
			return 0, nil, err
		}
		fnArn = s.functionARN(name)
		if q != "" && q != latest {
			fnArn += ":" + q
		}
	}
	source := rc.query.Get("EventSourceArn")
	var all []*mapping
	for _, m := range s.mappings {
		if (fnArn == "" || m.FunctionArn == fnArn) && (source == "" || m.EventSourceArn == source) {
			all = append(all, m)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	start, end, next, err := page(len(all), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]mappingOut, 0, end-start)
	for _, m := range all[start:end] {
		out = append(out, s.mappingOut(m))
	}
	resp := map[string]any{"EventSourceMappings": out}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}
