package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/weftworks/weft"
	"go.opentelemetry.io/otel/trace"

	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

// Config configures an Engine. Zero values take the defaults of WithDefaults.
type Config struct {
	Store    store.Store
	Registry *step.Registry
	Logger   *slog.Logger
	Metrics  *metrics.Metrics
	// HTTP is the client lent to steps (the SSRF-guarded client in production).
	HTTP *http.Client
	// Connections is lent to steps (credentials and connection settings);
	// nil when no vault is configured.
	Connections step.Connections
	// Limiter is lent to steps for connection rate limits; nil for none.
	Limiter step.Limiter
	// Events is lent to steps that wait for events, resume URLs and
	// approvals; nil for none.
	Events step.Events
	// Redactor removes known secret values (credential fields, derived
	// tokens) from what is recorded: inputs, outputs and errors of step runs.
	// nil records them as they are.
	Redactor Redactor
	// Owner names this process in leases; default host-pid-random.
	Owner string
	// Lease is how long an execution stays owned without renewal: the time
	// after which another process takes over the work of a dead one.
	Lease time.Duration
	// PollInterval is how often the scheduler looks for work it was not told
	// about (other processes' dead executions, due timers).
	PollInterval time.Duration
	// MaxRunning bounds executions in progress in this process; more wait
	// queued in the store.
	MaxRunning int
	// InlineWait: retry backoffs up to this long are slept in place; longer
	// ones free the worker and become a waiting row.
	InlineWait time.Duration
	// StepTimeout applies to a step attempt that has no `timeout:`.
	StepTimeout time.Duration
	// MaxCallDepth bounds nested workflow.call: a child deeper than this
	// below its top-level execution is refused (a workflow calling itself
	// without an end condition). Default 16.
	MaxCallDepth int
	// MaxForEachItems bounds the items of one for_each step; a longer list
	// fails the step before any item runs. Default 10,000.
	MaxForEachItems int
	// QuarantineAfter fails an execution, instead of running a step attempt
	// again, once that step was started this many times by processes that
	// died before it finished (an out-of-memory kill, a crash): otherwise
	// every restart replays it and dies again. Default 3.
	QuarantineAfter int
	// Retention: finished executions older than this are pruned; 0 keeps all.
	Retention time.Duration
	// EnvAllowlist names the environment variables expressions may read as env.NAME.
	EnvAllowlist []string
	// LookupEnv reads an allowlisted variable; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// Tracer records a span per execution start, per run and per step
	// attempt; nil (the default) turns tracing off at no cost.
	Tracer trace.Tracer
	// OnFinish, when set, is told of every execution that finishes in this
	// process (outbound webhook subscriptions). It must not block.
	OnFinish func(weft.Execution)
}

// WithDefaults returns a copy of c with defaults filled in.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if c.Lease <= 0 {
		c.Lease = 15 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.MaxRunning <= 0 {
		c.MaxRunning = 1024
	}
	if c.InlineWait <= 0 {
		c.InlineWait = 2 * time.Second
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = 10 * time.Minute
	}
	if c.MaxCallDepth <= 0 {
		c.MaxCallDepth = 16
	}
	if c.MaxForEachItems <= 0 {
		c.MaxForEachItems = 10_000
	}
	if c.QuarantineAfter <= 0 {
		c.QuarantineAfter = 3
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 5 * time.Minute}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports configuration errors, naming the field.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("engine config: Store is required")
	case c.Registry == nil:
		return errors.New("engine config: Registry is required")
	case c.Lease < time.Second:
		return fmt.Errorf("engine config: Lease %s is too short (at least 1s)", c.Lease)
	}
	return nil
}

// Engine runs executions. Create it with New, call Run in a goroutine, and
// Start executions from triggers.
type Engine struct {
	cfg       Config
	store     store.Store
	log       *slog.Logger
	m         *metrics.Metrics
	workflows *workflowCache
	events    *broker
	env       map[string]any

	slots chan struct{} // one token per execution running in this process
	kick  chan struct{} // wakes the scheduler early

	mu      sync.Mutex
	running map[string]*runHandle // executions running in this process
	// stopped is set, under mu, when Run stops its runners: nothing is
	// launched after it (Start then stores the execution queued).
	stopped bool

	wg sync.WaitGroup // runners

	// idle hands a new execution to a runner goroutine that finished its
	// last one and waits for another (see worker); stopWorkers, closed when
	// Run stops, sends the waiting ones home.
	idle        chan func()
	stopWorkers chan struct{}
	stopOnce    sync.Once

	cache *stepCache
}

type runHandle struct {
	cancel context.CancelCauseFunc
	// wake tells the runner that a child execution it waits for finished
	// (see wakeLocal); buffered, one pending wake-up is enough.
	wake chan struct{}
	// stored turns true once the execution is on disk. Until then its lease
	// is not renewed: the store does not know it yet and would report it
	// lost.
	stored atomic.Bool
}

// New builds an engine.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env := map[string]any{}
	lookup := cfg.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	for _, name := range cfg.EnvAllowlist {
		if v, ok := lookup(name); ok {
			env[name] = v
		}
	}
	e := &Engine{
		cfg:     cfg,
		store:   cfg.Store,
		log:     cfg.Logger,
		m:       cfg.Metrics,
		events:  newBroker(),
		env:     env,
		slots:   make(chan struct{}, cfg.MaxRunning),
		kick:    make(chan struct{}, 1),
		running: map[string]*runHandle{},

		idle:        make(chan func()),
		stopWorkers: make(chan struct{}),
	}
	e.workflows = newWorkflowCache(cfg.Store, cfg.Registry)
	e.cache = newStepCache(cfg.Store, cfg.Metrics)
	return e, nil
}

// Owner is the lease owner name of this process.
func (e *Engine) Owner() string { return e.cfg.Owner }

// Registry returns the step registry.
func (e *Engine) Registry() *step.Registry { return e.cfg.Registry }

// Store returns the store.
func (e *Engine) Store() store.Store { return e.store }

// StartRequest asks for a new execution.
type StartRequest struct {
	Workflow string
	// Version pins a workflow version; 0 means the active one.
	Version int64
	Input   json.RawMessage
	// InputValue, when set, is Input already decoded (saves decoding it again
	// on the fast path).
	InputValue any
	Trigger    string
	Dedupe     *store.DedupeKey
	ParentID   string
	ParentStep string
	// TraceParent is the W3C traceparent of the caller (an incoming
	// webhook's header): the execution's trace continues it. Used only when
	// tracing is on.
	TraceParent string
	// Respond, when true, makes Start return a channel that receives the
	// output of the execution's `respond` step (or is closed when the
	// execution finishes without one).
	Respond bool
}

// Started is the outcome of Start.
type Started struct {
	Execution weft.Execution
	// Duplicate is true when the dedupe key was already claimed; Execution
	// then only has its ID set (the first execution's).
	Duplicate bool
	// Response receives the respond step's output when StartRequest.Respond
	// was set. It is closed if the execution finishes (or this process stops
	// running it) without responding.
	Response <-chan json.RawMessage
	cancel   func()
}

// Release drops interest in the response (call it when the caller stops
// waiting).
func (s *Started) Release() {
	if s.cancel != nil {
		s.cancel()
	}
}

// Start creates an execution durably and, when this process has room and the
// workflow has no concurrency limit, runs it at once in this process. When
// Start returns without error the execution is on disk.
func (e *Engine) Start(ctx context.Context, req StartRequest) (*Started, error) {
	if e.cfg.Tracer == nil {
		return e.start(ctx, req, "")
	}
	ctx, span := e.startSpan(ctx, req)
	s, err := e.start(ctx, req, FormatTraceParent(span.SpanContext()))
	endStartSpan(span, s, err)
	return s, err
}

func (e *Engine) start(ctx context.Context, req StartRequest, traceParent string) (*Started, error) {
	cw, err := e.workflows.get(ctx, req.Workflow, req.Version)
	if err != nil {
		return nil, err
	}
	if len(req.Input) == 0 {
		req.Input = json.RawMessage("{}")
	}
	if !json.Valid(req.Input) {
		return nil, fmt.Errorf("execution input is not valid JSON: %w", weft.ErrInvalid)
	}
	switch req.Trigger {
	case "", weft.TriggerManual, weft.TriggerMCP:
		// A person or a client chose this input: it must match `inputs:`.
		if err := cw.c.CheckInput(req.Input); err != nil {
			return nil, err
		}
	}
	now := e.cfg.Now().UTC()
	ex := weft.Execution{
		ID:              NewID(now),
		Workflow:        cw.rec.Name,
		WorkflowVersion: cw.rec.Version,
		Status:          weft.ExecutionQueued,
		Trigger:         req.Trigger,
		Input:           req.Input,
		ParentID:        req.ParentID,
		ParentStep:      req.ParentStep,
		CreatedAt:       now,
		TraceParent:     traceParent,
	}
	if ex.Trigger == "" {
		ex.Trigger = weft.TriggerManual
	}
	// Fast path: take a slot and the lease in the same write that creates
	// the execution, so no other process (or our own scheduler) claims it.
	inline := cw.c.Workflow.Concurrency == 0
	if inline {
		select {
		case e.slots <- struct{}{}:
		default:
			inline = false
		}
	}
	if inline {
		until := now.Add(e.cfg.Lease)
		ex.Status = weft.ExecutionRunning
		ex.StartedAt = &now
		ex.LeaseOwner = e.cfg.Owner
		ex.LeaseUntil = &until
	}
	started := &Started{Execution: ex}
	if req.Respond {
		ch := e.events.expectResponse(ex.ID)
		started.Response = ch
		id := ex.ID // not ex: a closure over it would move it to the heap
		started.cancel = func() { e.events.dropResponse(id) }
	}
	var res store.Result
	if inline {
		// The runner's first durable write creates the execution: pure steps
		// (transform, respond…) run before it, so a workflow of pure steps
		// costs one group commit, and one whose first step calls out records
		// its creation and the attempt together. Start still returns only
		// once the execution is on disk.
		created := make(chan createResult, 1)
		if !e.launch(ex, cw, req.InputValue, &pendingCreate{dedupe: req.Dedupe, done: created}) {
			// The engine has stopped: the execution is stored queued, for
			// the next process that runs.
			<-e.slots
			inline = false
			ex.Status, ex.StartedAt, ex.LeaseOwner, ex.LeaseUntil = weft.ExecutionQueued, nil, "", nil
			started.Execution = ex
		}
		if inline {
			select {
			case cr := <-created:
				res, err = cr.res, cr.err
			case <-ctx.Done():
				// The runner goes on and may still store it; the caller gave up
				// and sends no 2xx, so a repeat is the caller's to make.
				err = ctx.Err()
			}
		}
	}
	if !inline {
		create := ex // &ex would move ex to the heap on the fast path too
		res, err = e.store.Apply(ctx, store.Mutation{Create: &create, ExecutionID: ex.ID, Dedupe: req.Dedupe})
	}
	if err != nil {
		started.Release()
		if errors.Is(err, weft.ErrDuplicate) {
			return &Started{Execution: weft.Execution{ID: res.Existing, Workflow: cw.rec.Name}, Duplicate: true}, nil
		}
		return nil, fmt.Errorf("creating execution of %q: %w", req.Workflow, err)
	}
	if e.m != nil {
		e.m.ExecutionsStarted.WithLabelValues(ex.Workflow, ex.Trigger).Inc()
	}
	if !inline {
		e.Kick()
	}
	return started, nil
}

// pendingCreate is an execution not yet written: the runner's first Apply
// carries its creation and reports the outcome on done.
type pendingCreate struct {
	dedupe *store.DedupeKey
	done   chan createResult
}

type createResult struct {
	res store.Result
	err error
}

// Kick wakes the scheduler so it looks for work now.
func (e *Engine) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// launch runs an execution in a goroutine; the caller holds a slot. It
// reports false, and launches nothing, once Run has stopped its runners: a
// runner started then (by a Start racing with shutdown) would run with
// nobody to stop it or wait for it, possibly after the store is closed.
func (e *Engine) launch(ex weft.Execution, cw *compiledWorkflow, input any, create *pendingCreate) bool {
	ctx, cancel := context.WithCancelCause(context.Background())
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		cancel(nil)
		return false
	}
	h := &runHandle{cancel: cancel, wake: make(chan struct{}, 1)}
	h.stored.Store(create == nil)
	e.running[ex.ID] = h
	// Added under mu, so before Run (which sets stopped under mu) waits.
	e.wg.Add(1)
	e.mu.Unlock()
	if e.m != nil {
		e.m.RunningExecutions.Inc()
	}
	r := newRunner(e, ex, cw, input, create)
	r.rh = h
	id := ex.ID
	e.goRun(func() {
		defer e.wg.Done()
		defer func() {
			e.unregister(id, h)
			cancel(nil)
			<-e.slots
			if e.m != nil {
				e.m.RunningExecutions.Dec()
			}
		}()
		r.run(ctx)
	})
	return true
}

// workerIdle is how long a runner goroutine waits for the next execution
// before it ends.
const workerIdle = 10 * time.Second

// goRun runs fn on a runner goroutine: one that finished an execution and
// waits for the next, or a new one. A new goroutine starts with a small
// stack and grows it, copying it each time, while it runs an execution
// (expression evaluation, encoding, the store call): reused, it keeps the
// stack it grew. Every runner goroutine is counted in wg.
func (e *Engine) goRun(fn func()) {
	select {
	case e.idle <- fn:
		return
	default:
	}
	e.wg.Add(1)
	go e.worker(fn)
}

func (e *Engine) worker(fn func()) {
	defer e.wg.Done()
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		fn()
		fn = nil
		t = resetTimer(t, workerIdle)
		select {
		case fn = <-e.idle:
		case <-t.C:
			return
		case <-e.stopWorkers:
			return
		}
	}
}

// unregister removes h from the running executions, unless a newer run of
// the same execution took its place: a runner that parked its execution
// is still on its way out when a wake-up (an event, a decision) lets this
// process claim and launch the execution again, and removing the newer
// run's handle would stop its lease renewals and leave it out of Cancel
// and shutdown.
func (e *Engine) unregister(id string, h *runHandle) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running[id] == h {
		delete(e.running, id)
	}
}

// Wait blocks until the execution finishes or ctx is done, and returns the
// execution as stored.
func (e *Engine) Wait(ctx context.Context, id string) (weft.Execution, error) {
	done, stop := e.events.waitFinished(id)
	defer stop()
	tick := time.NewTicker(e.cfg.PollInterval)
	defer tick.Stop()
	for {
		ex, err := e.store.GetExecution(ctx, id)
		if err != nil {
			return weft.Execution{}, err
		}
		if ex.Status.Finished() {
			return ex, nil
		}
		select {
		case <-ctx.Done():
			return ex, ctx.Err()
		case <-done:
			done, stop = e.events.waitFinished(id)
			defer stop()
		case <-tick.C:
		}
	}
}

// Subscribe returns the events of an execution as they happen in this
// process. Call the returned func to stop.
func (e *Engine) Subscribe(id string) (<-chan Event, func()) { return e.events.subscribe(id) }

// Cancel cancels an execution: at once if nobody is running it, otherwise
// at its next step boundary (here, or in the process that holds it, within
// one lease renewal).
func (e *Engine) Cancel(ctx context.Context, id string) (weft.Execution, error) {
	ex, err := e.store.RequestCancel(ctx, id, e.cfg.Now().UTC())
	if err != nil {
		return ex, err
	}
	if ex.Status == weft.ExecutionCanceled {
		e.finished(ex)
		return ex, nil
	}
	e.mu.Lock()
	h := e.running[id]
	e.mu.Unlock()
	if h != nil {
		h.cancel(errCanceled)
	}
	return ex, nil
}

// Retry resumes a failed execution from its failed step; completed steps keep
// their outputs.
func (e *Engine) Retry(ctx context.Context, id string) (weft.Execution, error) {
	return e.RetryBy(ctx, id, "")
}

// RetryBy is Retry that records who asked for it (the earlier run is kept
// in Execution.Retries with by as its retried_by).
func (e *Engine) RetryBy(ctx context.Context, id, by string) (weft.Execution, error) {
	ex, err := e.store.ResetForRetry(ctx, id, e.cfg.Now().UTC(), by)
	if err != nil {
		return ex, err
	}
	e.publishExecution(ex)
	e.Kick()
	return ex, nil
}

// InvalidateWorkflow drops cached compiled versions of a workflow (after a
// PUT or DELETE).
func (e *Engine) InvalidateWorkflow(name string) { e.workflows.invalidate(name) }

// CompiledRecord returns a stored workflow version compiled: from the cache
// of compiled versions when it is there, parsed once otherwise. Callers must
// not modify it.
func (e *Engine) CompiledRecord(rec weft.WorkflowRecord) (*workflow.Compiled, error) {
	cw, err := e.workflows.compile(rec)
	if err != nil {
		return nil, err
	}
	return cw.c, nil
}

// RememberCompiled caches a version that was compiled before it was stored,
// so that neither its first run nor its first read parses it again.
func (e *Engine) RememberCompiled(rec weft.WorkflowRecord, c *workflow.Compiled) {
	e.workflows.remember(rec, c)
}

// WorkflowParses is how many times this engine parsed a stored workflow
// version: a cache that works keeps it at one per version.
func (e *Engine) WorkflowParses() int64 { return e.workflows.parses.Load() }

// Compiled returns the compiled active version of a workflow. It is cached
// per version: callers must not modify it.
func (e *Engine) Compiled(ctx context.Context, name string) (weft.WorkflowRecord, *workflow.Compiled, error) {
	cw, err := e.workflows.get(ctx, name, 0)
	if err != nil {
		return weft.WorkflowRecord{}, nil, err
	}
	return cw.rec, cw.c, nil
}

func (e *Engine) publishExecution(ex weft.Execution) {
	if e.events.hasSubscribers(ex.ID) {
		c := ex // copied here: taking &ex would move every ex to the heap
		e.events.publish(ex.ID, Event{Type: "execution", Execution: &c})
	}
}

func (e *Engine) finished(ex weft.Execution) {
	e.publishExecution(ex)
	e.events.finish(ex.ID)
	if e.m != nil {
		e.m.ExecutionsFinished.WithLabelValues(ex.Workflow, string(ex.Status)).Inc()
	}
	if e.cfg.OnFinish != nil {
		e.cfg.OnFinish(ex)
	}
}

// NewID returns a new time-ordered execution id.
func NewID(t time.Time) string {
	// ulid.MustNew(ms, rand.Reader) reads the entropy through io.Reader,
	// which moves the id to the heap; rand.Read fills it in place.
	var id ulid.ULID
	if err := id.SetTime(ulid.Timestamp(t)); err != nil {
		panic(err)
	}
	_, _ = rand.Read(id[6:]) // never fails (crypto/rand crashes instead)
	return id.String()
}

var (
	errCanceled  = errors.New("execution canceled")
	errLeaseLost = weft.ErrLeaseLost
	errShutdown  = errors.New("process shutting down")
	errNotStored = errors.New("execution was not stored")
)
