package store

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/internal/jsonvalue"
)

// Inline step runs: an execution that is created already finished, with its
// step runs, in one mutation (a workflow of pure steps that ran inside its
// request) keeps those step runs in a column of its own row instead of one
// step_runs row each. Every step_runs row is another b-tree insert, and on
// SQLite the step_runs b-tree wrote the most pages of such a commit. Readers
// see the same step runs either way; any later write of a step run of such an
// execution first moves them into step_runs rows (a spill) in the same
// transaction, so step_runs semantics hold from then on.
//
// The column holds a JSON array, one object per step run, that PostgreSQL
// can read in SQL for its spill: a payload as a JSON string of its bytes
// (in base64 under a key of its own when they are not UTF-8 text without
// NUL, so any bytes round-trip exactly), times in microseconds since the
// Unix epoch, the attempt history as the JSON EncodeHistory writes.

// MaxInlineStepRuns bounds how many step runs an execution keeps in its row;
// a create with more (a for_each) writes step_runs rows.
const MaxInlineStepRuns = 16

// InlineStepRuns returns the encoding of m's step runs to keep in the row of
// the execution m creates, or nil when they go to step_runs rows: m does not
// create a finished execution, it has no step runs or too many, two of them
// share a step and item (the later would replace the earlier), or a string
// of theirs could not be stored exactly (not UTF-8, or a NUL, which a
// PostgreSQL text column refuses).
func InlineStepRuns(m *Mutation) []byte {
	c := m.Create
	if c == nil || !c.Status.Finished() || m.Patch != nil {
		return nil
	}
	rs := m.StepRuns
	if len(rs) == 0 || len(rs) > MaxInlineStepRuns {
		return nil
	}
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[i].StepID == rs[j].StepID && rs[i].Item == rs[j].Item {
				return nil
			}
		}
	}
	b := make([]byte, 0, 256*len(rs))
	b = append(b, '[')
	for i := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendInlineRun(b, &rs[i]); !ok {
			return nil
		}
	}
	return append(b, ']')
}

// storable reports whether s round-trips through a JSON string and a
// PostgreSQL text column unchanged.
func storable(s string) bool { return utf8.ValidString(s) && !strings.Contains(s, "\x00") }

func appendInlineRun(b []byte, r *weft.StepRun) ([]byte, bool) {
	if !storable(r.StepID) || !storable(r.Type) || !storable(string(r.Status)) {
		return b, false
	}
	b = append(b, `{"s":`...)
	b = jsonvalue.AppendString(b, r.StepID)
	b = append(b, `,"i":`...)
	b = strconv.AppendInt(b, int64(r.Item), 10)
	b = append(b, `,"t":`...)
	b = jsonvalue.AppendString(b, r.Type)
	b = append(b, `,"st":`...)
	b = jsonvalue.AppendString(b, string(r.Status))
	b = append(b, `,"a":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	b = appendBytes(b, "in", r.Input)
	b = appendBytes(b, "out", r.Output)
	if e := r.Error; e != nil {
		if !storable(e.Code) || !storable(e.Message) {
			return b, false
		}
		b = append(b, `,"ec":`...)
		b = jsonvalue.AppendString(b, e.Code)
		b = append(b, `,"em":`...)
		b = jsonvalue.AppendString(b, e.Message)
	}
	b = appendBytes(b, "sd", r.State)
	b = appendTime(b, `,"sa":`, r.StartedAt)
	b = appendTime(b, `,"fa":`, r.FinishedAt)
	b = appendTime(b, `,"wa":`, r.WakeAt)
	if h := EncodeHistory(r.History); h != nil {
		if bytes.Contains(h, []byte(`\u0000`)) { // PostgreSQL's jsonb refuses it
			return b, false
		}
		// json.Marshal's output is valid JSON: it is kept as it is.
		b = append(b, `,"h":`...)
		b = append(b, h...)
	}
	return append(b, '}'), true
}

// appendBytes writes a payload under key as a JSON string, or in base64
// under key+"64" when it is not text a PostgreSQL text value can hold; an
// empty one is left out, as the stores keep an empty payload as NULL.
func appendBytes(b []byte, key string, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	if utf8.Valid(v) && !slices.Contains(v, 0) {
		b = append(b, `":`...)
		// AppendString keeps no reference to the string: no copy needed.
		return jsonvalue.AppendString(b, unsafe.String(unsafe.SliceData(v), len(v)))
	}
	b = append(b, `64":"`...)
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

func appendTime(b []byte, key string, t *time.Time) []byte {
	if t == nil {
		return b
	}
	b = append(b, key...)
	return strconv.AppendInt(b, t.UnixMicro(), 10)
}

// inlineRun is one element of the encoding.
type inlineRun struct {
	StepID     string          `json:"s"`
	Item       int             `json:"i"`
	Type       string          `json:"t"`
	Status     string          `json:"st"`
	Attempts   int             `json:"a"`
	Input      *string         `json:"in"`
	Input64    []byte          `json:"in64"`
	Output     *string         `json:"out"`
	Output64   []byte          `json:"out64"`
	ErrCode    *string         `json:"ec"`
	ErrMessage string          `json:"em"`
	State      *string         `json:"sd"`
	State64    []byte          `json:"sd64"`
	StartedAt  *int64          `json:"sa"`
	FinishedAt *int64          `json:"fa"`
	WakeAt     *int64          `json:"wa"`
	History    json.RawMessage `json:"h"`
}

// DecodeInlineStepRuns reads what InlineStepRuns wrote: the step runs of
// execution id, the same values a store reads back from step_runs rows
// written from them, ordered as GetStepRuns orders them.
func DecodeInlineStepRuns(id string, b []byte) ([]weft.StepRun, error) {
	var in []inlineRun
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decoding the step runs kept in execution %q: %w", id, err)
	}
	out := make([]weft.StepRun, len(in))
	for i := range in {
		r := &in[i]
		s := weft.StepRun{ExecutionID: id, StepID: r.StepID, Item: r.Item, Type: r.Type,
			Status: weft.StepStatus(r.Status), Attempts: r.Attempts,
			Input: payload(r.Input, r.Input64), Output: payload(r.Output, r.Output64), State: payload(r.State, r.State64),
			StartedAt: microsTime(r.StartedAt), FinishedAt: microsTime(r.FinishedAt), WakeAt: microsTime(r.WakeAt),
			History: DecodeHistory(r.History)}
		if r.ErrCode != nil {
			s.Error = &weft.ErrorInfo{Code: *r.ErrCode, Message: r.ErrMessage}
		}
		out[i] = s
	}
	SortStepRuns(out)
	return out, nil
}

func payload(text *string, b64 []byte) json.RawMessage {
	if text != nil && *text != "" {
		return json.RawMessage(*text)
	}
	if len(b64) == 0 {
		return nil
	}
	return b64
}

func microsTime(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := time.UnixMicro(*v).UTC()
	return &t
}

// SortStepRuns orders step runs as GetStepRuns returns them: by start time,
// not yet started last, then step id (bytewise) and item.
func SortStepRuns(rs []weft.StepRun) {
	slices.SortFunc(rs, func(a, b weft.StepRun) int {
		switch {
		case a.StartedAt == nil && b.StartedAt != nil:
			return 1
		case a.StartedAt != nil && b.StartedAt == nil:
			return -1
		case a.StartedAt != nil:
			if c := a.StartedAt.Compare(*b.StartedAt); c != 0 {
				return c
			}
		}
		return cmp.Or(strings.Compare(a.StepID, b.StepID), cmp.Compare(a.Item, b.Item))
	})
}

// DatedSample is a StepSample with the creation time of its execution
// (microseconds), the order ExecutionStats samples in.
type DatedSample struct {
	Created int64
	StepSample
}

// AppendInlineSamples appends the samples ExecutionStats takes from step runs
// an execution created at created keeps in its row: its finished whole-step
// runs (weft.WholeStep), as the stores' step_runs query selects them.
func AppendInlineSamples(out []DatedSample, id string, created int64, b []byte) ([]DatedSample, error) {
	runs, err := DecodeInlineStepRuns(id, b)
	if err != nil {
		return out, err
	}
	for _, r := range runs {
		if r.Item != weft.WholeStep || r.StartedAt == nil || r.FinishedAt == nil {
			continue
		}
		us := r.FinishedAt.UnixMicro() - r.StartedAt.UnixMicro()
		out = append(out, DatedSample{Created: created, StepSample: StepSample{Type: r.Type,
			Failed: r.Status == weft.StepFailed, Duration: time.Duration(us) * time.Microsecond}})
	}
	return out, nil
}

// MergeSamples merges two sample lists, each newest execution first, into
// one newest first of at most n samples.
func MergeSamples(a, b []DatedSample, n int) []StepSample {
	out := make([]StepSample, 0, min(n, len(a)+len(b)))
	for len(out) < n && (len(a) > 0 || len(b) > 0) {
		if len(b) == 0 || (len(a) > 0 && a[0].Created >= b[0].Created) {
			out, a = append(out, a[0].StepSample), a[1:]
		} else {
			out, b = append(out, b[0].StepSample), b[1:]
		}
	}
	return out
}
