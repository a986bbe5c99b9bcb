package webhook

import (
	"context"
	"time"

	"github.com/weftworks/weft/store"
)

// recorder writes the delivery log in batches from its own goroutine, so a
// webhook request never waits for its log line: the execution is the
// durable record of an accepted request; the log is for people reading it.
// When the queue is full (the store is slower than the traffic) lines are
// dropped and counted rather than slowing the webhook path.
//
// The queue holds pointers: a queue of recorderQueue values would be a
// 3.6 MB buffer kept live for the process's life (and, at GOGC=200, three
// times that in heap goal), while it is nearly empty whenever the store
// keeps up.
type recorder struct {
	st      DeliveryLog
	ch      chan *store.WebhookDelivery
	dropped func()
}

const (
	recorderQueue = 16384
	recorderBatch = 512
	recorderTick  = 50 * time.Millisecond
)

func (r *recorder) record(d store.WebhookDelivery) {
	select {
	case r.ch <- &d:
	default:
		if r.dropped != nil {
			r.dropped()
		}
	}
}

// run drains the queue until ctx ends, then flushes what is left.
func (r *recorder) run(ctx context.Context, onErr func(error)) {
	batch := make([]store.WebhookDelivery, 0, recorderBatch)
	write := r.st.RecordDeliveries
	// While running, a store that can fold the rows into its next execution
	// write does so; the last flush, at shutdown, writes at once.
	running := r.st.RecordDeliveriesDeferred
	flushWith := func(ctx context.Context, write func(context.Context, []store.WebhookDelivery) error) {
		if len(batch) == 0 {
			return
		}
		if err := write(ctx, batch); err != nil {
			onErr(err)
		}
		batch = batch[:0]
	}
	// A deferred write may be held up to a fraction of a second; ending ctx
	// meanwhile must not drop its rows, so it runs without ctx's cancel.
	flush := func(ctx context.Context) { flushWith(context.WithoutCancel(ctx), running) }
	t := time.NewTicker(recorderTick)
	defer t.Stop()
	for {
		select {
		case d := <-r.ch:
			batch = append(batch, *d)
			if len(batch) >= recorderBatch {
				flush(ctx)
			}
		case <-t.C:
			flush(ctx)
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for {
				select {
				case d := <-r.ch:
					batch = append(batch, *d)
					if len(batch) >= recorderBatch {
						flushWith(fctx, write)
					}
				default:
					flushWith(fctx, write)
					return
				}
			}
		}
	}
}
