package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
)

func TestVerificationLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		v := &kyc.Verification{ID: "ver_1", UserID: "usr_1", Reference: "crm-42"}
		if err := db.CreateVerification(ctx, v); err != nil {
			t.Fatal(err)
		}
		if v.Status != kyc.StatusCreated || v.Version != 1 {
			t.Errorf("created %v, want status created at version 1", v)
		}
		got, err := db.GetVerification(ctx, "ver_1")
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != "usr_1" || got.Reference != "crm-42" || !got.CreatedAt.Equal(clk.t) {
			t.Errorf("GetVerification() = %+v", got)
		}
		clk.Advance(time.Minute)
		moved, err := db.SetVerificationStatus(ctx, "ver_1", 1, kyc.StatusLivenessPassed)
		if err != nil {
			t.Fatal(err)
		}
		if moved.Version != 2 || !moved.UpdatedAt.Equal(clk.t) {
			t.Errorf("SetVerificationStatus() = %+v", moved)
		}
		again, _ := db.GetVerification(ctx, "ver_1")
		if again.Status != kyc.StatusLivenessPassed || again.Version != 2 || !again.UpdatedAt.Equal(clk.t) {
			t.Errorf("after update GetVerification() = %+v", again)
		}
	})
}

func TestVerificationErrors(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		db.CreateVerification(ctx, &kyc.Verification{ID: "ver_1"})
		tests := []struct {
			name string
			err  error
			want kyc.Code
		}{
			{"duplicate id", db.CreateVerification(ctx, &kyc.Verification{ID: "ver_1"}), kyc.Conflict},
			{"missing id", db.CreateVerification(ctx, &kyc.Verification{}), kyc.Invalid},
			{"get unknown", func() error { _, err := db.GetVerification(ctx, "ver_x"); return err }(), kyc.NotFound},
			{"stale version", func() error {
				_, err := db.SetVerificationStatus(ctx, "ver_1", 7, kyc.StatusLivenessPassed)
				return err
			}(), kyc.Conflict},
			{"illegal transition", func() error { _, err := db.SetVerificationStatus(ctx, "ver_1", 1, kyc.StatusApproved); return err }(), kyc.Conflict},
			{"update unknown", func() error { _, err := db.SetVerificationStatus(ctx, "ver_x", 1, kyc.StatusExpired); return err }(), kyc.NotFound},
		}
		for _, tt := range tests {
			if got := kyc.ErrorCode(tt.err); got != tt.want {
				t.Errorf("%s: error %v, want code %s", tt.name, tt.err, tt.want)
			}
		}
	})
}

// TestConcurrentUpdates races many writers on one version: exactly one wins,
// the others get conflict, and the record is not corrupted.
func TestConcurrentUpdates(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		db.CreateVerification(ctx, &kyc.Verification{ID: "ver_1"})
		var wg sync.WaitGroup
		results := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				results <- db.InTx(ctx, "test concurrent updates", func(tx *store.Tx) error {
					_, err := tx.SetVerificationStatus(ctx, "ver_1", 1, kyc.StatusLivenessPassed)
					return err
				})
			})
		}
		wg.Wait()
		close(results)
		won, conflicts := 0, 0
		for err := range results {
			switch kyc.ErrorCode(err) {
			case "":
				won++
			case kyc.Conflict:
				conflicts++
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if won != 1 || conflicts != 7 {
			t.Errorf("won %d, conflicts %d; want 1 and 7", won, conflicts)
		}
		v, _ := db.GetVerification(ctx, "ver_1")
		if v.Version != 2 {
			t.Errorf("version = %d, want 2", v.Version)
		}
	})
}

func TestTxRollback(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.InTx(ctx, "test tx rollback", func(tx *store.Tx) error {
			if err := tx.CreateVerification(ctx, &kyc.Verification{ID: "ver_r"}); err != nil {
				return err
			}
			if _, err := tx.GetVerification(ctx, "ver_r"); err != nil {
				return fmt.Errorf("read own write: %w", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx() = %v, want boom", err)
		}
		if _, err := db.GetVerification(ctx, "ver_r"); kyc.ErrorCode(err) != kyc.NotFound {
			t.Errorf("rolled-back verification exists: %v", err)
		}
	})
}

func TestListVerifications(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		for i := range 5 {
			clk.Advance(time.Second)
			db.CreateVerification(ctx, &kyc.Verification{ID: fmt.Sprintf("ver_%d", i), UserID: fmt.Sprintf("usr_%d", i%2)})
		}
		db.SetVerificationStatus(ctx, "ver_3", 1, kyc.StatusExpired)
		tests := []struct {
			f    store.VerificationFilter
			want string
		}{
			{store.VerificationFilter{}, "ver_4 ver_3 ver_2 ver_1 ver_0"},
			{store.VerificationFilter{Limit: 2}, "ver_4 ver_3"},
			{store.VerificationFilter{UserID: "usr_1"}, "ver_3 ver_1"},
			{store.VerificationFilter{Status: kyc.StatusExpired}, "ver_3"},
			{store.VerificationFilter{Status: kyc.StatusCreated, UserID: "usr_1"}, "ver_1"},
		}
		for _, tt := range tests {
			list, err := db.ListVerifications(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, v := range list {
				ids = append(ids, v.ID)
			}
			if got := strings.Join(ids, " "); got != tt.want {
				t.Errorf("ListVerifications(%+v) = %q, want %q", tt.f, got, tt.want)
			}
		}
	})
}

func TestBlobRecords(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		db.CreateVerification(ctx, &kyc.Verification{ID: "ver_1"})
		for _, b := range []*store.Blob{
			{Key: "ver_1/reference.jpg", VerificationID: "ver_1", Kind: "reference", Size: 10},
			{Key: "ver_1/audit-0.jpg", VerificationID: "ver_1", Kind: "audit", Size: 20},
		} {
			if err := db.AddBlob(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.AddBlob(ctx, &store.Blob{Key: "ver_9/x.jpg", VerificationID: "ver_9", Kind: "audit"}); err == nil {
			t.Error("AddBlob for an unknown verification = nil error: foreign keys are off")
		}
		list, err := db.ListBlobs(ctx, "ver_1")
		if err != nil || len(list) != 2 || list[0].Key != "ver_1/audit-0.jpg" || list[1].Size != 10 {
			t.Fatalf("ListBlobs() = %+v, %v", list, err)
		}
		if ok, err := db.DeleteBlob(ctx, "ver_1/audit-0.jpg"); !ok || err != nil {
			t.Errorf("DeleteBlob() = %v, %v", ok, err)
		}
		if ok, _ := db.DeleteBlob(ctx, "ver_1/audit-0.jpg"); ok {
			t.Error("second DeleteBlob() = true")
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate() = %v", err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil || v < 1 {
			t.Errorf("SchemaVersion() = %d, %v", v, err)
		}
	})
}

// TestConcurrentMigrate starts migrations of one PostgreSQL database from
// several pools at once, as several kycd processes starting together do.
func TestConcurrentMigrate(t *testing.T) {
	url := testenv.PostgresURL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			db, err := store.Open(ctx, url, store.Options{MaxConns: 3})
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- db.Migrate(ctx)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	port := testenv.FreePort(t)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		name, url, want string
	}{
		{"unknown scheme", "mysql://u:p@h/db", `scheme "mysql" is unknown`},
		{"unreachable postgres", fmt.Sprintf("postgres://u:secretpw@127.0.0.1:%d/db?connect_timeout=2", port), "connect to database"},
		{"sqlite under a file", "sqlite://" + filepath.Join(file, "x.db"), "database directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.Open(ctx, tt.url, store.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open() = %v, want error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secretpw") {
				t.Errorf("Open() error leaks the password: %v", err)
			}
		})
	}
}

// TestAuditHead: with a sealer, the newest event is anchored outside the
// events table; removing it (the chain before it stays intact) shows.
func TestAuditHead(t *testing.T) {
	testenv.ForEachDB(t, nil, func(t *testing.T, plain *store.DB) {
		ctx := context.Background()
		k, _ := seal.ParseKey(seal.GenerateKeyText())
		db := plain.WithSealer(seal.NewKeyring(k))
		if err := db.VerifyAuditHead(ctx); err != nil {
			t.Errorf("an empty trail: %v", err)
		}
		for i := range 3 {
			if err := db.AppendAudit(ctx, &store.AuditEvent{Action: "test", ActorID: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.VerifyAuditHead(ctx); err != nil {
			t.Errorf("an intact trail: %v", err)
		}
		if _, err := db.SQL().ExecContext(ctx, "DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)"); err != nil {
			t.Fatal(err)
		}
		if bad, _, _ := db.VerifyAudit(ctx); bad != 0 {
			t.Fatalf("the chain itself shows the removal at %d: the head would not be needed", bad)
		}
		if err := db.VerifyAuditHead(ctx); err == nil || !strings.Contains(err.Error(), "were removed") {
			t.Errorf("the newest event removed: %v", err)
		}
		other, _ := seal.ParseKey(seal.GenerateKeyText())
		wrong := plain.WithSealer(seal.NewKeyring(other))
		if err := wrong.VerifyAuditHead(ctx); err == nil {
			t.Error("a head checked with another key passed")
		}
	})
}
