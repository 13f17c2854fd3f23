package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Blob records an object kycd put in the blob store, so that erasure and
// retention can find every object of a verification.
type Blob struct {
	Key            string
	VerificationID string
	Kind           string // "reference", "audit", "document_front", ...
	Size           int64
	CreatedAt      time.Time
}

// AddBlob records an object.
func (c conn) AddBlob(ctx context.Context, b *Blob) error {
	b.CreatedAt = c.timestamp()
	var vid sql.NullString
	if b.VerificationID != "" {
		vid = sql.NullString{String: b.VerificationID, Valid: true}
	}
	_, err := c.exec(ctx, `INSERT INTO blobs (key, verification_id, kind, size, created_at) VALUES ($1, $2, $3, $4, $5)`,
		b.Key, vid, b.Kind, b.Size, b.CreatedAt)
	if err != nil {
		return fmt.Errorf("add blob: %w", err)
	}
	return nil
}

// RecordBlob records an object unless it is recorded already (an image
// replaced under the same key).
func (c conn) RecordBlob(ctx context.Context, b *Blob) error {
	b.CreatedAt = c.timestamp()
	var vid sql.NullString
	if b.VerificationID != "" {
		vid = sql.NullString{String: b.VerificationID, Valid: true}
	}
	_, err := c.exec(ctx, `INSERT INTO blobs (key, verification_id, kind, size, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO NOTHING`, b.Key, vid, b.Kind, b.Size, b.CreatedAt)
	if err != nil {
		return fmt.Errorf("record blob: %w", err)
	}
	return nil
}

// ListBlobs returns the objects recorded for a verification, by key.
func (c conn) ListBlobs(ctx context.Context, verificationID string) ([]*Blob, error) {
	rows, err := c.query(ctx, `SELECT key, COALESCE(verification_id, ''), kind, size, created_at FROM blobs
		WHERE verification_id = $1 ORDER BY key`, verificationID)
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	defer rows.Close()
	var out []*Blob
	for rows.Next() {
		var b Blob
		if err := rows.Scan(&b.Key, &b.VerificationID, &b.Kind, &b.Size, &b.CreatedAt); err != nil {
			return nil, fmt.Errorf("list blobs: %w", err)
		}
		b.CreatedAt = b.CreatedAt.UTC()
		out = append(out, &b)
	}
	return out, rows.Err()
}

// DeleteBlob forgets an object's record; it reports whether there was one.
// The object itself is deleted by a job enqueued in the same transaction.
func (c conn) DeleteBlob(ctx context.Context, key string) (bool, error) {
	res, err := c.exec(ctx, "DELETE FROM blobs WHERE key = $1", key)
	if err != nil {
		return false, fmt.Errorf("delete blob: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
