package webhook

import (
	"encoding/json"
	"net/http"
	"unicode/utf8"
)

// respondOutput is the respond step's output as encoding/json reads it.
type respondOutput struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

type header struct{ name, value string }

// decodeResponse reads the respond step's output. The engine encodes it as
// a compact object of plain strings, which scanResponse reads without
// encoding/json (whose Unmarshal costs ~14 allocations here); anything
// else goes to encoding/json, so what is accepted, refused and decoded is
// what json.Unmarshal into respondOutput does. body is the raw JSON of
// the body field (nil when absent); headers are appended to hbuf (the
// caller's array, so a response with few needs no slice).
func decodeResponse(raw []byte, hbuf []header) (status int, headers []header, body []byte, err error) {
	if status, headers, body, ok := scanResponse(raw, hbuf); ok {
		return status, headers, body, nil
	}
	var o respondOutput
	if err := json.Unmarshal(raw, &o); err != nil {
		return 0, nil, nil, err
	}
	headers = hbuf[:0]
	for k, v := range o.Headers {
		headers = append(headers, header{k, v})
	}
	return o.Status, headers, o.Body, nil
}

// scanResponse decodes raw when it is valid JSON in the shape the engine
// writes: an object with at most the keys status (a plain integer),
// headers (an object of strings without escapes) and body (any value),
// each once and spelled so. It reports false, having decided nothing, for
// anything else.
func scanResponse(raw []byte, hbuf []header) (status int, headers []header, body []byte, ok bool) {
	if !json.Valid(raw) {
		return 0, nil, nil, false
	}
	s := scanner{b: raw}
	s.space()
	if !s.eat('{') {
		return 0, nil, nil, false
	}
	headers = hbuf[:0]
	var seenStatus, seenHeaders, seenBody bool
	for {
		s.space()
		if s.eat('}') {
			return status, headers, body, true
		}
		if s.eat(',') {
			s.space()
		}
		key, ok := s.plainString()
		if !ok {
			return 0, nil, nil, false
		}
		s.space()
		s.eat(':')
		s.space()
		switch string(key) {
		case "status":
			if seenStatus {
				return 0, nil, nil, false
			}
			seenStatus = true
			if status, ok = s.smallInt(); !ok {
				return 0, nil, nil, false
			}
		case "headers":
			if seenHeaders || !s.eat('{') {
				return 0, nil, nil, false // null, or not an object: encoding/json decides
			}
			seenHeaders = true
			for {
				s.space()
				if s.eat('}') {
					break
				}
				if s.eat(',') {
					s.space()
				}
				name, ok := s.plainString()
				if !ok {
					return 0, nil, nil, false
				}
				s.space()
				s.eat(':')
				s.space()
				value, ok := s.plainString()
				if !ok {
					return 0, nil, nil, false
				}
				headers = append(headers, header{string(name), string(value)})
			}
		case "body":
			if seenBody {
				return 0, nil, nil, false
			}
			seenBody = true
			start := s.i
			s.skipValue()
			body = raw[start:s.i]
		default:
			return 0, nil, nil, false
		}
	}
}

// scanner walks JSON already checked by json.Valid.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// plainString reads a string that decodes to its own bytes: no escapes,
// valid UTF-8 (encoding/json turns invalid bytes into U+FFFD).
func (s *scanner) plainString() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, utf8.Valid(v)
		case c == '\\':
			return nil, false
		default:
			s.i++
		}
	}
	return nil, false
}

// smallInt reads a non-negative integer of at most 9 digits, which fits an
// int as encoding/json would read it; fractions, exponents, signs and null
// are left to encoding/json.
func (s *scanner) smallInt() (int, bool) {
	n, start := 0, s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		n = n*10 + int(s.b[s.i]-'0')
		s.i++
	}
	if s.i == start || s.i-start > 9 {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

// skipValue moves past one value.
func (s *scanner) skipValue() {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			for s.i < len(s.b) && s.b[s.i] != '"' {
				if s.b[s.i] == '\\' {
					s.i++
				}
				s.i++
			}
			s.i++
			if depth == 0 {
				return
			}
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return // the end of the object holding a number or literal
			}
			depth--
			s.i++
			if depth == 0 {
				return
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return
			}
			s.i++
		default:
			s.i++
		}
	}
}

// unquoteBody returns the text of a string body: the bytes between the
// quotes when they hold no escape and are valid UTF-8, else what
// json.Unmarshal into a string gives.
func unquoteBody(body []byte) ([]byte, bool) {
	if len(body) >= 2 && body[len(body)-1] == '"' {
		in := body[1 : len(body)-1]
		plain := utf8.Valid(in)
		for _, c := range in {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain {
			return in, true
		}
	}
	var s string
	if json.Unmarshal(body, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

func (h *Handler) writeResponse(w http.ResponseWriter, id string, raw json.RawMessage) {
	var hbuf [4]header
	status, headers, body, err := decodeResponse(raw, hbuf[:0])
	if err != nil {
		h.fail(w, http.StatusInternalServerError, "bad_response", "the respond step produced an unreadable response")
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	hdr := w.Header()
	for _, kv := range headers {
		hdr.Set(kv.name, kv.value)
	}
	hdr.Set("X-Weft-Execution-Id", id)
	if len(body) > 0 && body[0] == '"' {
		if text, ok := unquoteBody(body); ok {
			// A string body is sent as text, not as a JSON string literal.
			body = text
			if hdr.Get("Content-Type") == "" {
				hdr.Set("Content-Type", "text/plain; charset=utf-8")
			}
		} else if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "application/json")
		}
	} else if string(body) == "null" || len(body) == 0 {
		body = nil
	} else if hdr.Get("Content-Type") == "" {
		hdr.Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	h.count(status)
}
