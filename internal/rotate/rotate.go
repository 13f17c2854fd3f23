// Package rotate moves everything kycd has sealed to a new master key:
// every object in the blob store and every sealed column of the database.
// Only each message's data key is re-wrapped (seal.Keyring.Rewrap); the
// encrypted data is not touched. It is idempotent: what is already under
// the new key is skipped, so an interrupted rotation is simply run again.
package rotate

import (
	"context"
	"fmt"
	"io"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
)

// Counts is what a rotation changed.
type Counts struct {
	Objects, Values, Skipped int
}

// Run re-wraps under keyring's primary key (which must also hold the old
// key) the objects of raw (the blob store without its sealing layer) and
// the sealed columns of db.
func Run(ctx context.Context, db *store.DB, raw blob.Store, keyring *seal.Keyring, progress io.Writer) (Counts, error) {
	var c Counts
	rewrap := func(sealed, aad []byte) ([]byte, error) {
		if id, err := seal.KeyID(sealed); err == nil && id == keyring.PrimaryID() {
			c.Skipped++
			return nil, nil
		}
		return keyring.Rewrap(sealed, aad)
	}
	keys, err := raw.List(ctx, "")
	if err != nil {
		return c, fmt.Errorf("list the blob store: %w", err)
	}
	for i, k := range keys {
		data, err := raw.Get(ctx, k)
		if err != nil {
			return c, err
		}
		out, err := rewrap(data, []byte(k))
		if err != nil {
			return c, fmt.Errorf("object %s: %w", k, err)
		}
		if out != nil {
			if err := raw.Put(ctx, k, out); err != nil {
				return c, err
			}
			c.Objects++
		}
		if progress != nil && (i+1)%100 == 0 {
			fmt.Fprintf(progress, "\robjects %d/%d", i+1, len(keys))
		}
	}
	for _, col := range store.SealedColumns {
		n, err := db.RewrapColumn(ctx, col, rewrap)
		c.Values += n
		if err != nil {
			return c, err
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	return c, nil
}
