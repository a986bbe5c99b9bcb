package cli

import (
	"net/http"

	"github.com/weftworks/weft/internal/muxpath"
)

// mount serves pattern (a plain path pattern: "/mcp", "/v1/") with h and
// every other request with next, as a ServeMux holding pattern and "/"
// does. Requests whose path the mux would take as it is and that are not
// pattern's go to next without the mux: every webhook passes through each
// such mount, and the mux's lookup of "/" walks its tree twice and
// allocates for it.
func mount(pattern string, h, next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(pattern, h)
	mux.Handle("/", next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := muxpath.Plain(r); ok && !muxpath.Under(p, pattern) {
			r.Pattern = "/" // as the mux sets it
			next.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
