package store

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// URL is a parsed database URL.
type URL struct {
	Dialect string // "sqlite" or "postgres"
	DSN     string // driver data source: a file path for SQLite, the URL for PostgreSQL
}

// ParseURL splits a database URL (sqlite://path or postgres://...) into
// its dialect and driver DSN.
func ParseURL(raw string) (URL, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return URL{}, fmt.Errorf("database-url %q has no scheme (want sqlite:// or postgres://)", Redact(raw))
	}
	switch scheme {
	case "sqlite", "sqlite3":
		if rest == "" {
			return URL{}, errors.New("database-url sqlite:// needs a file path")
		}
		return URL{Dialect: SQLite, DSN: rest}, nil
	case "postgres", "postgresql":
		if _, err := url.Parse(raw); err != nil {
			return URL{}, fmt.Errorf("database-url is not a valid URL")
		}
		return URL{Dialect: Postgres, DSN: raw}, nil
	default:
		return URL{}, fmt.Errorf("database-url scheme %q is unknown (want sqlite:// or postgres://)", scheme)
	}
}

// Redact returns raw with any password in it replaced, safe for logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
