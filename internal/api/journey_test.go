package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
)

// hookServer is an integrator's webhook endpoint: it checks every
// signature with the secret and fails the first delivery it sees, so the
// retry is exercised.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	secret   string
	events   []map[string]any
	attempts int
	badSigs  int
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.attempts++
		if !validSignature(h.secret, r.Header.Get("X-Kycd-Signature"), body) {
			h.badSigs++
			w.WriteHeader(400)
			return
		}
		if h.attempts == 1 {
			w.WriteHeader(503) // the integrator is down once
			return
		}
		var ev map[string]any
		json.Unmarshal(body, &ev)
		h.events = append(h.events, ev)
		w.WriteHeader(204)
	}))
	t.Cleanup(h.Close)
	return h
}

// validSignature checks X-Kycd-Signature as an integrator would.
func validSignature(secret, header string, body []byte) bool {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil || secret == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(sig), []byte(want))
}

// received returns the events for a verification.
func (h *hookServer) received(vid string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, ev := range h.events {
		if d, _ := ev["data"].(map[string]any); d["verification_id"] == vid {
			out = append(out, ev["event"].(string))
		}
	}
	return out
}

// waitFor polls GET /v1/verifications/{id} until cond holds.
func (e *env) waitFor(vid string, c cred, what string, cond func(r res) bool) res {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := e.must(e.do("GET", "/v1/verifications/"+vid, nil, c), 200)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("waiting for %s: %s", what, r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// passLiveness runs the liveness check of a case: the test person meets
// its challenges.
func (e *env) passLiveness(vid string, c cred) {
	e.t.Helper()
	s := e.must(e.do("POST", "/v1/verifications/"+vid+"/liveness", nil, c), 201)
	r := e.perform(s, c, subject(e.t))
	if res, _ := r.body["result"].(map[string]any); r.status != 200 || res["status"] != "succeeded" {
		e.t.Fatalf("liveness: %s", r.raw)
	}
}

// runCase drives one case through the API as an integrator: start,
// liveness, document, submit; it returns the decided case.
func (e *env) runCase(c cred, reference, photo string, seed uint64) (string, res) {
	e.t.Helper()
	v := e.must(e.do("POST", "/v1/verifications", map[string]string{"reference": reference}, c), 201)
	vid := v.str("id")
	return vid, e.driveCase(vid, c, photo, seed)
}

// driveCase takes a started case through liveness, a generated passport
// of photo (drawn from seed) and submission, as c; it returns the decided
// case.
func (e *env) driveCase(vid string, c cred, photo string, seed uint64) res {
	e.t.Helper()
	return e.driveCaseThen(vid, c, photo, seed, nil)
}

// driveCaseThen is driveCase with a step between the reading and the
// submission (the applicant disputing a field, say).
func (e *env) driveCaseThen(vid string, c cred, photo string, seed uint64, beforeSubmit func(read res)) res {
	e.t.Helper()
	e.passLiveness(vid, c)
	front, _ := generatedDocOf(e.t, photo, docgen.Passport, seed, 0)
	up := e.must(e.multipartDo("/v1/verifications/"+vid+"/documents", c, part{"front", "passport.jpg", "image/jpeg", front}), 202)
	if up.str("status") != "document_submitted" {
		e.t.Fatalf("upload: %s", up.raw)
	}
	read := e.waitFor(vid, c, "the document to be read", func(r res) bool {
		d, _ := r.body["document"].(map[string]any)
		return d != nil && d["status"] != "pending"
	})
	if d := read.body["document"].(map[string]any); d["status"] != "done" || d["document_type"] != "passport" {
		e.t.Fatalf("document: %s", read.raw)
	}
	if beforeSubmit != nil {
		beforeSubmit(read)
	}
	e.must(e.do("POST", "/v1/verifications/"+vid+"/submit", nil, c), 202)
	return e.waitFor(vid, c, "a decision", func(r res) bool {
		s := r.str("status")
		return s == "approved" || s == "rejected" || s == "needs_review"
	})
}

func reasons(r res) []string {
	var out []string
	if d, _ := r.body["decision"].(map[string]any); d != nil {
		for _, x := range d["reasons"].([]any) {
			out = append(out, x.(string))
		}
	}
	return out
}

// TestJourneyOverAPI is the integrator's journey with an API key: the same
// person is approved, another person's passport is rejected (face_mismatch),
// the same face on a second case goes to review (duplicate_face) and a
// reviewer decides it; every event reaches the webhook, signed, even after
// the endpoint failed once; a case is erased and its images are gone.
func TestJourneyOverAPI(t *testing.T) {
	e := newEnv(t, envOptions{challenges: performableOrder})
	admin := e.newUser("journey-admin@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	e.signIn(admin, "")
	ac := cred{bearer: admin.access}
	hook := newHookServer(t)
	wh := e.must(e.do("POST", "/v1/webhooks", map[string]any{"url": hook.URL}, ac), 201)
	if !strings.HasPrefix(wh.str("secret"), "whsec_") {
		t.Fatalf("webhook: %s", wh.raw)
	}
	hook.mu.Lock()
	hook.secret = wh.str("secret")
	hook.mu.Unlock()
	key := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "crm", "roles": []string{"integrator"}}, ac), 201)
	kc := cred{bearer: key.str("key")}

	// 1. The same person: approved.
	same, r := e.runCase(kc, "crm-1", "face_recognition/examples__obama-480p.jpg", 3)
	fm, _ := r.body["face_match"].(map[string]any)
	if r.str("status") != "approved" || fm == nil || fm["similarity"].(float64) < 80 || fm["match"] != true {
		t.Fatalf("same person: %s", r.raw)
	}
	// A second submit is refused: the case is decided once.
	if again := e.do("POST", "/v1/verifications/"+same+"/submit", nil, kc); again.status != 409 {
		t.Errorf("second submit: %d", again.status)
	}

	// 2. Another person's passport: rejected.
	other, r := e.runCase(kc, "crm-2", "face_recognition/examples__biden.jpg", 4)
	if r.str("status") != "rejected" || !slices.Contains(reasons(r), "face_mismatch") {
		t.Fatalf("another person: %s", r.raw)
	}
	_ = other

	// 3. The same face again on a new case: a reviewer looks at it.
	dup, r := e.runCase(kc, "crm-3", "face_recognition/examples__obama-720p.jpg", 5)
	if r.str("status") != "needs_review" || !slices.Contains(reasons(r), "duplicate_face") {
		t.Fatalf("duplicate: %s", r.raw)
	}
	reviewer := e.newUser("journey-reviewer@example.com")
	e.withRoles(reviewer, kyc.RoleReviewer)
	e.signIn(reviewer, "")
	rc := cred{bearer: reviewer.access}
	queue := e.must(e.do("GET", "/v1/review/verifications", nil, rc), 200)
	if list := queue.body["verifications"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != dup {
		t.Fatalf("review queue: %s", queue.raw)
	}
	// Search: by reference (contained) and by id.
	for q, want := range map[string]int{"status=all&q=crm-": 3, "status=all&q=" + dup: 1, "status=all&q=nobody": 0} {
		found := e.must(e.do("GET", "/v1/review/verifications?"+q, nil, rc), 200)
		if n := len(found.body["verifications"].([]any)); n != want {
			t.Errorf("search %s: %d cases, want %d", q, n, want)
		}
	}
	// The reviewer opens the case: selfie reference, portrait, fields.
	opened := e.must(e.do("GET", "/v1/verifications/"+dup, nil, rc), 200)
	if d, _ := opened.body["document"].(map[string]any); d == nil || d["fields"] == nil || len(d["image_urls"].([]any)) < 2 {
		t.Fatalf("the reviewer's view: %s", opened.raw)
	}
	decided := e.must(e.do("POST", "/v1/verifications/"+dup+"/decision", map[string]string{"outcome": "approved", "note": "same person renewing"}, rc), 200)
	if decided.str("status") != "approved" || decided.body["decision"].(map[string]any)["decided_by"] != reviewer.id {
		t.Fatalf("decision: %s", decided.raw)
	}
	audit := e.must(e.do("GET", "/v1/verifications/"+dup+"/audit", nil, rc), 200)
	var actions []string
	for _, ev := range audit.body["events"].([]any) {
		actions = append(actions, ev.(map[string]any)["action"].(string))
	}
	for _, want := range []string{"verification.created", "liveness.succeeded", "document.uploaded", "document.analyzed",
		"verification.submitted", "verification.decided", "verification.viewed", "verification.reviewed"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit of %s lacks %s: %v", dup, want, actions)
		}
	}

	// Webhooks: every case's events, signed; the failed first attempt was retried.
	deadline := time.Now().Add(60 * time.Second)
	want := map[string][]string{same: {"verification.created", "verification.completed"}, other: {"verification.created", "verification.completed"},
		dup: {"verification.created", "verification.needs_review", "verification.completed"}}
	for vid, events := range want {
		for {
			got := hook.received(vid)
			slices.Sort(got)
			w := slices.Clone(events)
			slices.Sort(w)
			if slices.Equal(got, w) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("webhook events for %s: %v, want %v", vid, got, events)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	hook.mu.Lock()
	if hook.badSigs != 0 || hook.attempts < 8 {
		t.Errorf("webhook: %d bad signatures, %d attempts", hook.badSigs, hook.attempts)
	}
	hook.mu.Unlock()
	dl := e.must(e.do("GET", "/v1/webhooks/"+wh.str("id")+"/deliveries", nil, ac), 200)
	var raw []map[string]any
	json.Unmarshal([]byte(dl.raw), &raw)
	retried := false
	for _, d := range raw {
		if d["attempts"].(float64) >= 2 && d["status"] == "delivered" {
			retried = true
		}
	}
	if !retried || len(raw) != 7 {
		t.Errorf("deliveries: %s", dl.raw)
	}
	rp := e.must(e.do("POST", "/v1/webhooks/deliveries/"+raw[0]["id"].(string)+"/replay", nil, ac), 202)
	if rp.str("status") != "pending" {
		t.Errorf("replay: %s", rp.raw)
	}

	// Erasure: the images and personal data go, a tombstone stays.
	blobs, err := e.db.ListBlobs(t.Context(), same)
	if err != nil || len(blobs) < 2 {
		t.Fatalf("blobs of %s: %v %v", same, blobs, err)
	}
	l, err := e.db.LatestLiveness(t.Context(), same, "")
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{l.ReferenceKey}
	for _, b := range blobs {
		keys = append(keys, b.Key)
	}
	gone := e.must(e.do("DELETE", "/v1/verifications/"+same, nil, ac), 200)
	if gone.str("status") != "erased" || gone.body["document"] != nil || gone.body["liveness"] != nil || gone.str("reference") != "crm-1" {
		t.Fatalf("erased: %s", gone.raw)
	}
	for _, k := range keys {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := e.blobs.Get(t.Context(), k); kyc.ErrorCode(err) == kyc.NotFound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("blob %s still there after the erasure", k)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	v, _ := e.db.GetVerification(t.Context(), same)
	if len(v.Details) != 0 || v.Status != kyc.StatusErased {
		t.Errorf("the record keeps personal data: %+v", v)
	}
	if ts, _ := e.db.FaceTemplates(t.Context(), ""); len(ts) != 2 {
		t.Errorf("%d face templates left, want the 2 of the other cases", len(ts))
	}
}

// TestRetentionAndExpiry: the hourly sweep expires a case abandoned for a
// week and erases a decided case once its retention has passed.
func TestRetentionAndExpiry(t *testing.T) {
	e := newEnv(t, envOptions{challenges: performableOrder, rules: journey.Rules{Retention: 24 * time.Hour}})
	u := e.newUser("retention@example.com")
	e.withRoles(u, kyc.RoleAdmin)
	e.signIn(u, "")
	key := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "crm", "roles": []string{"integrator"}}, cred{bearer: u.access}), 201)
	c := cred{bearer: key.str("key")}
	decided, r := e.runCase(c, "kept-a-day", "face_recognition/examples__obama-480p.jpg", 3)
	if r.str("status") != "approved" {
		t.Fatalf("case: %s", r.raw)
	}
	abandoned := e.must(e.do("POST", "/v1/verifications", map[string]string{"reference": "left"}, c), 201).str("id")
	blobs, _ := e.db.ListBlobs(t.Context(), decided)
	if len(blobs) == 0 {
		t.Fatal("no blobs recorded")
	}
	if n, err := e.journey.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("sweep before the retention: %d %v", n, err)
	}
	e.clk.Advance(8 * 24 * time.Hour)
	n, err := e.journey.Sweep(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("sweep after 8 days erased %d (%v), want 1", n, err)
	}
	v, _ := e.db.GetVerification(t.Context(), decided)
	if v.Status != kyc.StatusErased || len(v.Details) != 0 || v.ErasedAt.IsZero() {
		t.Errorf("decided case after its retention: %+v", v)
	}
	if a, _ := e.db.GetVerification(t.Context(), abandoned); a.Status != kyc.StatusExpired {
		t.Errorf("abandoned case: %s", a.Status)
	}
	for _, b := range blobs {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := e.blobs.Get(t.Context(), b.Key); kyc.ErrorCode(err) == kyc.NotFound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s survived the retention", b.Key)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The expired case is erased by the next sweep a day after it expired.
	e.clk.Advance(25 * time.Hour)
	if n, err := e.journey.Sweep(t.Context()); err != nil || n != 1 {
		t.Errorf("second sweep erased %d (%v), want the expired case", n, err)
	}
}

// TestConcurrentSubmit: five submits of one case at once queue it once.
func TestConcurrentSubmit(t *testing.T) {
	e := newEnv(t, envOptions{challenges: performableOrder})
	u := e.newUser("racer@example.com")
	c := cred{bearer: u.access}
	vid := e.must(e.do("POST", "/v1/verifications", nil, c), 201).str("id")
	e.passLiveness(vid, c)
	front, _ := generatedDoc(t, docgen.Passport, 3, 0)
	e.must(e.multipartDo("/v1/verifications/"+vid+"/documents", c, part{"front", "p.jpg", "image/jpeg", front}), 202)
	statuses := make(chan int, 5)
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { statuses <- e.do("POST", "/v1/verifications/"+vid+"/submit", nil, c).status })
	}
	wg.Wait()
	close(statuses)
	won := 0
	for s := range statuses {
		switch s {
		case 202:
			won++
		case 409:
		default:
			t.Errorf("a submit answered %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d submits won, want 1", won)
	}
	r := e.waitFor(vid, c, "a decision", func(r res) bool { return r.str("status") == "approved" })
	evs, _ := e.db.ListAudit(t.Context(), vid, 100)
	n := 0
	for _, ev := range evs {
		if ev.Action == "verification.decided" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("decided %d times: %s", n, r.raw)
	}
}

// TestSpoofReview: with the rule on, a liveness check the passive model was
// not sure of (confidence under the setting) sends the case to a reviewer.
func TestSpoofReview(t *testing.T) {
	e := newEnv(t, envOptions{challenges: performableOrder, rules: journey.Rules{Rules: kyc.Rules{SpoofReview: 100}}})
	u := e.newUser("spoof@example.com")
	_, r := e.runCase(cred{bearer: u.access}, "", "face_recognition/examples__obama-480p.jpg", 3)
	if r.str("status") != "needs_review" || !slices.Contains(reasons(r), "spoof_detected") {
		t.Fatalf("%s", r.raw)
	}
}
