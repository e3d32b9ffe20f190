package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/testbed"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// logLine is one of a guard's log lines worth showing.
type logLine struct {
	guard string
	l     map[string]any
}

// timeline prints a scenario's story in the order it happened: each
// person's CloudTrail event, the guards' decisions on it (with the time from
// the event to the decision), the guards' own writes (their actions), and
// the alerts they sent (with the time from the event to the alert).
func (p *player) timeline(alerts []testbed.Alert) {
	byEvent, loose := p.logLinesSince()
	left := append([]testbed.Alert(nil), alerts...)
	var cur *cloudtrail.Record
	var curLines []logLine
	flush := func() {
		if cur == nil {
			return
		}
		left = p.printAlerts(*cur, curLines, left)
	}
	for _, ev := range p.bed.Emulator.Env.Trail.Since(p.trail) {
		p.trail = ev.Seq
		_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			fmt.Fprintf(p.w, "  %8s  event    (unparsable: %v)\n", "", err)
			continue
		}
		status := ""
		if rec.Failed() {
			status = "  -> " + rec.ErrorCode
		}
		who := actorName(rec)
		if g, own := ownWrite(byEvent[rec.EventID]); own || strings.HasPrefix(who, "guard:") {
			if own {
				who = "guard:" + g
			}
			fmt.Fprintf(p.w, "  %s  action   %-26s %-38s %s%s\n", clock(rec.EventTime), who, rec.EventName, resourceOf(rec), status)
			delete(byEvent, rec.EventID)
			continue
		}
		flush()
		r := rec
		cur, curLines = &r, byEvent[rec.EventID]
		fmt.Fprintf(p.w, "  %s  event    %-26s %-38s %s%s\n", clock(rec.EventTime), who, rec.EventName, resourceOf(rec), status)
		for _, ln := range curLines {
			p.printLine(ln)
		}
		delete(byEvent, rec.EventID)
	}
	flush()
	for _, ln := range loose {
		p.printLine(ln)
	}
	for _, a := range left {
		fmt.Fprintf(p.w, "  %s  alert    %s\n", clock(a.Sent), a.Subject)
	}
	if len(alerts) == 0 {
		fmt.Fprintf(p.w, "  %8s  alert    (none)\n", "")
	}
	if !p.bodyShown {
		for _, a := range alerts {
			if strings.Contains(a.Message, "To undo:") {
				p.bodyShown = true
				fmt.Fprintf(p.w, "\n  the whole alert, as e-mail subscribers read it:\n  | Subject: %s\n", a.Subject)
				for _, l := range strings.Split(strings.TrimRight(a.Message, "\n"), "\n") {
					fmt.Fprintf(p.w, "  | %s\n", l)
				}
				fmt.Fprintln(p.w)
				break
			}
		}
	}
}

// ownWrite reports whether a guard ignored the event as its own write, and
// which guard: the event is then that guard's action.
func ownWrite(lines []logLine) (string, bool) {
	for _, ln := range lines {
		if ln.l["message"] == "ignored" && ln.l["reason"] == pipeline.ReasonOwnWrite {
			return ln.guard, true
		}
	}
	return "", false
}

// printAlerts prints, after an event's decisions and actions, the alerts
// about the same rule and resource, and returns the others.
func (p *player) printAlerts(ev cloudtrail.Record, lines []logLine, alerts []testbed.Alert) []testbed.Alert {
	want := map[[2]string]bool{}
	for _, ln := range lines {
		if ln.l["decision"] == "finding" {
			want[[2]string{fmt.Sprint(ln.l["rule"]), fmt.Sprint(ln.l["resource"])}] = true
		}
	}
	var rest []testbed.Alert
	for _, a := range alerts {
		if !want[[2]string{a.Attributes["rule"], a.Attributes["resource"]}] {
			rest = append(rest, a)
			continue
		}
		fmt.Fprintf(p.w, "  %s  alert    %s  (%s after the event)\n", clock(a.Sent), a.Subject, since(ev.EventTime, a.Sent))
	}
	return rest
}

func (p *player) printLine(ln logLine) {
	l := ln.l
	switch {
	case l["decision"] == "finding":
		lat := ""
		if ms, ok := l["EventToDecisionMs"].(float64); ok {
			lat = fmt.Sprintf("  (%s after the event)", (time.Duration(ms) * time.Millisecond).Round(10*time.Millisecond))
		}
		did := list(l["action"]) + " " + list(l["outcome"])
		if strings.Contains(list(l["outcome"]), "planned") {
			did = "would " + list(l["action"]) + " (monitor mode)"
		}
		fmt.Fprintf(p.w, "  %8s  decide   %-26s %s %s %s: %s -> %s%s\n", "", ln.guard, strings.ToUpper(fmt.Sprint(l["severity"])),
			l["rule"], l["resource"], l["message"], did, lat)
	case l["reason"] != nil && l["message"] == "ignored":
		fmt.Fprintf(p.w, "  %8s  ignore   %-26s %s: %s\n", "", ln.guard, l["event_name"], l["reason"])
	case l["level"] == "error":
		fmt.Fprintf(p.w, "  %8s  error    %-26s %s: %v\n", "", ln.guard, l["message"], l["error"])
	}
}

// logLinesSince reads the guards' lines logged since the last scenario: by
// CloudTrail event id, and the ones without one.
func (p *player) logLinesSince() (map[string][]logLine, []logLine) {
	ids := make([]string, 0, len(p.bed.Functions))
	for id := range p.bed.Functions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	byEvent := map[string][]logLine{}
	var loose []logLine
	for _, id := range ids {
		logs := p.bed.Functions[id].Logs()
		from := p.offsets[id]
		if from > len(logs) {
			from = 0
		}
		p.offsets[id] = len(logs)
		sc := bufio.NewScanner(strings.NewReader(logs[from:]))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l map[string]any
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue
			}
			shown := l["decision"] == "finding" || (l["reason"] != nil && l["message"] == "ignored") || l["level"] == "error"
			if !shown {
				continue
			}
			ln := logLine{guard: strings.TrimSuffix(id, "Function"), l: l}
			if eid, _ := l["event_id"].(string); eid != "" {
				byEvent[eid] = append(byEvent[eid], ln)
			} else {
				loose = append(loose, ln)
			}
		}
	}
	return byEvent, loose
}

func clock(t time.Time) string {
	if t.IsZero() {
		return strings.Repeat(" ", 8)
	}
	return t.UTC().Format("15:04:05")
}

func since(from, to time.Time) string {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return "?"
	}
	return to.Sub(from).Round(10 * time.Millisecond).String()
}
