package queue

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/weftworks/weft/step"
)

// DialTimeout bounds a broker dial (TCP and, where the client leaves it to
// the dialer, the TLS handshake).
const DialTimeout = 10 * time.Second

// ErrNoDial is returned by a broker asked to connect without a dialer:
// every broker connection goes through the connection's SSRF-guarded
// dialer, never through a net.Dialer of its own.
var ErrNoDial = errors.New("no dialer for the broker connection (it must pass the SSRF guard)")

// Dial is what a broker client uses to open its TCP connections: the
// connection's dialer, asked again at every dial so a changed
// allow_private_net or hosts list applies at the next reconnect.
func Dial(conns step.Connections, workflow, name string) step.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d, err := conns.Dialer(ctx, workflow, name)
		if err != nil {
			return nil, err
		}
		return d(ctx, network, addr)
	}
}

// WithTLS wraps dial so the connection speaks TLS with cfg (nil: plain TCP),
// for clients that leave TLS to a custom dialer (go-redis, franz-go). The
// server name defaults to the dialed host.
func WithTLS(dial step.DialFunc, cfg *tls.Config) step.DialFunc {
	if cfg == nil {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := cfg.Clone()
		if c.ServerName == "" {
			if host, _, serr := net.SplitHostPort(addr); serr == nil {
				c.ServerName = host
			}
		}
		tc := tls.Client(conn, c)
		hctx, cancel := context.WithTimeout(ctx, DialTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		return tc, nil
	}
}

// NoContext adapts dial for clients whose dial hook takes no context
// (amqp091, nats.go): each dial gets DialTimeout.
func NoContext(dial step.DialFunc) func(network, addr string) (net.Conn, error) {
	return func(network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
		defer cancel()
		return dial(ctx, network, addr)
	}
}
