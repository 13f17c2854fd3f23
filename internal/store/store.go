// Package store keeps kycd's records in SQLite (the embedded default) or
// PostgreSQL (to scale out), behind one API. Queries are hand-written SQL
// that both dialects accept; the few differences live in this file.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/mattn/go-sqlite3"

	"github.com/kycd/kycd/internal/kyc"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn carries the record methods; DB runs them on the pool, Tx inside a
// transaction.
type conn struct {
	q       queryer
	dialect string
	now     func() time.Time
	sealer  Sealer // anchors the audit trail's head; nil leaves it unanchored
}

// Sealer seals values under the master key (seal.Keyring).
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// DB is an open database.
type DB struct {
	conn
	sql *sql.DB
}

// Tx is a database transaction: the same record methods as DB, all committed
// or rolled back together (with any job enqueued in it).
type Tx struct {
	conn
	tx *sql.Tx
}

// Options tune Open.
type Options struct {
	MaxConns int              // PostgreSQL pool size; SQLite always uses one connection
	Now      func() time.Time // the clock; time.Now by default
	// Sealer anchors the head of the audit trail (AppendAudit); every
	// process that appends events should have it.
	Sealer Sealer
}

// Open connects to the database a URL names (sqlite://path or
// postgres://...) and checks that it answers. It does not migrate.
func Open(ctx context.Context, databaseURL string, opts Options) (*DB, error) {
	parsed, err := ParseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var db *sql.DB
	switch parsed.Dialect {
	case SQLite:
		if err := os.MkdirAll(filepath.Dir(parsed.DSN), 0o700); err != nil {
			return nil, fmt.Errorf("database directory: %w", err)
		}
		// WAL lets readers run beside the writer; foreign keys are off by
		// default in SQLite; the busy timeout waits out another process's
		// lock instead of failing; immediate transactions take the write
		// lock up front, so two writers never deadlock on an upgrade.
		dsn := "file:" + parsed.DSN + "?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate&_synchronous=NORMAL"
		db, err = sql.Open("sqlite3", dsn)
		if err != nil {
			return nil, err
		}
		// SQLite allows one writer at a time; River's own advice is one
		// connection, which also keeps every transaction serialised.
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
	case Postgres:
		db, err = sql.Open("pgx", parsed.DSN)
		if err != nil {
			return nil, fmt.Errorf("database-url: %w", err)
		}
		max := max(opts.MaxConns, 2)
		db.SetMaxOpenConns(max)
		db.SetMaxIdleConns(max)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database %s: %w", Redact(databaseURL), cleanErr(err))
	}
	return &DB{conn: conn{q: db, dialect: parsed.Dialect, now: opts.Now, sealer: opts.Sealer}, sql: db}, nil
}

// cleanErr shortens driver errors that repeat themselves.
func cleanErr(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return fmt.Errorf("%s", se.Error())
	}
	return err
}

// WithSealer returns db, on the same pool, with s anchoring the audit
// trail's head.
func (db *DB) WithSealer(s Sealer) *DB {
	c := *db
	c.sealer = s
	return &c
}

// Dialect is SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// SQL is the underlying pool, for the job queue.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise; an error names op, the operation that failed (its stable
// code, if any, is kept). Inside fn, use only tx: with SQLite's single
// connection, a query on the DB would wait for the transaction forever.
func (db *DB) InTx(ctx context.Context, op string, fn func(tx *Tx) error) error {
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", op, err)
	}
	tx := &Tx{conn: conn{q: sqlTx, dialect: db.dialect, now: db.now, sealer: db.sealer}, tx: sqlTx}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

// SQL is the underlying transaction, for enqueuing jobs in it.
func (tx *Tx) SQL() *sql.Tx { return tx.tx }

var placeholder = regexp.MustCompile(`\$(\d+)`)

// bind rewrites PostgreSQL's $1 placeholders as SQLite's ?1, which SQLite
// binds by number too.
func (c conn) bind(query string) string {
	if c.dialect == SQLite {
		return placeholder.ReplaceAllString(query, "?$1")
	}
	return query
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.bind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.bind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.bind(query), args...)
}

// timestamp is the clock's now in UTC, truncated to what both dialects keep.
func (c conn) timestamp() time.Time { return c.now().UTC().Truncate(time.Microsecond) }

// isUniqueViolation reports a duplicate primary or unique key.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey || se.ExtendedCode == sqlite3.ErrConstraintUnique
	}
	// pgx reports SQLSTATE 23505; match on the code, which is stable.
	type sqlState interface{ SQLState() string }
	var ps sqlState
	return errors.As(err, &ps) && ps.SQLState() == "23505"
}

func notFound(what, id string) error {
	return kyc.Errorf(kyc.NotFound, "%s %s not found", what, id)
}
