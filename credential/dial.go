package credential

import (
	"context"
	"fmt"
	"net"

	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/step"
)

// Dialer implements step.Connections: a dialer for the connection's server
// (a database or a broker) that passes the SSRF guard with the connection's
// allow_private_net and reaches only its allowed hosts. Lent secrets have no
// server to dial.
func (v *Vault) Dialer(ctx context.Context, workflow, name string) (step.DialFunc, error) {
	if _, ok := v.source(name); ok {
		return nil, errLent(name)
	}
	l, err := v.load(ctx, workflow, name)
	if err != nil {
		return nil, err
	}
	allow, err := netguard.ParseCIDRs(l.settings.AllowPrivateNet)
	if err != nil {
		return nil, fmt.Errorf("credential %q: allow_private_net: %w", name, err)
	}
	dial := v.cfg.Dial(allow)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil, fmt.Errorf("connection %q: only TCP connections are allowed, not %s", name, network)
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("connection %q: address %q: %w", name, addr, err)
		}
		// The host as the credential names it, before any resolution: a
		// driver that resolves names itself must hand the name on.
		if err := l.hostAllowed(host); err != nil {
			return nil, err
		}
		return dial(ctx, network, addr)
	}, nil
}
