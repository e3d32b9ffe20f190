package sweep

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// chanQueue hands batches to in-process workers. Its small buffer is what
// keeps memory flat: the lister waits while the workers are busy.
type chanQueue chan Batch

func (q chanQueue) Send(ctx context.Context, b Batch) error {
	select {
	case q <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RunLocal runs a whole sweep in this process: the lister feeds a bounded
// queue and workers goroutines drain it. `selfguard audit`, the tests and
// the benchmark use it; in the account SQS and Lambda take the queue's and
// the goroutines' place. Every batch is evaluated even if some fail; the
// errors are returned together.
func RunLocal(ctx context.Context, l *Lister, w *Worker, workers int, run string) (ListStats, error) {
	if workers < 1 {
		workers = 1
	}
	q := make(chanQueue, workers)
	lister := *l
	lister.Queue = q
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range q {
				if err := w.Process(ctx, b); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("batch %d: %w", b.Index, err))
					mu.Unlock()
				}
			}
		}()
	}
	st, err := lister.List(ctx, run)
	close(q)
	wg.Wait()
	if err != nil {
		errs = append([]error{err}, errs...)
	}
	return st, errors.Join(errs...)
}
