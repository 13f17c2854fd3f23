// Package blob stores private objects (images, audit frames) on a local disk
// or in any S3-compatible object store, always encrypted before they leave the
// process. Every backend passes the same conformance suite (blobtest).
package blob

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/seal"
)

// Store is a flat namespace of objects named by slash-separated keys.
type Store interface {
	// Put writes data under key, replacing any object there, all or nothing.
	Put(ctx context.Context, key string, data []byte) error
	// Get returns the object at key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes the object at key; deleting a missing object is no error.
	Delete(ctx context.Context, key string) error
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Ping checks that the store can be reached.
	Ping(ctx context.Context) error
}

// ErrNotFound is returned (wrapped) by Get for a key that holds no object.
var ErrNotFound = kyc.Errorf(kyc.NotFound, "object not found")

// ValidKey reports whether key can name an object: 1 to 512 bytes of
// segments separated by '/', each made of letters, digits, '.', '_' and '-',
// none empty and none starting with a dot. Keys are made by kycd, never taken
// from a request, but the check keeps a bug from escaping the store's root.
func ValidKey(key string) bool {
	if key == "" || len(key) > 512 {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				return false
			}
		}
	}
	return true
}

func checkKey(key string) error {
	if !ValidKey(key) {
		return kyc.Errorf(kyc.Invalid, "invalid object key %q", key)
	}
	return nil
}

// Open returns the store a blob URL names (file:///dir or
// s3://bucket/prefix?endpoint=...&region=...), encrypted under keyring.
func Open(ctx context.Context, rawURL string, keyring *seal.Keyring) (Store, error) {
	raw, err := OpenRaw(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return Sealed(raw, keyring), nil
}

// OpenRaw returns the store a blob URL names, without encryption. Only tests
// and tools that inspect what is really stored should use it.
func OpenRaw(ctx context.Context, rawURL string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("blob-url: %w", err)
	}
	switch u.Scheme {
	case "file":
		return NewDisk(u.Host + u.Path)
	case "s3":
		return NewS3(ctx, u)
	default:
		return nil, fmt.Errorf("blob-url scheme %q is unknown (want file:// or s3://)", u.Scheme)
	}
}
