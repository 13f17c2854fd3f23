package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/config"
	"github.com/kycd/kycd/internal/store"
)

// manifest describes a backup: what it holds and under which key.
type manifest struct {
	Version       string    `json:"kycd_version"`
	Schema        int64     `json:"schema_version"`
	Dialect       string    `json:"database"`
	MasterKeyID   string    `json:"master_key_id"` // the key that opens it (keep a copy apart)
	Objects       int       `json:"objects"`
	Database      string    `json:"database_file,omitempty"`
	TakenAt       time.Time `json:"taken_at"`
	DatabaseNotes string    `json:"database_notes,omitempty"`
}

// sqlitePath is the file of a sqlite:// database URL.
func sqlitePath(cfg *config.Config) (string, bool) {
	u, err := store.ParseURL(cfg.DatabaseURL)
	if err != nil || u.Dialect != store.SQLite {
		return "", false
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(u.DSN, "file:"), "?")
	return path, true
}

// backup writes a consistent copy of a running (or stopped) kycd to a new
// directory: the SQLite database by VACUUM INTO (a snapshot taken in one
// read transaction while kycd keeps serving), then every blob as stored
// (still sealed: the backup is as safe as the original, and as useless
// without the master key). The database goes first: an object the
// snapshot names and that is gone by the copy was erased meanwhile, while
// the other order would miss the images of cases started between the two.
// With PostgreSQL the database is pg_dump's (the blobs are copied, and the
// manifest says what to run).
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	own, rest, err := splitFlags(args, "out")
	if err != nil {
		return err
	}
	out := own["out"]
	if out == "" {
		return errors.New("usage: kycd backup --out DIR [options] (DIR must not exist)")
	}
	cfg, log, err := loadConfig("backup", rest, stdout, stderr)
	if err != nil {
		return err
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists: a backup goes to a new directory", out)
	}
	if err := os.MkdirAll(filepath.Join(out, "blobs"), 0o700); err != nil {
		return err
	}
	keyring, err := loadKeyring(cfg, log)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	m := manifest{Version: Version, Dialect: db.Dialect(), MasterKeyID: keyring.PrimaryID(), TakenAt: time.Now().UTC()}
	if m.Schema, err = db.SchemaVersion(ctx); err != nil {
		return err
	}
	if _, ok := sqlitePath(cfg); ok {
		m.Database = "kycd.db"
		abs, err := filepath.Abs(filepath.Join(out, m.Database))
		if err != nil {
			return err
		}
		if _, err := db.SQL().ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
			return fmt.Errorf("snapshot the database: %w", err)
		}
		os.Chmod(abs, 0o600)
	} else {
		m.DatabaseNotes = "PostgreSQL: take the database with pg_dump --format=custom before copying the blobs, restore it with pg_restore"
		fmt.Fprintln(stderr, "PostgreSQL: this backup holds the blobs only; "+m.DatabaseNotes)
	}
	raw, err := blob.OpenRaw(ctx, cfg.BlobURL)
	if err != nil {
		return err
	}
	keys, err := raw.List(ctx, "")
	if err != nil {
		return fmt.Errorf("list the blob store: %w", err)
	}
	for i, k := range keys {
		data, err := raw.Get(ctx, k)
		if errors.Is(err, blob.ErrNotFound) {
			continue // deleted since the listing: erased
		}
		if err != nil {
			return err
		}
		if err := writeObject(filepath.Join(out, "blobs"), k, data); err != nil {
			return err
		}
		m.Objects++
		if (i+1)%100 == 0 {
			fmt.Fprintf(stderr, "\robjects %d/%d", i+1, len(keys))
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "manifest.json"), append(b, '\n'), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up schema %d and %d objects to %s (sealed under master key %s: keep that key apart from the backup)\n",
		m.Schema, m.Objects, out, m.MasterKeyID)
	return nil
}

// writeObject stores one blob under dir by its key, refusing keys that
// would leave dir.
func writeObject(dir, key string, data []byte) error {
	path := filepath.Join(dir, filepath.FromSlash(key))
	if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
		return fmt.Errorf("object key %q leaves the backup directory", key)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// restore brings a backup back into the configured, empty, database and
// blob store: kycd must be stopped. The master key must be the one the
// manifest names (or a keyring that holds it).
func restore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	own, rest, err := splitFlags(args, "from")
	if err != nil {
		return err
	}
	from := own["from"]
	if from == "" {
		return errors.New("usage: kycd restore --from DIR [options] (into an empty database and blob store, kycd stopped)")
	}
	cfg, _, err := loadConfig("restore", rest, stdout, stderr)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(from, "manifest.json"))
	if err != nil {
		return fmt.Errorf("%s is not a kycd backup: %w", from, err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("the backup's manifest: %w", err)
	}
	if m.Database != "" {
		path, ok := sqlitePath(cfg)
		if !ok {
			return errors.New("the backup holds a SQLite database: restore it with a sqlite:// database-url")
		}
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s exists: restore into an empty data directory", path)
		}
		data, err := os.ReadFile(filepath.Join(from, m.Database))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
	}
	raw, err := blob.OpenRaw(ctx, cfg.BlobURL)
	if err != nil {
		return err
	}
	if keys, err := raw.List(ctx, ""); err != nil {
		return err
	} else if len(keys) > 0 {
		return fmt.Errorf("the blob store holds %d objects: restore into an empty one", len(keys))
	}
	root := filepath.Join(from, "blobs")
	n := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		return raw.Put(ctx, filepath.ToSlash(rel), data)
	})
	if err != nil {
		return fmt.Errorf("restore the blobs: %w", err)
	}
	fmt.Fprintf(stdout, "restored schema %d and %d objects (sealed under master key %s); run kycd audit verify, then kycd serve\n", m.Schema, n, m.MasterKeyID)
	return nil
}
