package jq

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/itchyny/gojq"
)

// gojq compiles `a + b`, `a * b`, `a / b` and `a - b` straight to its
// internal functions, so no definition can guard them; the program's syntax
// tree is rewritten instead: operators become calls of the guarded
// functions of prelude.jq, string interpolation is spelled out with them,
// and dynamic array indexes pass a check. Everything else (builtins,
// update-assignment operators, @formats) is guarded by name in the prelude.

//go:embed prelude.jq
var preludeSource string

// hidden is the prefix of the prelude's own names once parsed: ':' cannot
// appear in a name a program spells, so programs cannot reach them.
const hidden = "weft:"

var binaryGuards = map[gojq.Operator]string{
	gojq.OpAdd: hidden + "add",
	gojq.OpSub: hidden + "sub",
	gojq.OpMul: hidden + "mul",
	gojq.OpDiv: hidden + "div",
}

// preludeDef is one definition of prelude.jq: its source, its name once
// parsed and the names it calls.
type preludeDef struct {
	name string
	src  string
	refs map[string]bool
}

// preludeDefs splits prelude.jq once. Each run parses only the definitions
// its program reaches, from their source: gojq's compiler may modify a
// syntax tree, so trees are never shared between runs.
var preludeDefs = sync.OnceValues(func() ([]preludeDef, error) {
	pre, err := gojq.Parse(preludeSource)
	if err != nil {
		return nil, fmt.Errorf("parsing the jq guards: %w", err)
	}
	defs := make([]preludeDef, len(pre.FuncDefs))
	for i, fd := range pre.FuncDefs {
		d := preludeDef{src: fd.String(), refs: map[string]bool{}}
		w := rewriter{refs: d.refs, prelude: true}
		w.query(fd.Body)
		d.name = strings.Replace(fd.Name, "_weft_", hidden, 1)
		defs[i] = d
	}
	return defs, nil
})

// guardProgram returns q wrapped in the prelude, with its operators,
// interpolations and indexes rewritten. Only the prelude definitions the
// program can reach are added, so a program that builds nothing compiles as
// fast as before.
func guardProgram(q *gojq.Query) (*gojq.Query, error) {
	all, err := preludeDefs()
	if err != nil {
		return nil, err
	}
	refs := map[string]bool{}
	w := rewriter{refs: refs}
	w.query(q)
	keep := make([]bool, len(all))
	for changed := true; changed; {
		changed = false
		for i, d := range all {
			if !keep[i] && refs[d.name] {
				keep[i], changed = true, true
				for n := range d.refs {
					refs[n] = true
				}
			}
		}
	}
	var src strings.Builder
	for i, d := range all {
		if keep[i] {
			src.WriteString(d.src)
			src.WriteByte(' ')
		}
	}
	if src.Len() == 0 {
		return q, nil
	}
	src.WriteString(".")
	pre, err := gojq.Parse(src.String())
	if err != nil {
		return nil, fmt.Errorf("parsing the jq guards: %w", err)
	}
	pw := rewriter{refs: map[string]bool{}, prelude: true}
	for _, fd := range pre.FuncDefs {
		fd.Name = strings.Replace(fd.Name, "_weft_", hidden, 1)
		pw.query(fd.Body)
	}
	top := &gojq.Query{Imports: q.Imports, FuncDefs: pre.FuncDefs}
	q.Imports = nil
	top.Term = &gojq.Term{Type: gojq.TermTypeQuery, Query: q}
	return top, nil
}

// rewriter walks a syntax tree, rewriting it (unless noRewrite) and
// recording every function name it calls, including the ones gojq calls
// implicitly (update-assignment operators call _add, _subtract, …; @formats
// call tostring, _tobase64, …).
type rewriter struct {
	refs      map[string]bool
	noRewrite bool
	prelude   bool // rename the prelude's _weft_ names to hidden ones
}

// name returns the name a call resolves to (renaming the prelude's own).
func (w *rewriter) name(f *gojq.Func) string {
	if w.prelude && strings.HasPrefix(f.Name, "_weft_") {
		f.Name = hidden + f.Name[len("_weft_"):]
	}
	return f.Name
}

var updateFuncs = map[gojq.Operator]string{
	gojq.OpUpdateAdd: "_add", gojq.OpUpdateSub: "_subtract",
	gojq.OpUpdateMul: "_multiply", gojq.OpUpdateDiv: "_divide",
}

var formatFuncs = map[string]string{
	"@text": "tostring", "@json": "tojson", "@html": "_tohtml", "@uri": "_touri",
	"@urid": "_tourid", "@csv": "_tocsv", "@tsv": "_totsv", "@sh": "_tosh",
	"@base64": "_tobase64", "@base64d": "_tobase64d",
}

func (w *rewriter) query(q *gojq.Query) {
	if q == nil {
		return
	}
	for _, fd := range q.FuncDefs {
		w.query(fd.Body)
	}
	if name, ok := updateFuncs[q.Op]; ok {
		w.refs[name] = true
	}
	w.query(q.Left)
	w.query(q.Right)
	for _, p := range q.Patterns {
		w.pattern(p)
	}
	w.term(q.Term)
	if name, ok := binaryGuards[q.Op]; ok && !w.noRewrite {
		q.Term = &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: name, Args: []*gojq.Query{q.Left, q.Right}}}
		q.Left, q.Right, q.Op = nil, nil, 0
	}
	if q.Term != nil && q.Term.Type == gojq.TermTypeFunc {
		w.refs[q.Term.Func.Name] = true
	}
}

func (w *rewriter) pattern(p *gojq.Pattern) {
	if p == nil {
		return
	}
	for _, e := range p.Array {
		w.pattern(e)
	}
	for _, o := range p.Object {
		w.str(o.KeyString, "")
		w.query(o.KeyQuery)
		w.pattern(o.Val)
	}
}

func (w *rewriter) term(t *gojq.Term) {
	if t == nil {
		return
	}
	switch t.Type {
	case gojq.TermTypeFunc:
		w.refs[w.name(t.Func)] = true
		for _, a := range t.Func.Args {
			w.query(a)
		}
	case gojq.TermTypeIndex:
		w.index(t.Index)
	case gojq.TermTypeObject:
		for _, kv := range t.Object.KeyVals {
			w.str(kv.KeyString, "")
			w.query(kv.KeyQuery)
			w.query(kv.Val)
		}
	case gojq.TermTypeArray:
		w.query(t.Array.Query)
	case gojq.TermTypeUnary:
		w.term(t.Unary.Term)
	case gojq.TermTypeFormat:
		w.refs["format"] = true
		if f, ok := formatFuncs[t.Format]; ok {
			w.refs[f] = true
		}
		if t.Str != nil && t.Str.Queries != nil && !w.noRewrite {
			w.interpolate(t, t.Format)
			return
		}
	case gojq.TermTypeString:
		if t.Str.Queries != nil && !w.noRewrite {
			w.interpolate(t, "")
			return
		}
		w.str(t.Str, "")
	case gojq.TermTypeIf:
		w.query(t.If.Cond)
		w.query(t.If.Then)
		for _, e := range t.If.Elif {
			w.query(e.Cond)
			w.query(e.Then)
		}
		w.query(t.If.Else)
	case gojq.TermTypeTry:
		w.query(t.Try.Body)
		w.query(t.Try.Catch)
	case gojq.TermTypeReduce:
		w.query(t.Reduce.Query)
		for _, p := range t.Reduce.Patterns {
			w.pattern(p)
		}
		w.query(t.Reduce.Start)
		w.query(t.Reduce.Update)
	case gojq.TermTypeForeach:
		w.query(t.Foreach.Query)
		for _, p := range t.Foreach.Patterns {
			w.pattern(p)
		}
		w.query(t.Foreach.Start)
		w.query(t.Foreach.Update)
		w.query(t.Foreach.Extract)
	case gojq.TermTypeLabel:
		w.query(t.Label.Body)
	case gojq.TermTypeQuery:
		w.query(t.Query)
	}
	for _, s := range t.SuffixList {
		w.index(s.Index)
	}
}

// index checks a computed index before gojq uses it: assigning to
// .[536870911] would allocate an array of half a billion elements in one
// instruction.
func (w *rewriter) index(ix *gojq.Index) {
	if ix == nil {
		return
	}
	w.str(ix.Str, "")
	w.query(ix.Start)
	w.query(ix.End)
	if w.noRewrite || ix.IsSlice || ix.Start == nil || constantIndex(ix.Start) {
		return
	}
	check := &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: hidden + "index"}}}
	ix.Start = &gojq.Query{Left: ix.Start, Op: gojq.OpPipe, Right: check}
}

// constantIndex reports whether q is a literal string or a literal number
// small enough to be harmless.
func constantIndex(q *gojq.Query) bool {
	if q.Term == nil || len(q.Term.SuffixList) > 0 || q.FuncDefs != nil {
		return false
	}
	switch q.Term.Type {
	case gojq.TermTypeString:
		return q.Term.Str.Queries == nil
	case gojq.TermTypeNumber:
		return len(q.Term.Number) <= 6 && !strings.ContainsAny(q.Term.Number, "eE")
	}
	return false
}

// str walks a string that gojq interpolates itself (object keys, .["\(x)"]):
// its parts are formatted by the guarded tostring.
func (w *rewriter) str(s *gojq.String, _ string) {
	if s == nil {
		return
	}
	if s.Queries != nil {
		w.refs["tostring"] = true
	}
	for _, q := range s.Queries {
		w.query(q)
	}
}

// interpolate spells out "a\(x)b" (or @fmt "a\(x)b") the way gojq compiles
// it, "a" + (x | tostring) + "b", with the guarded + and the guarded
// formatting function, so a template of many large parts is measured as it
// is joined.
func (w *rewriter) interpolate(t *gojq.Term, format string) {
	f := "tostring"
	var fargs []*gojq.Query
	if format != "" {
		if name, ok := formatFuncs[format]; ok {
			f = name
		} else {
			f = "format"
			fargs = []*gojq.Query{{Term: &gojq.Term{Type: gojq.TermTypeString, Str: &gojq.String{Str: format[1:]}}}}
		}
	}
	w.refs[f] = true
	var out *gojq.Query
	for _, e := range t.Str.Queries {
		if e.Term == nil || e.Term.Str == nil {
			w.query(e)
			e = &gojq.Query{Left: e, Op: gojq.OpPipe, Right: &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: f, Args: fargs}}}}
		}
		if out == nil {
			out = e
			continue
		}
		w.refs[binaryGuards[gojq.OpAdd]] = true
		out = &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: binaryGuards[gojq.OpAdd], Args: []*gojq.Query{out, e}}}}
	}
	*t = gojq.Term{Type: gojq.TermTypeQuery, Query: out, SuffixList: t.SuffixList}
	for _, s := range t.SuffixList {
		w.index(s.Index)
	}
}
