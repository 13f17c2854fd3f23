package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR
// prefixes (10.0.0.0/8, 127.0.0.1, ::1): the reverse proxies whose
// X-Forwarded-For and Forwarded headers are believed.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

type clientAddrKey struct{}

// ClientAddr is the address of the client that sent the request (set by
// the server's middleware): the peer, or, when the peer is a trusted
// proxy, the nearest address in its forwarding headers that is not one.
func ClientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}

// withClientAddr records each request's client address.
func withClientAddr(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientAddrKey{}, clientAddr(r, trusted))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientAddr walks the forwarding chain from the nearest hop outwards and
// stops at the first address that is not a trusted proxy: the hops beyond
// it were written by the client and prove nothing. A request that did not
// come through a trusted proxy is its peer, whatever its headers say.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	hops := forwardedFor(r.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // garbage from a hop we cannot vouch for: the last good one
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	return client.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor lists the forwarding chain's addresses, the client first:
// from the standard Forwarded header (RFC 7239) when there is one, else
// from X-Forwarded-For. Ports and brackets are dropped; an obfuscated or
// unknown node is kept as it is (and is not an address).
func forwardedFor(h http.Header) []string {
	var out []string
	if fw := h.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for _, elem := range strings.Split(line, ",") {
				for _, pair := range strings.Split(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(k, "for") {
						out = append(out, nodeAddr(strings.Trim(v, `"`)))
					}
				}
			}
		}
		return out
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for _, f := range strings.Split(line, ",") {
			out = append(out, nodeAddr(strings.TrimSpace(f)))
		}
	}
	return out
}

// nodeAddr is a forwarded node without its port: 192.0.2.1:443 and
// [2001:db8::1]:443 are their addresses.
func nodeAddr(n string) string {
	if strings.HasPrefix(n, "[") {
		if i := strings.Index(n, "]"); i > 0 {
			return n[1:i]
		}
	}
	if host, _, err := net.SplitHostPort(n); err == nil {
		return host
	}
	return n
}
