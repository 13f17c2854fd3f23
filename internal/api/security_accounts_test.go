package api_test

// Attacks on the user pool (issue 11, findings 1, 6 and the web's limits):
// parallel requests against every counter and one-time value, on SQLite and
// on PostgreSQL, and probes that must not tell an existing account from an
// unknown one.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/password"
	"github.com/kycd/kycd/internal/store"
)

// onBothDatabases runs test on SQLite and on PostgreSQL.
func onBothDatabases(t *testing.T, test func(t *testing.T, dialect string)) {
	for _, d := range []string{store.SQLite, store.Postgres} {
		t.Run(d, func(t *testing.T) { test(t, d) })
	}
}

// realCost is the default password hash cost: a sign-in spends tens of
// milliseconds in argon2id, the window in which a stale read used to be
// written back.
var realCost = password.DefaultParams

// TestSignInKeepsConcurrentAdminChanges: an admin disables a user and
// changes their roles while the user keeps signing in; the sign-ins must
// not undo either change.
func TestSignInKeepsConcurrentAdminChanges(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect, argon2: realCost})
		admin := e.newUser("admin@example.com")
		e.withRoles(admin, kyc.RoleAdmin)
		u := e.newUser("victim@example.com")
		stop := hammer(30, func() {
			e.try("POST", "/v1/auth/signin", map[string]string{"email": u.email, "password": u.password}, cred{})
		})
		time.Sleep(300 * time.Millisecond)
		adm := cred{bearer: admin.access}
		e.must(e.do("POST", "/v1/admin/users/"+u.id+"/roles", map[string]any{"roles": []string{"reviewer"}}, adm), 200)
		e.must(e.do("POST", "/v1/admin/users/"+u.id+"/disable", nil, adm), 200)
		time.Sleep(500 * time.Millisecond)
		stop()
		got, err := e.db.GetUser(t.Context(), u.id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != kyc.UserDisabled || len(got.Roles) != 1 || got.Roles[0] != kyc.RoleReviewer {
			t.Errorf("after sign-ins raced the admin: status %s roles %v, want disabled [reviewer]", got.Status, got.Roles)
		}
		e.clk.Advance(20 * time.Minute) // past the lockout the parallel sign-ins caused
		if r := e.signIn(u, ""); r.status != 403 {
			t.Errorf("sign-in of the disabled user = %d %s", r.status, r.raw)
		}
	})
}

// TestResetWinsOverOldPasswordSignIns: the owner resets the password while
// an attacker keeps signing in with the old one; afterwards the old password
// is refused and the new one works.
func TestResetWinsOverOldPasswordSignIns(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect, argon2: realCost})
		u := e.newUser("owner@example.com")
		e.must(e.do("POST", "/v1/auth/forgot-password", map[string]string{"email": u.email}, cred{}), 202)
		code := e.lastCode(u.email)
		var mu sync.Mutex
		var attackerTokens []string
		stop := hammer(30, func() {
			r, err := e.try("POST", "/v1/auth/signin", map[string]string{"email": u.email, "password": u.password}, cred{})
			if err == nil && r.status == 200 {
				mu.Lock()
				attackerTokens = append(attackerTokens, r.str("access_token"))
				mu.Unlock()
			}
		})
		time.Sleep(300 * time.Millisecond)
		e.must(e.do("POST", "/v1/auth/reset-password", map[string]string{"email": u.email, "code": code, "new_password": "brand-new-secret-9"}, cred{}), 200)
		time.Sleep(500 * time.Millisecond)
		stop()
		e.clk.Advance(20 * time.Minute) // past the lockout the parallel sign-ins caused
		if r := e.signIn(u, ""); r.status != 401 {
			t.Errorf("old password after the reset = %d %s, want 401", r.status, r.raw)
		}
		for _, tok := range attackerTokens {
			if r := e.do("GET", "/v1/me", nil, cred{bearer: tok}); r.status != 401 {
				t.Fatalf("a token from the old password works after the reset: %d", r.status)
			}
		}
		e.clk.Advance(20 * time.Minute)
		u.password = "brand-new-secret-9"
		e.must(e.signIn(u, ""), 200)
	})
}

// TestParallelGuessesLock: 60 parallel sign-ins, 59 wrong and 1 right, get
// no more than the 5 attempts before the lockout between them.
func TestParallelGuessesLock(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect, argon2: realCost})
		u := e.newUser("target@example.com")
		rs := e.parallel(60, func(i int) (string, string, any, cred) {
			pw := fmt.Sprintf("guess-%02d-wrong", i)
			if i == 59 {
				pw = u.password
			}
			return "POST", "/v1/auth/signin", map[string]string{"email": u.email, "password": pw}, cred{}
		})
		// Five guesses are checked before the lock; only when the right one
		// was among them (the attacker won fairly) does its success reset
		// the count, and at most five more are checked.
		st := statuses(rs)
		limit := 5
		if st[200] == 1 {
			limit = 10
		}
		if checked := st[200] + st[401]; checked > limit || st[200] > 1 || checked+st[423] != 60 {
			t.Errorf("60 parallel guesses: %v; want at most %d checked (200 or 401) and the rest 423", st, limit)
		}
		if st[200] == 0 {
			if r := e.signIn(u, ""); r.status != 423 {
				t.Errorf("right password after the parallel guesses = %d, want 423 (locked)", r.status)
			}
		}
	})
}

// TestTOTPCodeSpentOnce: one fresh TOTP code sent in 30 parallel sign-ins
// signs in once.
func TestTOTPCodeSpentOnce(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect})
		u := e.newUser("mfa@example.com")
		secret := e.must(e.do("POST", "/v1/auth/totp/setup", nil, cred{bearer: u.access}), 200).str("secret")
		r := e.must(e.do("POST", "/v1/auth/totp/verify", map[string]string{"code": totpCode(t, secret, e.clk.Now())}, cred{bearer: u.access}), 200)
		recovery := r.body["recovery_codes"].([]any)[0].(string)
		e.clk.Advance(30 * time.Second)
		code := totpCode(t, secret, e.clk.Now())
		rs := e.parallel(30, func(int) (string, string, any, cred) {
			return "POST", "/v1/auth/signin", map[string]string{"email": u.email, "password": u.password, "totp_code": code}, cred{}
		})
		if st := statuses(rs); st[200] != 1 {
			t.Errorf("one TOTP code in 30 parallel sign-ins: %v, want exactly one 200", st)
		}
		e.clk.Advance(20 * time.Minute) // past any lockout the replays caused
		rs = e.parallel(30, func(int) (string, string, any, cred) {
			return "POST", "/v1/auth/signin", map[string]string{"email": u.email, "password": u.password, "totp_code": recovery}, cred{}
		})
		if st := statuses(rs); st[200] != 1 {
			t.Errorf("one recovery code in 30 parallel sign-ins: %v, want exactly one 200", st)
		}
	})
}

// TestCodesSpentOnce: parallel guesses share a code's 5 tries, and the right
// code, sent 30 times at once, confirms or resets once.
func TestCodesSpentOnce(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect})
		e.must(e.do("POST", "/v1/auth/signup", map[string]string{"email": "new@example.com", "password": "correct-horse-battery"}, cred{}), 201)
		code := e.lastCode("new@example.com")
		rs := e.parallel(30, func(i int) (string, string, any, cred) {
			guess := fmt.Sprintf("%06d", (atoi(code)+1+i)%1000000)
			return "POST", "/v1/auth/confirm", map[string]string{"email": "new@example.com", "code": guess}, cred{}
		})
		if st := statuses(rs); st[400] > 5 || st[410] < 25 {
			t.Errorf("30 parallel wrong codes: %v, want at most 5 checked (400), the rest 410", st)
		}
		e.must(e.do("POST", "/v1/auth/resend-code", map[string]string{"email": "new@example.com"}, cred{}), 202)
		code = e.lastCode("new@example.com")
		rs = e.parallel(30, func(int) (string, string, any, cred) {
			return "POST", "/v1/auth/confirm", map[string]string{"email": "new@example.com", "code": code}, cred{}
		})
		if st := statuses(rs); st[200] != 1 {
			t.Errorf("the right confirmation code 30 times at once: %v, want one 200", st)
		}

		u := e.newUser("reset@example.com")
		e.must(e.do("POST", "/v1/auth/forgot-password", map[string]string{"email": u.email}, cred{}), 202)
		code = e.lastCode(u.email)
		rs = e.parallel(30, func(i int) (string, string, any, cred) {
			return "POST", "/v1/auth/reset-password", map[string]string{"email": u.email, "code": code, "new_password": fmt.Sprintf("new-secret-%02d-x", i)}, cred{}
		})
		winner := -1
		for i, r := range rs {
			if r.status == 200 {
				if winner >= 0 {
					t.Fatalf("the reset code reset the password twice (%d and %d)", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("no reset succeeded: %v", statuses(rs))
		}
		u.password = fmt.Sprintf("new-secret-%02d-x", winner)
		e.must(e.signIn(u, ""), 200)
	})
}

// TestWrongCurrentPasswordCounts: guessing the current password through
// change-password locks like guessing it at sign-in.
func TestWrongCurrentPasswordCounts(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect})
		u := e.newUser("change@example.com")
		rs := e.parallel(30, func(i int) (string, string, any, cred) {
			return "POST", "/v1/auth/change-password", map[string]string{"current_password": fmt.Sprintf("guess-%02d-x", i), "new_password": "brand-new-secret-9"}, cred{bearer: u.access}
		})
		if st := statuses(rs); st[400] > 5 || st[423] < 25 {
			t.Errorf("30 parallel wrong current passwords: %v, want at most 5 checked (400), the rest 423", st)
		}
		if r := e.signIn(u, ""); r.status != 423 {
			t.Errorf("sign-in after the guesses = %d, want 423", r.status)
		}
	})
}

// TestNoAccountEnumeration: what an attacker can probe answers the same for
// an unknown address, an unconfirmed account, a confirmed one and a locked
// one.
func TestNoAccountEnumeration(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.newUser("confirmed@example.com")
	e.must(e.do("POST", "/v1/auth/signup", map[string]string{"email": "pending@example.com", "password": "correct-horse-battery"}, cred{}), 201)
	strip := func(r res) string {
		e, _ := r.body["error"].(map[string]any)
		return fmt.Sprintf("%d %v %v", r.status, e["code"], e["message"])
	}
	same := func(what string, f func(email string) res) {
		t.Helper()
		answers := map[string]string{}
		for _, email := range []string{"nobody@example.com", "pending@example.com", "confirmed@example.com"} {
			answers[email] = strip(f(email))
		}
		if answers["nobody@example.com"] != answers["pending@example.com"] || answers["nobody@example.com"] != answers["confirmed@example.com"] {
			t.Errorf("%s answers differently by account: %v", what, answers)
		}
	}
	same("confirm with a wrong code", func(email string) res {
		return e.do("POST", "/v1/auth/confirm", map[string]string{"email": email, "code": "000001"}, cred{})
	})
	same("reset with a weak password", func(email string) res {
		return e.do("POST", "/v1/auth/reset-password", map[string]string{"email": email, "code": "000001", "new_password": "password"}, cred{})
	})
	same("reset with a wrong code", func(email string) res {
		return e.do("POST", "/v1/auth/reset-password", map[string]string{"email": email, "code": "000001", "new_password": "brand-new-secret-9"}, cred{})
	})
	same("forgot password", func(email string) res {
		return e.do("POST", "/v1/auth/forgot-password", map[string]string{"email": email}, cred{})
	})
	same("resend code", func(email string) res {
		return e.do("POST", "/v1/auth/resend-code", map[string]string{"email": email}, cred{})
	})
	// Five wrong passwords lock an unknown address as they lock an account.
	same("sign-in after five wrong passwords", func(email string) res {
		for range 5 {
			e.do("POST", "/v1/auth/signin", map[string]string{"email": email, "password": "wrong-password-x"}, cred{})
		}
		return e.do("POST", "/v1/auth/signin", map[string]string{"email": email, "password": "wrong-password-x"}, cred{})
	})
}

// TestRefusesHostileText (finding 9): e-mail addresses, references and key
// names must be plain text.
func TestRefusesHostileText(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, email := range []string{"a\x00b@example.com", "\xff\xfe@example.com", "ana@exa\nmple.com", "ana\u202e@example.com"} {
		if r := e.do("POST", "/v1/auth/signup", map[string]string{"email": email, "password": "correct-horse-battery"}, cred{}); r.status != 400 {
			t.Errorf("sign-up as %q = %d %s, want 400", email, r.status, r.raw)
		}
	}
	u := e.newUser("plain@example.com")
	for _, ref := range []string{"crm\n1", "crm\x001", "\xff", "crm\x1b[2J"} {
		if r := e.do("POST", "/v1/verifications", map[string]string{"reference": ref}, cred{bearer: u.access}); r.status != 400 {
			t.Errorf("reference %q = %d %s, want 400", ref, r.status, r.raw)
		}
	}
	admin := e.newUser("plain-admin@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	if r := e.do("POST", "/v1/api-keys", map[string]any{"name": "crm\r\nX-Evil: 1", "roles": []string{"integrator"}}, cred{bearer: admin.access}); r.status != 400 {
		t.Errorf("a key name with a line break = %d, want 400", r.status)
	}
}

// TestWebFormsRateLimited (finding 9): the pages' own account forms are
// limited per address like the API's.
func TestWebFormsRateLimited(t *testing.T) {
	for _, path := range []string{"/resend", "/account/password"} {
		e := newEnv(t, envOptions{rateLimit: 3})
		u := e.newUser("forms@example.com")
		var last res
		for range 4 {
			req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(url.Values{"email": {u.email},
				"current_password": {"wrong-wrong-wrong"}, "new_password": {"brand-new-secret-9"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			last = e.send(req, cred{cookie: u.session})
		}
		if last.status != 429 {
			t.Errorf("fourth POST %s in a minute = %d, want 429", path, last.status)
		}
	}
}
