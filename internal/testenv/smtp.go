package testenv

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTPServer is a small but real SMTP server on loopback: EHLO, STARTTLS
// (with a certificate made for the test), AUTH PLAIN, MAIL, RCPT, DATA. It
// refuses AUTH and MAIL before STARTTLS, as a careful relay does.
type SMTPServer struct {
	Addr     string
	RootCAs  *x509.CertPool // trusts the server's certificate
	Username string
	Password string

	mu       sync.Mutex
	received []ReceivedMail
	tlsCfg   *tls.Config
}

// ReceivedMail is a message the server accepted.
type ReceivedMail struct {
	From, To string
	Data     string
	TLS      bool
	Authed   bool
}

// StartSMTP starts a server for the test.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPServer{Addr: l.Addr().String(), RootCAs: pool, Username: "relayuser", Password: "relay-pass",
		tlsCfg: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// Received returns the accepted messages.
func (s *SMTPServer) Received() []ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReceivedMail(nil), s.received...)
}

func (s *SMTPServer) serve(c net.Conn) {
	defer func() { c.Close() }()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(line string) { w.WriteString(line + "\r\n"); w.Flush() }
	reply("220 127.0.0.1 test ESMTP")
	var cur ReceivedMail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(strings.TrimPrefix(line, strings.SplitN(line, " ", 2)[0]))
		switch verb {
		case "EHLO", "HELO":
			w.WriteString("250-127.0.0.1\r\n")
			if !cur.TLS {
				w.WriteString("250-STARTTLS\r\n")
			} else {
				w.WriteString("250-AUTH PLAIN\r\n")
			}
			reply("250 8BITMIME")
		case "STARTTLS":
			reply("220 go ahead")
			tc := tls.Server(c, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
			cur = ReceivedMail{TLS: true}
		case "AUTH":
			f := strings.Fields(arg)
			if !cur.TLS || len(f) < 2 || !strings.EqualFold(f[0], "PLAIN") {
				reply("530 must issue STARTTLS first")
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(f[1])
			parts := strings.Split(string(raw), "\x00")
			if len(parts) == 3 && parts[1] == s.Username && parts[2] == s.Password {
				cur.Authed = true
				reply("235 authenticated")
			} else {
				reply("535 bad credentials")
			}
		case "MAIL":
			if !cur.TLS {
				reply("530 must issue STARTTLS first")
				continue
			}
			cur.From = angle(arg)
			reply("250 ok")
		case "RCPT":
			cur.To = angle(arg)
			reply("250 ok")
		case "DATA":
			reply("354 end with .")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = data.String()
			s.mu.Lock()
			s.received = append(s.received, cur)
			s.mu.Unlock()
			cur = ReceivedMail{TLS: cur.TLS, Authed: cur.Authed}
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

// angle returns the address between < and > in an SMTP argument.
func angle(arg string) string {
	start, end := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if start < 0 || end < start {
		return ""
	}
	return arg[start+1 : end]
}
