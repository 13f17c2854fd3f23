// Package egress makes the HTTP requests kycd sends to addresses its users
// chose (webhooks) safe for the network kycd runs in: a request may not
// reach a loopback, private, link-local or otherwise internal address,
// checked on the address actually dialled (so a name that resolves to one,
// or re-resolves to one later, is refused too), no redirect is followed,
// no proxy from the environment is used, and failures are reported in
// words that do not map the network.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbidden is the error of a dial to an address that is not allowed.
var ErrForbidden = errors.New("the destination is a private, loopback or otherwise internal address")

// internal lists the ranges that are not the public internet, beyond what
// netip.Addr's own predicates cover.
var internal = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated, still routed inside some networks)
	netip.MustParsePrefix("100::/64"),        // discard
}

// Public reports whether addr is an address on the public internet. IPv6
// forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by it.
func Public(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.Is6() {
		b := addr.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(addr): // NAT64
			return Public(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case netip.MustParsePrefix("2002::/16").Contains(addr): // 6to4
			return Public(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsMulticast() {
		return false
	}
	for _, p := range internal {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// Options configure a Client.
type Options struct {
	// AllowPrivate lets requests reach internal addresses: an operator's
	// explicit choice (receivers inside the same network), and the tests'
	// loopback receivers.
	AllowPrivate bool
	Timeout      time.Duration // the whole request; 10 s when 0
}

// Client returns an HTTP client that dials only public addresses (unless
// o.AllowPrivate), never follows a redirect (a 3xx is the answer) and
// ignores proxy settings.
func Client(o Options) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !Public(ap.Addr()) {
				return ErrForbidden
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: o.Timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: o.Timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CheckURL parses a destination URL given by a user and refuses what can
// be refused before any lookup: other schemes, no host, and (unless
// allowPrivate) hosts that are internal addresses or local names. The
// dial-time check of Client still applies to names that resolve inside.
func CheckURL(raw string, allowPrivate bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Opaque != "" {
		return nil, errors.New("the URL must be an absolute http or https URL")
	}
	if allowPrivate {
		return u, nil
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if addr, err := netip.ParseAddr(host); err == nil {
		if !Public(addr) {
			return nil, fmt.Errorf("the URL's host %s is a private, loopback or otherwise internal address", u.Hostname())
		}
		return u, nil
	}
	if !strings.Contains(host, ".") || host == "localhost" || strings.HasSuffix(host, ".localhost") ||
		strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") || strings.HasSuffix(host, ".home.arpa") {
		return nil, fmt.Errorf("the URL's host %s is a local name, not a public one", u.Hostname())
	}
	return u, nil
}

// Redact returns a URL safe to show and log: no user information (it may
// hold a password) and no query (it may hold a token).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	u.Fragment = ""
	return u.String()
}

// Describe turns a failed request's error into words that say what kind of
// failure it was without the network's details (refused, reset, no route,
// the resolver's answer): those would make a port scanner of whoever sees
// them.
func Describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrForbidden):
		return "not sent: " + ErrForbidden.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "the endpoint did not answer in time"
	default:
		return "the endpoint could not be reached"
	}
}
