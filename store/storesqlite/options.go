package storesqlite

import (
	"fmt"
	"runtime"
	"time"
)

// Synchronous values: how hard SQLite pushes a commit to stable storage.
const (
	// SyncFull fsyncs the WAL on every commit: a committed Apply survives
	// power loss as well as kill -9. Group commit pays one fsync per batch,
	// so this is the default.
	SyncFull = "FULL"
	// SyncNormal writes the WAL on every commit but fsyncs only at
	// checkpoints: a committed Apply survives kill -9 of the process (the
	// operating system still holds the pages) but the last commits may be
	// lost on power loss or kernel crash.
	SyncNormal = "NORMAL"
)

// Options configure a Store. The zero value is usable after WithDefaults.
type Options struct {
	// Synchronous is SyncFull (default) or SyncNormal.
	Synchronous string
	// BusyTimeout is how long a connection waits for a lock held by another
	// process on the same file. Default 5s.
	BusyTimeout time.Duration
	// ReadConns bounds the read-only connection pool. Default max(4, GOMAXPROCS).
	ReadConns int
	// MaxBatch bounds how many writes one group commit carries. Default 256.
	MaxBatch int
	// QueueSize is the capacity of the writer's queue; callers block (or give
	// up with their context) when it is full. Default 4096.
	QueueSize int
	// CheckpointInterval is how often the WAL is checkpointed in the
	// background. Default 50ms.
	CheckpointInterval time.Duration
}

// WithDefaults returns o with zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.Synchronous == "" {
		o.Synchronous = SyncFull
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns == 0 {
		o.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 256
	}
	if o.QueueSize == 0 {
		o.QueueSize = 4096
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = 50 * time.Millisecond
	}
	return o
}

// Validate reports the first invalid field and how to fix it.
func (o Options) Validate() error {
	switch o.Synchronous {
	case SyncFull, SyncNormal:
	default:
		return fmt.Errorf("Synchronous: %q is not %q or %q", o.Synchronous, SyncFull, SyncNormal)
	}
	if o.BusyTimeout < time.Millisecond {
		return fmt.Errorf("BusyTimeout: %s is below 1ms; leave it zero for the 5s default", o.BusyTimeout)
	}
	if o.ReadConns < 1 {
		return fmt.Errorf("ReadConns: %d must be at least 1", o.ReadConns)
	}
	if o.MaxBatch < 1 {
		return fmt.Errorf("MaxBatch: %d must be at least 1", o.MaxBatch)
	}
	if o.QueueSize < 1 {
		return fmt.Errorf("QueueSize: %d must be at least 1", o.QueueSize)
	}
	return nil
}
