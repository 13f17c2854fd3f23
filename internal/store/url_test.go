package store

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	got := Redact("postgres://kycd:hunter2@db:5432/kycd")
	if strings.Contains(got, "hunter2") {
		t.Errorf("Redact() = %q still holds the password", got)
	}
}

func TestParseURL(t *testing.T) {
	for raw, dialect := range map[string]string{"sqlite:///data/kycd.db": SQLite, "postgres://u:p@h:5432/kycd": Postgres,
		"postgresql://h/db": Postgres, "mysql://h/db": "", "kycd.db": "", "sqlite://": ""} {
		u, err := ParseURL(raw)
		if (err == nil) != (dialect != "") || u.Dialect != dialect {
			t.Errorf("ParseURL(%q) = %+v, %v; want dialect %q", raw, u, err, dialect)
		}
	}
}
