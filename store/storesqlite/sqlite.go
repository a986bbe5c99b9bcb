package storesqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlite "modernc.org/sqlite" // also registers the "sqlite" database/sql driver

	"github.com/weftworks/weft/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// errClosed is returned by calls made after Close.
var errClosed = errors.New("sqlite store is closed")

// Store is the SQLite implementation of store.Store.
type Store struct {
	opts Options
	rdb  *sql.DB // read-only pool
	wdb  *sql.DB // holds the single writer connection

	w          *writer
	mu         sync.RWMutex // guards closed and sends on jobs against Close
	closed     bool
	jobs       chan *job
	deferred   chan *job    // doDeferred's jobs, held for the next write
	heldWait   atomic.Int64 // nanoseconds; heldWait, changed only by tests
	heldJobs   atomic.Int64 // deferred jobs the writer has held for a later write
	jobPool    sync.Pool
	writerDone chan struct{}
	tokenLocks sync.Map // credential name → *sync.Mutex (UpdateCredentialToken)

	cdb            *sql.DB // the checkpointer's own connection
	walFrames      atomic.Int64
	newFrames      atomic.Int64 // WAL frames the writer appended since the last checkpoint
	stopCheckpoint chan struct{}
	checkpointDone chan struct{}
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, applies pending
// migrations and starts the group-commit writer. Close the store when done.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("opening sqlite store: %w", err)
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("opening sqlite store: path %q must be a non-empty file path without '?' or '#'", path)
	}
	base := "file:" + path + "?_busy_timeout=" + strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)

	// The writer: auto_vacuum is set before the first table exists so that
	// Prune can hand pages back with PRAGMA incremental_vacuum.
	wq := url.Values{}
	wq.Set("_auto_vacuum", "INCREMENTAL")
	wq.Set("_journal_mode", "WAL")
	wq.Set("_synchronous", opts.Synchronous)
	wq.Set("_foreign_keys", "1")
	// Each grouped write runs in a savepoint; keep the savepoints' sub-journal
	// in memory instead of a temporary file (one pwrite per touched page).
	wq.Add("_pragma", "temp_store(MEMORY)")
	// The writer never checkpoints: an automatic checkpoint runs inside the
	// commit that crosses the threshold and stalls every queued write for
	// its whole length (seen as 100+ ms p99 spikes under load). A
	// background goroutine checkpoints on its own connection instead.
	wq.Add("_pragma", "wal_autocheckpoint(0)")
	wdb, err := sql.Open("sqlite", base+"&"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening sqlite writer: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)

	conn, err := wdb.Conn(ctx)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("connecting sqlite writer: %w", err)
	}
	if err := migrate(ctx, conn); err != nil {
		conn.Close()
		wdb.Close()
		return nil, err
	}
	w, err := newWriter(ctx, conn)
	if err != nil {
		conn.Close()
		wdb.Close()
		return nil, err
	}

	rq := url.Values{}
	rq.Set("_query_only", "1")
	rq.Set("_foreign_keys", "1")
	rdb, err := sql.Open("sqlite", base+"&"+rq.Encode())
	if err != nil {
		w.close()
		wdb.Close()
		return nil, fmt.Errorf("opening sqlite readers: %w", err)
	}
	rdb.SetMaxOpenConns(opts.ReadConns)
	rdb.SetMaxIdleConns(opts.ReadConns)
	rdb.SetConnMaxIdleTime(0)
	rdb.SetConnMaxLifetime(0)

	s := &Store{
		opts:       opts,
		rdb:        rdb,
		wdb:        wdb,
		w:          w,
		jobs:       make(chan *job, opts.QueueSize),
		deferred:   make(chan *job, 64),
		writerDone: make(chan struct{}),
	}
	s.jobPool.New = newJob
	s.heldWait.Store(int64(heldWait))
	cdb, err := sql.Open("sqlite", base)
	if err != nil {
		w.close()
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("opening sqlite checkpointer: %w", err)
	}
	cdb.SetMaxOpenConns(1)
	s.cdb, s.stopCheckpoint, s.checkpointDone = cdb, make(chan struct{}), make(chan struct{})
	go s.runWriter()
	go s.runCheckpoints(opts.CheckpointInterval)
	return s, nil
}

// Close flushes queued writes, stops the writer and closes the database.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.jobs)
	s.mu.Unlock()
	<-s.writerDone
	close(s.stopCheckpoint)
	<-s.checkpointDone

	// Checkpoint so the WAL does not linger next to a closed database; a
	// failure here loses nothing, the next Open replays the WAL.
	_, _ = s.w.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
	errs := []error{s.w.close(), s.rdb.Close(), s.wdb.Close(), s.cdb.Close()}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing sqlite store: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations that schema_migrations does not
// list yet, all in one immediate transaction so that two processes opening
// the same file do not race.
func migrate(ctx context.Context, conn *sql.Conn) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("listing migrations: %w", err)
	}
	sort.Strings(names)

	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("starting migration: %w", err)
	}
	rollback := func(err error) error {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at INTEGER NOT NULL)`); err != nil {
		return rollback(fmt.Errorf("creating schema_migrations: %w", err))
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return rollback(fmt.Errorf("migration %s: name must start with a number: %w", base, err))
		}
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
			return rollback(fmt.Errorf("checking migration %s: %w", base, err))
		}
		if n > 0 {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return rollback(fmt.Errorf("reading migration %s: %w", base, err))
		}
		if _, err := conn.ExecContext(ctx, string(body)); err != nil {
			return rollback(fmt.Errorf("applying migration %s: %w", base, err))
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			version, base, time.Now().UnixMicro()); err != nil {
			return rollback(fmt.Errorf("recording migration %s: %w", base, err))
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return rollback(fmt.Errorf("committing migrations: %w", err))
	}
	return nil
}

// runCheckpoints copies the WAL back into the database file in the
// background (PASSIVE: it never blocks the writer or readers), so the WAL
// stays small without the writer ever pausing for a checkpoint.
//
// A tick checkpoints only once the writer has appended checkpointFrames
// frames since the last checkpoint, or maxCheckpointDelay has passed with
// anything new: every checkpoint costs two fsyncs (WAL, then database file)
// that queue on the disk behind the writer's own commit fsync, and it copies
// each page touched since the last one. Checkpointing every tick whatever the
// traffic made a sequential caller pay for one of them every few dozen
// requests (the commit that waits behind a checkpoint's fsync is a p99
// outlier at c=1). A checkpoint copies each page once however often it was
// rewritten, so a WAL of up to 4096 frames (16 MiB) costs little more to
// checkpoint than one of 100, and stays well under maxWALFrames.
func (s *Store) runCheckpoints(every time.Duration) {
	defer close(s.checkpointDone)
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-s.stopCheckpoint:
			return
		case <-t.C:
		}
		n := s.newFrames.Load()
		if !checkpointDue(n, time.Since(last)) {
			continue
		}
		s.newFrames.Add(-n)
		last = time.Now()
		var busy, logFrames, done int
		// Errors are harmless here: the WAL keeps the data and the next
		// tick (or Close) tries again.
		_ = s.cdb.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
		s.walFrames.Store(int64(logFrames))
	}
}

// checkpointFrames and maxCheckpointDelay pace the background checkpoint:
// see runCheckpoints.
const (
	checkpointFrames   = 4096
	maxCheckpointDelay = time.Second
)

// checkpointDue reports whether a checkpoint is worth its fsyncs, newFrames
// frames and since after the last one.
func checkpointDue(newFrames int64, since time.Duration) bool {
	return newFrames >= checkpointFrames || (newFrames > 0 && since >= maxCheckpointDelay)
}

// countFrames adds the pages the writer connection wrote since the last call
// (in WAL mode, the frames its commits appended) to s.newFrames.
func (s *Store) countFrames() {
	_ = s.w.conn.Raw(func(dc any) error {
		st, ok := dc.(sqlite.DBStatus)
		if !ok {
			s.newFrames.Add(checkpointFrames) // unknown: checkpoint on the next tick
			return nil
		}
		n, _, err := st.Status(sqlite.DBStatusCacheWrite, true)
		if err != nil { // counting is best effort: checkpoint on the next tick
			s.newFrames.Add(checkpointFrames)
			return nil
		}
		s.newFrames.Add(int64(n))
		return nil
	})
}

// maxWALFrames is the WAL size (about 32 MiB of 4 KiB pages) past which the
// writer itself finishes a checkpoint between two batches. Under sustained
// writes the background checkpoint never reaches the end of the WAL (new
// frames keep arriving), so the WAL is never restarted and grows; the
// writer, pausing between batches, lets a passive checkpoint complete the
// (mostly copied) tail, and the next write restarts the WAL from its
// beginning (the file is reused, not truncated: truncating a large WAL
// showed up as stalls). It never waits for readers, unlike RESTART/TRUNCATE,
// whose busy-waiting showed up as 100+ ms stalls.
const maxWALFrames = 8192
