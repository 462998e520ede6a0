package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// securityFlags are serve's flags for TLS, proxies and sessions.
type securityFlags struct {
	tlsCert, tlsKey string
	trustedProxies  []string
	sessionIdle     time.Duration
	sessionMax      time.Duration
}

func (f *securityFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain) file")
	c.Flags().StringVar(&f.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	c.Flags().StringSliceVar(&f.trustedProxies, "trusted-proxy", nil, "address or CIDR of a reverse proxy whose X-Forwarded-For is believed (repeatable)")
	c.Flags().DurationVar(&f.sessionIdle, "session-idle", 30*time.Minute, "end a browser session after this long without a request")
	c.Flags().DurationVar(&f.sessionMax, "session-max", 12*time.Hour, "end a browser session this long after sign-in, however active")
}

// tlsConfig loads the certificate, or returns nil to serve plain HTTP.
func (f *securityFlags) tlsConfig() (*tls.Config, error) {
	if f.tlsCert == "" && f.tlsKey == "" {
		return nil, nil
	}
	if f.tlsCert == "" || f.tlsKey == "" {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

func parseProxies(in []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range in {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxy: %q is neither an address nor a CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// authOptions builds the web layer's sign-in settings from the flags.
func (f *securityFlags) authOptions(e *env, base string) (web.AuthOptions, error) {
	if f.sessionIdle <= 0 || f.sessionMax <= 0 || f.sessionIdle > f.sessionMax {
		return web.AuthOptions{}, fmt.Errorf("--session-idle and --session-max must be positive, idle no longer than max")
	}
	proxies, err := parseProxies(f.trustedProxies)
	if err != nil {
		return web.AuthOptions{}, err
	}
	return web.AuthOptions{PublicURL: base, IdleTimeout: f.sessionIdle, Lifetime: f.sessionMax, TrustedProxies: proxies, Getenv: e.getenv}, nil
}

// httpsBase turns the default public URL into https when serving TLS.
func httpsBase(base string, tlsOn bool) string {
	if tlsOn {
		return strings.Replace(base, "http://", "https://", 1)
	}
	return base
}

// purgeSessions deletes expired sessions every interval until ctx ends;
// its owner is serve, which cancels ctx before closing the store.
func purgeSessions(ctx context.Context, svc *dissent.Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if _, err := svc.PurgeSessions(ctx, now); err != nil && ctx.Err() == nil {
				log.Warn("purge expired sessions", "err", err)
			}
		}
	}
}
