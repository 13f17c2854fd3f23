package mail_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/mail"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestDeliverOverSTARTTLS(t *testing.T) {
	srv := testenv.StartSMTP(t)
	s, err := mail.ParseSMTP("smtp://relayuser:relay-pass@" + srv.Addr + "?from=noreply@kyc.example.com")
	if err != nil {
		t.Fatal(err)
	}
	s.TLS = &tls.Config{RootCAs: srv.RootCAs, ServerName: "127.0.0.1"}
	msg := mail.Message{To: "ana@example.com", Subject: "Your kycd code: 123456", Body: "Your code is 123456.\nÄ valid 24 h."}
	if err := s.Deliver(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	m := got[0]
	if !m.TLS || !m.Authed || m.From != "noreply@kyc.example.com" || m.To != "ana@example.com" {
		t.Errorf("received %+v", m)
	}
	if !strings.Contains(m.Data, "Subject: Your kycd code: 123456") {
		t.Errorf("data lacks the subject:\n%s", m.Data)
	}
	body := m.Data[strings.Index(m.Data, "\r\n\r\n")+4:]
	dec, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if string(dec) != msg.Body {
		t.Errorf("body = %q, want %q", dec, msg.Body)
	}
}

func TestDeliverRefusesUntrustedTLSAndBadAuth(t *testing.T) {
	srv := testenv.StartSMTP(t)
	s, _ := mail.ParseSMTP("smtp://relayuser:relay-pass@" + srv.Addr)
	// Without the test CA the certificate is not trusted: nothing is sent.
	if err := s.Deliver(context.Background(), mail.Message{To: "a@example.com", Subject: "x", Body: "x"}); err == nil {
		t.Error("Deliver to an untrusted certificate = nil error")
	}
	s, _ = mail.ParseSMTP("smtp://relayuser:wrong@" + srv.Addr)
	s.TLS = &tls.Config{RootCAs: srv.RootCAs, ServerName: "127.0.0.1"}
	if err := s.Deliver(context.Background(), mail.Message{To: "a@example.com", Subject: "x", Body: "x"}); err == nil || !strings.Contains(err.Error(), "auth") {
		t.Errorf("Deliver with a wrong password = %v", err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Errorf("received %d messages, want 0", n)
	}
}

func TestParseSMTP(t *testing.T) {
	s, err := mail.ParseSMTP("smtp://u:p%40ss@mail.example.com")
	if err != nil || s.Addr != "mail.example.com:587" || s.Password != "p@ss" || s.From != "kycd@mail.example.com" {
		t.Errorf("ParseSMTP() = %+v, %v", s, err)
	}
	if _, err := mail.ParseSMTP("http://x"); err == nil {
		t.Error("ParseSMTP(http://) = nil error")
	}
}
