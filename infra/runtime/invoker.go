package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/selfguard/selfguard/infra/eventbus"
)

// Invoker hands the event bus's deliveries to running functions, by the
// template's logical ids.
type Invoker struct {
	mu  sync.RWMutex
	fns map[string]*Function
}

var _ eventbus.Invoker = (*Invoker)(nil)

// NewInvoker returns an Invoker for the functions, keyed by logical id.
func NewInvoker(fns map[string]*Function) *Invoker {
	m := make(map[string]*Function, len(fns))
	for k, v := range fns {
		m[k] = v
	}
	return &Invoker{fns: m}
}

// Add registers (or replaces) the function behind a logical id.
func (i *Invoker) Add(logicalID string, f *Function) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.fns[logicalID] = f
}

// Invoke runs the function behind the logical id with the payload.
func (i *Invoker) Invoke(ctx context.Context, function string, payload []byte) (string, error) {
	i.mu.RLock()
	f, ok := i.fns[function]
	i.mu.RUnlock()
	if !ok {
		return "", fmt.Errorf("no running function for %s", function)
	}
	resp, fnErr, err := f.Invoke(ctx, payload)
	if fnErr != "" {
		// Keep the handler's own words for the dead letter, as Lambda's
		// on-failure record does.
		var doc struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(resp, &doc) == nil && doc.ErrorMessage != "" {
			fnErr += ": " + doc.ErrorMessage
		}
	}
	return fnErr, err
}

// StopAll stops every function.
func (i *Invoker) StopAll() {
	i.mu.RLock()
	defer i.mu.RUnlock()
	for _, f := range i.fns {
		f.Stop()
	}
}
