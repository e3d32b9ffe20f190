package pipeline

import (
	"sync"
	"time"
)

// JudgedMargin is how long after a change a read must begin to be sure it
// saw the change: CloudTrail's eventTime is truncated to the second, and
// the clocks of CloudTrail and the guard may differ a little.
const JudgedMargin = 3 * time.Second

// DefaultJudgedSize bounds the subjects Judged remembers.
const DefaultJudgedSize = 10000

// Judged remembers, per subject, when the guard last began a read of it
// that found nothing. Decisions are level-triggered, so an event about a
// change made before such a read needs no read of its own: that read saw
// the change. A flood of events about a function queued behind each other
// is thus judged once, not once per event. A read that found something
// is forgotten, so the events after it are read again. Only quick subjects
// (Subject.Quick) are ever dismissed: an event with edge rules says what
// was done, which no later read shows, so it is always judged.
type Judged struct {
	mu   sync.Mutex
	max  int
	at   map[string]judgedAt
	keys []string // oldest first, for eviction
}

type judgedAt struct {
	at time.Time
}

// NewJudged returns a Judged holding at most max subjects (DefaultJudgedSize if max < 1).
func NewJudged(max int) *Judged {
	if max < 1 {
		max = DefaultJudgedSize
	}
	return &Judged{max: max, at: map[string]judgedAt{}}
}

func judgedKey(s Subject) string {
	return s.Guard + "|" + s.Aspect + "|" + string(s.Type) + "|" + s.Name + "|" + s.Qualifier
}

// Covers reports whether s is a quick subject and a read of it that began
// at least JudgedMargin after changed found it fine.
func (j *Judged) Covers(s Subject, changed time.Time) bool {
	if j == nil || changed.IsZero() || !s.Quick {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.at[judgedKey(s)]
	return ok && e.at.After(changed.Add(JudgedMargin))
}

// Fine notes that a read of s begun at readAt found nothing.
func (j *Judged) Fine(s Subject, readAt time.Time) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	k := judgedKey(s)
	if _, ok := j.at[k]; !ok {
		j.keys = append(j.keys, k)
	}
	j.at[k] = judgedAt{at: readAt}
	for len(j.at) > j.max && len(j.keys) > 0 {
		delete(j.at, j.keys[0])
		j.keys = j.keys[1:]
	}
}

// Forget drops what is known of s: a read found something wrong with it.
func (j *Judged) Forget(s Subject) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.at, judgedKey(s))
}

// uncovered returns the subjects no earlier read covers.
func (j *Judged) uncovered(subjects []Subject, changed time.Time) []Subject {
	if j == nil {
		return subjects
	}
	var out []Subject
	for _, s := range subjects {
		if !j.Covers(s, changed) {
			out = append(out, s)
		}
	}
	return out
}
