package logging

import (
	"time"

	"github.com/rs/zerolog"
)

// selfguard's CloudWatch metrics, written in the Embedded Metric Format
// (EMF) on the decision lines themselves: CloudWatch Logs turns each such
// line into metric data points, with no PutMetricData call and no extra
// permission.
const (
	MetricNamespace = "selfguard"
	// MetricFindings counts findings, by guard, by rule and severity, and by
	// severity.
	MetricFindings = "Findings"
	// MetricActions counts the actions a finding led to; the Actions<Outcome>
	// metrics count them by how they ended.
	MetricActions        = "Actions"
	MetricActionsDone    = "ActionsDone"
	MetricActionsFailed  = "ActionsFailed"
	MetricActionsRefused = "ActionsRefused"
	MetricActionsPlanned = "ActionsPlanned"
	// MetricLatency is the time from the CloudTrail event to the decision
	// line, actions included, in milliseconds.
	MetricLatency = "EventToDecisionMs"

	fieldEMF = "_aws"
)

// Outcome counts of one finding's actions, for FindingMetrics.
type Outcomes struct {
	Done, Failed, Refused, Planned, Other int
}

func (o Outcomes) total() int { return o.Done + o.Failed + o.Refused + o.Planned + o.Other }

// FindingMetrics makes a decision line (one with FieldGuard, FieldRule and
// FieldSeverity) an EMF record: one finding, its actions by outcome and,
// when the event's time is known, the latency from the event to now.
func FindingMetrics(ev *zerolog.Event, now, eventTime time.Time, o Outcomes) *zerolog.Event {
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	metrics := []metric{
		{MetricFindings, "Count"}, {MetricActions, "Count"}, {MetricActionsDone, "Count"},
		{MetricActionsFailed, "Count"}, {MetricActionsRefused, "Count"}, {MetricActionsPlanned, "Count"},
	}
	ev = ev.Int(MetricFindings, 1).Int(MetricActions, o.total()).Int(MetricActionsDone, o.Done).
		Int(MetricActionsFailed, o.Failed).Int(MetricActionsRefused, o.Refused).Int(MetricActionsPlanned, o.Planned)
	if !eventTime.IsZero() && !now.Before(eventTime) {
		metrics = append(metrics, metric{MetricLatency, "Milliseconds"})
		ev = ev.Int64(MetricLatency, now.Sub(eventTime).Milliseconds())
	}
	return ev.Interface(fieldEMF, map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  MetricNamespace,
			"Dimensions": [][]string{{FieldGuard}, {FieldRule, FieldSeverity}, {FieldSeverity}},
			"Metrics":    metrics,
		}},
	})
}
