package sql

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// maxParams bounds the parameters of one statement (PostgreSQL's own limit
// is 65,535; far fewer keeps one step's cost small).
const maxParams = 1000

// args turns evaluated params into driver arguments. Whole numbers become
// int64 so `WHERE id = $1` matches an integer column; objects and lists
// are sent as JSON text (for json/jsonb columns).
func args(field string, v any) ([]any, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, input.Invalid(field, "must be a list of values")
	}
	if len(list) > maxParams {
		return nil, input.Invalid(field, "has %d values; at most %d are allowed", len(list), maxParams)
	}
	out := make([]any, len(list))
	for i, p := range list {
		a, err := arg(p)
		if err != nil {
			return nil, step.Errorf(input.CodeValidation, "field %q: value %d: %v", field, i+1, err)
		}
		out[i] = a
	}
	return out, nil
}

func arg(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return fmt.Sprint(x), nil
		}
		return int64(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
		return x, nil
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		return x.String(), nil
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("cannot be sent as JSON: %w", err)
		}
		return string(b), nil
	}
	return nil, fmt.Errorf("has an unsupported type %T", v)
}
