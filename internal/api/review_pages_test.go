package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/kyc"
)

// TestReviewerDecisionRecorded (issue 16): a rejection needs a note and
// may name its reason (the console requires one), both recorded with who
// decided and when; the case page links the other case of a duplicate
// face, names the applicant, and shows the record after the decision. A
// reviewer's API key is recorded as the decider too.
func TestReviewerDecisionRecorded(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	first, second, third := e.newUser("a@example.com"), e.newUser("b@example.com"), e.newUser("c@example.com")
	orig, _ := e.runCase(cred{bearer: first.access}, "", "face_recognition/examples__obama-480p.jpg", 3)
	dup, r := e.runCase(cred{bearer: second.access}, "", "face_recognition/examples__obama-480p.jpg", 4)
	if r.str("status") != "needs_review" {
		t.Fatalf("second: %s", r.raw)
	}
	rev := e.newUser("rita@example.com")
	e.withRoles(rev, kyc.RoleReviewer)
	rc, rp := cred{bearer: rev.access}, cred{cookie: rev.session}

	page := e.must(e.do("GET", "/review/"+dup, nil, rp), 200).raw
	for _, want := range []string{`<main class="wide">`, `href="/review/` + orig + `"`, `id="case-applicant">b@example.com<`,
		`data-reason="duplicate_face"`, `id="reason"`, `id="reject"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	if strings.Contains(page, "A reviewer decided your case") || strings.Contains(page, "Use your own document") {
		t.Error("the reviewer's page speaks to the applicant")
	}
	for _, tt := range []struct {
		what string
		body map[string]string
	}{
		{"no note", map[string]string{"outcome": "rejected", "reason": "duplicate_face"}},
		{"a reason that is no reviewer's", map[string]string{"outcome": "rejected", "reason": "too_many_attempts", "note": "checked the photos"}},
	} {
		if r := e.do("POST", "/v1/verifications/"+dup+"/decision", tt.body, rc); r.status != 400 && r.status != 422 {
			t.Errorf("a rejection with %s = %d %s, want 400", tt.what, r.status, r.raw)
		}
	}
	// The console's form without a reason is refused too.
	form := url.Values{"outcome": {"rejected"}, "note": {"looks like the same man"}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/review/"+dup+"/decision", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := e.send(req, rp); !strings.Contains(r.raw, `id="error"`) {
		t.Errorf("a rejection without a reason from the console was not refused: %d", r.status)
	}
	form.Set("reason", "duplicate_face")
	req, _ = http.NewRequest("POST", e.srv.URL+"/review/"+dup+"/decision", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	e.send(req, rp)
	v := e.must(e.do("GET", "/v1/verifications/"+dup, nil, rc), 200)
	d := v.body["decision"].(map[string]any)
	if v.str("status") != "rejected" || d["decided_by"] != rev.id || d["note"] != "looks like the same man" ||
		!slices.Equal(reasons(v), []string{"duplicate_face", "reviewer_decision"}) {
		t.Errorf("the decision's record: %s", v.raw)
	}
	page = e.must(e.do("GET", "/review/"+dup, nil, rp), 200).raw
	if !strings.Contains(page, `id="case-decided"`) || !strings.Contains(page, "rita@example.com") || !strings.Contains(page, "looks like the same man") {
		t.Errorf("the case page does not show who decided and why: %s", page)
	}

	// A reviewer's API key decides: the key is recorded.
	dup2, r := e.runCase(cred{bearer: third.access}, "", "face_recognition/examples__obama-480p.jpg", 5)
	if r.str("status") != "needs_review" {
		t.Fatalf("third: %s", r.raw)
	}
	admin := e.newUser("adm@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "console", "roles": []string{"reviewer"}}, cred{bearer: admin.access}), 201)
	e.must(e.do("POST", "/v1/verifications/"+dup2+"/decision", map[string]string{"outcome": "approved"}, cred{bearer: k.str("key")}), 200)
	if got := e.must(e.do("GET", "/v1/verifications/"+dup2, nil, rc), 200).body["decision"].(map[string]any)["decided_by"]; got != k.str("id") {
		t.Errorf("a key's decision is recorded as decided by %v, want %s", got, k.str("id"))
	}
}
