package testenv

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/store"
)

// DatabaseURL returns a fresh database URL of the dialect: a SQLite file in a
// temp dir, or a new database on the test PostgreSQL server.
func DatabaseURL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == store.Postgres {
		return PostgresURL(t)
	}
	return "sqlite://" + filepath.Join(t.TempDir(), "kycd.db")
}

// ForEachDB runs test once on a fresh, migrated SQLite database and once on a
// fresh, migrated PostgreSQL database: every store-backed suite runs on both.
// now is the store's clock (time.Now when nil).
func ForEachDB(t *testing.T, now func() time.Time, test func(t *testing.T, db *store.DB)) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			test(t, OpenDB(t, DatabaseURL(t, dialect), now))
		})
	}
}

// OpenDB opens and migrates the database at url, closing it at the end of
// the test.
func OpenDB(t testing.TB, url string, now func() time.Time) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url, store.Options{MaxConns: 6, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
