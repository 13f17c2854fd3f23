package blob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/blob/blobtest"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func keyring(t *testing.T) *seal.Keyring {
	t.Helper()
	k, err := seal.ParseKey(seal.GenerateKeyText())
	if err != nil {
		t.Fatal(err)
	}
	return seal.NewKeyring(k)
}

// backends returns a fresh blob URL for each backend under test.
var backends = map[string]func(t *testing.T) string{
	"disk": func(t *testing.T) string { return "file://" + filepath.Join(t.TempDir(), "blobs") },
	"s3":   func(t *testing.T) string { return testenv.S3URL(t) },
}

func TestConformance(t *testing.T) {
	for name, newURL := range backends {
		t.Run(name+"/raw", func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) blob.Store {
				s, err := blob.OpenRaw(context.Background(), newURL(t))
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
		t.Run(name+"/sealed", func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) blob.Store {
				s, err := blob.Open(context.Background(), newURL(t), keyring(t))
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// TestUnreadableWithoutMasterKey reads what the sealed store really wrote,
// through the raw backend, and checks that neither the bytes at rest nor
// another master key reveal the object.
func TestUnreadableWithoutMasterKey(t *testing.T) {
	ctx := context.Background()
	secret := []byte("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<< selfie bytes")
	for name, newURL := range backends {
		t.Run(name, func(t *testing.T) {
			u := newURL(t)
			kr := keyring(t)
			sealed, err := blob.Open(ctx, u, kr)
			if err != nil {
				t.Fatal(err)
			}
			if err := sealed.Put(ctx, "ver_x/front.jpg", secret); err != nil {
				t.Fatal(err)
			}
			raw, _ := blob.OpenRaw(ctx, u)
			atRest, err := raw.Get(ctx, "ver_x/front.jpg")
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(atRest, secret[:20]) || bytes.Contains(atRest, []byte("ERIKSSON")) {
				t.Fatalf("the stored object holds the plaintext")
			}
			if len(atRest) != len(secret)+seal.Overhead {
				t.Errorf("stored %d bytes, want %d", len(atRest), len(secret)+seal.Overhead)
			}
			other, _ := blob.Open(ctx, u, keyring(t))
			if _, err := other.Get(ctx, "ver_x/front.jpg"); !errors.Is(err, seal.ErrUnknownKey) {
				t.Errorf("Get with another master key = %v, want ErrUnknownKey", err)
			}
			// An object copied under another name does not open: the name is
			// bound into the ciphertext.
			raw.Put(ctx, "ver_y/front.jpg", atRest)
			if _, err := sealed.Get(ctx, "ver_y/front.jpg"); !errors.Is(err, seal.ErrCorrupt) {
				t.Errorf("Get of a moved object = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestDiskNoPartialFiles(t *testing.T) {
	dir := t.TempDir()
	d, err := blob.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d.Put(ctx, "a/b", []byte("x"))
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	if len(entries) != 1 || entries[0].Name() != "b" {
		t.Errorf("directory holds %v, want only b", entries)
	}
	d.Delete(ctx, "a/b")
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("empty directory a was not pruned: %v", err)
	}
}

func TestDiskUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere; use a path under a file instead
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o600)
		if _, err := blob.NewDisk(filepath.Join(f, "blobs")); err == nil {
			t.Error("NewDisk under a file = nil error")
		}
		return
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	if _, err := blob.NewDisk(filepath.Join(dir, "blobs")); err == nil {
		t.Error("NewDisk in a read-only directory = nil error")
	}
}
