package lambdaguard

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"sync"

	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
)

// Releases remembers each function's newest trusted release (ledger.Table
// keeps it): an unsigned code update is then decided with GetFunction and
// GetFunctionCodeSigningConfig alone, its restore target known without
// ListVersionsByFunction. The guard learns releases from what it reads
// anyway (a publish event's version, an alias's, a listing) and reads the
// target again before restoring from it.
type Releases interface {
	TrustedRelease(ctx context.Context, fn string) (ledger.Release, bool, error)
	RememberRelease(ctx context.Context, r ledger.Release) error
	ForgetRelease(ctx context.Context, fn string, v int) error
}

// pendingReleases are releases learned while deciding on an action, kept
// until the action is done: the write then never lengthens the attacker's
// window. written is the newest version this instance remembered of each
// function, so that a flood of benign publish and alias events settled at a
// glance writes each release once, not once per event.
type pendingReleases struct {
	mu      sync.Mutex
	by      map[string]snapshot.Code
	written map[string]int
}

// maxWritten bounds pendingReleases.written; past it, it starts afresh
// (a release then costs one more write, never a wrong restore).
const maxWritten = 10000

// news reports whether version v of fn is newer than this instance last
// remembered, and notes it.
func (p *pendingReleases) news(fn string, v int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.written[fn] >= v {
		return false
	}
	if p.written == nil || len(p.written) >= maxWritten {
		p.written = map[string]int{}
	}
	p.written[fn] = v
	return true
}

// unwrite drops what news noted of fn: the write failed or the release
// was forgotten.
func (p *pendingReleases) unwrite(fn string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.written, fn)
}

type recalled struct {
	code snapshot.Code
	ok   bool
}

// recall reads the remembered release while the function is read, so it
// costs no time before the action; a failed read only means listing.
func (g *Guard) recall(ctx context.Context, fn string) <-chan recalled {
	ch := make(chan recalled, 1)
	go func() {
		r, ok, err := g.Releases.TrustedRelease(ctx, fn)
		var c snapshot.Code
		if !ok || err != nil || json.Unmarshal(r.Code, &c) != nil || c.Version != strconv.Itoa(r.Version) ||
			g.Settings.IsGuardRole(c.Role) {
			ch <- recalled{}
			return
		}
		ch <- recalled{code: c, ok: true}
	}()
	return ch
}

// recalls reports whether fn's release is ever read or written: not for an
// exempt function (read for its role only) nor the stack's own (never acted
// on), neither of which is restored.
func (g *Guard) recalls(fn string) bool {
	return g.Releases != nil && !g.Settings.FunctionExempt(fn) && !g.Settings.IsGuardFunction(fn)
}

// unchecked is c without Signer's word on its signatures: memory keeps what
// Lambda recorded, and Signer is asked again (a job or profile may have
// been revoked since).
func unchecked(c snapshot.Code) snapshot.Code {
	c.Signature = nil
	c.Layers = append([]snapshot.Layer(nil), c.Layers...)
	for i := range c.Layers {
		c.Layers[i].Signature = nil
	}
	return c
}

// withRemembered adds the remembered release to a snapshot whose versions
// were not listed; a version read now is never replaced by memory.
func withRemembered(s snapshot.Snapshot, r recalled) snapshot.Snapshot {
	if !r.ok || s.VersionsListed {
		return s
	}
	if _, read := s.Versions[r.code.Version]; read {
		return s
	}
	s.Versions = maps.Clone(s.Versions)
	if s.Versions == nil {
		s.Versions = map[string]snapshot.Code{}
	}
	s.Versions[r.code.Version] = unchecked(r.code)
	s.Remembered = r.code.Version
	return s
}

// learn keeps the newest trusted version the snapshot read (a remembered
// one is not news): at once when no action follows, after the action
// (flush) when one does.
func (g *Guard) learn(ctx context.Context, s snapshot.Snapshot, acting bool) {
	if !g.recalls(s.Name) || decide.IsGuardFunction(s, g.Settings) {
		return
	}
	read := s
	if s.Remembered != "" {
		read.Versions = maps.Clone(s.Versions)
		delete(read.Versions, s.Remembered)
	}
	c, ok := decide.Target(read, g.Settings)
	if !ok || g.Settings.IsGuardRole(c.Role) {
		// A version running with a stack role is contained, never gone back to.
		return
	}
	if !acting {
		g.remember(ctx, s.Name, c)
		return
	}
	g.pending.mu.Lock()
	defer g.pending.mu.Unlock()
	if g.pending.by == nil {
		g.pending.by = map[string]snapshot.Code{}
	}
	g.pending.by[s.Name] = c
}

// learnSettled remembers the newest published version among glances that
// settled their event (decide.Settled: trusted on its own, Signer asked, no
// stack role): a publish event is then learned from at a glance, as from a
// full read. No action follows, so it is written at once.
func (g *Guard) learnSettled(ctx context.Context, seen []snapshot.Snapshot) {
	var newest snapshot.Code
	for _, s := range seen {
		if v := s.Latest.Version; isVersionNumber(v) && (newest.Version == "" || snapshot.VersionLess(newest.Version, v)) {
			newest = s.Latest
		}
	}
	if newest.Version != "" && len(seen) > 0 && g.recalls(seen[0].Name) {
		g.remember(ctx, seen[0].Name, newest)
	}
}

// flush remembers what was learned about fn while deciding on the action
// just taken.
func (g *Guard) flush(ctx context.Context, fn string) {
	g.pending.mu.Lock()
	c, ok := g.pending.by[fn]
	delete(g.pending.by, fn)
	g.pending.mu.Unlock()
	if ok {
		g.remember(ctx, fn, c)
	}
}

// ReleaseOf is how the guard remembers version c of fn as its release.
func ReleaseOf(fn string, c snapshot.Code) (ledger.Release, error) {
	v, err := strconv.Atoi(c.Version)
	if err != nil || v < 1 {
		return ledger.Release{}, fmt.Errorf("release of %s: version %q is not a published version", fn, c.Version)
	}
	// Only the loader variables of the environment are judged; the
	// others (secrets, as like as not) stay out of the ledger.
	c = unchecked(c)
	c.Environment = decide.Loaders(c)
	b, err := json.Marshal(c)
	if err != nil {
		return ledger.Release{}, fmt.Errorf("release of %s: %w", fn, err)
	}
	return ledger.Release{Function: fn, Version: v, Code: b}, nil
}

func (g *Guard) remember(ctx context.Context, fn string, c snapshot.Code) {
	r, err := ReleaseOf(fn, c)
	if err != nil || !g.pending.news(fn, r.Version) {
		return
	}
	if err := g.Releases.RememberRelease(ctx, r); err != nil {
		g.pending.unwrite(fn)
		log := logging.From(ctx)
		log.Warn().Err(err).Str(logging.FieldResource, fn).Msg("release not remembered; the next restore lists the versions")
	}
}

func (g *Guard) forget(ctx context.Context, fn, version string) {
	v, err := strconv.Atoi(version)
	if err != nil || g.Releases == nil {
		return
	}
	g.pending.unwrite(fn)
	if err := g.Releases.ForgetRelease(ctx, fn, v); err != nil {
		log := logging.From(ctx)
		log.Warn().Err(err).Str(logging.FieldResource, fn).Msg("stale release not forgotten")
	}
}
