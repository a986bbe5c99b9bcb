package netguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrBlocked is returned (wrapped) when a destination is refused.
var ErrBlocked = errors.New("destination address is not allowed (SSRF guard)")

// blocked lists the ranges refused by default.
var blocked = mustPrefixes(
	// IPv4
	"0.0.0.0/8",          // "this network", 0.0.0.0
	"10.0.0.0/8",         // private
	"100.64.0.0/10",      // CGNAT (also Alibaba's metadata 100.100.100.200)
	"127.0.0.0/8",        // loopback
	"169.254.0.0/16",     // link-local, cloud metadata 169.254.169.254
	"172.16.0.0/12",      // private
	"192.0.0.0/24",       // IETF protocol assignments (incl. Oracle's 192.0.0.192)
	"192.0.2.0/24",       // TEST-NET-1
	"192.88.99.0/24",     // 6to4 relay anycast
	"192.168.0.0/16",     // private
	"198.18.0.0/15",      // benchmarking
	"198.51.100.0/24",    // TEST-NET-2
	"203.0.113.0/24",     // TEST-NET-3
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved, broadcast
	"255.255.255.255/32", // broadcast
	// IPv6
	"::/96",        // unspecified, loopback, IPv4-compatible
	"64:ff9b::/96", // NAT64 (embedded IPv4 checked too)
	"64:ff9b:1::/48",
	"100::/64",      // discard
	"2001::/23",     // IETF protocol assignments (Teredo etc.)
	"2001:db8::/32", // documentation
	"2002::/16",     // 6to4 (embedded IPv4 checked too)
	"fc00::/7",      // unique local (incl. AWS fd00:ec2::254)
	"fe80::/10",     // link-local
	"fec0::/10",     // site-local (deprecated)
	"ff00::/8",      // multicast
)

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Check reports whether addr may be connected to, given allowed prefixes
// that override the default refusals.
func Check(addr netip.Addr, allow []netip.Prefix) error {
	addr = addr.WithZone("")
	if !addr.IsValid() {
		return fmt.Errorf("invalid address: %w", ErrBlocked)
	}
	candidates := []netip.Addr{addr}
	if addr.Is4In6() {
		candidates = append(candidates, addr.Unmap())
	}
	if addr.Is6() && !addr.Is4In6() {
		b := addr.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(addr):
			candidates = append(candidates, netip.AddrFrom4([4]byte(b[12:16])))
		case netip.MustParsePrefix("2002::/16").Contains(addr):
			candidates = append(candidates, netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, p := range allow {
		for _, c := range candidates {
			if p.Contains(c) {
				return nil
			}
		}
	}
	for _, c := range candidates {
		for _, p := range blocked {
			if p.Contains(c) {
				return fmt.Errorf("%s is in %s: %w", addr, p, ErrBlocked)
			}
		}
	}
	return nil
}

// Resolver looks up host names (net.DefaultResolver satisfies it; tests
// pass their own).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config configures a Guard.
type Config struct {
	// Allow are CIDRs reachable despite the default refusals
	// (--allow-private-net).
	Allow []netip.Prefix
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// DialTimeout bounds one connect; default 10s.
	DialTimeout time.Duration
	// MaxRedirects a client follows; default 10.
	MaxRedirects int
	// MaxResponseBytes bounds every response body read through the guard's
	// transports; default 100 MiB (steps set lower limits of their own).
	MaxResponseBytes int64
	// Timeout is the total time of one exchange for Client; default 5m.
	Timeout time.Duration
}

// Guard dials only allowed addresses.
type Guard struct {
	cfg Config

	mu         sync.Mutex
	transports map[string]*http.Transport
}

// New builds a guard.
func New(cfg Config) *Guard {
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = 10
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 100 << 20
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	return &Guard{cfg: cfg, transports: map[string]*http.Transport{}}
}

// Dialer returns a DialContext that allows extra prefixes on top of the
// guard's own.
func (g *Guard) Dialer(extra []netip.Prefix) func(ctx context.Context, network, addr string) (net.Conn, error) {
	allow := append(append([]netip.Prefix(nil), g.cfg.Allow...), extra...)
	d := &net.Dialer{Timeout: g.cfg.DialTimeout, KeepAlive: 30 * time.Second,
		// The last word: the address the socket is about to connect to.
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("connecting to %s: %w", address, ErrBlocked)
			}
			return Check(ap.Addr(), allow)
		},
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		addrs, err := g.resolve(ctx, network, host)
		if err != nil {
			return nil, err
		}
		// Every address must pass: a name that also points inside is
		// refused whole, so round-robin rebinding cannot pick the bad one.
		for _, a := range addrs {
			if err := Check(a, allow); err != nil {
				return nil, fmt.Errorf("%s resolves to %w", host, err)
			}
		}
		var firstErr error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		return nil, firstErr
	}
}

// resolve turns host into addresses: an IP literal (in any spelling inet_aton
// accepts), or a DNS lookup.
func (g *Guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	h := strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return []netip.Addr{a}, nil
	}
	if a, ok := ParseLegacyIPv4(h); ok {
		return []netip.Addr{a}, nil
	}
	nw := "ip"
	switch network {
	case "tcp4", "udp4":
		nw = "ip4"
	case "tcp6", "udp6":
		nw = "ip6"
	}
	addrs, err := g.cfg.Resolver.LookupNetIP(ctx, nw, h)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no address for %s", host)
	}
	return addrs, nil
}

// ParseLegacyIPv4 reads the IPv4 spellings inet_aton accepts besides the
// dotted quad: one to four parts, each decimal, octal (leading 0) or hex
// (0x), the last part filling the remaining bytes ("127.1", "2130706433",
// "0x7f000001", "0177.0.0.01").
func ParseLegacyIPv4(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base := 10
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, p = 16, p[2:]
			if p == "" {
				p = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 255 {
			return netip.Addr{}, false
		}
		n |= vals[i] << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// Transport returns a transport (shared per allowlist, so connection pools
// never mix destinations allowed for one connection with others) that dials
// through the guard and bounds response bodies.
func (g *Guard) Transport(extra []netip.Prefix) http.RoundTripper {
	keyParts := make([]string, len(extra))
	for i, p := range extra {
		keyParts[i] = p.String()
	}
	k := strings.Join(keyParts, ",")
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.transports[k]
	if t == nil {
		t = http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil // a proxy would connect for us, unchecked
		t.DialContext = g.Dialer(extra)
		t.MaxIdleConnsPerHost = 32
		g.transports[k] = t
	}
	return &limitTransport{rt: t, max: g.cfg.MaxResponseBytes}
}

// BaseTransport returns the guarded *http.Transport itself (for callers
// that must set TLS options, like mTLS clients): a fresh clone.
func (g *Guard) BaseTransport(extra []netip.Prefix) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = g.Dialer(extra)
	return t
}

// Client returns a client for the guard's own allowlist with the redirect
// limit and total timeout.
func (g *Guard) Client() *http.Client { return g.ClientFor(nil) }

// ClientFor is Client with extra allowed prefixes.
func (g *Guard) ClientFor(extra []netip.Prefix) *http.Client {
	return &http.Client{Transport: g.Transport(extra), Timeout: g.cfg.Timeout, CheckRedirect: g.checkRedirect}
}

func (g *Guard) checkRedirect(_ *http.Request, via []*http.Request) error {
	if len(via) >= g.cfg.MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", g.cfg.MaxRedirects)
	}
	return nil
}

// ErrTooLarge is returned by a body read past the guard's limit.
var ErrTooLarge = errors.New("response body exceeds the outbound size limit")

type limitTransport struct {
	rt  http.RoundTripper
	max int64
}

func (t *limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%s answered with %d bytes: %w", r.URL.Host, resp.ContentLength, ErrTooLarge)
	}
	resp.Body = &limitBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type limitBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitBody) Close() error { return b.rc.Close() }
