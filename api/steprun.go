package api

// The editor's test tools: run one step with given data, and evaluate an
// expression against a sample scope. Neither stores anything.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/expr"
)

// maxExpressionLen bounds the text of one expression to evaluate; the
// expression itself runs under expr's node, memory and iteration limits.
const maxExpressionLen = 16 << 10

// evaluateTimeout bounds one evaluation; expr's budgets stop runaway work
// before this in practice.
const evaluateTimeout = 2 * time.Second

type stepRunBody struct {
	Trigger any            `json:"trigger"`
	Steps   map[string]any `json:"steps"`
	Item    any            `json:"item"`
}

// runStep runs one step of a stored workflow (POST
// /api/v1/workflows/{name}/steps/{step}/run) with the trigger and the
// outputs of the steps before it from the body.
func (s *server) runStep(w http.ResponseWriter, r *http.Request) {
	raw, err := readJSON(r, "{}")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var body stepRunBody
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, r, s.log, badRequest("request body: want {\"trigger\": …, \"steps\": {\"<id>\": <output>}}: %v", err))
		return
	}
	res, err := s.engine.RunStep(r.Context(), engine.StepTestRequest{
		Workflow: r.PathValue("name"), Step: r.PathValue("step"),
		Trigger: body.Trigger, Outputs: body.Steps, Item: body.Item,
	})
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

type evaluateBody struct {
	Expression string         `json:"expression"`
	Scope      map[string]any `json:"scope"`
}

type evaluateResult struct {
	Value any `json:"value"`
}

// evaluateExpression evaluates a `{{ }}` template against the scope given
// (POST /api/v1/expressions/evaluate) for the editor's live preview.
func (s *server) evaluateExpression(w http.ResponseWriter, r *http.Request) {
	raw, err := readJSON(r, "{}")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var body evaluateBody
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, r, s.log, badRequest("request body: want {\"expression\": \"{{ … }}\", \"scope\": {…}}: %v", err))
		return
	}
	if len(body.Expression) > maxExpressionLen {
		writeError(w, r, s.log, &Error{Status: http.StatusUnprocessableEntity, Code: "invalid",
			Message: "expression is longer than the 16 KiB an expression may have; shorten it or move the work into a transform step"})
		return
	}
	t, err := expr.Compile(body.Expression)
	if err == nil {
		ctx, cancel := context.WithTimeout(r.Context(), evaluateTimeout)
		defer cancel()
		scope := expr.Scope{}
		for k, v := range body.Scope {
			scope[k] = v
		}
		var v any
		if v, err = t.Eval(ctx, scope); err == nil {
			writeJSON(w, http.StatusOK, evaluateResult{Value: v})
			return
		}
	}
	offset := -1
	var ee *expr.Error
	if errors.As(err, &ee) {
		offset = ee.Offset
	}
	writeError(w, r, s.log, &Error{Status: http.StatusUnprocessableEntity, Code: "expression", Message: err.Error(), Details: map[string]any{"offset": offset}})
}
