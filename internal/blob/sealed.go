package blob

import (
	"context"
	"fmt"

	"github.com/kycd/kycd/internal/seal"
)

// sealedStore encrypts every object with envelope encryption before handing
// it to the store beneath, binding each object to its key.
type sealedStore struct {
	Store
	keyring *seal.Keyring
}

// Sealed wraps s so that every object is encrypted under keyring.
func Sealed(s Store, keyring *seal.Keyring) Store {
	return &sealedStore{Store: s, keyring: keyring}
}

func (s *sealedStore) Put(ctx context.Context, key string, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	sealed, err := s.keyring.Seal(data, []byte(key))
	if err != nil {
		return fmt.Errorf("seal %s: %w", key, err)
	}
	return s.Store.Put(ctx, key, sealed)
}

func (s *sealedStore) Get(ctx context.Context, key string) ([]byte, error) {
	sealed, err := s.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	data, err := s.keyring.Open(sealed, []byte(key))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	return data, nil
}
