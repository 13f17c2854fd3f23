package account_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/account"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/mail"
	"github.com/kycd/kycd/internal/password"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// BenchmarkSignIn signs a confirmed user in with the default argon2id
// parameters (19 MiB, 2 passes, 1 lane): the password check dominates. Run
// it with -cpu 1 for the one-core figure; 1e9 / ns/op is sign-ins per second.
func BenchmarkSignIn(b *testing.B) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			db := testenv.OpenDB(b, testenv.DatabaseURL(b, dialect), nil)
			k, _ := seal.ParseKey(seal.GenerateKeyText())
			svc := account.New(db, mail.DevSender{}, seal.NewKeyring(k), account.Options{Password: password.DefaultParams})
			if _, err := svc.CreateUser(ctx, "bench@example.com", "correct-horse-battery", []kyc.Role{kyc.RoleApplicant}); err != nil {
				b.Fatal(err)
			}
			testenv.Measure(b, func() {
				if _, err := svc.SignIn(ctx, "bench@example.com", "correct-horse-battery", ""); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkAuthenticate resolves an access token, as every API request does.
func BenchmarkAuthenticate(b *testing.B) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			db := testenv.OpenDB(b, testenv.DatabaseURL(b, dialect), nil)
			k, _ := seal.ParseKey(seal.GenerateKeyText())
			svc := account.New(db, mail.DevSender{}, seal.NewKeyring(k), account.Options{Password: password.Params{MemoryKiB: 1024, Time: 1, Threads: 1}})
			svc.CreateUser(ctx, "auth@example.com", "correct-horse-battery", []kyc.Role{kyc.RoleApplicant})
			tok, err := svc.SignIn(ctx, "auth@example.com", "correct-horse-battery", "")
			if err != nil {
				b.Fatal(err)
			}
			testenv.Measure(b, func() {
				if _, err := svc.AuthenticateBearer(ctx, tok.AccessToken); err != nil {
					b.Fatal(fmt.Sprint(err))
				}
			})
		})
	}
}

// BenchmarkSignInProbe times what an attacker probing for accounts sees:
// a wrong password for an existing account and for an unknown address, and
// a sign-in while each is locked. The pairs do the same work, so their
// times match (docs/benchmarks.md); the statuses are the same by test
// (TestNoAccountEnumeration).
func BenchmarkSignInProbe(b *testing.B) {
	ctx := context.Background()
	// A stopped clock: a lock lasts for the whole benchmark.
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	db := testenv.OpenDB(b, testenv.DatabaseURL(b, store.SQLite), now)
	k, _ := seal.ParseKey(seal.GenerateKeyText())
	svc := account.New(db, mail.DevSender{}, seal.NewKeyring(k), account.Options{Password: password.DefaultParams, Now: now})
	if _, err := svc.CreateUser(ctx, "known@example.com", "correct-horse-battery", []kyc.Role{kyc.RoleApplicant}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, email string }{{"known", "known@example.com"}, {"unknown", "nobody@example.com"}} {
		b.Run("wrong password/"+c.name, func(b *testing.B) {
			n := 0
			testenv.Measure(b, func() {
				n++
				// A fresh address each time for the unknown case, and the
				// count cleared for the known one, so neither locks.
				email := c.email
				if c.name == "unknown" {
					email = fmt.Sprintf("nobody%d@example.com", n)
				} else if n%4 == 0 {
					svc.ResetAttempts(ctx, email)
				}
				if _, err := svc.SignIn(ctx, email, "wrong-password-x", ""); kyc.ErrorCode(err) != kyc.Unauthorized {
					b.Fatal(err)
				}
			})
		})
		b.Run("locked/"+c.name, func(b *testing.B) {
			for range 5 {
				svc.SignIn(ctx, c.email, "wrong-password-x", "")
			}
			testenv.Measure(b, func() {
				if _, err := svc.SignIn(ctx, c.email, "wrong-password-x", ""); kyc.ErrorCode(err) != kyc.Locked {
					b.Fatal(err)
				}
			})
		})
	}
}
