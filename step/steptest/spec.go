package steptest

import (
	"fmt"
	"math"
	"regexp"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// fieldName is the shape of field names: they appear in YAML and
// expressions, so snake_case only.
var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// CheckRegistry runs CheckSpec on every registered step type.
func CheckRegistry(t testing.TB, reg *step.Registry) {
	t.Helper()
	specs := reg.Specs()
	if len(specs) == 0 {
		t.Errorf("registry is empty")
	}
	for _, s := range specs {
		CheckSpec(t, s)
	}
}

// CheckSpec reports, as test errors, everything that would make a spec a poor
// form, schema or doc page: missing titles and descriptions, unknown field
// types, enums on non-strings or with duplicates, defaults that do not match
// their type or enum, required fields with defaults, secrets that are not
// strings, and an Example that is not YAML of a step using this type with
// declared fields only.
func CheckSpec(t testing.TB, spec step.Spec) {
	t.Helper()
	for _, p := range SpecProblems(spec) {
		t.Errorf("spec %s: %s", spec.Type, p)
	}
}

// SpecProblems returns what CheckSpec would report; nil for a good spec.
func SpecProblems(spec step.Spec) []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if err := spec.Validate(); err != nil {
		add("%v", err)
	}
	if spec.Title == "" {
		add("Title is empty")
	}
	if len(spec.Description) < 20 {
		add("Description is missing or shorter than a sentence")
	}
	switch spec.Category {
	case step.CategoryCore, step.CategoryHTTP, step.CategoryAI, step.CategoryData, step.CategoryApps:
	default:
		add("Category %q is not one of core, http, ai, data, apps", spec.Category)
	}
	if spec.Output == "" {
		add("Output is not documented")
	}
	for _, f := range spec.Fields {
		fieldProblems(f, f.Name, add)
	}
	exampleProblems(spec, add)
	return ps
}

func fieldProblems(f step.Field, path string, add func(string, ...any)) {
	if !fieldName.MatchString(f.Name) {
		add("field %s: name must be snake_case", path)
	}
	if len(f.Description) < 10 {
		add("field %s: Description is missing or too short", path)
	}
	switch f.Type {
	case step.String, step.Number, step.Integer, step.Boolean, step.Object, step.Array, step.Duration, step.Any:
	default:
		add("field %s: unknown type %q", path, f.Type)
	}
	if f.Required && f.Default != nil {
		add("field %s: required fields must not have a default", path)
	}
	if f.Secret && f.Type != step.String {
		add("field %s: only string fields can be secret", path)
	}
	if f.Secret && f.Default != nil {
		add("field %s: a secret must not have a default", path)
	}
	if len(f.Enum) > 0 {
		if f.Type != step.String {
			add("field %s: enum is only allowed on string fields", path)
		}
		seen := map[string]bool{}
		for _, e := range f.Enum {
			if e == "" || seen[e] {
				add("field %s: enum value %q is empty or repeated", path, e)
			}
			seen[e] = true
		}
		if s, ok := f.Default.(string); ok && !seen[s] {
			add("field %s: default %q is not in the enum", path, s)
		}
	}
	if f.Default != nil {
		if err := matchesType(f.Type, f.Default); err != nil {
			add("field %s: default %v", path, err)
		}
	}
	if f.Example != nil {
		if err := matchesType(f.Type, f.Example); err != nil {
			add("field %s: example %v", path, err)
		}
	}
	if len(f.Fields) > 0 && f.Type != step.Object {
		add("field %s: nested fields are only allowed on objects", path)
	}
	for _, sub := range f.Fields {
		fieldProblems(sub, path+"."+sub.Name, add)
	}
	if f.Items != nil {
		if f.Type != step.Array {
			add("field %s: items are only allowed on arrays", path)
		}
		items := *f.Items
		if items.Name == "" {
			items.Name = "items"
		}
		fieldProblems(items, path+"[]", add)
	}
}

// matchesType checks a default or example as it would arrive from YAML/JSON.
func matchesType(typ step.FieldType, v any) error {
	ok := false
	switch typ {
	case step.String:
		_, ok = v.(string)
	case step.Duration:
		s, isStr := v.(string)
		if !isStr {
			return fmt.Errorf("must be a duration string like \"30s\", got %T", v)
		}
		if _, err := weft.ParseDuration(s); err != nil {
			return err
		}
		ok = true
	case step.Boolean:
		_, ok = v.(bool)
	case step.Number:
		_, ok = number(v)
	case step.Integer:
		f, isNum := number(v)
		ok = isNum && f == math.Trunc(f)
	case step.Object:
		_, ok = v.(map[string]any)
	case step.Array:
		_, ok = v.([]any)
	case step.Any:
		ok = true
	}
	if !ok {
		return fmt.Errorf("%v (%T) does not match type %s", v, v, typ)
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// exampleProblems checks that Example is YAML of one step (or a list of
// steps) of which at least one uses spec.Type, with only declared fields and
// every required field present.
func exampleProblems(spec step.Spec, add func(string, ...any)) {
	if spec.Example == "" {
		add("Example is empty")
		return
	}
	var doc any
	if err := yaml.Unmarshal([]byte(spec.Example), &doc); err != nil {
		add("Example is not valid YAML: %v", err)
		return
	}
	var steps []any
	switch d := doc.(type) {
	case []any:
		steps = d
	case map[string]any:
		steps = []any{d}
	default:
		add("Example must be a step or a list of steps")
		return
	}
	used := false
	for _, s := range steps {
		m, ok := s.(map[string]any)
		if !ok || m["uses"] != spec.Type {
			continue
		}
		used = true
		if _, ok := m["id"].(string); !ok {
			add("Example step has no id")
		}
		with, _ := m["with"].(map[string]any)
		for k := range with {
			if _, declared := spec.Lookup(k); !declared && !spec.AllowExtra {
				add("Example uses undeclared field %q", k)
			}
		}
		for _, f := range spec.Fields {
			if _, present := with[f.Name]; f.Required && !present {
				add("Example lacks required field %q", f.Name)
			}
		}
	}
	if !used {
		add("Example has no step with `uses: %s`", spec.Type)
	}
}
