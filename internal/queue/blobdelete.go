package queue

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/blob"
)

// DeleteBlobArgs asks for an object to be removed from the blob store. It is
// enqueued in the transaction that forgets the object's record, so the object
// is removed exactly when that change commits, and retried until it is gone.
type DeleteBlobArgs struct {
	Key string `json:"key"`
}

// Kind implements river.JobArgs.
func (DeleteBlobArgs) Kind() string { return "blob_delete" }

// DeleteBlobWorker works DeleteBlobArgs jobs.
type DeleteBlobWorker struct {
	river.WorkerDefaults[DeleteBlobArgs]
	Blobs blob.Store
}

// Work implements river.Worker.
func (w *DeleteBlobWorker) Work(ctx context.Context, job *river.Job[DeleteBlobArgs]) error {
	return w.Blobs.Delete(ctx, job.Args.Key)
}

// DeletePrefixArgs asks for every object whose key starts with Prefix to be
// removed: the objects of an erased case, including any that a crashed
// upload left without a record. Erasure enqueues it twice: at once, and
// again after PrefixSweepDelay, to catch an image a request still in flight
// stored after the first pass.
type DeletePrefixArgs struct {
	Prefix string `json:"prefix"`
}

// Kind implements river.JobArgs.
func (DeletePrefixArgs) Kind() string { return "blob_delete_prefix" }

// PrefixSweepDelay is how long after an erasure the second pass runs:
// longer than a liveness session or an upload can still be running.
const PrefixSweepDelay = 15 * time.Minute

// DeletePrefixWorker works DeletePrefixArgs jobs.
type DeletePrefixWorker struct {
	river.WorkerDefaults[DeletePrefixArgs]
	Blobs blob.Store
}

// Work implements river.Worker. A prefix that does not name a case's folder
// is refused: it must never widen into the whole store.
func (w *DeletePrefixWorker) Work(ctx context.Context, job *river.Job[DeletePrefixArgs]) error {
	p := job.Args.Prefix
	if !strings.HasSuffix(p, "/") || strings.Count(p, "/") < 2 || !blob.ValidKey(strings.TrimSuffix(p, "/")) {
		return river.JobCancel(fmt.Errorf("refusing to delete under prefix %q", p))
	}
	keys, err := w.Blobs.List(ctx, p)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := w.Blobs.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
