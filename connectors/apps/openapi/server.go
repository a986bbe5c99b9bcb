package openapi

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"regexp"
	"strings"

	"github.com/weftworks/weft/connectors/apps"
)

// baseURL is Options.BaseURL, or the first server's URL with its variables
// set to their defaults.
func (c *converter) baseURL() (string, error) {
	raw := c.opts.BaseURL
	from := "--base-url"
	if raw == "" {
		if len(c.doc.Servers) == 0 || c.doc.Servers[0] == nil {
			return "", fmt.Errorf("the document lists no servers; give the API's address with --base-url (base_url in the API)")
		}
		s := c.doc.Servers[0]
		raw, from = s.URL, "servers[0].url"
		for name, v := range s.Variables {
			if v == nil {
				continue
			}
			raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
		}
		if len(c.doc.Servers) > 1 {
			c.warnf("the document lists %d servers; the first (%s) is the base URL, a connection's base_url setting picks another", len(c.doc.Servers), raw)
		}
	}
	raw = strings.TrimRight(raw, "/")
	if strings.Contains(raw, "{") {
		return "", fmt.Errorf("%s %q has a variable without a default; give the address with --base-url", from, raw)
	}
	if !isHTTPURL(raw) {
		return "", fmt.Errorf("%s %q is not an absolute http(s) URL; give the API's address with --base-url (base_url in the API)", from, raw)
	}
	return raw, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// testCall picks the connection test: a GET without required inputs,
// preferring one that reads the caller (/me, /user, /account).
func testCall(ops []apps.Operation) apps.Test {
	best, bestScore := "", -1
	for i := range ops {
		op := &ops[i]
		if op.Method != "GET" || strings.Contains(op.Path, "{") || hasRequired(op.Inputs.Query) || hasRequired(op.Inputs.Header) {
			continue
		}
		score := 1
		if whoAmIRE.MatchString(op.Path) {
			score = 3
		}
		if best == "" || score > bestScore || (score == bestScore && len(op.Path) < len(best)) {
			best, bestScore = op.Path, score
		}
	}
	if best == "" || strings.HasPrefix(best, "http") {
		best = "/"
	}
	return apps.Test{Method: "GET", Path: best}
}

var whoAmIRE = regexp.MustCompile(`/(me|user|users/me|account|whoami|balance)$`)

func hasRequired(s *apps.Schema) bool { return s != nil && len(s.Required) > 0 }

// icon draws the app's initial on a colour picked from its name.
func icon(name string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	palette := []string{"#2563EB", "#7C3AED", "#DB2777", "#DC2626", "#D97706", "#059669", "#0891B2", "#4F46E5"}
	colour := palette[h.Sum32()%uint32(len(palette))]
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="5" fill="%s"/><text x="12" y="17" font-family="sans-serif" font-size="14" font-weight="bold" text-anchor="middle" fill="#fff">%s</text></svg>`,
		colour, strings.ToUpper(name[:1]))
}
