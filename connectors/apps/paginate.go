package apps

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// Error codes of pagination failures.
const (
	CodePaginationLimit = "pagination_limit"
	CodePaginationLoop  = "pagination_loop"
	CodePaginationSize  = "pagination_too_large"
)

// maxItemsBytes bounds the items kept across pages (they are recorded with
// every page and become the output).
const maxItemsBytes = 8 << 20

// pageState is what a paging step records after each page.
type pageState struct {
	Pages  int    `json:"pages"`
	Cursor string `json:"cursor,omitempty"` // cursor, offset, page number or next URL
	Items  []any  `json:"items,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
	// Seen holds a digest of every cursor followed, to stop a loop.
	Seen []string `json:"seen,omitempty"`
}

func (s *pageState) orNil() any {
	if s.Pages == 0 {
		return nil
	}
	return s
}

// pager is how far a step pages.
type pager struct {
	limit  int
	strict bool // paginate: all — running into the limit is an error
}

func (o *operation) pager(in input.Reader) (*pager, error) {
	if o.op.Paginate == nil || !in.Has("paginate") {
		return nil, nil
	}
	v, _, _ := in.Value("paginate")
	maxPages, err := in.Int("max_pages")
	if err != nil {
		return nil, err
	}
	if maxPages < 1 || maxPages > maxMaxPages {
		return nil, input.Invalid("max_pages", "must be between 1 and %d", maxMaxPages)
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "all" {
		return &pager{limit: maxPages, strict: true}, nil
	}
	s, _ := scalar(v)
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > maxMaxPages {
		return nil, input.Invalid("paginate", "must be \"all\" or a number of pages between 1 and %d", maxMaxPages)
	}
	return &pager{limit: n}, nil
}

// page adds one page's items and either finishes or suspends, so the engine
// records the progress before the next page is asked for.
func (o *operation) page(req *step.Request, pg *pager, st *pageState, base *url.URL, resp map[string]any) (step.Result, error) {
	p, body := o.op.Paginate, resp["body"]
	list, ok := pick(body, p.Items).([]any)
	if !ok && pick(body, p.Items) != nil {
		return step.Result{}, step.Errorf(CodeApp, "%s: page %d has no list at %q", o.spec.Type, st.Pages+1, p.Items)
	}
	raw, _ := json.Marshal(list)
	st.Bytes += len(raw)
	if st.Bytes > maxItemsBytes {
		return step.Result{}, step.Errorf(CodePaginationSize, "%s: the items of %d pages exceed %d bytes; narrow the query or page fewer (paginate: N)", o.spec.Type, st.Pages+1, maxItemsBytes)
	}
	st.Items = append(st.Items, list...)
	st.Pages++
	next := o.next(st, req.With, body, resp, list)
	if next == "" {
		return step.Result{Output: map[string]any{"items": orEmpty(st.Items), "pages": st.Pages, "more": false}}, nil
	}
	sum := sha256.Sum256([]byte(next))
	digest := hex.EncodeToString(sum[:8])
	if slices.Contains(st.Seen, digest) {
		return step.Result{}, step.Errorf(CodePaginationLoop, "%s: after page %d the provider sent a cursor it had sent before; stopping a pagination loop", o.spec.Type, st.Pages)
	}
	if st.Pages >= pg.limit {
		if pg.strict {
			return step.Result{}, step.Errorf(CodePaginationLimit, "%s: still more pages after %d (max_pages); raise max_pages (at most %d), page a fixed number (paginate: N) or narrow the query", o.spec.Type, st.Pages, maxMaxPages)
		}
		return step.Result{Output: map[string]any{"items": orEmpty(st.Items), "pages": st.Pages, "more": true}}, nil
	}
	if p.Style == PageLink || p.Style == PageNextURL {
		if _, err := sameOrigin(base, next); err != nil {
			return step.Result{}, step.Errorf(CodePaginationLoop, "%s: %v", o.spec.Type, err)
		}
	}
	st.Cursor = next
	st.Seen = append(st.Seen, digest)
	now := time.Now
	if req.Env != nil && req.Env.Now != nil {
		now = req.Env.Now
	}
	return step.Result{Suspend: &step.Suspend{Until: now(), State: st, Reason: "paginate"}}, nil
}

func orEmpty(items []any) []any {
	if items == nil {
		return []any{}
	}
	return items
}

// next returns the cursor of the page after this one, "" on the last.
func (o *operation) next(st *pageState, with map[string]any, body any, resp map[string]any, list []any) string {
	p := o.op.Paginate
	if p.HasMore != "" {
		if more, ok := pick(body, p.HasMore).(bool); ok && !more {
			return ""
		}
	}
	switch p.Style {
	case PageCursor:
		if p.CursorFromLast != "" {
			if len(list) == 0 {
				return ""
			}
			s, _ := scalar(pick(list[len(list)-1], p.CursorFromLast))
			return s
		}
		s, _ := scalar(pick(body, p.Cursor))
		return s
	case PageNextURL:
		s, _ := scalar(pick(body, p.Cursor))
		return s
	case PageLink:
		var link string
		switch h := resp["headers"].(type) {
		case map[string]string:
			link = h["link"]
		case map[string]any:
			link, _ = h["link"].(string)
		}
		return nextLink(link)
	case PageOffset, PagePage:
		if len(list) == 0 {
			return ""
		}
		if size, ok := scalar(with[p.SizeParam]); ok && p.SizeParam != "" {
			if n, err := strconv.Atoi(size); err == nil && len(list) < n {
				return "" // a short page is the last
			}
		}
		cur := 0
		if st.Cursor != "" {
			cur, _ = strconv.Atoi(st.Cursor)
		} else if s, ok := scalar(with[p.Param]); ok {
			cur, _ = strconv.Atoi(s)
		}
		if p.Style == PagePage {
			if cur == 0 {
				cur = 1
			}
			return strconv.Itoa(cur + 1)
		}
		return strconv.Itoa(cur + len(list))
	}
	return ""
}

var linkRE = regexp.MustCompile(`<([^>]*)>\s*;[^,]*rel="?next"?`)

// nextLink reads rel="next" of an RFC 8288 Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		if m := linkRE.FindStringSubmatch(part); m != nil {
			return m[1]
		}
	}
	return ""
}
