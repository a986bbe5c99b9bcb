package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/outbound"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/webhook/policy"
)

// hookFlags are serve's webhook and TLS flags.
type hookFlags struct {
	trustedProxies, tlsCert, tlsKey string
	maxHeaderBytes                  int
}

// defaultMaxHeaderBytes bounds the request line and headers. Go's default
// is 1 MiB, so one unauthenticated request could carry a 1 MiB path; 64 KiB
// is far above real clients (browsers send < 16 KiB, proxies allow 8–32).
const defaultMaxHeaderBytes = 64 << 10

func (h *hookFlags) register(fs *flagSet) {
	fs.stringVar(&h.trustedProxies, "trusted-proxies", "WEFT_TRUSTED_PROXIES", "",
		"comma-separated CIDRs of your reverse proxies; their X-Forwarded-For names the webhook caller (for allow_ips and the delivery log)")
	fs.stringVar(&h.tlsCert, "tls-cert", "WEFT_TLS_CERT", "", "PEM certificate (chain) to serve HTTPS and HTTP/2 directly; needs --tls-key")
	fs.stringVar(&h.tlsKey, "tls-key", "WEFT_TLS_KEY", "", "PEM private key of --tls-cert")
	fs.intVar(&h.maxHeaderBytes, "max-header-bytes", "WEFT_MAX_HEADER_BYTES", defaultMaxHeaderBytes,
		"largest request line plus headers accepted, in bytes; larger requests are answered 431")
}

type hookConfig struct {
	trusted        []netip.Prefix
	tls            *tls.Config
	cert, key      string
	maxHeaderBytes int
}

func (h *hookFlags) config() (hookConfig, error) {
	c := hookConfig{maxHeaderBytes: h.maxHeaderBytes}
	if c.maxHeaderBytes == 0 {
		c.maxHeaderBytes = defaultMaxHeaderBytes
	}
	if c.maxHeaderBytes < 4<<10 {
		return c, fmt.Errorf("--max-header-bytes %d: use at least 4096 (the default is %d)", h.maxHeaderBytes, defaultMaxHeaderBytes)
	}
	for _, s := range splitList(h.trustedProxies) {
		p, err := policy.ParsePrefix(s)
		if err != nil {
			return c, fmt.Errorf("--trusted-proxies: %w", err)
		}
		c.trusted = append(c.trusted, p)
	}
	if (h.tlsCert == "") != (h.tlsKey == "") {
		return c, fmt.Errorf("--tls-cert and --tls-key go together: give both or neither")
	}
	if h.tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(h.tlsCert, h.tlsKey); err != nil {
			return c, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		c.cert, c.key = h.tlsCert, h.tlsKey
		// Client certificates are requested, not required, and checked per
		// webhook (verify: {scheme: mtls, ca: …}) against that webhook's CAs.
		c.tls = &tls.Config{MinVersion: tls.VersionTLS12, ClientAuth: tls.RequestClientCert, NextProtos: []string{"h2", "http/1.1"}}
	}
	return c, nil
}

func (c hookConfig) scheme() string {
	if c.tls != nil {
		return "https"
	}
	return "http"
}

// serve serves srv on ln, over TLS (HTTP/2 negotiated by ALPN) when configured.
func (c hookConfig) serve(srv *http.Server, ln net.Listener) error {
	if c.tls != nil {
		return srv.ServeTLS(ln, c.cert, c.key)
	}
	return srv.Serve(ln)
}

// subscriptionHook wires outbound subscriptions into the engine, which is
// built before the service that needs it.
type subscriptionHook struct {
	svc *outbound.Service
}

func (s *subscriptionHook) onFinish(ex weft.Execution) {
	if s.svc != nil {
		s.svc.OnFinished(ex)
	}
}

// setup builds the subscription service and lends its signing secrets
// through the vault, so webhook.send finds them like any credential.
func (s *subscriptionHook) setup(ctx context.Context, eng *engine.Engine, st store.Store, kr *credential.Keyring, vault *credential.Vault, logger *slog.Logger) error {
	var sealer outbound.Sealer
	if kr != nil {
		sealer = kr
	}
	svc, err := outbound.New(outbound.Config{Engine: eng, Store: st, Logger: logger, Sealer: sealer})
	if err != nil {
		return err
	}
	if err := vault.AddSource(outbound.CredentialPrefix, svc); err != nil {
		return err
	}
	if err := svc.Install(ctx); err != nil {
		return err
	}
	s.svc = svc
	return nil
}
