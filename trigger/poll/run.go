package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

// ErrTooMany is returned when a poll returns more than max_items items or
// more than MaxOutputBytes of output.
var ErrTooMany = errors.New("too many items")

// poll runs one claimed poll and returns the state to store: the cursor
// and seen ids advance only when every new item's execution is on disk.
func (p *Poller) poll(ctx context.Context, e *entry, st weft.PollState, began time.Time) weft.PollState {
	log := p.cfg.Logger.With("workflow", e.workflow, "trigger", e.node.Index)
	st.LastPollAt = &began
	st.NextPollAt = began.Add(e.node.Trigger.Every.D())
	started, dups, cursor, seen, err := p.fetch(ctx, e, st)
	p.cfg.Metrics.item(e.workflow, "started", started)
	p.cfg.Metrics.item(e.workflow, "duplicate", dups)
	st.ItemsSeen += int64(started)
	now := p.cfg.Now()
	if err != nil {
		st.LastErrorAt, st.LastError = &now, err.Error()
		if ok, after := step.IsRetryable(err); ok && after > 0 {
			until := now.Add(after)
			st.PausedUntil = &until
			if until.After(st.NextPollAt) {
				st.NextPollAt = until
			}
			p.cfg.Metrics.poll(e.workflow, "paused")
			log.Warn("poll paused: the source asked to wait", "until", until, "err", err)
			return st
		}
		p.cfg.Metrics.poll(e.workflow, "error")
		log.Warn("poll failed; the cursor stays, the next poll fetches the same items again", "err", err, "started", started)
		return st
	}
	st.Cursor, st.Seen = cursor, seen
	st.LastSuccessAt, st.PausedUntil = &now, nil
	p.cfg.Metrics.poll(e.workflow, "ok")
	p.cfg.Metrics.succeeded(e.workflow, strconv.Itoa(e.node.Index), float64(now.Unix()))
	if started > 0 {
		log.Info("poll started executions", "started", started, "duplicates", dups)
	}
	return st
}

// fetch runs the step, starts an execution for every item not seen
// before, and computes the next cursor and seen ids.
func (p *Poller) fetch(ctx context.Context, e *entry, st weft.PollState) (started, dups int, cursor json.RawMessage, seen []string, err error) {
	n := e.node
	var prev any
	if len(st.Cursor) > 0 {
		if err := json.Unmarshal(st.Cursor, &prev); err != nil {
			return 0, 0, nil, nil, fmt.Errorf("reading the stored cursor: %w", err)
		}
	}
	pollVars := map[string]any{"cursor": prev, "workflow": e.workflow, "index": n.Index}
	if st.LastSuccessAt != nil {
		pollVars["last_success_at"] = st.LastSuccessAt.UTC().Format(time.RFC3339Nano)
	}
	out, err := p.runStep(ctx, e, pollVars)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	pollVars["output"] = out
	items, err := p.items(ctx, n, pollVars, out)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	pollVars["items"] = items
	seen = append([]string(nil), st.Seen...)
	known := make(map[string]bool, len(seen))
	for _, id := range seen {
		known[id] = true
	}
	for i, item := range items {
		v, err := n.ID.Eval(ctx, expr.Scope{"item": item, "index": i, "poll": pollVars})
		if err != nil {
			return started, dups, nil, nil, fmt.Errorf("id of item %d: %w", i, err)
		}
		id, ok := idString(v)
		if !ok {
			return started, dups, nil, nil, fmt.Errorf("id of item %d is %s; the id template must give a non-empty string or number", i, describe(v))
		}
		if known[id] {
			continue
		}
		dup, err := p.start(ctx, e, id, item, prev)
		if err != nil {
			return started, dups, nil, nil, fmt.Errorf("starting the execution of item %q: %w", id, err)
		}
		if dup {
			dups++
		} else {
			started++
		}
		known[id] = true
		seen = append(seen, id)
	}
	if limit := max(p.cfg.SeenMax, 2*maxItems(n)); len(seen) > limit {
		seen = seen[len(seen)-limit:]
	}
	cursor = st.Cursor
	if n.Cursor != nil {
		v, err := n.Cursor.Eval(ctx, expr.Scope{"poll": pollVars})
		if err != nil {
			return started, dups, nil, nil, fmt.Errorf("cursor: %w", err)
		}
		if v != nil && v != "" {
			if cursor, err = json.Marshal(v); err != nil {
				return started, dups, nil, nil, fmt.Errorf("cursor is not JSON: %w", err)
			}
		}
	}
	return started, dups, cursor, seen, nil
}

// runStep evaluates `with` and runs the step once.
func (p *Poller) runStep(ctx context.Context, e *entry, pollVars map[string]any) (any, error) {
	n := e.node
	reg, ok := p.cfg.Registry.Lookup(n.Trigger.Step)
	if !ok {
		return nil, fmt.Errorf("step type %q is not registered in this process", n.Trigger.Step)
	}
	v, err := n.With.Eval(ctx, expr.Scope{"poll": pollVars, "workflow": map[string]any{"name": e.workflow}})
	if err != nil {
		return nil, fmt.Errorf("evaluating with: %w", err)
	}
	with, _ := v.(map[string]any)
	if with == nil {
		with = map[string]any{}
	}
	for _, f := range reg.Spec.Fields {
		if _, set := with[f.Name]; !set && f.Default != nil {
			with[f.Name] = f.Default
		}
	}
	env := p.cfg.Env
	env.Logger = p.cfg.Logger.With("workflow", e.workflow, "trigger", n.Index, "step", n.Trigger.Step)
	env.Now = p.cfg.Now
	env.Emit = func(string, any) {}
	env.Events = nil
	env.Workflows = nil
	now := p.cfg.Now().UTC()
	req := &step.Request{
		Workflow: e.workflow, ExecutionID: "poll", StepID: fmt.Sprintf("on.poll[%d]", n.Index), Item: weft.WholeStep,
		Type: n.Trigger.Step, With: with, Attempt: 1, Env: &env,
		IdempotencyKey: fmt.Sprintf("poll:%s:%d:%d", e.workflow, n.Index, now.UnixMicro()),
	}
	sctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	res, err := reg.Handler.Run(sctx, req)
	if err != nil {
		if strings.HasPrefix(err.Error(), n.Trigger.Step+":") {
			return nil, err // the step named itself already
		}
		return nil, fmt.Errorf("%s: %w", n.Trigger.Step, err)
	}
	if res.Suspend != nil {
		return nil, fmt.Errorf("%s asked to wait (%s); a polling trigger needs a step that answers at once", n.Trigger.Step, res.Suspend.Reason)
	}
	// Measured before encoding, stopping at the bound, so a hostile output
	// costs no more than MaxOutputBytes of work.
	if size := expr.EncodedSize(res.Output, p.cfg.MaxOutputBytes); size > p.cfg.MaxOutputBytes {
		return nil, fmt.Errorf("%s returned more than %d bytes of output; a poll may return at most that: narrow the query or page with the cursor: %w", n.Trigger.Step, p.cfg.MaxOutputBytes, ErrTooMany)
	}
	out, err := json.Marshal(res.Output)
	if err != nil {
		return nil, fmt.Errorf("%s output is not JSON: %w", n.Trigger.Step, err)
	}
	var decoded any
	if err := json.Unmarshal(out, &decoded); err != nil {
		return nil, fmt.Errorf("%s output: %w", n.Trigger.Step, err)
	}
	return decoded, nil
}

// items selects the list of items from the output.
func (p *Poller) items(ctx context.Context, n workflow.PollNode, pollVars map[string]any, out any) ([]any, error) {
	v := out
	if n.Items != nil {
		var err error
		if v, err = n.Items.Eval(ctx, expr.Scope{"poll": pollVars}); err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
	}
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("items must select a list from poll.output, got %s", describe(v))
	}
	if m := maxItems(n); len(list) > m {
		return nil, fmt.Errorf("the poll returned %d items; max_items is %d: narrow the query, page with the cursor or raise max_items: %w", len(list), m, ErrTooMany)
	}
	return list, nil
}

// start creates the item's execution, deduped by (trigger, item id).
func (p *Poller) start(ctx context.Context, e *entry, id string, item, cursor any) (bool, error) {
	input, err := json.Marshal(map[string]any{"item": item, "id": id, "cursor": cursor, "trigger_index": e.node.Index})
	if err != nil {
		return false, fmt.Errorf("encoding the item: %w", err)
	}
	now := p.cfg.Now()
	res, err := p.cfg.Engine.Start(ctx, engine.StartRequest{
		Workflow: e.workflow, Input: input, Trigger: weft.TriggerPoll,
		Dedupe: &store.DedupeKey{Scope: "poll:" + e.workflow, Key: strconv.Itoa(e.node.Index) + ":" + id, ExpiresAt: now.Add(p.cfg.DedupeTTL)},
	})
	if err != nil {
		return false, err
	}
	return res.Duplicate, nil
}

func maxItems(n workflow.PollNode) int {
	if n.Trigger.MaxItems > 0 {
		return n.Trigger.MaxItems
	}
	return workflow.DefaultPollMaxItems
}

func idString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
