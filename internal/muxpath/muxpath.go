// Package muxpath tells when net/http's ServeMux would route a request by
// its path as it stands: no redirect to a cleaned path, no CONNECT or
// "*" special case, no escaped byte that matching would decode. A handler
// in front of a ServeMux can then send the hot paths (webhooks) straight
// to the handler the mux would pick, without the mux's tree walks and the
// slices and strings it allocates for every request (about four
// allocations per mux for /hooks/<path>). Everything else still goes
// through the mux.
package muxpath

import (
	"net/http"
	"strings"
)

// Plain returns the request's path when a ServeMux would match it as it
// is, and false when the mux might clean, redirect, decode or refuse it.
func Plain(r *http.Request) (string, bool) {
	if r.Method == http.MethodConnect || r.RequestURI == "*" {
		return "", false
	}
	p := r.URL.EscapedPath()
	if p == "" || p[0] != '/' || strings.IndexByte(p, '%') >= 0 {
		return "", false
	}
	return p, clean(p)
}

// clean reports whether cleanPath (path.Clean keeping a trailing slash)
// leaves p as it is: no empty, "." or ".." segments but a trailing "/".
func clean(p string) bool {
	for i := 1; i <= len(p); {
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			j = len(p) - i
		}
		seg := p[i : i+j]
		last := i+j >= len(p)
		switch {
		case seg == "" && !last: // "//"
			return false
		case seg == "." || seg == "..":
			return false
		}
		i += j + 1
	}
	return true
}

// Under reports whether a plain path (see Plain) falls to pattern, a path
// pattern without method, host or wildcards ("/mcp", "/v1/"), in a
// ServeMux holding pattern and "/": exactly pattern, or, for one ending
// in a slash, below it or the path the mux redirects to it.
func Under(path, pattern string) bool {
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(path, pattern) || path == pattern[:len(pattern)-1]
	}
	return path == pattern
}
