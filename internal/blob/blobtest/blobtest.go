// Package blobtest is the conformance suite every blob.Store must pass.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/kyc"
)

// Run runs the suite; newStore returns a new, empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := context.Background()

	t.Run("PutGet", func(t *testing.T) {
		s := newStore(t)
		for _, data := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("0123456789abcdef"), 300_000)} {
			if err := s.Put(ctx, "v/a/front.jpg", data); err != nil {
				t.Fatalf("Put(%d bytes) = %v", len(data), err)
			}
			got, err := s.Get(ctx, "v/a/front.jpg")
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get() = %d bytes, %v; want %d bytes", len(got), err, len(data))
			}
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		s := newStore(t)
		s.Put(ctx, "k", []byte("one"))
		if err := s.Put(ctx, "k", []byte("two")); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, "k"); string(got) != "two" {
			t.Errorf("Get() after overwrite = %q, want two", got)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Get(ctx, "no/such/object")
		if !errors.Is(err, blob.ErrNotFound) || kyc.ErrorCode(err) != kyc.NotFound {
			t.Errorf("Get(missing) = %v, want ErrNotFound", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		s.Put(ctx, "d/1", []byte("x"))
		if err := s.Delete(ctx, "d/1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "d/1"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get() after Delete = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "d/1"); err != nil {
			t.Errorf("second Delete() = %v, want nil", err)
		}
		if keys, _ := s.List(ctx, ""); len(keys) != 0 {
			t.Errorf("List() after Delete = %v, want empty", keys)
		}
	})

	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		want := []string{"ver_1/audit-0.jpg", "ver_1/audit-1.jpg", "ver_1/reference.jpg", "ver_10/front.jpg"}
		for _, k := range append(slices.Clone(want), "ver_2/front.jpg") {
			if err := s.Put(ctx, k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.List(ctx, "ver_1")
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("List(ver_1) = %v, %v; want %v", got, err, want)
		}
		got, _ = s.List(ctx, "ver_1/")
		if !slices.Equal(got, want[:3]) {
			t.Errorf("List(ver_1/) = %v, want %v", got, want[:3])
		}
		if got, _ := s.List(ctx, "nothing"); len(got) != 0 {
			t.Errorf("List(nothing) = %v, want empty", got)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		s := newStore(t)
		for _, key := range []string{"", "../escape", "a/../../b", "/abs", "a//b", ".hidden", "a/.tmp", "sp ace", "a\x00b"} {
			if err := s.Put(ctx, key, []byte("x")); kyc.ErrorCode(err) != kyc.Invalid {
				t.Errorf("Put(%q) = %v, want invalid", key, err)
			}
			if _, err := s.Get(ctx, key); kyc.ErrorCode(err) != kyc.Invalid {
				t.Errorf("Get(%q) = %v, want invalid", key, err)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Go(func() {
				key := fmt.Sprintf("c/%02d", i)
				if err := s.Put(ctx, key, []byte(key)); err != nil {
					errs <- err
					return
				}
				if got, err := s.Get(ctx, key); err != nil || string(got) != key {
					errs <- fmt.Errorf("Get(%s) = %q, %v", key, got, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if keys, _ := s.List(ctx, "c/"); len(keys) != 16 {
			t.Errorf("List() = %d keys, want 16", len(keys))
		}
	})

	t.Run("Ping", func(t *testing.T) {
		if err := newStore(t).Ping(ctx); err != nil {
			t.Errorf("Ping() = %v", err)
		}
	})
}
