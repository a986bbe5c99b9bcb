package engine

// Traces (when Config.Tracer is set): a span marks the start of an
// execution and its context is stored with it (Execution.TraceParent); each
// time a process runs the execution it opens a run span under that context,
// and each step attempt gets a span under the run span. A resumed run in
// another process, and a child started by workflow.call (whose start span's
// parent is the calling attempt), therefore land in the same trace. With no
// tracer none of this runs.

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/workflow"
)

// Span attribute keys, documented in docs/operations.md.
const (
	attrExecution = attribute.Key("weft.execution.id")
	attrWorkflow  = attribute.Key("weft.workflow")
	attrVersion   = attribute.Key("weft.workflow.version")
	attrTrigger   = attribute.Key("weft.trigger")
	attrParent    = attribute.Key("weft.parent.execution.id")
	attrStatus    = attribute.Key("weft.execution.status")
	attrResumed   = attribute.Key("weft.resumed")
	attrRecovered = attribute.Key("weft.recovered")
	attrStepID    = attribute.Key("weft.step.id")
	attrStepType  = attribute.Key("weft.step.type")
	attrItem      = attribute.Key("weft.step.item")
	attrAttempt   = attribute.Key("weft.step.attempt")
	attrRetry     = attribute.Key("weft.step.retry")
	attrOutcome   = attribute.Key("weft.step.outcome")
	attrConn      = attribute.Key("weft.connection")
	attrErrCode   = attribute.Key("weft.error.code")
	attrDuplicate = attribute.Key("weft.duplicate")
)

// FormatTraceParent renders sc as a W3C traceparent header value; "" when
// sc is not valid.
func FormatTraceParent(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	return c["traceparent"]
}

// ParseTraceParent reads a W3C traceparent header value as a remote span
// context; an invalid or empty value gives an invalid span context.
func ParseTraceParent(s string) trace.SpanContext {
	if s == "" {
		return trace.SpanContext{}
	}
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": s})
	return trace.SpanContextFromContext(ctx)
}

// startSpan opens the span that marks an execution's start. Its parent is
// the request's traceparent (a webhook caller) or else the span in ctx (the
// workflow.call attempt that starts a child).
func (e *Engine) startSpan(ctx context.Context, req StartRequest) (context.Context, trace.Span) {
	parent := ctx
	if sc := ParseTraceParent(req.TraceParent); sc.IsValid() {
		parent = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	trig := req.Trigger
	if trig == "" {
		trig = weft.TriggerManual
	}
	kind := trace.SpanKindInternal
	if trig == weft.TriggerWebhook {
		kind = trace.SpanKindServer
	}
	attrs := []attribute.KeyValue{attrWorkflow.String(req.Workflow), attrTrigger.String(trig)}
	if req.ParentID != "" {
		attrs = append(attrs, attrParent.String(req.ParentID))
	}
	return e.cfg.Tracer.Start(parent, "execution "+req.Workflow, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// endStartSpan closes the start span with what Start did.
func endStartSpan(span trace.Span, s *Started, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "starting the execution failed")
	} else {
		span.SetAttributes(attrExecution.String(s.Execution.ID), attrDuplicate.Bool(s.Duplicate))
		if s.Execution.WorkflowVersion > 0 {
			span.SetAttributes(attrVersion.Int64(s.Execution.WorkflowVersion))
		}
	}
	span.End()
}

// traceRun opens this process's run span of the execution under its stored
// trace context; the returned func closes it with the status reached.
func (r *runner) traceRun(ctx context.Context) (context.Context, func()) {
	tr := r.e.cfg.Tracer
	if tr == nil {
		return ctx, func() {}
	}
	parent := ctx
	if sc := ParseTraceParent(r.ex.TraceParent); sc.IsValid() {
		parent = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	ctx, span := tr.Start(parent, "run "+r.ex.Workflow, trace.WithAttributes(
		attrExecution.String(r.ex.ID), attrWorkflow.String(r.ex.Workflow), attrVersion.Int64(r.ex.WorkflowVersion),
		attrTrigger.String(r.ex.Trigger), attrResumed.Bool(!r.fresh), attrRecovered.Bool(r.ex.Recovered)))
	return ctx, func() {
		span.SetAttributes(attrStatus.String(string(r.ex.Status)))
		if r.ex.Status == weft.ExecutionFailed {
			msg := "execution failed"
			if r.ex.Error != nil {
				msg = r.ex.Error.Message
				span.SetAttributes(attrErrCode.String(r.ex.Error.Code))
			}
			span.SetStatus(codes.Error, msg)
		}
		span.End()
	}
}

// traceAttempt opens the span of one step attempt; nil when tracing is off.
func (r *runner) traceAttempt(ctx context.Context, n *workflow.Node, t *weft.StepRun, with map[string]any) (context.Context, trace.Span) {
	tr := r.e.cfg.Tracer
	if tr == nil {
		return ctx, nil
	}
	attrs := []attribute.KeyValue{attrExecution.String(r.ex.ID), attrWorkflow.String(r.ex.Workflow),
		attrStepID.String(t.StepID), attrStepType.String(n.Step.Uses), attrAttempt.Int(t.Attempts),
		attrRetry.Bool(t.Attempts > 1)}
	if t.Item != weft.WholeStep {
		attrs = append(attrs, attrItem.Int(t.Item))
	}
	if c, ok := with["connection"].(string); ok && c != "" {
		attrs = append(attrs, attrConn.String(c))
	}
	kind := trace.SpanKindInternal
	if !r.isPure(n) {
		kind = trace.SpanKindClient
	}
	return tr.Start(ctx, "step "+t.StepID, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// endAttempt closes an attempt span with its outcome (succeeded, cached,
// suspended, retry, failed, interrupted).
func endAttempt(span trace.Span, outcome string, info *weft.ErrorInfo) {
	if span == nil {
		return
	}
	span.SetAttributes(attrOutcome.String(outcome))
	if info != nil {
		span.SetAttributes(attrErrCode.String(info.Code))
	}
	if outcome == "failed" || outcome == "retry" {
		msg := outcome
		if info != nil {
			msg = info.Message
		}
		span.SetStatus(codes.Error, msg)
	}
	span.End()
}

func (r *runner) isPure(n *workflow.Node) bool {
	reg, ok := r.e.cfg.Registry.Lookup(n.Step.Uses)
	return ok && reg.Spec.Pure
}
