package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestMountAnswersAsServeMux: mount answers every request as the ServeMux
// it stands for (the mounted handler, the rest, redirects of unclean
// paths and of /v1 to /v1/, escaped paths, CONNECT, "*"), and sends plain
// paths to the rest without it.
func TestMountAnswersAsServeMux(t *testing.T) {
	t.Parallel()
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Handler", name)
			_, _ = io.WriteString(w, name+" "+r.Method+" "+r.URL.Path+" pattern="+r.Pattern)
		})
	}
	var reqs []*http.Request
	for _, method := range []string{"POST", "GET", "HEAD", "CONNECT"} {
		for _, target := range []string{
			"/hooks/bench", "/hooks/bench/", "/", "/api/v1/workflows?x=1",
			"/mcp", "/mcp/", "/mcpx", "/mc", "/v1", "/v1/", "/v1/chat/completions", "/v1x", "/v2/x",
			"//mcp", "/./mcp", "/hooks/../mcp", "/x/../v1/chat", "/%6Dcp", "/v%31/chat", "/hooks/%2e%2e/mcp",
			"/hooks//bench", "/hooks/./bench", "/hooks/a/..", "/hooks/bench/.",
		} {
			reqs = append(reqs, httptest.NewRequest(method, target, nil))
		}
	}
	star := httptest.NewRequest("OPTIONS", "/", nil)
	star.RequestURI, star.URL.Path = "*", "*"
	reqs = append(reqs, star)

	for _, pattern := range []string{"/mcp", "/v1/"} {
		mux := http.NewServeMux()
		mux.Handle(pattern, named("mounted"))
		mux.Handle("/", named("next"))
		var direct int
		next := named("next")
		m := mount(pattern, named("mounted"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			direct++
			next.ServeHTTP(w, r)
		}))
		for _, r := range reqs {
			want := httptest.NewRecorder()
			mux.ServeHTTP(want, r.Clone(r.Context()))
			got := httptest.NewRecorder()
			m.ServeHTTP(got, r.Clone(r.Context()))
			if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
				t.Errorf("mount %s, %s %s: got %d %v %q, want %d %v %q", pattern, r.Method, r.RequestURI,
					got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
			}
		}
		direct = 0
		m.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/hooks/bench", strings.NewReader("{}")))
		if direct != 1 {
			t.Errorf("mount %s: POST /hooks/bench did not reach the rest", pattern)
		}
	}
}
