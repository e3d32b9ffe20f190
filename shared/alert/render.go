package alert

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

// BodyFormat says how a message's body is written; one per deployment
// (template parameter AlertFormat, variable SELFGUARD_ALERT_FORMAT).
type BodyFormat string

// The formats.
const (
	// FormatText is plain text for e-mail; the filter fields travel as
	// message attributes only.
	FormatText BodyFormat = "text"
	// FormatJSON is a JSON object with the filter fields at its top level,
	// for queues, webhooks and subscriptions that filter on the body.
	FormatJSON BodyFormat = "json"
	// FormatChatbot is an AWS Chatbot (Amazon Q Developer in chat
	// applications) custom notification, for Slack and Microsoft Teams; the
	// filter fields are in metadata.additionalContext.
	FormatChatbot BodyFormat = "chatbot"
)

// EnvFormat is the variable template.yaml sets from AlertFormat.
const EnvFormat = "SELFGUARD_ALERT_FORMAT"

// ParseFormat reads a format; empty is text.
func ParseFormat(s string) (BodyFormat, error) {
	switch f := BodyFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return FormatText, nil
	case FormatText, FormatJSON, FormatChatbot:
		return f, nil
	}
	return "", fmt.Errorf("unknown alert format %q (want text, json or chatbot)", s)
}

// FilterPolicy is the SNS subscription filter policy (FilterPolicyScope
// MessageBody) that selects, in format f, every alert whose severity is one
// of severities: guard findings, sweep summaries, tamper alerts and the
// guards' own alarms alike. Text bodies are not JSON: it is "" for text.
func FilterPolicy(f BodyFormat, severities ...finding.Severity) string {
	sev := make([]string, len(severities))
	for i, s := range severities {
		sev[i] = string(s)
	}
	js, _ := json.Marshal(sev)
	switch f {
	case FormatJSON:
		return `{"severity":` + string(js) + `}`
	case FormatChatbot:
		return `{"metadata":{"additionalContext":{"severity":` + string(js) + `}}}`
	}
	return ""
}

// Fields are what every alert carries for filtering and routing, in every
// format: as message attributes, and in the JSON formats in the body.
type Fields map[string]string

// jsonBody is the body of FormatJSON.
type jsonBody struct {
	Source   string   `json:"source"`
	Kind     string   `json:"kind"`
	Severity string   `json:"severity"`
	Subject  string   `json:"subject"`
	Fields   Fields   `json:"fields"`
	Undo     []string `json:"undo,omitempty"`
	Text     []string `json:"text"`
}

// chatbotBody is AWS Chatbot's custom notification schema, version 1.0.
type chatbotBody struct {
	Version  string          `json:"version"`
	Source   string          `json:"source"`
	ID       string          `json:"id,omitempty"`
	Content  chatbotContent  `json:"content"`
	Metadata chatbotMetadata `json:"metadata"`
}

type chatbotContent struct {
	TextType    string   `json:"textType"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

type chatbotMetadata struct {
	ThreadID          string   `json:"threadId,omitempty"`
	Summary           string   `json:"summary,omitempty"`
	EventType         string   `json:"eventType,omitempty"`
	RelatedResources  []string `json:"relatedResources,omitempty"`
	AdditionalContext Fields   `json:"additionalContext"`
}

// Chat size bounds: a notification is read on a phone.
const (
	maxChatTitle       = 250
	maxChatDescription = 3000
	maxChatSteps       = 5
)

// Render writes m's body in format f. Text is m as it is; the JSON formats
// carry the same facts and the undo commands.
func Render(m Message, f BodyFormat) Message {
	switch f {
	case FormatJSON:
		m.Body = bound(mustJSON(jsonBody{
			Source: "selfguard", Kind: m.Attributes[AttrKind], Severity: m.Attributes[AttrSeverity],
			Subject: m.Subject, Fields: m.fields(), Undo: m.undo, Text: lines(m.Body),
		}))
	case FormatChatbot:
		m.Body = bound(mustJSON(chatbot(m)))
	}
	return m
}

func chatbot(m Message) chatbotBody {
	emoji := map[string]string{"critical": ":rotating_light:", "high": ":warning:", "medium": ":large_orange_diamond:", "low": ":information_source:"}
	title := strings.TrimSpace(emoji[m.Attributes[AttrSeverity]] + " " + strings.TrimPrefix(m.Subject, "[selfguard] "))
	var steps []string
	for _, u := range m.undo {
		if len(steps) == maxChatSteps {
			break
		}
		steps = append(steps, "To undo: `"+strings.ReplaceAll(u, "`", "'")+"`")
	}
	if len(steps) == 0 && m.Attributes[AttrKind] == "finding" {
		steps = append(steps, "Look at it: selfguard took no action that needs undoing.")
	}
	kw := []string{"selfguard"}
	for _, k := range []string{AttrSeverity, AttrRule, AttrGuardrail, AttrMode, AttrOutcome} {
		if v := m.Attributes[k]; v != "" {
			kw = append(kw, v)
		}
	}
	var related []string
	if m.arn != "" {
		related = []string{m.arn}
	}
	return chatbotBody{
		Version: "1.0", Source: "custom", ID: m.id,
		Content: chatbotContent{
			TextType: "client-markdown", Title: truncate(title, maxChatTitle),
			Description: truncate(markdown(m.Body), maxChatDescription), NextSteps: steps, Keywords: kw,
		},
		Metadata: chatbotMetadata{
			ThreadID: m.Attributes[AttrResource], Summary: m.Subject, EventType: m.Attributes[AttrRule],
			RelatedResources: related, AdditionalContext: m.fields(),
		},
	}
}

// labelLine matches the text body's "Label:      value" lines; compiled on
// first use, not at every cold start.
var labelLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Z][A-Za-z ]{0,11}):\s+(.*)$`) })

// markdown sets the text body's labels and section headings in bold and
// its commands as code, for chat.
func markdown(body string) string {
	var b strings.Builder
	for _, l := range lines(body) {
		switch {
		case l == "What changed" || strings.HasPrefix(l, "What selfguard did ("):
			b.WriteString("*" + l + "*\n")
		case strings.HasPrefix(strings.TrimSpace(l), "To undo: "):
			b.WriteString("  To undo: `" + strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(l), "To undo: "), "`", "'") + "`\n")
		default:
			if m := labelLine().FindStringSubmatch(l); m != nil {
				b.WriteString("*" + m[1] + ":* " + m[2] + "\n")
				continue
			}
			b.WriteString(l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// fields are the attributes and the extra facts together.
func (m Message) fields() Fields {
	f := Fields{}
	for k, v := range m.extra {
		f[k] = v
	}
	for k, v := range m.Attributes {
		f[k] = v
	}
	return f
}

func lines(body string) []string {
	ls := strings.Split(strings.TrimRight(body, "\n"), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return ls
}

func mustJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// Only strings and slices of them: this cannot fail.
		panic(err)
	}
	return string(b)
}

// undoOf lists the undo commands of the actions that were carried out.
func undoOf(a Alert) []string {
	var out []string
	for _, r := range a.Actions {
		if r.Status != StatusDone {
			continue
		}
		act := r.Action
		if r.Taken != nil {
			act = *r.Taken
		}
		if u := Clean(act.Undo, maxLine); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// fieldsOf are the alert's extra facts for the JSON formats.
func fieldsOf(a Alert) map[string]string {
	f := map[string]string{"actor": a.Event.Actor, "event": a.Event.Name, "eventId": a.Event.ID}
	if !a.Event.Time.IsZero() {
		f["eventTime"] = a.Event.Time.UTC().Format(time.RFC3339)
	}
	if r, ok := rules.Get(a.Finding.Rule); ok {
		f["title"] = r.Title
	}
	return f
}
