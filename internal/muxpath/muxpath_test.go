package muxpath

import (
	"net/http/httptest"
	"path"
	"strings"
	"testing"
)

// cleanPath is net/http's: path.Clean keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		if len(p) == len(np)+1 && strings.HasPrefix(p, np) {
			np = p
		} else {
			np += "/"
		}
	}
	return np
}

func TestPlainIsCleanPath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/", "/a", "/a/", "/hooks/bench", "/hooks/bench/", "//", "/a//b", "/a/./b", "/a/../b",
		"/.", "/..", "/a/.", "/a/..", "/a/.b", "/a/..b", "/a/b./", "/.well-known/x", "/a///", "/a/b/c/d/e/"} {
		if got, want := clean(p), cleanPath(p) == p; got != want {
			t.Errorf("clean(%q) = %v, want %v (cleanPath gives %q)", p, got, want, cleanPath(p))
		}
	}
}

func TestPlain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method, target string
		want           bool
	}{
		{"POST", "/hooks/bench", true},
		{"GET", "/hooks/bench?x=1", true},
		{"CONNECT", "/hooks/bench", false},
		{"POST", "/hooks/%62ench", false},
		{"POST", "/hooks//bench", false},
		{"POST", "/hooks/../mcp", false},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if _, got := Plain(r); got != tc.want {
			t.Errorf("%s %s: Plain %v, want %v", tc.method, tc.target, got, tc.want)
		}
	}
	r := httptest.NewRequest("OPTIONS", "/", nil)
	r.RequestURI = "*"
	if _, ok := Plain(r); ok {
		t.Error(`OPTIONS *: Plain true, want false`)
	}
}

func FuzzClean(f *testing.F) {
	for _, p := range []string{"/", "/a//b", "/a/./", "/a/../b/", "/hooks/bench"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if p == "" || p[0] != '/' {
			return
		}
		if got, want := clean(p), cleanPath(p) == p; got != want {
			t.Errorf("clean(%q) = %v, want %v", p, got, want)
		}
	})
}
