package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/kyc"
)

func TestSignUpConfirmSignIn(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := map[string]string{"email": "Ana@Example.com ", "password": "correct-horse-battery"}
	r := e.must(e.do("POST", "/v1/auth/signup", body, cred{}), 201)
	if r.str("status") != "unconfirmed" || !strings.HasPrefix(r.str("user_id"), "usr_") {
		t.Errorf("signup = %s", r.raw)
	}
	u := &user{id: r.str("user_id"), email: "ana@example.com", password: "correct-horse-battery"}

	// Not confirmed yet: no sign-in.
	if r := e.signIn(u, ""); r.status != 403 || r.code() != "forbidden" {
		t.Errorf("sign-in before confirming = %d %s", r.status, r.raw)
	}
	code := e.lastCode(u.email)
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1000000)
	if r := e.do("POST", "/v1/auth/confirm", map[string]string{"email": u.email, "code": wrong}, cred{}); r.status != 400 || r.code() != "invalid" {
		t.Errorf("confirm with a wrong code = %d %s", r.status, r.raw)
	}
	e.must(e.do("POST", "/v1/auth/confirm", map[string]string{"email": u.email, "code": code}, cred{}), 200)

	r = e.must(e.signIn(u, ""), 200)
	if r.str("token_type") != "Bearer" || r.body["expires_in"].(float64) != 900 || !strings.HasPrefix(u.access, "kat_") || !strings.HasPrefix(u.refresh, "krt_") {
		t.Errorf("sign-in = %s", r.raw)
	}
	cookie := r.header.Get("Set-Cookie")
	for _, want := range []string{"__Host-kycd_session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %q", cookie, want)
		}
	}
	for _, c := range []cred{{bearer: u.access}, {cookie: u.session}} {
		me := e.must(e.do("GET", "/v1/me", nil, c), 200)
		if me.str("email") != "ana@example.com" || me.str("user_id") != u.id || me.body["mfa_enabled"] != false {
			t.Errorf("me = %s", me.raw)
		}
		if roles := me.body["roles"].([]any); len(roles) != 1 || roles[0] != "applicant" {
			t.Errorf("roles = %v", roles)
		}
	}
	// Tokens are stored only as hashes.
	var n int
	e.db.SQL().QueryRow("SELECT COUNT(*) FROM tokens WHERE hash = ?", u.access).Scan(&n)
	if n != 0 {
		t.Error("an access token is stored in clear")
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

func TestSignUpRefuses(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.newUser("taken@example.com")
	tests := []struct {
		name, email, password string
		status                int
		code, msg             string
	}{
		{"weak password", "a@example.com", "password123", 400, "invalid", "most common"},
		{"short password", "a@example.com", "x7#q", 400, "invalid", "at least 8"},
		{"bad e-mail", "not-an-email", "correct-horse-battery", 400, "invalid", "e-mail"},
		{"taken e-mail", "TAKEN@example.com", "correct-horse-battery", 409, "conflict", ""},
	}
	for _, tt := range tests {
		r := e.do("POST", "/v1/auth/signup", map[string]string{"email": tt.email, "password": tt.password}, cred{})
		if r.status != tt.status || r.code() != tt.code || !strings.Contains(r.raw, tt.msg) {
			t.Errorf("%s: %d %s, want %d %s %q", tt.name, r.status, r.raw, tt.status, tt.code, tt.msg)
		}
	}
	if r := e.do("POST", "/v1/auth/signup", map[string]any{"email": 5}, cred{}); r.status != 422 || r.code() != "invalid" {
		t.Errorf("malformed body = %d %s", r.status, r.raw)
	}
}

func TestConfirmCodeLimits(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.must(e.do("POST", "/v1/auth/signup", map[string]string{"email": "b@example.com", "password": "correct-horse-battery"}, cred{}), 201)
	code := e.lastCode("b@example.com")
	wrong := fmt.Sprintf("%06d", (atoi(code)+7)%1000000)
	for range 5 {
		e.do("POST", "/v1/auth/confirm", map[string]string{"email": "b@example.com", "code": wrong}, cred{})
	}
	// The sixth try, even with the right code, is refused: the code is spent.
	if r := e.do("POST", "/v1/auth/confirm", map[string]string{"email": "b@example.com", "code": code}, cred{}); r.status != 410 || r.code() != "expired" {
		t.Errorf("right code after 5 wrong tries = %d %s", r.status, r.raw)
	}
	e.must(e.do("POST", "/v1/auth/resend-code", map[string]string{"email": "b@example.com"}, cred{}), 202)
	fresh := e.lastCode("b@example.com")
	e.clk.Advance(25 * time.Hour)
	if r := e.do("POST", "/v1/auth/confirm", map[string]string{"email": "b@example.com", "code": fresh}, cred{}); r.status != 410 || !strings.Contains(r.raw, "expired") {
		t.Errorf("code after 25 h = %d %s", r.status, r.raw)
	}
	e.must(e.do("POST", "/v1/auth/resend-code", map[string]string{"email": "b@example.com"}, cred{}), 202)
	e.must(e.do("POST", "/v1/auth/confirm", map[string]string{"email": "b@example.com", "code": e.lastCode("b@example.com")}, cred{}), 200)
	// Resending to an unknown or confirmed address answers the same.
	e.must(e.do("POST", "/v1/auth/resend-code", map[string]string{"email": "nobody@example.com"}, cred{}), 202)
	e.must(e.do("POST", "/v1/auth/resend-code", map[string]string{"email": "b@example.com"}, cred{}), 202)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("c@example.com")
	first := u.refresh
	r := e.must(e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": first}, cred{}), 200)
	next, nextAccess := r.str("refresh_token"), r.str("access_token")
	if next == first || nextAccess == u.access {
		t.Fatal("refresh did not rotate the tokens")
	}
	e.must(e.do("GET", "/v1/me", nil, cred{bearer: nextAccess}), 200)
	// The spent token is replayed: the whole family dies.
	if r := e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": first}, cred{}); r.status != 401 || !strings.Contains(r.raw, "already used") {
		t.Errorf("reused refresh token = %d %s", r.status, r.raw)
	}
	for name, c := range map[string]cred{"new access": {bearer: nextAccess}, "session": {cookie: u.session}} {
		if r := e.do("GET", "/v1/me", nil, c); r.status != 401 {
			t.Errorf("%s after reuse = %d, want 401", name, r.status)
		}
	}
	if r := e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": next}, cred{}); r.status != 401 {
		t.Errorf("new refresh token after reuse = %d, want 401", r.status)
	}
	if r := e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": "krt_forged"}, cred{}); r.status != 401 {
		t.Errorf("forged refresh token = %d", r.status)
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("d@example.com")
	e.clk.Advance(16 * time.Minute)
	if r := e.do("GET", "/v1/me", nil, cred{bearer: u.access}); r.status != 401 || r.code() != "unauthorized" {
		t.Errorf("access token after 16 min = %d %s", r.status, r.raw)
	}
	// The session's idle expiry (30 min) was not reached; using it moves it on.
	e.must(e.do("GET", "/v1/me", nil, cred{cookie: u.session}), 200)
	e.clk.Advance(25 * time.Minute)
	e.must(e.do("GET", "/v1/me", nil, cred{cookie: u.session}), 200)
	e.clk.Advance(31 * time.Minute)
	if r := e.do("GET", "/v1/me", nil, cred{cookie: u.session}); r.status != 401 {
		t.Errorf("session idle 31 min = %d, want 401", r.status)
	}
	// Refresh tokens live 30 days.
	e.must(e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": u.refresh}, cred{}), 200)
	v := e.newUser("d2@example.com")
	e.clk.Advance(31 * 24 * time.Hour)
	if r := e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": v.refresh}, cred{}); r.status != 401 {
		t.Errorf("refresh token after 31 days = %d", r.status)
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("e@example.com")
	r := e.must(e.do("POST", "/v1/auth/signout", nil, cred{cookie: u.session}), 204)
	if !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("sign-out does not clear the cookie: %q", r.header.Get("Set-Cookie"))
	}
	for _, c := range []cred{{cookie: u.session}, {bearer: u.access}} {
		if r := e.do("GET", "/v1/me", nil, c); r.status != 401 {
			t.Errorf("after sign-out = %d", r.status)
		}
	}
	if r := e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": u.refresh}, cred{}); r.status != 401 {
		t.Errorf("refresh after sign-out = %d", r.status)
	}
	if r := e.do("POST", "/v1/auth/signout", nil, cred{}); r.status != 401 {
		t.Errorf("anonymous sign-out = %d", r.status)
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("f@example.com")
	right := u.password
	u.password = "wrong-password-1"
	for i := range 5 {
		if r := e.signIn(u, ""); r.status != 401 || r.code() != "unauthorized" {
			t.Fatalf("wrong password %d = %d %s", i+1, r.status, r.raw)
		}
	}
	u.password = right
	r := e.signIn(u, "")
	if r.status != 423 || r.code() != "locked" || r.header.Get("Retry-After") != "1" {
		t.Fatalf("right password while locked = %d %s Retry-After %q", r.status, r.raw, r.header.Get("Retry-After"))
	}
	e.clk.Advance(2 * time.Second)
	u.password = "wrong-password-2"
	e.signIn(u, "") // sixth failure: 2 s
	e.clk.Advance(3 * time.Second)
	e.signIn(u, "") // seventh: 4 s
	u.password = right
	if r := e.signIn(u, ""); r.status != 423 || r.header.Get("Retry-After") != "4" {
		t.Errorf("after 7 failures = %d Retry-After %q, want 423 and 4", r.status, r.header.Get("Retry-After"))
	}
	e.clk.Advance(5 * time.Second)
	e.must(e.signIn(u, ""), 200)
	// Success resets the count.
	u.password = "wrong-password-3"
	if r := e.signIn(u, ""); r.status != 401 {
		t.Errorf("first failure after success = %d, want 401", r.status)
	}
	// An unknown address gets the same answer as a wrong password.
	if r := e.signIn(&user{email: "ghost@example.com", password: "whatever-pass"}, ""); r.status != 401 || !strings.Contains(r.raw, "wrong e-mail address or password") {
		t.Errorf("unknown e-mail = %d %s", r.status, r.raw)
	}
}

func TestLockoutCap(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("g@example.com")
	u.password = "wrong-password"
	for range 30 {
		e.signIn(u, "")
		e.clk.Advance(16 * time.Minute)
	}
	// The last failure locked the account for at most the cap.
	e.clk.Advance(-16 * time.Minute)
	u.password = "correct-horse-battery"
	r := e.signIn(u, "")
	if secs := atoi(r.header.Get("Retry-After")); r.status != 423 || secs < 1 || secs > 15*60 {
		t.Errorf("after 30 failures = %d Retry-After %q, want 423 within the 15 min cap", r.status, r.header.Get("Retry-After"))
	}
}

func TestForgotAndResetPassword(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("h@example.com")
	e.must(e.do("POST", "/v1/auth/forgot-password", map[string]string{"email": "nobody@example.com"}, cred{}), 202)
	e.must(e.do("POST", "/v1/auth/forgot-password", map[string]string{"email": u.email}, cred{}), 202)
	code := e.lastCode(u.email)
	reset := func(code, pw string) res {
		return e.do("POST", "/v1/auth/reset-password", map[string]string{"email": u.email, "code": code, "new_password": pw}, cred{})
	}
	if r := reset(fmt.Sprintf("%06d", (atoi(code)+1)%1000000), "brand-new-secret-9"); r.status != 400 {
		t.Errorf("reset with a wrong code = %d %s", r.status, r.raw)
	}
	if r := reset(code, "12345678"); r.status != 400 || !strings.Contains(r.raw, "common") {
		t.Errorf("reset to a weak password = %d %s", r.status, r.raw)
	}
	e.must(reset(code, "brand-new-secret-9"), 200)
	if r := reset(code, "another-new-secret-9"); r.status != 400 {
		t.Errorf("second use of a reset code = %d", r.status)
	}
	for _, c := range []cred{{bearer: u.access}, {cookie: u.session}} {
		if r := e.do("GET", "/v1/me", nil, c); r.status != 401 {
			t.Errorf("old session after reset = %d", r.status)
		}
	}
	if r := e.signIn(u, ""); r.status != 401 {
		t.Errorf("old password after reset = %d", r.status)
	}
	u.password = "brand-new-secret-9"
	e.must(e.signIn(u, ""), 200)
	// A reset code lives 1 hour.
	e.must(e.do("POST", "/v1/auth/forgot-password", map[string]string{"email": u.email}, cred{}), 202)
	late := e.lastCode(u.email)
	e.clk.Advance(61 * time.Minute)
	if r := reset(late, "yet-another-secret-9"); r.status != 410 {
		t.Errorf("reset code after 61 min = %d %s", r.status, r.raw)
	}
}

func TestMFA(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("i@example.com")
	setup := e.must(e.do("POST", "/v1/auth/totp/setup", nil, cred{bearer: u.access}), 200)
	secret := setup.str("secret")
	if !strings.HasPrefix(setup.str("otpauth_url"), "otpauth://totp/kycd:i@example.com?") {
		t.Errorf("otpauth_url = %q", setup.str("otpauth_url"))
	}
	if r := e.do("POST", "/v1/auth/totp/verify", map[string]string{"code": "000000"}, cred{bearer: u.access}); r.status != 400 && totpCode(t, secret, e.clk.Now()) != "000000" {
		t.Errorf("verify with a wrong code = %d", r.status)
	}
	r := e.must(e.do("POST", "/v1/auth/totp/verify", map[string]string{"code": totpCode(t, secret, e.clk.Now())}, cred{bearer: u.access}), 200)
	var recovery []string
	for _, c := range r.body["recovery_codes"].([]any) {
		recovery = append(recovery, c.(string))
	}
	if len(recovery) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(recovery))
	}
	if me := e.must(e.do("GET", "/v1/me", nil, cred{bearer: u.access}), 200); me.body["mfa_enabled"] != true {
		t.Error("mfa_enabled is not true")
	}
	if r := e.do("POST", "/v1/auth/totp/setup", nil, cred{bearer: u.access}); r.status != 409 {
		t.Errorf("second setup = %d, want 409", r.status)
	}

	if r := e.signIn(u, ""); r.status != 401 || r.code() != "mfa_required" {
		t.Fatalf("sign-in without a code = %d %s", r.status, r.raw)
	}
	// The code used to turn MFA on cannot be used again.
	if r := e.signIn(u, totpCode(t, secret, e.clk.Now())); r.status != 401 || r.code() != "unauthorized" {
		t.Errorf("replayed enrolment code = %d %s", r.status, r.raw)
	}
	e.clk.Advance(30 * time.Second)
	code := totpCode(t, secret, e.clk.Now())
	e.must(e.signIn(u, code), 200)
	if r := e.signIn(u, code); r.status != 401 {
		t.Errorf("replayed sign-in code = %d, want 401", r.status)
	}
	e.must(e.signIn(u, recovery[0]), 200)
	if r := e.signIn(u, recovery[0]); r.status != 401 {
		t.Errorf("recovery code used twice = %d, want 401", r.status)
	}
	e.must(e.signIn(u, strings.ToUpper(recovery[1])), 200)
	// Wrong MFA codes count towards the lockout.
	for range 5 {
		e.signIn(u, "wrong-code")
	}
	e.clk.Advance(30 * time.Second)
	if r := e.signIn(u, totpCode(t, secret, e.clk.Now().Add(30*time.Second))); r.status != 423 && r.status != 200 {
		t.Errorf("after 5 wrong MFA codes = %d", r.status)
	}
	// The TOTP secret is sealed at rest.
	var raw []byte
	e.db.SQL().QueryRow("SELECT totp_secret FROM users WHERE id = ?", u.id).Scan(&raw)
	dec, _ := decodeB32(secret)
	if len(raw) == 0 || strings.Contains(string(raw), string(dec)) || strings.Contains(string(raw), secret) {
		t.Error("the TOTP secret is stored in clear")
	}
}

func TestAdminAndAPIKeys(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin := e.newUser("admin@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	ana := e.newUser("ana@example.com")
	adm := cred{bearer: admin.access}

	r := e.must(e.do("POST", "/v1/admin/users/"+ana.id+"/roles", map[string]any{"roles": []string{"reviewer", "applicant"}}, adm), 200)
	if roles := r.body["roles"].([]any); len(roles) != 2 {
		t.Errorf("roles = %v", roles)
	}
	if r := e.do("POST", "/v1/admin/users/"+ana.id+"/roles", map[string]any{"roles": []string{"superuser"}}, adm); r.status != 400 {
		t.Errorf("unknown role = %d", r.status)
	}
	if r := e.do("POST", "/v1/admin/users/"+admin.id+"/roles", map[string]any{"roles": []string{"reviewer"}}, adm); r.status != 409 {
		t.Errorf("admin demoting themself = %d, want 409", r.status)
	}
	if r := e.do("POST", "/v1/admin/users/usr_nobody/roles", map[string]any{"roles": []string{"reviewer"}}, adm); r.status != 404 {
		t.Errorf("roles of an unknown user = %d", r.status)
	}
	list := e.must(e.do("GET", "/v1/admin/users", nil, adm), 200)
	if !strings.Contains(list.raw, "ana@example.com") {
		t.Errorf("user list = %s", list.raw)
	}

	// Disabling a user ends their sessions and refuses sign-in.
	e.must(e.do("POST", "/v1/admin/users/"+ana.id+"/disable", nil, adm), 200)
	if r := e.do("GET", "/v1/me", nil, cred{bearer: ana.access}); r.status != 401 {
		t.Errorf("disabled user's token = %d", r.status)
	}
	if r := e.signIn(ana, ""); r.status != 403 || !strings.Contains(r.raw, "disabled") {
		t.Errorf("disabled user's sign-in = %d %s", r.status, r.raw)
	}
	e.must(e.do("POST", "/v1/admin/users/"+ana.id+"/enable", nil, adm), 200)
	e.must(e.signIn(ana, ""), 200)

	// API keys: shown once, usable as a bearer token with their roles, revocable.
	k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "crm", "roles": []string{"admin"}}, adm), 201)
	key := k.str("key")
	if !strings.HasPrefix(key, "kak_") {
		t.Fatalf("key = %q", key)
	}
	e.must(e.do("GET", "/v1/admin/users", nil, cred{bearer: key}), 200)
	keys := e.must(e.do("GET", "/v1/api-keys", nil, adm), 200)
	if strings.Contains(keys.raw, key) || !strings.Contains(keys.raw, "last_used_at") {
		t.Errorf("key list = %s", keys.raw)
	}
	if r := e.do("GET", "/v1/me", nil, cred{bearer: key}); r.status != 403 {
		t.Errorf("/v1/me with an API key = %d, want 403", r.status)
	}
	e.must(e.do("DELETE", "/v1/api-keys/"+k.str("id"), nil, adm), 204)
	if r := e.do("GET", "/v1/admin/users", nil, cred{bearer: key}); r.status != 401 {
		t.Errorf("revoked key = %d", r.status)
	}
	if r := e.do("DELETE", "/v1/api-keys/"+k.str("id"), nil, adm); r.status != 404 {
		t.Errorf("second revoke = %d", r.status)
	}
}

func TestAuditTrail(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin := e.newUser("boss@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	u := e.newUser("j@example.com")
	u.password = "nope-nope-nope"
	for range 5 {
		e.signIn(u, "")
	}
	k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "x", "roles": []string{"reviewer"}}, cred{bearer: admin.access}), 201)
	e.must(e.do("DELETE", "/v1/api-keys/"+k.str("id"), nil, cred{bearer: admin.access}), 204)
	e.must(e.do("POST", "/v1/admin/users/"+u.id+"/roles", map[string]any{"roles": []string{"reviewer"}}, cred{bearer: admin.access}), 200)

	r := e.must(e.do("GET", "/v1/admin/audit", nil, cred{bearer: admin.access}), 200)
	var events []map[string]any
	json.Unmarshal([]byte(r.raw), &events)
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev["action"].(string)] = true
	}
	for _, want := range []string{"auth.signup", "auth.confirm", "auth.signin.success", "auth.signin.failure", "auth.lockout",
		"apikey.create", "apikey.revoke", "admin.roles.change"} {
		if !seen[want] {
			t.Errorf("no %s event in %v", want, seen)
		}
	}
	for _, pii := range []string{"j@example.com", "boss@example.com", "nope-nope-nope", "correct-horse"} {
		if strings.Contains(r.raw, pii) {
			t.Errorf("the audit trail holds %q", pii)
		}
	}
	if id, n, err := e.db.VerifyAudit(context.Background()); id != 0 || err != nil || n != len(events) {
		t.Errorf("VerifyAudit() = %d, %d, %v", id, n, err)
	}
	// Tampering with one event breaks the chain there.
	e.db.SQL().Exec("UPDATE audit_events SET actor_id = 'usr_mallory' WHERE id = 3")
	if id, _, _ := e.db.VerifyAudit(context.Background()); id != 3 {
		t.Errorf("VerifyAudit after tampering = %d, want 3", id)
	}
}

// TestNoPIIInLogs runs the flows and checks the access log never holds an
// address, password, code or token.
func TestNoPIIInLogs(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("secret.person@example.com")
	e.do("GET", "/v1/me", nil, cred{bearer: u.access})
	e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": u.refresh}, cred{})
	logs := e.logs.String()
	if !strings.Contains(logs, "route=\"POST /v1/auth/signin\"") {
		t.Fatalf("no access log lines:\n%s", logs)
	}
	for _, secret := range []string{"secret.person", u.password, u.access, u.refresh, u.session, "kat_", "krt_"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{rateLimit: 3})
	for i := range 3 {
		e.must(e.do("POST", "/v1/auth/forgot-password", map[string]string{"email": fmt.Sprintf("x%d@example.com", i)}, cred{}), 202)
	}
	r := e.do("POST", "/v1/auth/forgot-password", map[string]string{"email": "y@example.com"}, cred{})
	if r.status != 429 || r.code() != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("fourth request = %d %s Retry-After %q", r.status, r.raw, r.header.Get("Retry-After"))
	}
	// Other routes are not limited.
	e.must(e.do("GET", "/healthz", nil, cred{}), 200)
}

func TestCrossOriginRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("k@example.com")
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/auth/totp/setup", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-kycd_session", Value: u.session})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cross-site POST = %d, want 403", resp.StatusCode)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Del("Origin")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("same-origin POST = %d, want 200", resp.StatusCode)
	}
}

func TestPostgresFlow(t *testing.T) {
	e := newEnv(t, envOptions{dialect: "postgres"})
	u := e.newUser("pg@example.com")
	e.must(e.do("GET", "/v1/me", nil, cred{bearer: u.access}), 200)
	r := e.must(e.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": u.refresh}, cred{}), 200)
	e.must(e.do("GET", "/v1/me", nil, cred{bearer: r.str("access_token")}), 200)
}
