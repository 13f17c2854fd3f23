package store

import (
	"context"
	"fmt"
	"time"
)

// MailMessage is an e-mail kept by the dev mailbox.
type MailMessage struct {
	To      string
	Subject string
	Body    string
	SentAt  time.Time
}

// AddMail keeps a message in the dev mailbox.
func (c conn) AddMail(ctx context.Context, m *MailMessage) error {
	m.SentAt = c.timestamp()
	_, err := c.exec(ctx, "INSERT INTO mail_messages (to_addr, subject, body, sent_at) VALUES ($1, $2, $3, $4)",
		m.To, m.Subject, m.Body, m.SentAt)
	if err != nil {
		return fmt.Errorf("add mail: %w", err)
	}
	return nil
}

// ListMail returns the dev mailbox's messages to an address, newest first.
func (c conn) ListMail(ctx context.Context, to string) ([]*MailMessage, error) {
	rows, err := c.query(ctx, "SELECT to_addr, subject, body, sent_at FROM mail_messages WHERE to_addr = $1 ORDER BY id DESC LIMIT 50", to)
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", err)
	}
	defer rows.Close()
	out := []*MailMessage{}
	for rows.Next() {
		var m MailMessage
		if err := rows.Scan(&m.To, &m.Subject, &m.Body, &m.SentAt); err != nil {
			return nil, fmt.Errorf("list mail: %w", err)
		}
		m.SentAt = m.SentAt.UTC()
		out = append(out, &m)
	}
	return out, rows.Err()
}
