// Package queue runs kycd's background jobs on River, on the same database
// as the records (SQLite or PostgreSQL). A job is enqueued in the same
// transaction as the rows it belongs to, so a job exists exactly when its
// business change was committed, and it survives a restart.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kycd/kycd/internal/store"
)

// Options tune a Queue.
type Options struct {
	// Workers is how many jobs of each queue this process runs at once
	// (the analysis queue's CPU-bound jobs, and the default queue's
	// webhooks, mail and deletions, so that a backlog of the one does not
	// hold up the other); 0 makes an
	// insert-only queue for API-only processes.
	Workers int
	// PollInterval is how often idle workers look for new jobs.
	PollInterval time.Duration
	// RetryPolicy decides when a failed job runs again; River's exponential
	// backoff (attempt^4 seconds) when nil.
	RetryPolicy river.ClientRetryPolicy
	// JobTimeout cancels a job's context after this long; 5 minutes when 0.
	JobTimeout time.Duration
	Logger     *slog.Logger
	// Periodic jobs are enqueued on a schedule by the elected leader.
	Periodic []*river.PeriodicJob
	// Middleware wraps every job this process inserts or works (metrics,
	// traces).
	Middleware []rivertype.Middleware
}

// Analysis is the queue of the jobs that read documents and decide cases:
// CPU-bound, bounded apart from the rest.
const Analysis = "analysis"

// Queue enqueues and works jobs.
type Queue struct {
	client  *river.Client[*sql.Tx]
	working bool
}

// New returns a queue on db running the workers registered in workers (nil
// for an insert-only queue). Call Start to begin working jobs.
func New(db *store.DB, workers *river.Workers, opts Options) (*Queue, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cfg := &river.Config{
		Logger:            opts.Logger.With("component", "queue"),
		FetchPollInterval: cmpOr(opts.PollInterval, 500*time.Millisecond),
		FetchCooldown:     50 * time.Millisecond,
		JobTimeout:        cmpOr(opts.JobTimeout, 5*time.Minute),
		// A job still "running" this long after it started belonged to a
		// process that died (SIGKILL, power loss): run it again.
		RescueStuckJobsAfter: cmpOr(opts.JobTimeout, 5*time.Minute) + 10*time.Second,
		RetryPolicy:          opts.RetryPolicy,
		MaxAttempts:          20,
		// Keep finished jobs a week for operators to inspect, then prune.
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
	}
	working := workers != nil && opts.Workers > 0
	if working {
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}, Analysis: {MaxWorkers: opts.Workers}}
		cfg.PeriodicJobs = opts.Periodic
	}
	cfg.Middleware = opts.Middleware
	// Neither database/sql driver can LISTEN, so workers poll.
	cfg.PollOnly = true
	client, err := river.NewClient(db.QueueDriver(), cfg)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{client: client, working: working}, nil
}

func cmpOr(d, dflt time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return dflt
}

// Start begins working jobs in the background; a no-op for an insert-only
// queue.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	return nil
}

// Stop stops fetching new jobs and waits for running ones to finish until ctx
// ends; then it cancels them, and River retries them later (on this process
// or another).
func (q *Queue) Stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = q.client.StopAndCancel(cctx)
	}
	if err != nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	return nil
}

// Enqueue adds a job in the transaction tx: it exists only if tx commits.
func (q *Queue) Enqueue(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	res, err := q.client.InsertTx(ctx, tx.SQL(), args, opts)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res.Job.ID, nil
}

// Job returns a job's current row, for status pages and tests.
func (q *Queue) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return q.client.JobGet(ctx, id)
}
