package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft/store"
)

// maxLimit is the largest page a list returns (the stores cap it there too).
const maxLimit = 500

// readBody reads the whole (already size-limited) request body.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, badRequest("reading the request body: %v", err)
	}
	return b, nil
}

// readJSON reads a JSON body, answering 400 with the line and column of a
// syntax error. An empty body reads as def.
func readJSON(r *http.Request, def string) (json.RawMessage, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return json.RawMessage(def), nil
	}
	if err := jsonSyntax(b); err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// readInto reads a JSON body into a T, answering 400 with the line and
// column of a syntax error, or "the body must be <shape>" when the document
// does not fit T (an empty body included).
func readInto[T any](r *http.Request, shape string) (T, error) {
	var in T
	body, err := readJSON(r, "")
	if err != nil {
		return in, err
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return in, badRequest("the body must be %s: %v", shape, err)
	}
	return in, nil
}

// jsonSyntax reports where a JSON document is malformed.
func jsonSyntax(b []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return badRequest("request body is not valid JSON: more data after the first value at offset %d", dec.InputOffset())
		}
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(b, se.Offset-1) // Offset is just past the bad byte
		return badRequest("request body is not valid JSON: line %d, column %d: %v", line, col, se)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(b, int64(len(b)))
		return badRequest("request body is not valid JSON: it ends early at line %d, column %d", line, col)
	}
	return badRequest("request body is not valid JSON: %v", err)
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(b []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// page reads ?limit= and ?cursor=.
func page(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	p := store.Page{Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, invalidParam("limit", "%q is not a number from 1 to %d", v, maxLimit)
		}
		p.Limit = n
	}
	return p, nil
}

// list is the shape of every list response.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func newList[T any](items []T, next string) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, NextCursor: next}
}

// isJSON reports whether a document body is JSON rather than YAML, from the
// Content-Type when given, else from its first character.
func isJSON(contentType string, src []byte) bool {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	switch {
	case strings.HasSuffix(ct, "json"):
		return true
	case strings.Contains(ct, "yaml"):
		return false
	}
	t := bytes.TrimSpace(src)
	return len(t) > 0 && t[0] == '{'
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
