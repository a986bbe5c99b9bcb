package webhook

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the address of the caller: the TCP peer, or, when the
// peer is a trusted proxy, the right-most address in X-Forwarded-For that is
// not itself a trusted proxy. Only proxies you run may be trusted: anyone
// else can write any X-Forwarded-For they like.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if len(trusted) == 0 || !inAny(peer, trusted) {
		return peer
	}
	xff := r.Header.Values("X-Forwarded-For")
	addr := peer
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return addr // garbage: stop at the last address we could trust
			}
			addr = a.Unmap()
			if !inAny(addr, trusted) {
				return addr
			}
		}
	}
	return addr
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
