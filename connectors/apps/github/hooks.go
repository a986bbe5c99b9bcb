package github

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Fake is the local GitHub REST API with repository hooks kept in memory.
type Fake struct {
	*apptest.Fake
	mu     sync.Mutex
	hooks  []Hook
	nextID int64
}

// Hook is a repository webhook as the fake holds it; Config carries the
// secret, which GitHub never shows back ("********").
type Hook struct {
	ID     int64          `json:"id"`
	Repo   string         `json:"-"`
	Name   string         `json:"name"`
	Active bool           `json:"active"`
	Events []string       `json:"events"`
	Config map[string]any `json:"config"`
}

// Hooks returns the hooks of every repository, oldest first.
func (f *Fake) Hooks() []Hook {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Hook, len(f.hooks))
	for i, h := range f.hooks {
		h.Config = clone(h.Config)
		out[i] = h
	}
	return out
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// shown is a hook as the API answers: the secret masked.
func shown(h Hook) Hook {
	h.Config = clone(h.Config)
	if _, ok := h.Config["secret"]; ok {
		h.Config["secret"] = "********"
	}
	return h
}

// hookErr answers GitHub's 422 for a hook.
func hookErr(w http.ResponseWriter, msg string) {
	apptest.WriteJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"resource": "Hook", "code": "custom", "message": msg}}})
}

// apply copies active, events and config of body onto h.
func apply(h *Hook, b map[string]any) {
	if a, ok := b["active"].(bool); ok {
		h.Active = a
	}
	if ev, ok := b["events"].([]any); ok {
		h.Events = h.Events[:0:0]
		for _, e := range ev {
			h.Events = append(h.Events, fmt.Sprint(e))
		}
	}
	if c, ok := b["config"].(map[string]any); ok {
		for k, v := range c {
			h.Config[k] = v
		}
	}
}

func (f *Fake) hookRoutes(mux *http.ServeMux) {
	repo := func(r *http.Request) string { return r.PathValue("owner") + "/" + r.PathValue("repo") }
	find := func(r *http.Request) int {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		for i, h := range f.hooks {
			if h.ID == id && h.Repo == repo(r) {
				return i
			}
		}
		return -1
	}
	notFound := func(w http.ResponseWriter) {
		apptest.WriteJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/webhooks", "status": "404"})
	}
	mux.HandleFunc("POST /repos/{owner}/{repo}/hooks", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		h := Hook{Name: "web", Active: true, Events: []string{"push"}, Config: map[string]any{}}
		apply(&h, b)
		if h.Config["url"] == nil {
			hookErr(w, "url is required")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, o := range f.hooks {
			if o.Repo == repo(r) && o.Config["url"] == h.Config["url"] {
				hookErr(w, "Hook already exists on this repository")
				return
			}
		}
		f.nextID++
		h.ID, h.Repo = f.nextID, repo(r)
		f.hooks = append(f.hooks, h)
		apptest.WriteJSON(w, 201, shown(h))
	})
	mux.HandleFunc("GET /repos/{owner}/{repo}/hooks", func(w http.ResponseWriter, r *http.Request) {
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, page = min(max(per, 1), 100), max(page, 1)
		if r.URL.Query().Get("per_page") == "" {
			per = 30
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		var mine []Hook
		for _, h := range f.hooks {
			if h.Repo == repo(r) {
				mine = append(mine, shown(h))
			}
		}
		out := []Hook{}
		if lo := (page - 1) * per; lo < len(mine) {
			out = mine[lo:min(lo+per, len(mine))]
		}
		apptest.WriteJSON(w, 200, out)
	})
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/hooks/{id}", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		i := find(r)
		if i < 0 {
			notFound(w)
			return
		}
		apply(&f.hooks[i], b)
		apptest.WriteJSON(w, 200, shown(f.hooks[i]))
	})
	mux.HandleFunc("DELETE /repos/{owner}/{repo}/hooks/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		i := find(r)
		if i < 0 {
			notFound(w)
			return
		}
		f.hooks = slices.Delete(f.hooks, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	})
}
