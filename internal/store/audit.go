package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// AuditEvent is one entry of the append-only audit trail. Each entry's hash
// covers its content and the previous entry's hash, so changing or removing
// any entry breaks every hash after it.
type AuditEvent struct {
	ID        int64             `json:"id"`
	At        time.Time         `json:"at"`
	Action    string            `json:"action"`
	ActorID   string            `json:"actor_id"`
	SubjectID string            `json:"subject_id"`
	Detail    map[string]string `json:"detail,omitempty"`
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
}

// auditLockID serialises appends on PostgreSQL so the chain never forks.
const auditLockID = 0x6b796364_0001

// chainHash is the hash of an event given the previous one's.
func chainHash(e *AuditEvent) string {
	detail, _ := json.Marshal(e.Detail) // map keys are sorted: stable
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", e.PrevHash, e.At.UTC().Format(time.RFC3339Nano), e.Action, e.ActorID, e.SubjectID)
	h.Write(detail)
	return hex.EncodeToString(h.Sum(nil))
}

// AppendAudit adds an event at the end of the chain. Call it inside the
// transaction of the change it records.
func (c conn) AppendAudit(ctx context.Context, e *AuditEvent) error {
	if c.dialect == Postgres {
		if _, err := c.exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(auditLockID)); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	err := c.queryRow(ctx, "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").Scan(&e.PrevHash)
	if errors.Is(err, sql.ErrNoRows) {
		e.PrevHash = ""
	} else if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	e.At = c.timestamp()
	e.Hash = chainHash(e)
	detail, _ := json.Marshal(e.Detail)
	err = c.queryRow(ctx, `INSERT INTO audit_events (at, action, actor_id, subject_id, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, e.At, e.Action, e.ActorID, e.SubjectID, string(detail), e.PrevHash, e.Hash).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// ListAudit returns the events about a subject (all when empty), oldest first.
func (c conn) ListAudit(ctx context.Context, subjectID string, limit int) ([]*AuditEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := c.query(ctx, `SELECT id, at, action, actor_id, subject_id, detail, prev_hash, hash FROM audit_events
		WHERE ($1 = '' OR subject_id = $1) ORDER BY id LIMIT $2`, subjectID, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []*AuditEvent
	for rows.Next() {
		var e AuditEvent
		var detail string
		if err := rows.Scan(&e.ID, &e.At, &e.Action, &e.ActorID, &e.SubjectID, &detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.At = e.At.UTC()
		json.Unmarshal([]byte(detail), &e.Detail)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// VerifyAudit walks the whole chain and returns the id of the first event
// whose hash does not match, or 0 when the chain is intact.
func (c conn) VerifyAudit(ctx context.Context) (int64, int, error) {
	events, err := c.ListAudit(ctx, "", 1<<31-1)
	if err != nil {
		return 0, 0, err
	}
	prev := ""
	for _, e := range events {
		if e.PrevHash != prev || chainHash(e) != e.Hash {
			return e.ID, len(events), nil
		}
		prev = e.Hash
	}
	return 0, len(events), nil
}
