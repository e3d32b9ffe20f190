package ledger

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

// Memory is a ledger held in memory, with the same claim, audit and
// open-finding behaviour as Table. It serves the read-only paths and tests;
// nothing survives the process.
type Memory struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	claims   map[string]memClaim
	entries  []Entry
	findings map[string]*memFinding

	owedStore    owedMemory
	releaseStore releaseMemory
}

type memClaim struct {
	done       bool
	leaseUntil time.Time
}

type memFinding struct {
	open   Open
	digest string
	// owed, teller and tellUntil track an alert Sight asked for and Told
	// has not confirmed.
	owed      Change
	teller    string
	tellUntil time.Time
}

var _ Ledger = (*Memory)(nil)

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Claim takes the event id unless it is done or claimed within its lease.
func (m *Memory) Claim(_ context.Context, eventID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.claims == nil {
		m.claims = map[string]memClaim{}
	}
	now := m.now()
	if c, ok := m.claims[eventID]; ok && (c.done || !c.leaseUntil.Before(now)) {
		return false, nil
	}
	m.claims[eventID] = memClaim{leaseUntil: now.Add(ClaimLease)}
	return true, nil
}

// Complete marks the event handled.
func (m *Memory) Complete(_ context.Context, eventID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.claims == nil {
		m.claims = map[string]memClaim{}
	}
	m.claims[eventID] = memClaim{done: true}
	return nil
}

// Release forgets an unfinished claim.
func (m *Memory) Release(_ context.Context, eventID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.claims[eventID]; ok && !c.done {
		delete(m.claims, eventID)
	}
	return nil
}

// Record keeps an audit entry.
func (m *Memory) Record(_ context.Context, e Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Time.IsZero() {
		e.Time = m.now()
	}
	m.entries = append(m.entries, e)
	return nil
}

// Entries returns every audit entry recorded, in order.
func (m *Memory) Entries() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Entry(nil), m.entries...)
}

// History returns the audit entries of one resource, oldest first.
func (m *Memory) History(_ context.Context, rt finding.ResourceType, resource string) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Entry
	for _, e := range m.entries {
		if e.Finding.ResourceType == rt && e.Finding.Resource == resource {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// Upsert records that a finding holds now.
func (m *Memory) Upsert(_ context.Context, f finding.Finding, now time.Time) (Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.findings == nil {
		m.findings = map[string]*memFinding{}
	}
	d := Digest(f)
	old, ok := m.findings[f.Key()]
	if !ok {
		m.findings[f.Key()] = &memFinding{open: Open{Finding: f, FirstSeen: now, LastSeen: now}, digest: d}
		return ChangeNew, nil
	}
	change := ChangeUnchanged
	switch {
	case old.open.ClosedAt != nil:
		change = ChangeReopened
	case old.digest != d:
		change = ChangeChanged
	}
	old.open.Finding, old.open.LastSeen, old.open.ClosedAt, old.digest = f, now, nil, d
	return change, nil
}

// Close marks a finding resolved.
func (m *Memory) Close(_ context.Context, key string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.findings[key]; ok && f.open.ClosedAt == nil {
		f.open.ClosedAt = &now
		f.owed, f.teller, f.tellUntil = "", "", time.Time{} // nothing left to tell
	}
	return nil
}

// OpenFindings returns the findings not closed, ordered by key.
func (m *Memory) OpenFindings(context.Context) ([]Open, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Open
	for _, f := range m.findings {
		if f.open.ClosedAt == nil {
			out = append(out, f.open)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Finding.Key() < out[j].Finding.Key() })
	return out, nil
}
