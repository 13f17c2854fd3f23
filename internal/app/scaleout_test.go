package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/queue"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
)

// testScaleOutJob stores an object in the shared bucket, enqueues its
// deletion in the shared database from an insert-only client, and waits for
// a running kycd process to work the job.
func testScaleOutJob(t *testing.T, dbURL, blobURL, keyFile string) {
	ctx := context.Background()
	key, err := seal.LoadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.Open(ctx, blobURL, seal.NewKeyring(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := blobs.Put(ctx, "scaleout/object.jpg", []byte("shared")); err != nil {
		t.Fatal(err)
	}
	db := testenv.OpenDB(t, dbURL, nil)
	q, err := queue.New(db, nil, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, "test scale out job", func(tx *store.Tx) error {
		_, err := q.Enqueue(ctx, tx, queue.DeleteBlobArgs{Key: "scaleout/object.jpg"}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := blobs.Get(ctx, "scaleout/object.jpg")
		if errors.Is(err, blob.ErrNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shared job was not worked within 30 s: object still there (%v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
