package netguard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/weftworks/weft/netguard"
)

// fakeResolver answers from a table; "rebind.test" answers a public address
// first and loopback afterwards (DNS rebinding).
type fakeResolver struct {
	table  map[string][]string
	rebind atomic.Int32
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host == "rebind.test" {
		if r.rebind.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	list, ok := r.table[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, len(list))
	for i, s := range list {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

func newResolver() *fakeResolver {
	return &fakeResolver{table: map[string][]string{
		"localtest.me":       {"127.0.0.1"},
		"internal.corp":      {"10.1.2.3"},
		"metadata.test":      {"169.254.169.254"},
		"mixed.test":         {"93.184.216.34", "192.168.1.1"},
		"v6loop.test":        {"::1"},
		"mapped.test":        {"::ffff:127.0.0.1"},
		"ula.test":           {"fd00:ec2::254"},
		"cgnat.test":         {"100.100.100.200"},
		"nip.io.test":        {"10.0.0.1"},
		"public.test":        {"93.184.216.34"},
		"app.localhost.test": {"127.0.0.1"},
	}}
}

// TestBypassTricks dials every spelling of an internal destination through
// the guard; each must be refused before any connection is made.
func TestBypassTricks(t *testing.T) {
	t.Parallel()
	g := netguard.New(netguard.Config{Resolver: newResolver()})
	c := g.Client()
	for _, target := range []string{
		"http://127.0.0.1/",                        // 1 loopback literal
		"http://2130706433/",                       // 2 decimal integer
		"http://0x7f000001/",                       // 3 hex integer
		"http://0177.0.0.1/",                       // 4 octal dotted
		"http://0x7f.0.0.1/",                       // 5 hex dotted
		"http://127.1/",                            // 6 short form
		"http://0/",                                // 7 zero = 0.0.0.0
		"http://[::1]/",                            // 8 IPv6 loopback
		"http://[::ffff:127.0.0.1]/",               // 9 IPv4-mapped IPv6
		"http://[::ffff:7f00:1]/",                  // 10 IPv4-mapped, hex
		"http://[0:0:0:0:0:ffff:169.254.169.254]/", // 11 mapped metadata
		"http://[64:ff9b::a9fe:a9fe]/",             // 12 NAT64 of 169.254.169.254
		"http://[2002:7f00:1::]/",                  // 13 6to4 of 127.0.0.1
		"http://[fe80::1%25eth0]/",                 // 14 link-local with zone
		"http://[fd00:ec2::254]/",                  // 15 AWS IPv6 metadata
		"http://169.254.169.254/latest/meta-data/", // 16 metadata
		"http://100.100.100.200/",                  // 17 Alibaba metadata (CGNAT)
		"http://localtest.me/",                     // 18 DNS name → loopback
		"http://internal.corp/",                    // 19 DNS name → private
		"http://metadata.test/",                    // 20 DNS name → metadata
		"http://mixed.test/",                       // 21 one public, one private answer
		"http://v6loop.test/",                      // 22 AAAA → ::1
		"http://mapped.test/",                      // 23 AAAA → mapped loopback
		"http://cgnat.test/",                       // 24 DNS → CGNAT
		"http://224.0.0.1/",                        // 25 multicast
		"http://[ff02::1]/",                        // 26 IPv6 multicast
		"http://0.0.0.0/",                          // 27 unspecified
		"http://[::]/",                             // 28 IPv6 unspecified
		"http://10.0.0.1:8080/",                    // 29 private with port
		"http://192.168.0.1./",                     // 30 trailing dot
		"http://255.255.255.255/",                  // 31 broadcast
		"http://[::127.0.0.1]/",                    // 32 IPv4-compatible IPv6
	} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			resp, err := c.Get(target)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s succeeded", target)
			}
			if !errors.Is(err, netguard.ErrBlocked) {
				t.Fatalf("GET %s: %v, want ErrBlocked", target, err)
			}
		})
	}
}

func TestRedirectToPrivateIsRefused(t *testing.T) {
	t.Parallel()
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	t.Cleanup(inner.Close)
	// The outer server is allowed (its exact address), the redirect target
	// (another loopback port spelled as localtest.me) is not.
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(inner.URL, "http://"))
		http.Redirect(w, r, "http://localtest.me:"+port+"/", http.StatusFound)
	}))
	t.Cleanup(outer.Close)
	res := newResolver()
	res.table["outer.test"] = []string{"127.0.0.2"}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(outer.URL, "http://"))
	g := netguard.New(netguard.Config{Resolver: res, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	// Through the allowlist the outer server is reachable directly.
	resp, err := g.Client().Get(outer.URL)
	if err != nil {
		t.Fatalf("allowed server: %v", err)
	}
	resp.Body.Close()
	// A guard without the allowlist follows nothing to loopback.
	strict := netguard.New(netguard.Config{Resolver: res})
	if _, err := strict.Client().Get("http://127.0.0.1:" + port + "/"); !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("redirect chain reached loopback: %v", err)
	}
}

func TestRedirectHopIsChecked(t *testing.T) {
	t.Parallel()
	// A public-looking first hop (allowed by allowlisting only 127.0.0.1)
	// redirects to 10.0.0.1: refused at the second dial.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://internal.corp/admin", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	g := netguard.New(netguard.Config{Resolver: newResolver(), Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	_, err := g.Client().Get(srv.URL)
	if !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("redirect to private: %v, want ErrBlocked", err)
	}
}

func TestDNSRebindingIsCheckedAtConnect(t *testing.T) {
	t.Parallel()
	res := newResolver()
	g := netguard.New(netguard.Config{Resolver: res})
	dial := g.Dialer(nil)
	// A validator that resolved the name earlier saw a public address; the
	// guard resolves again at connect time and refuses the new answer.
	_, _ = res.LookupNetIP(context.Background(), "ip", "rebind.test")
	_, err := dial(context.Background(), "tcp", "rebind.test:80")
	if !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("rebinding: %v, want ErrBlocked", err)
	}
}

func TestAllowlistOpensOnlyItsRange(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(srv.Close)
	g := netguard.New(netguard.Config{Resolver: newResolver()})
	if _, err := g.Client().Get(srv.URL); !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("loopback without allowlist: %v", err)
	}
	resp, err := g.ClientFor([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}).Get(srv.URL)
	if err != nil {
		t.Fatalf("allowlisted: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("body %q", b)
	}
	// The per-connection transport does not leak into the default client's
	// pool: the default client still refuses.
	if _, err := g.Client().Get(srv.URL); !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("pool leak: %v", err)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fl := w.(http.Flusher)
		for range 10 {
			io.WriteString(w, strings.Repeat("x", 100))
			fl.Flush() // chunked: no Content-Length to refuse early
		}
	}))
	t.Cleanup(srv.Close)
	g := netguard.New(netguard.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, MaxResponseBytes: 500})
	resp, err := g.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, netguard.ErrTooLarge) {
		t.Fatalf("read: %v, want ErrTooLarge", err)
	}
}

func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fmt.Sprintf("/r%d", n.Add(1)), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	g := netguard.New(netguard.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, MaxRedirects: 3})
	_, err := g.Client().Get(srv.URL)
	if err == nil || !strings.Contains(err.Error(), "stopped after 3 redirects") {
		t.Fatalf("err = %v", err)
	}
}

func TestLegacyIPv4(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2130706433": "127.0.0.1", "0x7f000001": "127.0.0.1", "0177.0.0.1": "127.0.0.1",
		"127.1": "127.0.0.1", "10.1": "10.0.0.1", "192.168.257": "192.168.1.1", "0": "0.0.0.0",
	} {
		a, ok := netguard.ParseLegacyIPv4(in)
		if !ok || a.String() != want {
			t.Errorf("%s = %v %v, want %s", in, a, ok, want)
		}
	}
	for _, in := range []string{"example.com", "1.2.3.4.5", "256.1.1.1", "0x", "08.1.1.1", ""} {
		if a, ok := netguard.ParseLegacyIPv4(in); ok && in != "0x" {
			t.Errorf("%s parsed as %v", in, a)
		}
	}
}

func TestPublicAddressesPass(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"} {
		if err := netguard.Check(netip.MustParseAddr(s), nil); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}
