package ai

import (
	"context"
	"fmt"
	"strings"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// classify runs ai.classify: structured output with the labels as an enum.
type classify struct {
	s    *Service
	spec step.Spec
}

var _ step.Handler = classify{}

func (h classify) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	ts, err := targets(in, req.With)
	if err != nil {
		return step.Result{}, err
	}
	text, err := in.String("text")
	if err != nil {
		return step.Result{}, err
	}
	var labels []any
	list, _ := req.With["labels"].([]any)
	for _, l := range list {
		s, err := input.Scalar(l)
		if err != nil || s == "" {
			return step.Result{}, input.Invalid("labels", "must be a list of non-empty strings")
		}
		labels = append(labels, s)
	}
	if len(labels) < 2 {
		return step.Result{}, input.Invalid("labels", "needs at least two labels")
	}
	instructions, err := in.String("instructions")
	if err != nil {
		return step.Result{}, err
	}
	names := make([]string, len(labels))
	for i, l := range labels {
		names[i] = l.(string)
	}
	creq := ChatRequest{
		System: joinNonEmpty("Classify the text into exactly one of these labels: "+strings.Join(names, ", ")+
			". Give your confidence from 0 to 1.", instructions),
		Messages: []Message{{Role: "user", Content: text}},
	}
	if err := params(in, req.With, &creq); err != nil {
		return step.Result{}, err
	}
	schema := map[string]any{"type": "object", "required": []any{"label", "confidence"}, "additionalProperties": false,
		"properties": map[string]any{
			"label":      map[string]any{"type": "string", "enum": labels},
			"confidence": map[string]any{"type": "number", "minimum": 0, "maximum": 1},
		}}
	res, err := h.s.structuredStep(ctx, req, in, ts, creq, schema)
	if err != nil {
		return suspendOrFail(err, req.State)
	}
	out := res.output()
	obj, _ := res.json.(map[string]any)
	out["label"], out["confidence"] = obj["label"], obj["confidence"]
	delete(out, "text")
	return step.Result{Output: out}, nil
}

// extract runs ai.extract: structured output with the user's schema.
type extract struct {
	s    *Service
	spec step.Spec
}

var _ step.Handler = extract{}

func (h extract) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	ts, err := targets(in, req.With)
	if err != nil {
		return step.Result{}, err
	}
	text, err := in.String("text")
	if err != nil {
		return step.Result{}, err
	}
	schema, ok := req.With["schema"].(map[string]any)
	if !ok {
		return step.Result{}, input.Invalid("schema", "must be a JSON Schema object")
	}
	instructions, err := in.String("instructions")
	if err != nil {
		return step.Result{}, err
	}
	creq := ChatRequest{
		System: joinNonEmpty("Extract the requested fields from the user's text. Use null for a field the text does not give, where the schema allows it.", instructions),
	}
	var imgs []Image
	if list, ok := req.With["images"].([]any); ok {
		if imgs, err = images("images", list); err != nil {
			return step.Result{}, err
		}
	}
	creq.Messages = []Message{{Role: "user", Content: text, Images: imgs}}
	if err := params(in, req.With, &creq); err != nil {
		return step.Result{}, err
	}
	res, err := h.s.structuredStep(ctx, req, in, ts, creq, schema)
	if err != nil {
		return suspendOrFail(err, req.State)
	}
	out := res.output()
	delete(out, "text")
	return step.Result{Output: out}, nil
}

func (s *Service) structuredStep(ctx context.Context, req *step.Request, in input.Reader, ts []Target, creq ChatRequest, schema map[string]any) (*result, error) {
	mode, err := in.String("cache")
	if err != nil {
		return nil, err
	}
	return s.structured(ctx, metaOf(req), ts, creq, schema, CallOptions{Cache: cacheable(mode, &creq)})
}

// embed runs ai.embed.
type embed struct {
	s    *Service
	spec step.Spec
}

var _ step.Handler = embed{}

func (h embed) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	ts, err := targets(in, req.With)
	if err != nil {
		return step.Result{}, err
	}
	var inputs []string
	single := false
	switch v := req.With["input"].(type) {
	case string:
		inputs, single = []string{v}, true
	case []any:
		for i, x := range v {
			s, err := input.Scalar(x)
			if err != nil {
				return step.Result{}, input.Invalid("input", "item %d must be a string", i)
			}
			inputs = append(inputs, s)
		}
	default:
		return step.Result{}, input.Invalid("input", "must be a string or a list of strings")
	}
	if len(inputs) == 0 {
		return step.Result{}, input.Invalid("input", "is empty")
	}
	ereq := EmbedRequest{Input: inputs}
	if in.Has("dimensions") {
		if ereq.Dimensions, err = in.Int("dimensions"); err != nil {
			return step.Result{}, err
		}
	}
	resp, o, err := h.s.Embed(ctx, metaOf(req), ts, ereq)
	if err != nil {
		return suspendOrFail(err, req.State)
	}
	if len(resp.Vectors) != len(inputs) {
		return step.Result{}, step.Errorf("ai_error", "%s returned %d vectors for %d inputs", o.Target, len(resp.Vectors), len(inputs))
	}
	out := map[string]any{
		"embeddings": resp.Vectors, "model": resp.Model, "provider": o.Target.Provider, "cost_usd": o.CostUSD,
		"usage":      map[string]any{"input_tokens": resp.Usage.InputTokens, "output_tokens": 0, "cached_tokens": 0},
		"latency_ms": o.Latency.Milliseconds(),
	}
	if single {
		out["embedding"] = resp.Vectors[0]
	}
	if len(o.Fallbacks) > 0 {
		out["fallbacks"] = o.Fallbacks
	}
	if !o.Priced {
		out["cost_note"] = fmt.Sprintf("no price for model %s: add it to the prices of the AI config file", resp.Model)
	}
	return step.Result{Output: out}, nil
}
