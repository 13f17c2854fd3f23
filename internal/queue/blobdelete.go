package queue

import (
	"context"

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
