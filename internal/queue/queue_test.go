package queue_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/queue"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// fastRetry retries a failed job after 100 ms, so tests see retries quickly.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

func newQueue(t *testing.T, db *store.DB, workers *river.Workers, n int) *queue.Queue {
	t.Helper()
	q, err := queue.New(db, workers, queue.Options{Workers: n, PollInterval: 50 * time.Millisecond, RetryPolicy: fastRetry{}})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func start(t *testing.T, q *queue.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
}

// waitState polls a job until it reaches want or 20 s pass.
func waitState(t *testing.T, q *queue.Queue, id int64, want rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		job, err := q.Job(context.Background(), id)
		if err == nil && job.State == want {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d: state %v (err %v), want %s", id, job.State, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEnqueueInTransaction checks that a job lives and dies with the
// transaction of its business row, then that the blob deletion job really
// removes the object.
func TestEnqueueInTransaction(t *testing.T) {
	testenv.ForEachDB(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		blobs, err := blob.NewDisk(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, &queue.DeleteBlobWorker{Blobs: blobs})
		q := newQueue(t, db, workers, 2)
		start(t, q)

		blobs.Put(ctx, "ver_1/front.jpg", []byte("image"))
		db.CreateVerification(ctx, &kyc.Verification{ID: "ver_1"})
		db.AddBlob(ctx, &store.Blob{Key: "ver_1/front.jpg", VerificationID: "ver_1", Kind: "document_front", Size: 5})

		// Rolled back: neither the record change nor the job happen.
		var rolledBack int64
		boom := errors.New("boom")
		err = db.InTx(ctx, "test enqueue in transaction", func(tx *store.Tx) error {
			tx.DeleteBlob(ctx, "ver_1/front.jpg")
			rolledBack, err = q.Enqueue(ctx, tx, queue.DeleteBlobArgs{Key: "ver_1/front.jpg"}, nil)
			if err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx() = %v", err)
		}
		if _, err := q.Job(ctx, rolledBack); !errors.Is(err, river.ErrNotFound) {
			t.Errorf("job of a rolled-back transaction: %v, want not found", err)
		}
		if list, _ := db.ListBlobs(ctx, "ver_1"); len(list) != 1 {
			t.Errorf("blob record after rollback: %d, want 1", len(list))
		}

		// Committed: the job runs and the object is gone.
		var id int64
		err = db.InTx(ctx, "test enqueue in transaction", func(tx *store.Tx) error {
			if _, err := tx.DeleteBlob(ctx, "ver_1/front.jpg"); err != nil {
				return err
			}
			id, err = q.Enqueue(ctx, tx, queue.DeleteBlobArgs{Key: "ver_1/front.jpg"}, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, q, id, rivertype.JobStateCompleted)
		if _, err := blobs.Get(ctx, "ver_1/front.jpg"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("object after the delete job: %v, want not found", err)
		}
	})
}

// flakyArgs fails its first attempts, to exercise retries.
type flakyArgs struct {
	FailTimes int `json:"fail_times"`
}

func (flakyArgs) Kind() string { return "test_flaky" }

type flakyWorker struct {
	river.WorkerDefaults[flakyArgs]
	calls atomic.Int32
}

func (w *flakyWorker) Work(ctx context.Context, job *river.Job[flakyArgs]) error {
	w.calls.Add(1)
	if job.Attempt <= job.Args.FailTimes {
		return errors.New("transient failure")
	}
	return nil
}

func TestRetries(t *testing.T) {
	testenv.ForEachDB(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &flakyWorker{}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q := newQueue(t, db, workers, 1)
		start(t, q)
		var id int64
		db.InTx(ctx, "test retries", func(tx *store.Tx) (err error) {
			id, err = q.Enqueue(ctx, tx, flakyArgs{FailTimes: 2}, nil)
			return err
		})
		job := waitState(t, q, id, rivertype.JobStateCompleted)
		if job.Attempt != 3 || w.calls.Load() != 3 || len(job.Errors) != 2 {
			t.Errorf("attempts %d, calls %d, errors %d; want 3, 3, 2", job.Attempt, w.calls.Load(), len(job.Errors))
		}
	})
}

// slowArgs runs for a while, to exercise graceful shutdown.
type slowArgs struct{}

func (slowArgs) Kind() string { return "test_slow" }

type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	started chan struct{}
}

func (w *slowWorker) Work(ctx context.Context, job *river.Job[slowArgs]) error {
	close(w.started)
	select {
	case <-time.After(700 * time.Millisecond):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestGracefulStop stops the queue while a job runs: Stop waits for it, and
// the job is recorded as completed, not lost.
func TestGracefulStop(t *testing.T) {
	testenv.ForEachDB(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &slowWorker{started: make(chan struct{})}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q := newQueue(t, db, workers, 1)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		var id int64
		db.InTx(ctx, "test graceful stop", func(tx *store.Tx) (err error) {
			id, err = q.Enqueue(ctx, tx, slowArgs{}, nil)
			return err
		})
		select {
		case <-w.started:
		case <-time.After(20 * time.Second):
			t.Fatal("job never started")
		}
		stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		job, err := q.Job(ctx, id)
		if err != nil || job.State != rivertype.JobStateCompleted {
			t.Errorf("job after Stop: %v, %v; want completed", job.State, err)
		}
	})
}

// TestJobsSurviveRestart enqueues from an insert-only process, closes it, and
// works the job from a new process on the same database.
func TestJobsSurviveRestart(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := testenv.DatabaseURL(t, dialect)
			db1 := testenv.OpenDB(t, url, nil)
			api := newQueue(t, db1, nil, 0)
			var id int64
			db1.InTx(ctx, "test jobs survive restart", func(tx *store.Tx) (err error) {
				id, err = api.Enqueue(ctx, tx, flakyArgs{}, nil)
				return err
			})
			db1.Close()

			db2 := testenv.OpenDB(t, url, nil)
			w := &flakyWorker{}
			workers := river.NewWorkers()
			river.AddWorker(workers, w)
			q := newQueue(t, db2, workers, 1)
			start(t, q)
			waitState(t, q, id, rivertype.JobStateCompleted)
			if w.calls.Load() != 1 {
				t.Errorf("calls = %d, want 1", w.calls.Load())
			}
		})
	}
}
