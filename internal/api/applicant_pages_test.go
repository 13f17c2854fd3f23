package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/kyc"
)

// TestApplicantOutcomeIsNeutral (issue 16): the applicant's result page
// tells them the outcome and, when rejected, the one reason they can act
// on; the fraud signals (a face seen on another account, the similarity)
// are for reviewers. Reviewers still see them.
func TestApplicantOutcomeIsNeutral(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	first := e.newUser("first@example.com")
	second := e.newUser("second@example.com")
	if _, r := e.runCase(cred{bearer: first.access}, "", "face_recognition/examples__obama-480p.jpg", 3); r.str("status") != "approved" {
		t.Fatalf("first: %s", r.raw)
	}
	_, r := e.runCase(cred{bearer: second.access}, "", "face_recognition/examples__obama-480p.jpg", 4)
	if r.str("status") != "needs_review" || !strings.Contains(r.raw, "duplicate_face") {
		t.Fatalf("second: %s", r.raw)
	}
	for _, u := range []*user{first, second} {
		page := e.must(e.do("GET", "/verify", nil, cred{cookie: u.session}), 200).raw
		for _, leak := range []string{"similarity", "Face match", "another account", "duplicate_face", "data-reason=\"duplicate"} {
			if strings.Contains(page, leak) {
				t.Errorf("%s's result page shows %q", u.email, leak)
			}
		}
		if !strings.Contains(page, `id="outcome"`) {
			t.Errorf("%s's result page has no outcome: %s", u.email, page)
		}
	}
	// A reviewer rejects the duplicate: the applicant is told it was not
	// verified, and what to do, not why.
	rev := e.newUser("rev@example.com")
	e.withRoles(rev, kyc.RoleReviewer)
	vid := e.must(e.do("GET", "/v1/review/verifications", nil, cred{bearer: rev.access}), 200).body["verifications"].([]any)[0].(map[string]any)["id"].(string)
	e.must(e.do("POST", "/v1/verifications/"+vid+"/decision", map[string]string{"outcome": "rejected", "note": "same face, another name"}, cred{bearer: rev.access}), 200)
	page := e.must(e.do("GET", "/verify", nil, cred{cookie: second.session}), 200).raw
	if !strings.Contains(page, `id="advice" data-reason=""`) || strings.Contains(page, "duplicate") || strings.Contains(page, "same face") {
		t.Errorf("a reviewer's rejection shows the applicant the signal or the note: %s", page)
	}
	if view := e.must(e.do("GET", "/review/"+vid, nil, cred{cookie: rev.session}), 200).raw; !strings.Contains(view, "duplicate_face") {
		t.Errorf("the reviewer's page lacks the duplicate: %s", view)
	}
}

// TestApplicantRetakeBeforeSubmit (issue 16): a document that would surely
// be rejected (here a selfie sent as the ID: unreadable) cannot be
// submitted from the applicant's page, which asks for a new photo; a
// readable one shows its fields by name, beside the photo, and submits.
func TestApplicantRetakeBeforeSubmit(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	u := e.newUser("retake@example.com")
	c, page := cred{bearer: u.access}, cred{cookie: u.session}
	vid := e.must(e.do("POST", "/v1/verifications", nil, c), 201).str("id")
	e.passLiveness(vid, c)
	e.must(e.do("POST", "/v1/verifications/"+vid+"/documents", map[string]string{"front": faceB64}, c), 202)
	e.waitFor(vid, c, "the document to be read", func(r res) bool { return r.body["document"].(map[string]any)["status"] != "pending" })
	p := e.must(e.do("GET", "/verify", nil, page), 200).raw
	if !strings.Contains(p, `id="retake" data-reason="document_unreadable"`) || strings.Contains(p, `id="submit-case"`) {
		t.Fatalf("an unreadable document can be submitted from the page: %s", p)
	}
	if r := e.do("POST", "/verify/submit", nil, page); !strings.Contains(r.raw, `id="error"`) {
		t.Errorf("submitting an unreadable document from the page was not refused: %s", r.raw)
	}
	if s := e.must(e.do("GET", "/v1/verifications/"+vid, nil, c), 200).str("status"); s != "document_submitted" {
		t.Errorf("after the refused submit the case is %s", s)
	}
	front, _ := generatedDocOf(t, "face_recognition/examples__obama-480p.jpg", docgen.Passport, 3, 0)
	e.must(e.multipartDo("/v1/verifications/"+vid+"/documents", c, part{"front", "passport.jpg", "image/jpeg", front}), 202)
	e.waitFor(vid, c, "the document to be read", func(r res) bool { return r.body["document"].(map[string]any)["status"] != "pending" })
	p = e.must(e.do("GET", "/verify", nil, page), 200).raw
	for _, want := range []string{`id="submit-case"`, ">Date of birth<", ">Last name<", `id="document-photo" src="/v1/verifications/` + vid + `/images/front"`} {
		if !strings.Contains(p, want) {
			t.Errorf("the check step lacks %q", want)
		}
	}
	for _, raw := range []string{">DATE_OF_BIRTH<", ">ID_TYPE<", `id="retake"`} {
		if strings.Contains(p, raw) {
			t.Errorf("the check step shows %q", raw)
		}
	}
	if img := e.do("GET", "/v1/verifications/"+vid+"/images/front", nil, page); img.status != 200 {
		t.Errorf("the applicant's own photo = %d", img.status)
	}
	if r := e.do("POST", "/verify/submit", nil, page); strings.Contains(r.raw, `id="error"`) {
		t.Errorf("a readable document was refused: %s", r.raw)
	}
}

// TestApplicantPagesInLanguages (issue 16): the applicant's pages speak
// the browser's language (German, Spanish, Hindi, else English), the
// switcher's choice sticks, the liveness page's script gets its texts in
// that language; the reviewers' console stays English.
func TestApplicantPagesInLanguages(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("sprache@example.com")
	get := func(path, accept, lang string) res {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Accept-Language", accept)
		if lang != "" {
			req.AddCookie(&http.Cookie{Name: "kycd_lang", Value: lang})
		}
		return e.must(e.send(req, cred{cookie: u.session}), 200)
	}
	p := get("/verify", "de-DE,de;q=0.9", "")
	for _, want := range []string{`<html lang="de">`, "Identität bestätigen", `hreflang="es"`, `aria-current="true">Deutsch<`} {
		if !strings.Contains(p.raw, want) {
			t.Errorf("German /verify lacks %q", want)
		}
	}
	p = get("/liveness?lang=hi", "de", "")
	if !strings.Contains(p.raw, `<html lang="hi">`) || !strings.Contains(p.raw, "सीधे कैमरे की ओर देखें") || !strings.Contains(p.raw, `id="strings"`) {
		t.Errorf("the Hindi liveness page: %s", p.raw)
	}
	var chosen string
	for _, c := range p.header["Set-Cookie"] {
		if strings.HasPrefix(c, "kycd_lang=") {
			chosen = strings.TrimPrefix(strings.Split(c, ";")[0], "kycd_lang=")
		}
	}
	if chosen != "hi" {
		t.Fatalf("the switcher's choice was not kept: %v", p.header["Set-Cookie"])
	}
	if p := get("/verify", "de", chosen); !strings.Contains(p.raw, "अपनी पहचान सत्यापित करें") {
		t.Errorf("the chosen language did not stick: %s", p.raw)
	}
	if p := get("/verify", "es-ES", ""); !strings.Contains(p.raw, "Verifique su identidad") {
		t.Error("Spanish /verify is not Spanish")
	}
	rev := e.newUser("revisor@example.com")
	e.withRoles(rev, kyc.RoleReviewer)
	req, _ := http.NewRequest("GET", e.srv.URL+"/review", nil)
	req.Header.Set("Accept-Language", "de")
	if q := e.must(e.send(req, cred{cookie: rev.session}), 200); !strings.Contains(q.raw, `<html lang="en">`) {
		t.Errorf("the reviewers' console is not English: %s", q.raw[:200])
	}
}
