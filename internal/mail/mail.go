// Package mail sends kycd's e-mails (confirmation and reset codes). In dev
// mode messages are kept in the database and shown by the dev mailbox; with
// an smtp:// URL they are sent by a background job over SMTP with STARTTLS,
// so a message is sent exactly when the change that wrote it commits, and
// retried while the relay is down.
package mail

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/queue"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
)

// Message is one e-mail.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Sender sends messages as part of a transaction.
type Sender interface {
	Send(ctx context.Context, tx *store.Tx, m Message) error
	// Dev reports whether messages go to the dev mailbox.
	Dev() bool
}

// DevSender keeps messages in the database for the dev mailbox.
type DevSender struct{}

// Send implements Sender.
func (DevSender) Send(ctx context.Context, tx *store.Tx, m Message) error {
	return tx.AddMail(ctx, &store.MailMessage{To: m.To, Subject: m.Subject, Body: m.Body})
}

// Dev implements Sender.
func (DevSender) Dev() bool { return true }

// SMTP is a relay reached at an smtp:// URL.
type SMTP struct {
	Addr     string // host:port
	Host     string
	Username string
	Password string
	From     string
	// TLS configures STARTTLS; nil means the system's roots and Host.
	TLS *tls.Config
	// Plain allows a relay without STARTTLS (only with ?starttls=false).
	Plain bool
}

// ParseSMTP reads smtp://user:pass@host:port?from=addr[&starttls=false].
func ParseSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("mail must be smtp://user:pass@host:port")
	}
	s := &SMTP{Addr: u.Host, Host: u.Hostname(), From: u.Query().Get("from")}
	if u.Port() == "" {
		s.Addr = net.JoinHostPort(u.Hostname(), "587")
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if s.From == "" {
		s.From = "kycd@" + s.Host
	}
	s.Plain = u.Query().Get("starttls") == "false"
	return s, nil
}

// Deliver sends m now, over STARTTLS unless Plain.
func (s *SMTP) Deliver(ctx context.Context, m Message) error {
	d := net.Dialer{Timeout: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if err := c.Hello("kycd"); err != nil {
		return fmt.Errorf("smtp hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	} else if !s.Plain {
		return errors.New("smtp: the relay does not offer STARTTLS (add ?starttls=false to allow plain text)")
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(format(s.From, m)); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	return c.Quit()
}

// format renders a message as RFC 5322 text with a base64 UTF-8 body.
func format(from string, m Message) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", from, m.To,
		mime.QEncoding.Encode("utf-8", m.Subject), time.Now().UTC().Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}

// SendArgs is the job that delivers one message. The body (which holds a
// code) is sealed, so the job table holds no usable secret.
type SendArgs struct {
	To         string `json:"to"`
	Subject    string `json:"subject"`
	SealedBody []byte `json:"sealed_body"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "mail_send" }

// InsertOpts gives mail a few retries over about an hour, then gives up: a
// code that arrives a day late is of no use.
func (SendArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 8} }

// QueueSender enqueues each message for a SendWorker.
type QueueSender struct {
	Queue   *queue.Queue
	Keyring *seal.Keyring
}

var bodyAAD = []byte("mail body")

// Send implements Sender.
func (s *QueueSender) Send(ctx context.Context, tx *store.Tx, m Message) error {
	sealed, err := s.Keyring.Seal([]byte(m.Body), bodyAAD)
	if err != nil {
		return err
	}
	_, err = s.Queue.Enqueue(ctx, tx, SendArgs{To: m.To, Subject: m.Subject, SealedBody: sealed}, nil)
	return err
}

// Dev implements Sender.
func (*QueueSender) Dev() bool { return false }

// SendWorker delivers queued messages over SMTP.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	SMTP    *SMTP
	Keyring *seal.Keyring
}

// Work implements river.Worker.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	body, err := w.Keyring.Open(job.Args.SealedBody, bodyAAD)
	if err != nil {
		return river.JobCancel(fmt.Errorf("open mail body: %w", err))
	}
	return w.SMTP.Deliver(ctx, Message{To: job.Args.To, Subject: job.Args.Subject, Body: string(body)})
}
