package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
)

// disputedCase drives an applicant's case to review the cheapest way: the
// applicant says the last name was read wrong (data_disputed).
func (e *env) disputedCase(u *user, seed uint64) string {
	e.t.Helper()
	c := cred{bearer: u.access}
	v := e.must(e.do("POST", "/v1/verifications", nil, c), 201)
	vid := v.str("id")
	r := e.driveCaseThen(vid, c, "face_recognition/examples__obama-480p.jpg", seed, func(read res) {
		e.must(e.do("PUT", "/v1/verifications/"+vid+"/dispute", map[string]any{"fields": []string{"LAST_NAME"}, "note": "it is Obama-Smith"}, c), 200)
	})
	if r.str("status") != "needs_review" || !slices.Contains(reasons(r), kyc.ReasonDisputed) {
		e.t.Fatalf("a disputed case: %s", r.raw)
	}
	return vid
}

func (e *env) reviewer(email string) (*user, cred) {
	u := e.newUser(email)
	e.withRoles(u, kyc.RoleReviewer)
	return u, cred{bearer: u.access}
}

// postForm sends a console form as c (a session cookie).
func (e *env) postForm(path string, form url.Values, c cred) res {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.send(req, c)
}

// TestDisputeGoesToReview (issue 16): the applicant says a field was read
// wrong, before submitting; the document stays the record, the case goes
// to a reviewer (data_disputed) who sees which fields and the note. Only
// fields the document shows, only the case's applicant, only before
// submitting; the page offers it and says it was recorded.
func TestDisputeGoesToReview(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	ann, bob := e.newUser("ann@example.com"), e.newUser("bob@example.com")
	c := cred{bearer: ann.access}
	vid := e.must(e.do("POST", "/v1/verifications", nil, c), 201).str("id")
	var page string
	r := e.driveCaseThen(vid, c, "face_recognition/examples__obama-480p.jpg", 3, func(read res) {
		if r := e.do("PUT", "/v1/verifications/"+vid+"/dispute", map[string]any{"fields": []string{"BLOOD_GROUP"}}, c); r.status != 400 {
			t.Errorf("a field the document does not show: %d %s", r.status, r.raw)
		}
		if r := e.do("PUT", "/v1/verifications/"+vid+"/dispute", map[string]any{"fields": []string{"LAST_NAME"}}, cred{bearer: bob.access}); r.status != 404 {
			t.Errorf("another applicant disputes the case: %d %s", r.status, r.raw)
		}
		page = e.must(e.do("GET", "/verify", nil, cred{cookie: ann.session}), 200).raw
		if !strings.Contains(page, `id="dispute-form"`) || !strings.Contains(page, `value="LAST_NAME"`) {
			t.Errorf("the check step offers no way to say a field is wrong")
		}
		e.postForm("/verify/dispute", url.Values{"field": {"LAST_NAME", "DATE_OF_BIRTH"}, "note": {"my name is Obama-Smith"}}, cred{cookie: ann.session})
		got := e.must(e.do("GET", "/v1/verifications/"+vid, nil, c), 200)
		if f, _ := got.body["disputed_fields"].([]any); len(f) != 2 {
			t.Errorf("the form's dispute was not recorded: %s", got.raw)
		}
		page = e.must(e.do("GET", "/verify", nil, cred{cookie: ann.session}), 200).raw
		if !strings.Contains(page, `id="dispute-recorded"`) || !strings.Contains(page, "Last name") {
			t.Errorf("the page does not say the dispute was recorded")
		}
	})
	if r.str("status") != "needs_review" || !slices.Contains(reasons(r), kyc.ReasonDisputed) {
		t.Fatalf("a disputed case: %s", r.raw)
	}
	if r := e.do("PUT", "/v1/verifications/"+vid+"/dispute", map[string]any{"fields": []string{}}, c); r.status != 409 {
		t.Errorf("a dispute after submitting: %d %s", r.status, r.raw)
	}
	rev := e.newUser("rita@example.com")
	e.withRoles(rev, kyc.RoleReviewer)
	page = e.must(e.do("GET", "/review/"+vid, nil, cred{cookie: rev.session}), 200).raw
	for _, want := range []string{`id="case-disputed"`, "Last name", "Date of birth", "my name is Obama-Smith"} {
		if !strings.Contains(page, want) {
			t.Errorf("the reviewer's page lacks %q", want)
		}
	}
}

// TestClaim (issue 16): a reviewer claims a case so that no other works
// it: of ten claims at once by two reviewers one reviewer wins, the other's
// decision is refused (409) until the claim is released or lapses; the
// queue and the case page say who holds it.
func TestClaim(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	vid := e.disputedCase(e.newUser("ann@example.com"), 3)
	rita, rc := e.reviewer("rita@example.com")
	sam, sc := e.reviewer("sam@example.com")
	rs := e.parallel(10, func(i int) (string, string, any, cred) {
		return "POST", "/v1/verifications/" + vid + "/claim", nil, []cred{rc, sc}[i%2]
	})
	holder := ""
	for _, r := range rs {
		if r.status == 200 {
			rv, _ := r.body["review"].(map[string]any)
			if by, _ := rv["claimed_by"].(string); holder == "" {
				holder = by
			} else if by != holder {
				t.Errorf("both reviewers hold the case: %s and %s", holder, by)
			}
		} else if r.status != 409 {
			t.Errorf("a claim: %d %s", r.status, r.raw)
		}
	}
	got := e.must(e.do("GET", "/v1/verifications/"+vid, nil, rc), 200)
	if rv, _ := got.body["review"].(map[string]any); rv == nil || rv["claimed_by"] != holder || holder == "" {
		t.Fatalf("the claim's record: %s", got.raw)
	}
	other, oc, ou := sam, sc, sam
	if holder == sam.id {
		other, oc, ou = rita, rc, rita
	}
	_ = other
	if r := e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "approved"}, oc); r.status != 409 {
		t.Errorf("a decision on a case another reviewer holds: %d %s", r.status, r.raw)
	}
	page := e.must(e.do("GET", "/review/"+vid, nil, cred{cookie: ou.session}), 200).raw
	if !strings.Contains(page, `data-claimed="other"`) || strings.Contains(page, `id="decide"`) {
		t.Errorf("the case page of a case another reviewer holds offers the decision")
	}
	queue := e.must(e.do("GET", "/review", nil, cred{cookie: ou.session}), 200).raw
	if !strings.Contains(queue, "@example.com</td>") || !strings.Contains(queue, "data-age") {
		t.Errorf("the queue does not show who holds a case and its age")
	}
	// The claim lapses after 30 minutes: the other reviewer may take it
	// (both sign in again: their access tokens lapsed too).
	e.clk.Advance(kyc.ClaimTTL + time.Minute)
	for _, u := range []*user{rita, sam} {
		u.access = e.must(e.do("POST", "/v1/auth/signin", map[string]string{"email": u.email, "password": u.password}, cred{}), 200).str("access_token")
	}
	rc, sc = cred{bearer: rita.access}, cred{bearer: sam.access}
	oc = sc
	if holder == sam.id {
		oc = rc
	}
	e.must(e.do("POST", "/v1/verifications/"+vid+"/claim", nil, oc), 200)
	hc := rc
	if holder == sam.id {
		hc = sc
	}
	if r := e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "approved"}, hc); r.status != 409 {
		t.Errorf("the first reviewer decides after their claim lapsed and another took it: %d", r.status)
	}
	e.must(e.do("DELETE", "/v1/verifications/"+vid+"/claim", nil, oc), 200)
	e.must(e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "approved"}, hc), 200)
}

// TestFourEyes (issue 16): under four-eyes a reviewer's rejection is a
// proposal that a second reviewer confirms; the proposer cannot confirm
// it, two confirmations at once decide once, and the record names both.
// high_risk also holds approvals of cases with a fraud signal; off
// decides at once (TestReviewerDecisionRecorded).
func TestFourEyes(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder, rules: journey.Rules{FourEyes: journey.FourEyesHighRisk}})
	vid := e.disputedCase(e.newUser("ann@example.com"), 3)
	rita, rc := e.reviewer("rita@example.com")
	_, sc := e.reviewer("sam@example.com")
	_, tc := e.reviewer("tom@example.com")
	r := e.must(e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "rejected", "reason": "data_mismatch", "note": "the name differs from the photo"}, rc), 200)
	rv, _ := r.body["review"].(map[string]any)
	prop, _ := rv["proposal"].(map[string]any)
	if r.str("status") != "needs_review" || prop == nil || prop["outcome"] != "rejected" || prop["proposed_by"] != rita.id {
		t.Fatalf("a rejection under four-eyes: %s", r.raw)
	}
	if r := e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "rejected", "note": "again, me"}, rc); r.status != 409 {
		t.Errorf("the proposer confirms their own rejection: %d %s", r.status, r.raw)
	}
	page := e.must(e.do("GET", "/review/"+vid, nil, cred{cookie: rita.session}), 200).raw
	if !strings.Contains(page, `id="case-proposal"`) || strings.Contains(page, `id="decide"`) {
		t.Errorf("the proposer's page does not show the waiting proposal, or offers the decision")
	}
	rs := e.parallel(6, func(i int) (string, string, any, cred) {
		return "POST", "/v1/verifications/" + vid + "/decision", map[string]string{"outcome": "rejected"}, []cred{sc, tc}[i%2]
	})
	if n := statuses(rs); n[200] != 1 || n[409] != 5 {
		t.Errorf("six confirmations at once: %v, want one 200 and five 409", n)
	}
	got := e.must(e.do("GET", "/v1/verifications/"+vid, nil, rc), 200)
	d := got.body["decision"].(map[string]any)
	if got.str("status") != "rejected" || d["decided_by"] == rita.id || !slices.Contains(reasons(got), "data_mismatch") ||
		!strings.Contains(d["note"].(string), "the name differs") {
		t.Errorf("the confirmed rejection: %s", got.raw)
	}
	audit := e.must(e.do("GET", "/v1/verifications/"+vid+"/audit", nil, rc), 200).raw
	if !strings.Contains(audit, "verification.proposed") || !strings.Contains(audit, `"confirms":"`+rita.id) {
		t.Errorf("the audit trail does not record the proposal and its confirmation: %s", audit)
	}

	// high_risk: approving a disputed case (a fraud signal) needs two
	// reviewers too; the second may replace a proposal with another.
	vid = e.disputedCase(e.newUser("bo@example.com"), 4)
	r = e.must(e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "approved"}, rc), 200)
	if r.str("status") != "needs_review" {
		t.Errorf("a high-risk approval under high_risk was decided by one reviewer: %s", r.raw)
	}
	e.must(e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "approved"}, sc), 200)
	if s := e.must(e.do("GET", "/v1/verifications/"+vid, nil, rc), 200).str("status"); s != "approved" {
		t.Errorf("the confirmed approval: %s", s)
	}
}

// TestRequestDocument (issue 16): a reviewer asks for a new document with
// a reason and a note: the case goes back to the applicant (liveness
// stands), the old document's images are gone, the applicant's page says
// why (not the note), and the new document is decided again.
func TestRequestDocument(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	ann := e.newUser("ann@example.com")
	c := cred{bearer: ann.access}
	vid := e.disputedCase(ann, 3)
	_, rc := e.reviewer("rita@example.com")
	if r := e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "request_document", "note": "the photo is cut off"}, rc); r.status != 400 {
		t.Errorf("an ask without a reason: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "request_document", "reason": "duplicate_face", "note": "the photo is cut off"}, rc); r.status != 400 {
		t.Errorf("an ask with a reason a new document cannot mend: %d %s", r.status, r.raw)
	}
	r := e.must(e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "request_document", "reason": "document_unreadable", "note": "the photo is cut off"}, rc), 200)
	req, _ := r.body["document_request"].(map[string]any)
	if r.str("status") != "liveness_passed" || r.body["document"] != nil || req == nil || req["reason"] != "document_unreadable" {
		t.Fatalf("after the ask: %s", r.raw)
	}
	if r := e.do("GET", "/v1/verifications/"+vid+"/images/front", nil, c); r.status != 404 {
		t.Errorf("the old document's image after the ask: %d", r.status)
	}
	page := e.must(e.do("GET", "/verify", nil, cred{cookie: ann.session}), 200).raw
	if !strings.Contains(page, `id="document-requested"`) || !strings.Contains(page, `id="upload-form"`) || strings.Contains(page, "cut off") {
		t.Errorf("the applicant's page after the ask (the reason, the upload, not the note)")
	}
	front, _ := generatedDocOf(t, "face_recognition/examples__obama-480p.jpg", docgen.Passport, 3, 0)
	e.must(e.multipartDo("/v1/verifications/"+vid+"/documents", c, part{"front", "passport.jpg", "image/jpeg", front}), 202)
	e.waitFor(vid, c, "the new document to be read", func(r res) bool {
		d, _ := r.body["document"].(map[string]any)
		return d != nil && d["status"] == "done"
	})
	e.must(e.do("POST", "/v1/verifications/"+vid+"/submit", nil, c), 202)
	got := e.waitFor(vid, c, "a decision", func(r res) bool { return r.str("status") == "approved" })
	if slices.Contains(reasons(got), kyc.ReasonDisputed) {
		t.Errorf("the old dispute outlived the document it was about: %s", got.raw)
	}
}

// TestReviewSearch (issue 16): reviewers find a case by a name or the
// document number, which the database holds only as keyed hashes; an
// erased case is not found.
func TestReviewSearch(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	ann := e.newUser("ann@example.com")
	vid := e.disputedCase(ann, 3)
	_, rc := e.reviewer("rita@example.com")
	v := e.must(e.do("GET", "/v1/verifications/"+vid, nil, rc), 200)
	fields := v.body["document"].(map[string]any)["fields"].(map[string]any)
	last := fields["LAST_NAME"].(map[string]any)["value"].(string)
	number := fields["DOCUMENT_NUMBER"].(map[string]any)["value"].(string)
	for _, q := range []string{strings.ToLower(last), number} {
		r := e.must(e.do("GET", "/v1/review/verifications?status=all&q="+url.QueryEscape(q), nil, rc), 200)
		if !strings.Contains(r.raw, vid) {
			t.Errorf("searching %q does not find the case", q)
		}
	}
	if r := e.must(e.do("GET", "/v1/review/verifications?status=all&q=Nobodyknows", nil, rc), 200); strings.Contains(r.raw, vid) {
		t.Error("another name finds the case")
	}
	var n int
	var clear int
	if err := e.db.SQL().QueryRow(`SELECT COUNT(*) FROM verification_terms WHERE verification_id = $1`, vid).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SQL().QueryRow(`SELECT COUNT(*) FROM verification_terms WHERE term LIKE $1 OR term LIKE $2`,
		"%"+last+"%", "%"+number+"%").Scan(&clear); err != nil {
		t.Fatal(err)
	}
	if n == 0 || clear != 0 {
		t.Errorf("the search terms: %d, of which %d hold a value in clear", n, clear)
	}
	e.must(e.do("DELETE", "/v1/verifications/"+vid, nil, cred{bearer: ann.access}), 200)
	if r := e.must(e.do("GET", "/v1/review/verifications?status=all&q="+url.QueryEscape(number), nil, rc), 200); strings.Contains(r.raw, vid) {
		t.Error("an erased case is found by its document number")
	}
}
