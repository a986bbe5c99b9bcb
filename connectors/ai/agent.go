package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// agent runs ai.agent. Each Run does one unit of work — one model turn or
// one tool call — and suspends with the conversation so far as its state.
// The engine commits that state before it runs the step again (at once),
// so after a crash the loop resumes from the last finished unit: a
// recorded turn is never sent to the model again and a recorded tool call
// never runs again. A tool step that suspends (workflow.call) keeps its own
// state inside the agent's.
type agent struct {
	s    *Service
	spec step.Spec
	reg  *step.Registry
}

var _ step.Handler = agent{}

// agentState is the durable record of the loop, kept on the step run.
type agentState struct {
	Messages []Message `json:"messages"` // turns and tool results after the initial request
	Turns    []Turn    `json:"turns"`
	// Wait is a suspension that a wake-up must not cut short: a budget or
	// rate-limit wait, or a tool step that is not RunOnWake. ai.agent is
	// RunOnWake (so a workflow.call tool's child wakes it), and the engine
	// runs it again whenever its execution is woken.
	Wait *agentWait `json:"wait,omitempty"`
}

// agentWait is a suspension recorded in agentState.
type agentWait struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason,omitempty"`
	Park   bool      `json:"park,omitempty"`
}

// Turn is one model call of the loop and the tool calls it asked for.
type Turn struct {
	N         int          `json:"n"`
	Text      string       `json:"text,omitempty"`
	ToolCalls []ToolRecord `json:"tool_calls,omitempty"`
	Finish    string       `json:"finish_reason"`
	Usage     Usage        `json:"usage"`
	CostUSD   float64      `json:"cost_usd"`
	Provider  string       `json:"provider"`
	Model     string       `json:"model"`
	CacheHit  bool         `json:"cache_hit,omitempty"`
	Fallbacks []Attempt    `json:"fallbacks,omitempty"`
	LatencyMS int64        `json:"latency_ms"`
}

// ToolRecord is one tool call and, once done, its result.
type ToolRecord struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Done      bool            `json:"done"`
	Output    any             `json:"output,omitempty"`
	Error     string          `json:"error,omitempty"`
	// State is the tool step's own suspend state while it waits.
	State json.RawMessage `json:"state,omitempty"`
	// Child is the execution a workflow tool (workflow.call) started, kept
	// after the call is done so the console can link to it.
	Child string `json:"child,omitempty"`
}

// toolDef is a declared tool.
type toolDef struct {
	Tool
	Uses     string
	With     map[string]any
	ArgsInto string
}

var toolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (h agent) tools(ctx context.Context, req *step.Request) ([]toolDef, error) {
	list, _ := req.With["tools"].([]any)
	if len(list) == 0 {
		return nil, input.Invalid("tools", "declare at least one tool")
	}
	var out []toolDef
	seen := map[string]bool{}
	add := func(d toolDef) error {
		if seen[d.Name] {
			return input.Invalid("tools", "tool %q is declared twice", d.Name)
		}
		seen[d.Name] = true
		out = append(out, d)
		return nil
	}
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, input.Invalid("tools", "item %d must be an object", i)
		}
		if conn, _ := m["mcp"].(string); conn != "" {
			defs, err := h.mcpTools(ctx, req, i, conn, m)
			if err != nil {
				return nil, err
			}
			for _, d := range defs {
				if err := add(d); err != nil {
					return nil, err
				}
			}
			continue
		}
		var d toolDef
		d.Name, _ = m["name"].(string)
		d.Description, _ = m["description"].(string)
		d.Uses, _ = m["uses"].(string)
		d.ArgsInto, _ = m["args_into"].(string)
		d.Parameters, _ = m["parameters"].(map[string]any)
		d.With, _ = m["with"].(map[string]any)
		switch {
		case !toolName.MatchString(d.Name):
			return nil, input.Invalid("tools", "item %d: name %q must be 1-64 letters, digits, _ or - (or give `mcp: CONNECTION` for an MCP server's tools)", i, d.Name)
		case d.Uses == TypeAgent:
			return nil, input.Invalid("tools", "tool %q: an agent cannot be a tool of an agent", d.Name)
		}
		if _, ok := h.reg.Lookup(d.Uses); !ok {
			return nil, input.Invalid("tools", "tool %q: uses %q is not a registered step type", d.Name, d.Uses)
		}
		if d.Parameters != nil {
			if _, err := compileSchema(d.Parameters); err != nil {
				return nil, input.Invalid("tools", "tool %q: parameters is not a valid JSON Schema: %v", d.Name, err)
			}
		}
		if err := add(d); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// mcpTools expands `{mcp: CONNECTION, include, exclude}` into one tool per
// listed tool of the server, named CONNECTION__TOOL (letters, digits, _ and
// - only, at most 64) so that servers never collide, each run by the tool
// source's call step.
func (h agent) mcpTools(ctx context.Context, req *step.Request, i int, conn string, m map[string]any) ([]toolDef, error) {
	src := h.s.cfg.Tools
	if src == nil {
		return nil, input.Invalid("tools", "item %d: this Weft has no MCP client configured", i)
	}
	include, exclude := stringSet(m["include"]), stringSet(m["exclude"])
	listed, err := src.Tools(ctx, req, conn)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	var out []toolDef
	for _, t := range listed {
		known[t.Name] = true
		if (include != nil && !include[t.Name]) || exclude[t.Name] {
			continue
		}
		d := toolDef{Uses: src.CallStep(), ArgsInto: "arguments", With: map[string]any{"connection": conn, "tool": t.Name}}
		d.Name = namespaced(conn, t.Name)
		d.Description = t.Description
		if d.Description == "" {
			d.Description = "Tool " + t.Name + " of the MCP server " + conn + "."
		}
		if t.Parameters != nil {
			if _, err := compileSchema(t.Parameters); err == nil {
				d.Parameters = t.Parameters // a schema Weft cannot read is the server's to check
			}
		}
		out = append(out, d)
	}
	for name := range include {
		if !known[name] {
			return nil, input.Invalid("tools", "item %d: include names %q, which MCP server %q does not list", i, name, conn)
		}
	}
	if len(out) == 0 {
		return nil, input.Invalid("tools", "item %d: MCP server %q offers no tool after include/exclude", i, conn)
	}
	return out, nil
}

var notToolChar = regexp.MustCompile(`[^A-Za-z0-9_-]`)

func namespaced(conn, tool string) string {
	n := notToolChar.ReplaceAllString(conn, "_") + "__" + notToolChar.ReplaceAllString(tool, "_")
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

func stringSet(v any) map[string]bool {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make(map[string]bool, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out[s] = true
		}
	}
	return out
}

func (h agent) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	var st agentState
	if len(req.State) > 0 && string(req.State) != "null" {
		if err := json.Unmarshal(req.State, &st); err != nil {
			return step.Result{}, fmt.Errorf("ai.agent: reading the recorded turns: %w", err)
		}
	}
	now := time.Now
	if req.Env != nil && req.Env.Now != nil {
		now = req.Env.Now
	}
	if w := st.Wait; w != nil {
		if now().Before(w.Until) {
			// Woken early (by another step's child): this wait keeps its time.
			return step.Result{Suspend: &step.Suspend{Until: w.Until, State: st, Reason: w.Reason, Park: w.Park}}, nil
		}
		st.Wait = nil
	}
	in := input.New(&h.spec, req.With)
	ts, err := targets(in, req.With)
	if err != nil {
		return step.Result{}, err
	}
	creq, err := h.s.chatRequest(in, req.With)
	if err != nil {
		return step.Result{}, err
	}
	tools, err := h.tools(ctx, req)
	if err != nil {
		return step.Result{}, err
	}
	maxIter, err := in.Int("max_iterations")
	if err != nil {
		return step.Result{}, err
	}
	if maxIter <= 0 {
		maxIter = 10
	}
	// A tool call still to run?
	if n := len(st.Turns); n > 0 {
		turn := &st.Turns[n-1]
		for i := range turn.ToolCalls {
			tc := &turn.ToolCalls[i]
			if tc.Done {
				continue
			}
			sus, onWake, err := h.runTool(ctx, req, tools, tc)
			if err != nil {
				return step.Result{}, err
			}
			if sus != nil {
				if !onWake {
					st.Wait = &agentWait{Until: sus.Until.UTC(), Reason: sus.Reason, Park: sus.Park}
				}
				return step.Result{Suspend: &step.Suspend{Until: sus.Until, State: st, Reason: sus.Reason, Park: sus.Park}}, nil
			}
			content, _ := json.Marshal(toolContent(tc))
			st.Messages = append(st.Messages, Message{Role: "tool", ToolCallID: tc.ID, Name: tc.Name, Content: string(content)})
			emit(req, "tool", map[string]any{"turn": turn.N, "call": tc})
			return step.Result{Suspend: &step.Suspend{Until: now(), State: st}}, nil
		}
		if len(turn.ToolCalls) > 0 && n >= maxIter {
			return step.Result{}, step.Errorf("max_iterations", "ai.agent: the model still wanted tools after %d turns (max_iterations); raise max_iterations or sharpen the prompt", n)
		}
	}
	// The next model turn.
	mode, err := in.String("cache")
	if err != nil {
		return step.Result{}, err
	}
	stream := true
	if in.Has("stream") {
		if stream, err = in.Bool("stream"); err != nil {
			return step.Result{}, err
		}
	}
	call := creq
	call.Messages = append(append([]Message(nil), creq.Messages...), st.Messages...)
	for _, t := range tools {
		call.Tools = append(call.Tools, t.Tool)
	}
	schema, _ := req.With["output_schema"].(map[string]any)
	if schema != nil {
		call.System = joinNonEmpty(call.System, "When you give your final answer (without calling a tool), "+schemaInstructions(&Schema{Schema: schema}))
	}
	o, err := h.s.Chat(ctx, metaOf(req), ts, call, CallOptions{Cache: cacheable(mode, &call), OnDelta: deltas(req, stream)})
	if err != nil {
		res, err := suspendOrFail(err, st) // a wait keeps the recorded turns
		if res.Suspend != nil {
			st.Wait = &agentWait{Until: res.Suspend.Until.UTC(), Reason: res.Suspend.Reason, Park: res.Suspend.Park}
			res.Suspend.State = st
		}
		return res, err
	}
	resp := o.Response
	turn := Turn{N: len(st.Turns) + 1, Text: resp.Text, Finish: resp.FinishReason, Usage: resp.Usage, CostUSD: o.CostUSD,
		Provider: o.Target.Provider, Model: resp.Model, CacheHit: o.CacheHit, Fallbacks: o.Fallbacks, LatencyMS: o.Latency.Milliseconds()}
	if o.CacheHit {
		turn.Usage = Usage{}
	}
	for _, tc := range resp.ToolCalls {
		turn.ToolCalls = append(turn.ToolCalls, ToolRecord{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
	}
	st.Turns = append(st.Turns, turn)
	st.Messages = append(st.Messages, Message{Role: "assistant", Content: resp.Text, ToolCalls: resp.ToolCalls})
	emit(req, "turn", turn)
	if len(resp.ToolCalls) > 0 {
		return step.Result{Suspend: &step.Suspend{Until: now(), State: st}}, nil
	}
	return h.finish(ctx, req, ts, call, st, schema)
}

// finish builds the output from the final turn, validating it against
// output_schema (with one repair call, recorded as a turn).
func (h agent) finish(ctx context.Context, req *step.Request, ts []Target, call ChatRequest, st agentState, schema map[string]any) (step.Result, error) {
	last := &st.Turns[len(st.Turns)-1]
	var parsed any
	if schema != nil {
		sch, err := compileSchema(schema)
		if err != nil {
			return step.Result{}, input.Invalid("output_schema", "is not a valid JSON Schema: %v", err)
		}
		v, verr := parseAnswer(sch, last.Text)
		if verr != nil {
			repair := call
			repair.Tools = nil
			repair.Messages = append(append([]Message(nil), call.Messages...),
				Message{Role: "assistant", Content: last.Text},
				Message{Role: "user", Content: "Your answer is not valid: " + verr.Error() + ". Answer again with only the corrected JSON."})
			repair.Schema = &Schema{Name: "answer", Schema: schema}
			o, err := h.s.Chat(ctx, metaOf(req), []Target{answeredBy(ts, last.Provider, last.Model)}, repair, CallOptions{})
			if err != nil {
				return suspendOrFail(err, st)
			}
			st.Turns = append(st.Turns, Turn{N: len(st.Turns) + 1, Text: o.Response.Text, Finish: o.Response.FinishReason,
				Usage: o.Response.Usage, CostUSD: o.CostUSD, Provider: o.Target.Provider, Model: o.Response.Model})
			last = &st.Turns[len(st.Turns)-1]
			if v, verr = parseAnswer(sch, last.Text); verr != nil {
				return step.Result{}, step.Errorf("output_schema", "the agent's final answer does not match output_schema after one repair attempt: %v; raw answer: %s", verr, truncate(last.Text, 2000))
			}
		}
		parsed = v
	}
	var usage Usage
	cost := 0.0
	toolCalls := 0
	for _, t := range st.Turns {
		usage = usage.Add(t.Usage)
		cost += t.CostUSD
		toolCalls += len(t.ToolCalls)
	}
	return step.Result{Output: map[string]any{
		"text": last.Text, "json": parsed, "finish_reason": last.Finish, "turns": st.Turns, "iterations": len(st.Turns),
		"tool_calls": toolCalls, "model": last.Model, "provider": last.Provider, "cost_usd": cost,
		"usage": map[string]any{"input_tokens": usage.InputTokens, "output_tokens": usage.OutputTokens, "cached_tokens": usage.CachedTokens},
	}}, nil
}

func toolContent(tc *ToolRecord) any {
	if tc.Error != "" {
		return map[string]any{"error": tc.Error}
	}
	return tc.Output
}

func emit(req *step.Request, kind string, data any) {
	if req.Env != nil && req.Env.Emit != nil {
		req.Env.Emit(kind, data)
	}
}

// runTool runs one tool call as a step of the tool's type. It records the
// result (or the error, which the model gets to see) on tc, or returns the
// suspension of a tool step that waits and whether a wake-up of the
// execution may end that wait early (the tool's step is RunOnWake).
func (h agent) runTool(ctx context.Context, req *step.Request, tools []toolDef, tc *ToolRecord) (*step.Suspend, bool, error) {
	var def *toolDef
	for i := range tools {
		if tools[i].Name == tc.Name {
			def = &tools[i]
		}
	}
	if def == nil {
		tc.Done, tc.Error = true, fmt.Sprintf("there is no tool named %q", tc.Name)
		return nil, false, nil
	}
	var args map[string]any
	if err := json.Unmarshal(tc.Arguments, &args); err != nil || args == nil {
		tc.Done, tc.Error = true, "the arguments must be a JSON object"
		return nil, false, nil
	}
	if def.Parameters != nil {
		sch, _ := compileSchema(def.Parameters)
		if _, err := parseAnswer(sch, string(tc.Arguments)); err != nil {
			tc.Done, tc.Error = true, "invalid arguments: "+strings.TrimPrefix(err.Error(), "the answer does not match output_schema: ")
			return nil, false, nil
		}
	}
	reg, _ := h.reg.Lookup(def.Uses)
	with, used := fill(def.With, args)
	if with == nil {
		with = map[string]any{}
	}
	wm, _ := with.(map[string]any)
	into := def.ArgsInto
	if into == "" && !used {
		into = defaultArgsInto(def.Uses, wm)
	}
	if into != "" {
		wm[into] = args
	}
	for _, f := range reg.Spec.Fields {
		if _, ok := wm[f.Name]; !ok && f.Default != nil {
			wm[f.Name] = f.Default
		}
	}
	sub := &step.Request{
		Workflow: req.Workflow, ExecutionID: req.ExecutionID, StepID: req.StepID, Item: req.Item, Type: def.Uses,
		With: wm, Attempt: 1, IdempotencyKey: req.IdempotencyKey + "/tool/" + tc.ID, State: tc.State, Env: req.Env,
	}
	res, err := reg.Handler.Run(ctx, sub)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, false, ctx.Err()
	case err != nil:
		tc.Done, tc.Error, tc.State = true, err.Error(), nil
		var re *step.RetryableError
		if errors.As(err, &re) {
			tc.Error += " (a temporary error; you may call the tool again)"
		}
	case res.Suspend != nil:
		b, err := json.Marshal(res.Suspend.State)
		if err != nil {
			return nil, false, fmt.Errorf("ai.agent: tool %q: encoding its state: %w", tc.Name, err)
		}
		tc.State = b
		if res.Suspend.Child != "" {
			tc.Child = res.Suspend.Child
		}
		return res.Suspend, reg.Spec.RunOnWake, nil
	default:
		tc.Done, tc.Output, tc.State = true, res.Output, nil
	}
	return nil, false, nil
}

func defaultArgsInto(uses string, with map[string]any) string {
	switch uses {
	case "http.request":
		if m, _ := with["method"].(string); m == "" || strings.EqualFold(m, "GET") || strings.EqualFold(m, "HEAD") {
			return "query"
		}
		return "json"
	case "workflow.call":
		if _, ok := with["input"]; !ok {
			return "input"
		}
	}
	return ""
}

var argRef = regexp.MustCompile(`\$\{args\.([A-Za-z0-9_]+)\}`)

// fill replaces ${args.NAME} in the strings of v; a string that is exactly
// one placeholder takes the argument's value with its type. It reports
// whether any placeholder was used.
func fill(v any, args map[string]any) (any, bool) {
	switch x := v.(type) {
	case string:
		if m := argRef.FindStringSubmatch(x); m != nil && m[0] == x {
			return args[m[1]], true
		}
		used := false
		out := argRef.ReplaceAllStringFunc(x, func(s string) string {
			used = true
			val := args[argRef.FindStringSubmatch(s)[1]]
			if val == nil {
				return ""
			}
			if s, err := input.Scalar(val); err == nil {
				return s
			}
			b, _ := json.Marshal(val)
			return string(b)
		})
		return out, used
	case map[string]any:
		out := make(map[string]any, len(x))
		used := false
		for k, e := range x {
			var u bool
			out[k], u = fill(e, args)
			used = used || u
		}
		return out, used
	case []any:
		out := make([]any, len(x))
		used := false
		for i, e := range x {
			var u bool
			out[i], u = fill(e, args)
			used = used || u
		}
		return out, used
	}
	return v, false
}

// answeredBy finds the target that gave an answer, so a repair call goes
// to the same model through the same credential (and connection); a turn
// records only the provider and the model the provider named.
func answeredBy(ts []Target, provider, model string) Target {
	var found *Target
	for i := range ts {
		if ts[i].Provider != provider {
			continue
		}
		if ts[i].Model == model {
			return ts[i]
		}
		if found == nil {
			found = &ts[i]
		}
	}
	if found == nil {
		return Target{Provider: provider, Model: model}
	}
	t := *found
	t.Model = model
	return t
}
