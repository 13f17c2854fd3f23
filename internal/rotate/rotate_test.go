package rotate

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func newKey(t *testing.T) *seal.Key {
	k, err := seal.ParseKey(seal.GenerateKeyText())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRotate seals a value in every sealed column and an object under an
// old key, rotates, and opens everything with the new key alone; a second
// run changes nothing.
func TestRotate(t *testing.T) {
	testenv.ForEachDB(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		oldKey, newKeyV := newKey(t), newKey(t)
		old := seal.NewKeyring(oldKey)
		sealFor := func(col store.SealedColumn, id string, data string) []byte {
			b, err := old.Seal([]byte(data), []byte(col.Prefix+id))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		col := map[string]store.SealedColumn{}
		for _, c := range store.SealedColumns {
			col[c.Table+"."+c.Column] = c
		}
		u := &kyc.User{ID: "usr_1", Email: "a@example.com", PasswordHash: "x", Status: kyc.UserConfirmed, Roles: []kyc.Role{kyc.RoleApplicant}}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetTOTPSecret(ctx, u.ID, sealFor(col["users.totp_secret"], u.ID, "totp secret")); err != nil {
			t.Fatal(err)
		}
		v := &kyc.Verification{ID: "ver_1", UserID: u.ID}
		if err := db.CreateVerification(ctx, v); err != nil {
			t.Fatal(err)
		}
		v.Details = sealFor(col["verifications.details"], v.ID, "document fields")
		if err := db.SaveVerification(ctx, v); err != nil {
			t.Fatal(err)
		}
		if err := db.PutFaceTemplate(ctx, &store.FaceTemplate{VerificationID: v.ID, Embedding: sealFor(col["face_templates.embedding"], v.ID, "embedding")}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateWebhook(ctx, &store.Webhook{ID: "whk_1", URL: "https://x", Events: []string{"a"}, Secret: sealFor(col["webhooks.secret"], "whk_1", "whsec"),
			Target: sealFor(col["webhooks.target"], "whk_1", "https://x")}); err != nil {
			t.Fatal(err)
		}
		q := "INSERT INTO audit_head (id, sealed) VALUES ('head', $1)"
		if db.Dialect() == store.SQLite {
			q = "INSERT INTO audit_head (id, sealed) VALUES ('head', ?1)"
		}
		if _, err := db.SQL().ExecContext(ctx, q, sealFor(col["audit_head.sealed"], "head", `{"id":1,"hash":"x"}`)); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateLiveness(ctx, &store.LivenessSession{ID: "liv_1", VerificationID: v.ID, Status: "created",
			State: sealFor(col["liveness_sessions.state"], "liv_1", "state"), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		raw, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if err := blob.Sealed(raw, old).Put(ctx, "verifications/ver_1/front", []byte("jpeg")); err != nil {
			t.Fatal(err)
		}

		both := seal.NewKeyring(newKeyV, oldKey)
		c, err := Run(ctx, db, raw, both, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Objects != 1 || c.Values != len(store.SealedColumns) {
			t.Fatalf("rotated %+v, want 1 object and %d values (one per sealed column)", c, len(store.SealedColumns))
		}
		// Everything opens with the new key alone.
		only := seal.NewKeyring(newKeyV)
		if got, err := blob.Sealed(raw, only).Get(ctx, "verifications/ver_1/front"); err != nil || string(got) != "jpeg" {
			t.Errorf("object after rotation: %q %v", got, err)
		}
		for _, sc := range store.SealedColumns {
			_, err := db.RewrapColumn(ctx, sc, func(sealed, aad []byte) ([]byte, error) {
				if _, err := only.Open(sealed, aad); err != nil {
					t.Errorf("%s.%s does not open with the new key: %v", sc.Table, sc.Column, err)
				}
				return nil, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		again, err := Run(ctx, db, raw, both, nil)
		if err != nil || again.Objects != 0 || again.Values != 0 || again.Skipped != 1+len(store.SealedColumns) {
			t.Errorf("second run: %+v %v", again, err)
		}
	})
}
