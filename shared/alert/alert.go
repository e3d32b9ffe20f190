package alert

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

// SNS limits, and the per-field bounds that keep a message well inside them.
const (
	MaxSubject = 100
	// MaxMessage is SNS's limit for the whole message, attributes included.
	MaxMessage = 256 * 1024
	// maxBody leaves room for the attributes and the JSON envelope.
	maxBody = 200 * 1024

	maxName      = 256
	maxLine      = 1024
	maxDetail    = 4096
	maxActions   = 20
	maxAttribute = 256
	// TopFindings is how many findings a Summary lists.
	TopFindings = 25
)

// Status says what became of an action, as the alert reports it.
type Status string

// The statuses. StatusPlanned is monitor mode's: the action was not taken.
// The others mirror the guard's outcome statuses.
const (
	StatusPlanned   Status = "planned"
	StatusDone      Status = "done"
	StatusNotNeeded Status = "not-needed"
	StatusRefused   Status = "refused"
	StatusFailed    Status = "failed"
)

// Event says which CloudTrail event led to the finding, and who caused it.
type Event struct {
	ID        string
	Name      string
	Time      time.Time
	Actor     string
	ActorARN  string
	SourceIP  string
	UserAgent string
}

// ActionReport is one action and what became of it.
type ActionReport struct {
	Action finding.Action
	Status Status
	// Taken is the action finally carried out, when it differs.
	Taken   *finding.Action
	Message string
}

// Effective is the action the report stands for: the one finally carried
// out when the action is done (a restore that ended in containment is a
// containment), otherwise the one planned. The alert, the guard's log line
// and its audit entry all name this one.
func (r ActionReport) Effective() finding.Action {
	if r.Taken != nil && r.Status == StatusDone {
		return *r.Taken
	}
	return r.Action
}

// Alert is one finding with its cause and the guard's response.
type Alert struct {
	Guard   string
	Account string
	Region  string
	Mode    finding.Mode
	Event   Event
	Finding finding.Finding
	Actions []ActionReport
}

// Message is a formatted alert, ready to publish.
type Message struct {
	Subject    string
	Body       string
	Attributes map[string]string

	// What the JSON formats add to the attributes (see Render).
	undo  []string
	arn   string
	id    string
	extra map[string]string
}

// Message attribute names subscribers can filter on.
const (
	AttrKind     = "kind"
	AttrSeverity = "severity"
	AttrRule     = "rule"
	// AttrGuardrail names the rule's guardrail (code-signing, ...), from
	// the rule registry.
	AttrGuardrail = "guardrail"
	AttrAction    = "action"
	AttrOutcome   = "outcome"
	AttrAccount   = "account"
	AttrRegion    = "region"
	AttrResource  = "resource"
	AttrMode      = "mode"
)

// Outcome sums up the actions in one word, the worst first: failed, refused,
// planned, done, not-needed, or none when there was nothing to do.
func (a Alert) Outcome() Status {
	if len(a.Actions) == 0 {
		return "none"
	}
	rank := map[Status]int{StatusFailed: 5, StatusRefused: 4, StatusPlanned: 3, StatusDone: 2, StatusNotNeeded: 1}
	worst := a.Actions[0].Status
	for _, r := range a.Actions[1:] {
		if rank[r.Status] > rank[worst] {
			worst = r.Status
		}
	}
	return worst
}

// verdict is the subject's last words: what the guard did.
func (a Alert) verdict() string {
	switch a.Outcome() {
	case "none":
		return "alert only"
	case StatusFailed:
		return "ACTION FAILED"
	case StatusRefused:
		return "refused by AWS"
	case StatusPlanned:
		return "not changed (monitor mode)"
	case StatusNotNeeded:
		return "already fixed"
	}
	return a.done()
}

func (a Alert) kinds() string {
	return a.joined(func(k finding.Action) string { return string(k.Kind) })
}

// done lists what the actions did, in words ("code signing attached, code
// restored"), falling back to the action kind.
func (a Alert) done() string {
	return a.joined(func(k finding.Action) string {
		if k.Done != "" {
			return k.Done
		}
		return string(k.Kind)
	})
}

func (a Alert) joined(name func(finding.Action) string) string {
	var ks []string
	seen := map[string]bool{}
	for _, r := range a.Actions {
		if k := name(r.Effective()); !seen[k] {
			seen[k] = true
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return "none"
	}
	return strings.Join(ks, ",")
}

func upper(s finding.Severity) string {
	if s == "" {
		return "UNKNOWN"
	}
	return strings.ToUpper(string(s))
}

// Subject formats the alert's subject line: printable ASCII, one line, at
// most 100 characters, the verdict always kept whole.
func (a Alert) Subject() string {
	head := "[selfguard] " + ASCII(upper(a.Finding.Severity), 10) + " " + ASCII(shortARNs(a.Finding.Resource), 40) + ": "
	tail := " - " + ASCII(a.verdict(), 30)
	// The summary says the problem in words; ARNs in it become names, so
	// the subject keeps its meaning in 100 characters.
	what := shortARNs(a.Finding.Summary)
	if what == "" {
		what = string(a.Finding.Rule)
	}
	if a.Event.Actor != "" {
		what += " by " + a.Event.Actor
	}
	return head + ASCII(what, MaxSubject-len(head)-len(tail)) + tail
}

// Format renders the alert.
func Format(a Alert) Message {
	f := a.Finding
	rule, known := rules.Get(f.Rule)
	var b body
	b.finding(a, rule, known)
	b.change(a.Event)
	b.actions(a, rule, known)
	attrs := map[string]string{
		AttrKind:      "finding",
		AttrSeverity:  string(f.Severity),
		AttrRule:      string(f.Rule),
		AttrGuardrail: string(rule.Guardrail),
		AttrAction:    a.kinds(),
		AttrOutcome:   string(a.Outcome()),
		AttrAccount:   a.Account,
		AttrRegion:    a.Region,
		AttrResource:  f.Resource,
		AttrMode:      string(a.Mode),
	}
	return Message{Subject: a.Subject(), Body: bound(b.String()), Attributes: cleanAttrs(attrs),
		undo: undoOf(a), arn: Clean(f.ARN, maxLine), id: Clean(a.Event.ID, maxName), extra: cleanAttrs(fieldsOf(a))}
}

// body is an alert's text, written section by section.
type body struct{ strings.Builder }

// line writes "label: value", the value cleaned and cut to limit; nothing
// when the value is empty.
func (b *body) line(label, v string, limit int) {
	if v = Clean(v, limit); v != "" {
		fmt.Fprintf(b, "%-12s %s\n", label+":", v)
	}
}

func (b *body) finding(a Alert, rule rules.Rule, known bool) {
	f := a.Finding
	fmt.Fprintf(b, "selfguard found a %s problem with %s %s in account %s (%s).\n\n",
		upper(f.Severity), Clean(string(f.ResourceType), 64), Clean(f.Resource, maxName), Clean(a.Account, 32), Clean(a.Region, 32))
	b.line("Finding", f.Summary, maxLine)
	if known {
		b.line("Rule", string(f.Rule)+" ("+string(rule.Guardrail)+"): "+rule.Title, maxLine)
	} else {
		b.line("Rule", string(f.Rule), maxName)
	}
	b.line("Severity", upper(f.Severity), 16)
	b.line("Resource", f.Resource, maxName)
	b.line("ARN", f.ARN, maxLine)
	b.line("Detail", f.Detail, maxDetail)
}

func (b *body) change(e Event) {
	b.WriteString("\nWhat changed\n")
	b.line("Event", e.Name, maxName)
	b.line("Event id", e.ID, maxName)
	if !e.Time.IsZero() {
		b.line("When", e.Time.UTC().Format(time.RFC3339), 64)
	}
	b.line("Who", e.Actor, maxName)
	b.line("Identity", e.ActorARN, maxLine)
	b.line("Source IP", e.SourceIP, maxName)
	b.line("User agent", e.UserAgent, maxLine)
}

func (b *body) actions(a Alert, rule rules.Rule, known bool) {
	fmt.Fprintf(b, "\nWhat selfguard did (mode: %s", Clean(string(a.Mode), 16))
	if a.Guard != "" {
		fmt.Fprintf(b, ", guard: %s", Clean(a.Guard, maxName))
	}
	b.WriteString(")\n")
	if len(a.Actions) == 0 {
		b.WriteString("Nothing: this finding has no automatic remedy. Please look at it.\n")
		if known && len(rule.Actions) > 0 && a.Mode != finding.ModeEnforce {
			b.line("In enforce", "selfguard "+rule.Enforce, maxLine)
		}
	}
	for i, r := range a.Actions {
		if i == maxActions {
			fmt.Fprintf(b, "... and %d more actions\n", len(a.Actions)-maxActions)
			break
		}
		b.action(r)
	}
}

func (b *body) action(r ActionReport) {
	act := r.Effective()
	switch r.Status {
	case StatusPlanned:
		fmt.Fprintf(b, "- Would: %s (not done: monitor mode; enforce mode would do it)\n", Clean(act.Summary, maxLine))
	default:
		fmt.Fprintf(b, "- %s: %s\n", Clean(string(r.Status), 32), Clean(act.Summary, maxLine))
	}
	if act.Kind != r.Action.Kind {
		fmt.Fprintf(b, "  Instead of: %s\n", Clean(r.Action.Summary, maxLine))
	}
	if m := Clean(r.Message, maxLine); m != "" {
		fmt.Fprintf(b, "  Note: %s\n", m)
	}
	if r.Status == StatusDone {
		if u := Clean(act.Undo, maxLine); u != "" {
			fmt.Fprintf(b, "  To undo: %s\n", u)
		}
	}
}

// bound keeps a body within maxBody, cutting at a line end.
func bound(body string) string {
	if len(body) <= maxBody {
		return body
	}
	cut := strings.LastIndexByte(body[:maxBody-64], '\n')
	if cut < 0 {
		cut = maxBody - 64
	}
	return body[:cut] + "\n[message shortened to fit SNS]\n"
}

func cleanAttrs(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		// SNS rejects empty attribute values.
		if v = Clean(v, maxAttribute); v != "" {
			out[k] = v
		}
	}
	return out
}

// Summary is the sweep's report: how many findings of each severity, and
// the most severe ones.
type Summary struct {
	Account string
	Region  string
	Mode    finding.Mode
	Time    time.Time
	// Label says which findings these are, e.g. "new or changed".
	Label    string
	Findings []finding.Finding
}

// FormatSummary renders a sweep summary.
func FormatSummary(s Summary) Message {
	counts := map[finding.Severity]int{}
	var highest finding.Severity
	for _, f := range s.Findings {
		counts[f.Severity]++
		if f.Severity.Rank() > highest.Rank() {
			highest = f.Severity
		}
	}
	order := []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow}
	var parts []string
	for _, sev := range order {
		if counts[sev] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[sev], upper(sev)))
		}
	}
	label := Clean(s.Label, 40)
	if label != "" {
		label += " "
	}
	noun := "findings"
	if len(s.Findings) == 1 {
		noun = "finding"
	}
	subject := fmt.Sprintf("[selfguard] sweep %s/%s: %d %s%s", ASCII(s.Account, 12), ASCII(s.Region, 20), len(s.Findings), label, noun)
	if len(parts) > 0 {
		subject += " (" + strings.Join(parts, ", ") + ")"
	}

	top := append([]finding.Finding(nil), s.Findings...)
	sort.SliceStable(top, func(i, j int) bool {
		if top[i].Severity.Rank() != top[j].Severity.Rank() {
			return top[i].Severity.Rank() > top[j].Severity.Rank()
		}
		return top[i].Resource < top[j].Resource
	})
	var b strings.Builder
	fmt.Fprintf(&b, "selfguard sweep of account %s (%s), mode %s", Clean(s.Account, 32), Clean(s.Region, 32), Clean(string(s.Mode), 16))
	if !s.Time.IsZero() {
		fmt.Fprintf(&b, ", %s", s.Time.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, ".\n\n%d %sfindings", len(s.Findings), label)
	if len(parts) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(parts, ", "))
	}
	b.WriteString(".\n")
	for i, f := range top {
		if i == TopFindings {
			fmt.Fprintf(&b, "... and %d more\n", len(top)-TopFindings)
			break
		}
		fmt.Fprintf(&b, "- %s %s [%s]: %s\n", upper(f.Severity), Clean(f.Resource, maxName), Clean(string(f.Rule), maxName), Clean(f.Summary, maxLine))
	}
	attrs := map[string]string{
		AttrKind:     "summary",
		AttrSeverity: string(highest),
		AttrAccount:  s.Account,
		AttrRegion:   s.Region,
		AttrMode:     string(s.Mode),
	}
	return Message{Subject: ASCII(subject, MaxSubject), Body: bound(b.String()), Attributes: cleanAttrs(attrs)}
}
