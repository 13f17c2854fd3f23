package journey

import (
	"context"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/queue"
	"github.com/kycd/kycd/internal/store"
)

// Erase removes a case's images and personal and biometric data: the
// document and portrait images, the liveness images and state (they hold
// the face embedding), the face template and the sealed details. A
// tombstone stays (id, reference, status erased, the decision's reasons and
// times) and so does the audit trail. The case's applicant or an admin may
// erase it; blobs are deleted by jobs enqueued in the same transaction, so
// they go exactly when the records do, and are retried until gone.
func (s *Service) Erase(ctx context.Context, p *kyc.Principal, id string) (*kyc.Verification, error) {
	v, err := s.load(ctx, p, id, false)
	if err != nil {
		return nil, err
	}
	if !p.Owns(v) && !p.Has(kyc.RoleAdmin) {
		return nil, kyc.Errorf(kyc.Forbidden, "only the case's applicant or integrator, or an admin, can erase a verification")
	}
	if v.Status == kyc.StatusProcessing {
		return nil, kyc.Errorf(kyc.Conflict, "the verification is being decided; erase it once it is decided")
	}
	return v, s.erase(ctx, v, p.ID(), "request")
}

func (s *Service) erase(ctx context.Context, v *kyc.Verification, actor, why string) error {
	if v.Status == kyc.StatusErased {
		return nil
	}
	return s.db.InTx(ctx, "erase case", func(tx *store.Tx) error {
		// Every object the ledger knows of, every image any liveness
		// session recorded, and then everything under the case's folder:
		// what a crashed upload or a request still in flight left behind.
		blobs, err := tx.ListBlobs(ctx, v.ID)
		if err != nil {
			return err
		}
		keys, err := tx.ListLivenessImages(ctx, v.ID)
		if err != nil {
			return err
		}
		for _, b := range blobs {
			keys = append(keys, b.Key)
		}
		if err := s.deleteLater(ctx, tx, keys...); err != nil {
			return err
		}
		prefix := queue.DeletePrefixArgs{Prefix: kyc.CasePrefix(v.ID)}
		if _, err := s.queue.Enqueue(ctx, tx, prefix, nil); err != nil {
			return err
		}
		later := &river.InsertOpts{ScheduledAt: s.o.Now().Add(queue.PrefixSweepDelay)}
		if _, err := s.queue.Enqueue(ctx, tx, prefix, later); err != nil {
			return err
		}
		if err := tx.DeleteLivenessSessions(ctx, v.ID); err != nil {
			return err
		}
		if err := tx.DeleteFaceTemplate(ctx, v.ID); err != nil {
			return err
		}
		if err := tx.SetVerificationTerms(ctx, v.ID, nil); err != nil {
			return err
		}
		v.Status, v.Details, v.ErasedAt, v.DocumentStatus = kyc.StatusErased, nil, s.o.Now(), ""
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.erased", ActorID: actor, SubjectID: v.ID,
			Detail: map[string]string{"why": why, "objects": strconv.Itoa(len(keys))}})
	})
}

// deleteLater forgets blob records and queues the objects' deletion, in tx.
func (s *Service) deleteLater(ctx context.Context, tx *store.Tx, keys ...string) error {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if _, err := tx.DeleteBlob(ctx, k); err != nil {
			return err
		}
		if _, err := s.queue.Enqueue(ctx, tx, queue.DeleteBlobArgs{Key: k}, nil); err != nil {
			return err
		}
	}
	return nil
}

// RetentionArgs is the periodic retention sweep.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return "retention_sweep" }

// RetentionWorker expires abandoned cases and erases decided ones whose
// retention has passed.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	S *Service
}

// Work implements river.Worker.
func (w *RetentionWorker) Work(ctx context.Context, job *river.Job[RetentionArgs]) error {
	_, err := w.S.Sweep(ctx)
	return err
}

// StaleAfter is how long an unfinished case (not submitted) may sit before
// it expires.
const StaleAfter = 7 * 24 * time.Hour

// expireStale moves cases abandoned before submission to expired; their
// data then follows the retention like a decision's.
func (s *Service) expireStale(ctx context.Context) (int, error) {
	ids, err := s.db.StaleVerifications(ctx, s.o.Now().Add(-StaleAfter), 500)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		v, err := s.db.GetVerification(ctx, id)
		if err != nil {
			return 0, err
		}
		v.Status, v.DecidedBy, v.DecidedAt = kyc.StatusExpired, "system", s.o.Now()
		err = s.db.InTx(ctx, "expire stale", func(tx *store.Tx) error {
			if err := tx.SaveVerification(ctx, v); err != nil {
				return err
			}
			return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.expired", ActorID: "system", SubjectID: v.ID})
		})
		if err != nil && kyc.ErrorCode(err) != kyc.Conflict { // a conflict: the applicant came back meanwhile
			return 0, err
		}
	}
	return len(ids), nil
}

// Sweep ends liveness sessions left open past their expiry, forgets old
// sign-in attempts, expires abandoned cases and erases every decided or
// expired case older than the retention; it returns how many it erased.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if _, err := s.db.EndOpenLiveness(ctx, "", s.o.Now(), false); err != nil {
		return 0, err
	}
	if _, err := s.db.ForgetLoginAttempts(ctx, s.o.Now().Add(-24*time.Hour)); err != nil {
		return 0, err
	}
	if _, err := s.expireStale(ctx); err != nil {
		return 0, err
	}
	if s.o.Rules.Retention <= 0 {
		return 0, nil
	}
	n := 0
	for {
		ids, err := s.db.DueForRetention(ctx, s.o.Now().Add(-s.o.Rules.Retention), 100)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			v, err := s.db.GetVerification(ctx, id)
			if err != nil {
				return n, err
			}
			if err := s.erase(ctx, v, "system", "retention"); err != nil {
				return n, err
			}
			n++
		}
	}
}

// RetentionPeriod is how often the sweep runs.
const RetentionPeriod = time.Hour
