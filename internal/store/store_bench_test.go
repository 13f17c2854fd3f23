package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
)

// BenchmarkVerification measures the basic record operations on each
// dialect: create, read, and a versioned status update.
func BenchmarkVerification(b *testing.B) {
	ctx := context.Background()
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		db := testenv.OpenDB(b, testenv.DatabaseURL(b, dialect), nil)
		i := 0
		b.Run(dialect+"/create", func(b *testing.B) {
			testenv.Measure(b, func() {
				i++
				if err := db.CreateVerification(ctx, &kyc.Verification{ID: fmt.Sprintf("ver_%d", i)}); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(dialect+"/get", func(b *testing.B) {
			testenv.Measure(b, func() {
				if _, err := db.GetVerification(ctx, "ver_1"); err != nil {
					b.Fatal(err)
				}
			})
		})
		// A document re-upload keeps the case in document_submitted, so one
		// row can take any number of versioned updates.
		db.CreateVerification(ctx, &kyc.Verification{ID: "ver_u"})
		db.SetVerificationStatus(ctx, "ver_u", 1, kyc.StatusLivenessPassed)
		db.SetVerificationStatus(ctx, "ver_u", 2, kyc.StatusDocumentSubmitted)
		version := int64(3)
		b.Run(dialect+"/update-in-tx", func(b *testing.B) {
			testenv.Measure(b, func() {
				err := db.InTx(ctx, "benchmark verification", func(tx *store.Tx) error {
					v, err := tx.SetVerificationStatus(ctx, "ver_u", version, kyc.StatusDocumentSubmitted)
					if err == nil {
						version = v.Version
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
