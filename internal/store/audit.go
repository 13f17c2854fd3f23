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
	ID        int64
	At        time.Time
	Action    string
	ActorID   string
	SubjectID string
	Detail    map[string]string
	PrevHash  string
	Hash      string
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
	return c.anchorHead(ctx, auditHead{ID: e.ID, Hash: e.Hash})
}

// auditHead is the newest event of the chain, kept sealed under the master
// key outside the events table: removing the newest events (which leaves
// the rest of the chain intact) no longer matches it, and it cannot be
// rewritten to match without the key.
type auditHead struct {
	ID   int64  `json:"id"`
	Hash string `json:"hash"`
}

const auditHeadAAD = "audit head head" // SealedColumns: "audit head " + the row id

// anchorHead records the chain's newest event, sealed, in the transaction
// that appended it.
func (c conn) anchorHead(ctx context.Context, h auditHead) error {
	if c.sealer == nil {
		return nil
	}
	plain, _ := json.Marshal(h)
	sealed, err := c.sealer.Seal(plain, []byte(auditHeadAAD))
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	_, err = c.exec(ctx, `INSERT INTO audit_head (id, sealed) VALUES ('head', $1)
		ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed`, sealed)
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// AnchorAuditHead anchors the head of a trail that has none yet (a
// database from before heads were kept): it returns whether it did. A
// process that starts with the master key calls it once.
func (db *DB) AnchorAuditHead(ctx context.Context) (bool, error) {
	anchored := false
	err := db.InTx(ctx, "anchor audit head", func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM audit_head").Scan(&n); err != nil || n > 0 {
			return err
		}
		var h auditHead
		err := tx.queryRow(ctx, "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").Scan(&h.ID, &h.Hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		anchored = true
		return tx.anchorHead(ctx, h)
	})
	return anchored, err
}

// VerifyAuditHead checks that the newest event of the trail is the one the
// sealed head names: nil when it is (or the trail is empty), an error
// saying what is wrong otherwise. It needs the Sealer.
func (c conn) VerifyAuditHead(ctx context.Context) error {
	if c.sealer == nil {
		return errors.New("the audit head cannot be checked without the master key")
	}
	var last auditHead
	err := c.queryRow(ctx, "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").Scan(&last.ID, &last.Hash)
	empty := errors.Is(err, sql.ErrNoRows)
	if err != nil && !empty {
		return fmt.Errorf("audit head: %w", err)
	}
	var sealed []byte
	err = c.queryRow(ctx, "SELECT sealed FROM audit_head WHERE id = 'head'").Scan(&sealed)
	switch {
	case errors.Is(err, sql.ErrNoRows) && empty:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return errors.New("the audit trail has no anchored head: it was removed, or this database predates heads and no kycd process with the master key has started on it since")
	case err != nil:
		return fmt.Errorf("audit head: %w", err)
	}
	plain, err := c.sealer.Open(sealed, []byte(auditHeadAAD))
	if err != nil {
		return errors.New("the audit trail's head does not open with the master key: it was altered or copied from elsewhere")
	}
	var head auditHead
	if err := json.Unmarshal(plain, &head); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	if head != last {
		return fmt.Errorf("the newest event is %d but the anchored head is event %d: events after %d were removed (or the head is an old copy)",
			last.ID, head.ID, min(last.ID, head.ID))
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
