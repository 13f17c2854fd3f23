package api_test

import (
	"testing"

	"github.com/kycd/kycd/internal/kyc"
)

// TestCaseOwnershipByKey (issue 11, finding 5): an integrator's key sees and
// drives the cases it started and no others; applicants' cases are not its
// business; only the integrator role starts cases; reviewers' keys review.
func TestCaseOwnershipByKey(t *testing.T) {
	needFace(t)
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect})
		admin := e.newUser("owner-admin@example.com")
		e.withRoles(admin, kyc.RoleAdmin)
		ac := cred{bearer: admin.access}
		key := func(role string) cred {
			k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": role, "roles": []string{role}}, ac), 201)
			return cred{bearer: k.str("key")}
		}
		a, b, rev, adm := key("integrator"), key("integrator"), key("reviewer"), key("admin")
		if r := e.do("POST", "/v1/api-keys", map[string]any{"name": "x", "roles": []string{"applicant"}}, ac); r.status != 400 {
			t.Errorf("a key with the applicant role = %d, want 400", r.status)
		}
		if r := e.do("POST", "/v1/admin/users/"+admin.id+"/roles", map[string]any{"roles": []string{"admin", "integrator"}}, ac); r.status != 400 {
			t.Errorf("a person with the integrator role = %d, want 400", r.status)
		}
		applicant := e.newUser("owner-applicant@example.com")
		uc := cred{bearer: applicant.access}

		keyCase := e.must(e.do("POST", "/v1/verifications", map[string]string{"reference": "shop-1"}, a), 201).str("id")
		ownCase := e.must(e.do("POST", "/v1/verifications", nil, uc), 201).str("id")
		session := e.must(e.do("POST", "/v1/verifications/"+keyCase+"/liveness", nil, a), 201).str("session_id")
		for _, who := range []cred{rev, adm} {
			if r := e.do("POST", "/v1/verifications", nil, who); r.status != 403 {
				t.Errorf("a reviewer's or admin's key starting a case = %d, want 403", r.status)
			}
		}
		tests := []struct {
			who    string
			c      cred
			method string
			path   string
			body   any
			want   int
		}{
			{"owner", a, "GET", "/v1/verifications/" + keyCase, nil, 200},
			{"owner", a, "GET", "/v1/liveness/" + session, nil, 200},
			{"other key", b, "GET", "/v1/verifications/" + keyCase, nil, 404},
			{"other key", b, "GET", "/v1/liveness/" + session, nil, 404},
			{"other key", b, "GET", "/v1/liveness/" + session + "/images/reference", nil, 404},
			{"other key", b, "POST", "/v1/verifications/" + keyCase + "/liveness", nil, 404},
			{"other key", b, "POST", "/v1/verifications/" + keyCase + "/documents", map[string]string{"front": faceB64}, 404},
			{"other key", b, "POST", "/v1/verifications/" + keyCase + "/submit", nil, 404},
			{"other key", b, "GET", "/v1/verifications/" + keyCase + "/images/front", nil, 404},
			{"other key", b, "DELETE", "/v1/verifications/" + keyCase, nil, 404},
			{"applicant", uc, "GET", "/v1/verifications/" + keyCase, nil, 404},
			{"applicant", uc, "POST", "/v1/verifications/" + keyCase + "/submit", nil, 404},
			{"key on an applicant's case", a, "GET", "/v1/verifications/" + ownCase, nil, 404},
			{"key on an applicant's case", a, "POST", "/v1/verifications/" + ownCase + "/liveness", nil, 404},
			{"key on an applicant's case", a, "DELETE", "/v1/verifications/" + ownCase, nil, 404},
			{"integrator in the review queue", a, "GET", "/v1/review/verifications", nil, 403},
			{"integrator deciding", a, "POST", "/v1/verifications/" + keyCase + "/decision", map[string]string{"outcome": "approved"}, 403},
			{"reviewer key", rev, "GET", "/v1/verifications/" + keyCase, nil, 200},
			{"reviewer key", rev, "GET", "/v1/review/verifications", nil, 200},
			{"reviewer key driving", rev, "POST", "/v1/verifications/" + keyCase + "/submit", nil, 403},
			{"owner erasing", a, "DELETE", "/v1/verifications/" + keyCase, nil, 200},
		}
		for _, tt := range tests {
			if r := e.do(tt.method, tt.path, tt.body, tt.c); r.status != tt.want {
				t.Errorf("%s: %s %s = %d %s, want %d", tt.who, tt.method, tt.path, r.status, r.raw, tt.want)
			}
		}
		// A reviewer's key sees every case in the queue.
		q := e.must(e.do("GET", "/v1/review/verifications?status=all", nil, rev), 200)
		if n := len(q.body["verifications"].([]any)); n != 2 {
			t.Errorf("a reviewer's key sees %d cases, want 2", n)
		}
	})
}
