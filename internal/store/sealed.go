package store

import (
	"context"
	"fmt"
)

// SealedColumn is a column whose values are sealed by the caller, with the
// associated data each value was sealed with: Prefix + the row's id.
type SealedColumn struct {
	Table, IDColumn, Column, Prefix string
}

// SealedColumns lists every sealed column of kycd's tables. A new sealed
// column must be added here, or a key rotation leaves it behind (the
// rotation test checks each of these).
var SealedColumns = []SealedColumn{
	{"verifications", "id", "details", "verification details "},
	{"face_templates", "verification_id", "embedding", "face template "},
	{"webhooks", "id", "secret", "webhook secret "},
	{"webhooks", "id", "target", "webhook url "},
	{"liveness_sessions", "id", "state", "liveness:"},
	{"users", "id", "totp_secret", "totp:"},
	{"audit_head", "id", "sealed", "audit head "},
}

// RewrapColumn rewrites each non-empty value of col with fn (given the
// value and its associated data), row by row, and returns how many it
// changed. fn returns nil to leave a value as it is.
func (db *DB) RewrapColumn(ctx context.Context, col SealedColumn, fn func(sealed, aad []byte) ([]byte, error)) (int, error) {
	rows, err := db.query(ctx, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s IS NOT NULL", col.IDColumn, col.Column, col.Table, col.Column))
	if err != nil {
		return 0, fmt.Errorf("read %s.%s: %w", col.Table, col.Column, err)
	}
	type row struct {
		id     string
		sealed []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.sealed); err != nil {
			rows.Close()
			return 0, err
		}
		if len(r.sealed) > 0 {
			all = append(all, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range all {
		out, err := fn(r.sealed, []byte(col.Prefix+r.id))
		if err != nil {
			return n, fmt.Errorf("%s.%s of %s: %w", col.Table, col.Column, r.id, err)
		}
		if out == nil {
			continue
		}
		if _, err := db.exec(ctx, fmt.Sprintf("UPDATE %s SET %s = $1 WHERE %s = $2", col.Table, col.Column, col.IDColumn), out, r.id); err != nil {
			return n, fmt.Errorf("write %s.%s of %s: %w", col.Table, col.Column, r.id, err)
		}
		n++
	}
	return n, nil
}
