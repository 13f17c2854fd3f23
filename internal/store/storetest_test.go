package store_test

import (
	"os"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// forEachDB runs a test on SQLite and on PostgreSQL with a test clock: the
// store's conformance suite.
func forEachDB(t *testing.T, test func(t *testing.T, db *store.DB, clk *clock)) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clk := &clock{}
	testenv.ForEachDB(t, clk.Now, func(t *testing.T, db *store.DB) {
		// The subtests run one after another; each starts the clock anew.
		clk.t = start
		test(t, db, clk)
	})
}
