package api

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnreachable: the ways a dropped or restarting dependency surfaces are
// a 503 the client retries; errors of kycd's own are not.
func TestUnreachable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&url.Error{Op: "Put", URL: "http://s3/bucket/key", Err: io.EOF}, true}, // the S3 server closed the connection mid-answer
		{fmt.Errorf("store: %w", io.ErrUnexpectedEOF), true},
		{fmt.Errorf("store: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}), true},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		// A commit on a connection the driver had already closed (the
		// faults test, a database outage mid-request: it was a 500).
		{fmt.Errorf("create case: commit: %w", pgconn.ErrConnClosed), true},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key"}, false},
		{errors.New("seal: message authentication failed"), false},
		{nil, false},
	} {
		if got := unreachable(c.err); got != c.want {
			t.Errorf("unreachable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
