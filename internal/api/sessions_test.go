package api_test

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/kyc"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// openLink opens a session's url (or client secret) as a new browser: the
// status, and the browser's cookie when it opened.
func (e *env) openLink(link string) (int, string) {
	e.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		e.t.Fatal(err)
	}
	return openPath(e.srv.URL + u.Path)
}

func openPath(full string) (int, string) {
	resp, err := noRedirect.Get(full)
	if err != nil {
		return 0, ""
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-kycd_link" && c.Value != "" {
			return resp.StatusCode, c.Value
		}
	}
	return resp.StatusCode, ""
}

// raceOpen opens one link (or code) from n browsers at once: the cookies
// of those it opened for.
func raceOpen(full string, n int) []string {
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if status, c := openPath(full); status == http.StatusSeeOther && c != "" {
				mu.Lock()
				got = append(got, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return got
}

// passportData is what generatedDocOf's passport of that seed says.
func passportData(seed uint64) docgen.Doc {
	return docgen.Random(rand.New(rand.NewPCG(seed, seed)), docgen.Passport, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
}

// TestVerificationSessions is an integrator's hosted session end to end
// over the API: the key creates a session with a reference, metadata, a
// return URL and the data it expects; the user's browser opens the link
// (no account), passes liveness and uploads its passport; the case is
// approved with every expected field matching, and the signed webhook
// carries the session, reference and metadata. A second session that
// expects another surname goes to review with data_mismatch.
func TestVerificationSessions(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	admin := e.newUser("sessions-admin@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	ac := cred{bearer: admin.access}
	hook := newHookServer(t)
	wh := e.must(e.do("POST", "/v1/webhooks", map[string]any{"url": hook.URL}, ac), 201)
	hook.mu.Lock()
	hook.secret = wh.str("secret")
	hook.mu.Unlock()
	key := cred{bearer: e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "shop", "roles": []string{"integrator"}}, ac), 201).str("key")}

	photo := "face_recognition/examples__obama-480p.jpg"
	doc := passportData(3)
	given, _, _ := strings.Cut(doc.GivenNames, " ")
	for _, tt := range []struct {
		name     string
		surname  string
		options  map[string]any
		status   string
		reasons  []string
		expected string
	}{
		{"expected data matches", doc.Surname, nil, "approved", nil, "match"},
		// The same face as the first case, but the same customer (reference): no duplicate.
		{"another surname", doc.Surname + "ova", nil, "needs_review", []string{"data_mismatch"}, "mismatch"},
		{"a passport where ID cards are asked for", doc.Surname, map[string]any{"document_types": []string{"id_card"}},
			"rejected", []string{"unsupported_document"}, "match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			s := e.must(e.do("POST", "/v1/verification-sessions", map[string]any{
				"reference": "user-42", "metadata": map[string]string{"plan": "gold"}, "return_url": "https://shop.example/done?x=1",
				"expected": map[string]string{"first_name": strings.ToLower(given), "last_name": tt.surname,
					"date_of_birth": doc.BirthDate.Format(time.DateOnly)},
				"options": tt.options,
			}, key), 201)
			vid, sid := s.str("verification_id"), s.str("id")
			if s.str("status") != "open" || !strings.HasPrefix(s.str("url"), "http://kyc.test/s/kvl_") ||
				!strings.HasPrefix(s.str("client_secret"), "kvs_") {
				t.Fatalf("created: %s", s.raw)
			}
			status, browser := e.openLink(s.str("url"))
			if status != http.StatusSeeOther || browser == "" {
				t.Fatalf("opening the link = %d, cookie %q", status, browser)
			}
			got := e.must(e.do("GET", "/v1/verification-sessions/"+sid, nil, key), 200)
			if got.str("status") != "in_progress" || got.str("url") != "" || got.str("client_secret") != "" {
				t.Errorf("an opened session still shows its credentials or the wrong status: %s", got.raw)
			}
			link := cred{link: browser}
			decided := e.driveCase(vid, link, photo, 3)
			if decided.str("status") != tt.status || !slices.Equal(reasons(decided), tt.reasons) {
				t.Fatalf("decision: %s", decided.raw)
			}
			for _, c := range decided.body["expected"].([]any) {
				c := c.(map[string]any)
				if want := tt.expected; c["field"] != "last_name" {
					want = "match"
					if c["result"] != want {
						t.Errorf("expected %s: %v, want %s", c["field"], c["result"], want)
					}
				} else if c["result"] != want {
					t.Errorf("expected last_name: %v, want %s", c["result"], want)
				}
			}
			// The hosted page sends the user back with the session's id.
			page := e.do("GET", "/verify", nil, link)
			if !strings.Contains(page.raw, `href="https://shop.example/done?verification_session=`+sid+`&amp;x=1"`) {
				t.Errorf("the result page has no way back to the integrator: %s", page.raw)
			}
			deadline := time.Now().Add(30 * time.Second)
			event := map[string]string{"approved": "verification.completed", "rejected": "verification.completed", "needs_review": "verification.needs_review"}[tt.status]
			for !slices.Contains(hook.received(vid), event) {
				if time.Now().After(deadline) {
					t.Fatalf("webhooks received: %v", hook.received(vid))
				}
				time.Sleep(100 * time.Millisecond)
			}
			hook.mu.Lock()
			for _, ev := range hook.events {
				d := ev["data"].(map[string]any)
				if d["verification_id"] != vid {
					continue
				}
				md, _ := d["metadata"].(map[string]any)
				if d["verification_session"] != sid || d["reference"] != "user-42" || md["plan"] != "gold" {
					t.Errorf("webhook %s lacks the session, reference or metadata: %v", ev["event"], d)
				}
			}
			hook.mu.Unlock()
			want := map[string]string{"approved": "completed", "rejected": "completed", "needs_review": "processing"}[tt.status]
			if got := e.must(e.do("GET", "/v1/verification-sessions/"+sid, nil, key), 200); got.str("status") != want {
				t.Errorf("session status %s, want %s", got.str("status"), want)
			}
		})
	}
	e.t = t
	// Pages: newest first, has_more, starting_after.
	var seen []string
	after := ""
	for page := 0; page < 5; page++ {
		list := e.must(e.do("GET", "/v1/verification-sessions?limit=2&starting_after="+after, nil, key), 200)
		for _, x := range list.body["sessions"].([]any) {
			seen = append(seen, x.(map[string]any)["id"].(string))
		}
		if list.body["has_more"] != true {
			break
		}
		after = seen[len(seen)-1]
	}
	if len(seen) != 3 || len(slices.Compact(slices.Clone(seen))) != 3 {
		t.Errorf("the key's pages list %v, want 3 sessions once each", seen)
	}
}

// TestVerificationSessionSecurity: a link opens once (also when 10
// browsers race for it, on both databases), its client secret is spent
// with it, it expires, it can be cancelled; its browser drives its own
// case and nothing else; another key cannot see or cancel the session;
// only an integrator's key creates one; an idempotent retry returns the
// same session.
func TestVerificationSessionSecurity(t *testing.T) {
	needFace(t)
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect})
		admin := e.newUser("links-admin@example.com")
		e.withRoles(admin, kyc.RoleAdmin)
		ac := cred{bearer: admin.access}
		newKey := func() cred {
			return cred{bearer: e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "k", "roles": []string{"integrator"}}, ac), 201).str("key")}
		}
		a, b := newKey(), newKey()
		create := func() res {
			return e.must(e.do("POST", "/v1/verification-sessions", map[string]any{"reference": "r"}, a), 201)
		}

		// Ten browsers race for one link: one opens it.
		s := create()
		u, _ := url.Parse(s.str("url"))
		opened := raceOpen(e.srv.URL+u.Path, 10)
		if len(opened) != 1 {
			t.Fatalf("%d browsers opened one link, want 1", len(opened))
		}
		link := cred{link: opened[0]}
		for _, secret := range []string{s.str("url")[strings.LastIndex(s.str("url"), "/")+1:], s.str("client_secret"), opened[0]} {
			if strings.Contains(e.logs.String(), secret) {
				t.Errorf("the log holds a credential: %s", secret)
			}
		}
		if status, _ := e.openLink(s.str("url")); status != http.StatusConflict {
			t.Errorf("a used link = %d, want 409", status)
		}
		if status, _ := openPath(e.srv.URL + "/s/" + s.str("client_secret")); status != http.StatusConflict {
			t.Errorf("the client secret of an opened session = %d, want 409", status)
		}
		for _, bad := range []string{"kvl_nothing", "ver_x", strings.Replace(s.str("url"), "kvl_", "kvl_x", 1)} {
			if status, _ := openPath(e.srv.URL + "/s/" + bad[strings.LastIndex(bad, "/")+1:]); status != http.StatusNotFound {
				t.Errorf("an unknown link %q = %d, want 404", bad, status)
			}
		}

		vid := s.str("verification_id")
		other := create()
		applicant := e.newUser("links-applicant@example.com")
		own := e.must(e.do("POST", "/v1/verifications", nil, cred{bearer: applicant.access}), 201).str("id")
		for _, tt := range []struct {
			method, path string
			body         any
			want         int
		}{
			{"GET", "/v1/verifications/" + vid, nil, 200},
			{"POST", "/v1/verifications/" + vid + "/liveness", nil, 201},
			{"GET", "/v1/verifications/" + other.str("verification_id"), nil, 404},
			{"POST", "/v1/verifications/" + other.str("verification_id") + "/liveness", nil, 404},
			{"GET", "/v1/verifications/" + own, nil, 404},
			{"POST", "/v1/verifications", nil, 403},
			{"DELETE", "/v1/verifications/" + vid, nil, 403},
			{"GET", "/v1/verifications/" + vid + "/audit", nil, 403},
			{"GET", "/v1/verification-sessions", nil, 403},
			{"POST", "/v1/verification-sessions", map[string]any{}, 403},
			{"GET", "/v1/me", nil, 403},
			{"POST", "/v1/faces/detect", map[string]string{"image": faceB64}, 403},
			{"GET", "/v1/review/verifications", nil, 403},
			{"GET", "/v1/webhooks", nil, 403},
		} {
			if r := e.do(tt.method, tt.path, tt.body, link); r.status != tt.want {
				t.Errorf("link browser: %s %s = %d %s, want %d", tt.method, tt.path, r.status, r.raw, tt.want)
			}
		}
		for _, tt := range []struct {
			who          string
			c            cred
			method, path string
			want         int
		}{
			{"another key", b, "GET", "/v1/verification-sessions/" + s.str("id"), 404},
			{"another key", b, "POST", "/v1/verification-sessions/" + s.str("id") + "/cancel", 404},
			{"an applicant", cred{bearer: applicant.access}, "POST", "/v1/verification-sessions", 403},
			{"an admin", ac, "POST", "/v1/verification-sessions", 403},
		} {
			if r := e.do(tt.method, tt.path, map[string]any{}, tt.c); r.status != tt.want {
				t.Errorf("%s: %s %s = %d %s, want %d", tt.who, tt.method, tt.path, r.status, r.raw, tt.want)
			}
		}
		if n := len(e.must(e.do("GET", "/v1/verification-sessions", nil, b), 200).body["sessions"].([]any)); n != 0 {
			t.Errorf("another key lists %d sessions, want 0", n)
		}

		// Cancelled: the browser's cookie no longer works, the link no longer opens.
		e.must(e.do("POST", "/v1/verification-sessions/"+s.str("id")+"/cancel", nil, a), 200)
		if r := e.do("GET", "/v1/verifications/"+vid, nil, link); r.status != 401 {
			t.Errorf("the browser of a cancelled session = %d, want 401", r.status)
		}
		if status, _ := e.openLink(other.str("url")); status != http.StatusSeeOther {
			t.Errorf("another session's link = %d, want 303", status)
		}
		third := create()
		e.must(e.do("POST", "/v1/verification-sessions/"+third.str("id")+"/cancel", nil, a), 200)
		if status, _ := e.openLink(third.str("url")); status != http.StatusGone {
			t.Errorf("a cancelled session's link = %d, want 410", status)
		}

		// A session whose case the integrator erased does not open.
		gone := create()
		e.must(e.do("DELETE", "/v1/verifications/"+gone.str("verification_id"), nil, a), 200)
		if status, _ := e.openLink(gone.str("url")); status != http.StatusGone {
			t.Errorf("the link of an erased case = %d, want 410", status)
		}

		// Expired: a day later the link does not open, and the session says so.
		late := create()
		e.clk.Advance(24*time.Hour + time.Second)
		if status, _ := e.openLink(late.str("url")); status != http.StatusGone {
			t.Errorf("an expired link = %d, want 410", status)
		}
		if got := e.must(e.do("GET", "/v1/verification-sessions/"+late.str("id"), nil, a), 200); got.str("status") != "expired" || got.str("url") != "" {
			t.Errorf("an expired session: %s", got.raw)
		}

		// An idempotent retry returns the first session, credentials and all.
		h := func() res {
			req, _ := http.NewRequest("POST", e.srv.URL+"/v1/verification-sessions", strings.NewReader(`{"reference":"once"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "order-7")
			return e.must(e.send(req, a), 201)
		}
		first, again := h(), h()
		if first.str("id") != again.str("id") || first.str("url") != again.str("url") || first.str("url") == "" {
			t.Errorf("an idempotent retry made another session: %s vs %s", first.raw, again.raw)
		}
		// Ten retries at once with a new key: one session, which all of them get.
		ids := map[string]bool{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", e.srv.URL+"/v1/verification-sessions", strings.NewReader(`{"reference":"burst"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "order-8")
				r, err := sendReq(req, a)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || r.status != 201 {
					t.Errorf("a parallel idempotent create = %d %v %s", r.status, err, r.raw)
					return
				}
				ids[r.str("id")] = true
			})
		}
		wg.Wait()
		if len(ids) != 1 {
			t.Errorf("10 parallel creates with one idempotency key made %d sessions", len(ids))
		}
		if r := e.do("POST", "/v1/verification-sessions", map[string]any{"return_url": "javascript:alert(1)"}, a); r.status != 400 {
			t.Errorf("a javascript: return_url = %d, want 400", r.status)
		}
		if r := e.do("POST", "/v1/verification-sessions", map[string]any{"expected": map[string]string{"date_of_birth": "1.2.1990"}}, a); r.status != 400 {
			t.Errorf("a malformed expected date = %d, want 400", r.status)
		}
	})
}

// TestVerificationSessionEmbedding: a session opens in a frame only by its
// client secret, only for a site its key allows (the refusal spends
// nothing), and then its pages may be framed by that site alone; every
// other page keeps frame-ancestors 'none'. The SDK can be loaded by
// another site.
func TestVerificationSessionEmbedding(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{})
	admin := e.newUser("embed-admin@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	ac := cred{bearer: admin.access}
	k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "shop", "roles": []string{"integrator"},
		"embed_origins": []string{"https://Shop.example/"}}, ac), 201)
	key := cred{bearer: k.str("key")}
	plain := cred{bearer: e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "plain", "roles": []string{"integrator"}}, ac), 201).str("key")}
	if r := e.do("POST", "/v1/api-keys", map[string]any{"name": "x", "roles": []string{"integrator"}, "embed_origins": []string{"https://a.example/path"}}, ac); r.status != 400 {
		t.Errorf("an origin with a path = %d, want 400", r.status)
	}
	if r := e.do("POST", "/v1/api-keys", map[string]any{"name": "x", "roles": []string{"reviewer"}, "embed_origins": []string{"https://a.example"}}, ac); r.status != 400 {
		t.Errorf("embed origins on a reviewer's key = %d, want 400", r.status)
	}
	open := func(credential, embed string) (*http.Response, string) {
		resp, err := noRedirect.Get(e.srv.URL + "/s/" + credential + "?embed=" + url.QueryEscape(embed))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == "__Host-kycd_link" {
				if !c.Partitioned || c.SameSite != http.SameSiteNoneMode || !c.Secure || !c.HttpOnly {
					t.Errorf("the link cookie must be Secure, HttpOnly, SameSite=None and partitioned to work in a frame: %+v", c)
				}
				return resp, c.Value
			}
		}
		return resp, ""
	}
	s := e.must(e.do("POST", "/v1/verification-sessions", nil, key), 201)
	for _, tt := range []struct{ what, credential, embed string }{
		{"a site the key does not allow", s.str("client_secret"), "https://evil.example"},
		{"the url (a window of its own)", strings.TrimPrefix(s.str("url"), "http://kyc.test/s/"), "https://shop.example"},
		{"not an origin", s.str("client_secret"), "https://shop.example/x'; script-src *"},
	} {
		if resp, c := open(tt.credential, tt.embed); resp.StatusCode != 403 || c != "" {
			t.Errorf("embedding by %s = %d, want 403", tt.what, resp.StatusCode)
		}
	}
	resp, browser := open(s.str("client_secret"), "https://shop.example")
	if resp.StatusCode != http.StatusSeeOther || browser == "" {
		t.Fatalf("embedding by the allowed site = %d", resp.StatusCode)
	}
	framed := func(h http.Header) string {
		csp := h.Get("Content-Security-Policy")
		i := strings.Index(csp, "frame-ancestors ")
		if i < 0 {
			return ""
		}
		fa, _, _ := strings.Cut(csp[i+len("frame-ancestors "):], ";")
		if h.Get("X-Frame-Options") != "" && fa != "'none'" {
			t.Errorf("X-Frame-Options %q beside frame-ancestors %s", h.Get("X-Frame-Options"), fa)
		}
		return fa
	}
	if fa := framed(resp.Header); fa != "https://shop.example" {
		t.Errorf("the opening answer's frame-ancestors = %q", fa)
	}
	for _, path := range []string{"/verify", "/liveness?verification=" + s.str("verification_id") + "&next=/verify"} {
		if r := e.do("GET", path, nil, cred{link: browser}); r.status != 200 || framed(r.header) != "https://shop.example" {
			t.Errorf("%s in the frame = %d, frame-ancestors %q", path, r.status, framed(r.header))
		}
	}
	// Another key's session, and pages outside the session, are never framed.
	other := e.must(e.do("POST", "/v1/verification-sessions", nil, plain), 201)
	if resp, _ := open(other.str("client_secret"), "https://shop.example"); resp.StatusCode != 403 {
		t.Errorf("a key with no embed origins embedded = %d, want 403", resp.StatusCode)
	}
	status, windowed := e.openLink(other.str("url"))
	if status != http.StatusSeeOther {
		t.Fatalf("opening a session in a window = %d", status)
	}
	if r := e.do("GET", "/verify", nil, cred{link: windowed}); framed(r.header) != "'none'" {
		t.Errorf("a session opened in a window may be framed by %q", framed(r.header))
	}
	if r := e.do("GET", "/signin", nil, cred{}); framed(r.header) != "'none'" {
		t.Errorf("the sign-in page may be framed by %q", framed(r.header))
	}
	// The refusals spent nothing: the evil site's try did not use up the secret.
	s2 := e.must(e.do("POST", "/v1/verification-sessions", nil, key), 201)
	open(s2.str("client_secret"), "https://evil.example")
	if resp, _ := open(s2.str("client_secret"), "https://shop.example"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after a refused embedding, the allowed site = %d, want 303", resp.StatusCode)
	}
	// The origins can be changed; the SDK is readable from other sites.
	upd := e.must(e.do("PUT", "/v1/api-keys/"+k.str("id")+"/embed-origins", map[string]any{"embed_origins": []string{}}, ac), 200)
	if n := len(upd.body["embed_origins"].([]any)); n != 0 {
		t.Errorf("origins after clearing: %s", upd.raw)
	}
	s3 := e.must(e.do("POST", "/v1/verification-sessions", nil, key), 201)
	if resp, _ := open(s3.str("client_secret"), "https://shop.example"); resp.StatusCode != 403 {
		t.Errorf("embedding after the origins were cleared = %d, want 403", resp.StatusCode)
	}
	js, err := http.Get(e.srv.URL + "/sdk/kycd.js")
	if err != nil {
		t.Fatal(err)
	}
	js.Body.Close()
	if js.StatusCode != 200 || js.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" ||
		!strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("/sdk/kycd.js = %d, CORP %q, type %q", js.StatusCode, js.Header.Get("Cross-Origin-Resource-Policy"), js.Header.Get("Content-Type"))
	}
}

// TestVerificationSessionHandoff: the browser that opened a session hands
// it to a phone with a short code (QR and link on its page); the phone
// claims it once (ten racing phones: one), the code expires, and the
// first page follows the phone's progress; a cancelled session ends both.
func TestVerificationSessionHandoff(t *testing.T) {
	needFace(t)
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect})
		admin := e.newUser("handoff-admin@example.com")
		e.withRoles(admin, kyc.RoleAdmin)
		key := cred{bearer: e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "k", "roles": []string{"integrator"}},
			cred{bearer: admin.access}), 201).str("key")}
		s := e.do("POST", "/v1/verification-sessions", nil, key)
		if s.status != 201 {
			t.Fatalf("create: %s\n%s", s.raw, e.logs.String())
		}
		status, desktop := e.openLink(s.str("url"))
		if status != http.StatusSeeOther {
			t.Fatalf("open = %d", status)
		}
		dc := cred{link: desktop}
		if page := e.do("GET", "/verify", nil, dc); !strings.Contains(page.raw, `id="handoff-start"`) {
			t.Fatalf("no hand-off button on the first page: %s", page.raw)
		}
		if r := e.do("POST", "/verify/handoff", nil, dc); r.status != 200 || strings.Contains(r.raw, `id="error"`) {
			t.Fatalf("start the hand-off = %d %s", r.status, r.raw)
		}
		page := e.do("GET", "/verify", nil, dc)
		if st := e.must(e.do("GET", "/verify/state", nil, dc), 200); st.str("key") != "created||waiting" || !strings.Contains(page.raw, `data-state="created||waiting"`) {
			t.Errorf("the waiting page's state: %s", st.raw)
		}
		code := between(page.raw, `<strong id="handoff-code">`, `</strong>`)
		link := between(page.raw, `<a id="handoff-link" href="`, `"`)
		if len(code) != 11 || !strings.HasSuffix(link, "/h/"+strings.ReplaceAll(code, "-", "")) ||
			!strings.Contains(page.raw, `src="data:image/png;base64,`) {
			t.Fatalf("the hand-off view lacks its code, link or QR code: %s", page.raw)
		}
		// A typed code, in lower case with the dash, is the same code; ten phones race: one wins.
		typed := strings.ToLower(code)
		phones := raceOpen(e.srv.URL+"/h/"+typed, 10)
		if len(phones) != 1 {
			t.Fatalf("%d phones claimed one code, want 1", len(phones))
		}
		phone := cred{link: phones[0]}
		if strings.Contains(e.logs.String(), typed) {
			t.Error("the log holds the hand-off code")
		}
		if st, _ := openPath(e.srv.URL + "/h/" + typed); st != http.StatusConflict {
			t.Errorf("a used code = %d, want 409", st)
		}
		if r := e.do("GET", "/v1/verifications/"+s.str("verification_id"), nil, phone); r.status != 200 {
			t.Errorf("the phone reads its case = %d", r.status)
		}
		// (The client follows the redirect back to /verify, which shows the refusal.)
		if r := e.do("POST", "/verify/handoff", nil, phone); !strings.Contains(r.raw, `id="error"`) {
			t.Errorf("the phone handed the session on: %d %s", r.status, r.raw)
		}
		if page := e.do("GET", "/verify", nil, dc); !strings.Contains(page.raw, `id="handoff-claimed"`) ||
			!strings.Contains(page.raw, `id="progress-watch" hidden data-state="created||claimed"`) {
			t.Errorf("the first page does not follow the phone: %s", page.raw)
		}
		if st := e.must(e.do("GET", "/verify/state", nil, dc), 200); st.str("key") != "created||claimed" {
			t.Errorf("the first page's state: %s", st.raw)
		}
		if page := e.do("GET", "/verify", nil, phone); !strings.Contains(page.raw, `id="go-liveness"`) || strings.Contains(page.raw, "handoff") {
			t.Errorf("the phone's page is not the flow itself: %s", page.raw)
		}

		// Codes expire; unknown codes are not found.
		s2 := e.must(e.do("POST", "/v1/verification-sessions", nil, key), 201)
		_, d2 := e.openLink(s2.str("url"))
		e.do("POST", "/verify/handoff", nil, cred{link: d2})
		code2 := between(e.do("GET", "/verify", nil, cred{link: d2}).raw, `<strong id="handoff-code">`, `</strong>`)
		e.clk.Advance(11 * time.Minute)
		if st, _ := openPath(e.srv.URL + "/h/" + code2); st != http.StatusGone {
			t.Errorf("an expired code = %d, want 410", st)
		}
		if st, _ := openPath(e.srv.URL + "/h/AAAAA-AAAAA"); st != http.StatusNotFound {
			t.Errorf("an unknown code = %d, want 404", st)
		}
		// A cancelled session ends the phone's part too.
		e.must(e.do("POST", "/v1/verification-sessions/"+s.str("id")+"/cancel", nil, key), 200)
		if r := e.do("GET", "/v1/verifications/"+s.str("verification_id"), nil, phone); r.status != 401 {
			t.Errorf("the phone of a cancelled session = %d, want 401", r.status)
		}
	})
}

// between is the text of s between the first from and the next to.
func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

// TestVerificationSessionWithoutDocument: a session may ask for the
// liveness check only (decided as soon as it passes), and may hold the
// live face against an earlier approved case of the same key
// (re-verification); what cannot work is refused when the session is made.
func TestVerificationSessionWithoutDocument(t *testing.T) {
	needFace(t)
	e := newEnv(t, envOptions{challenges: performableOrder})
	admin := e.newUser("reverify-admin@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	ac := cred{bearer: admin.access}
	newKey := func() cred {
		return cred{bearer: e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "k", "roles": []string{"integrator"}}, ac), 201).str("key")}
	}
	key, other := newKey(), newKey()
	first, decided := e.runCase(key, "customer-9", "face_recognition/examples__obama-480p.jpg", 3)
	if decided.str("status") != "approved" {
		t.Fatalf("the first case: %s", decided.raw)
	}
	pending := e.must(e.do("POST", "/v1/verifications", nil, key), 201).str("id")

	for _, tt := range []struct {
		what    string
		options map[string]any
		want    int
	}{
		{"another key's case", map[string]any{"document": false, "face_of": first}, 404},
		{"a case not approved", map[string]any{"document": false, "face_of": pending}, 409},
		{"face_of with a document", map[string]any{"face_of": first}, 400},
		{"document types without a document", map[string]any{"document": false, "document_types": []string{"passport"}}, 400},
	} {
		c := key
		if tt.what == "another key's case" {
			c = other
		}
		if r := e.do("POST", "/v1/verification-sessions", map[string]any{"options": tt.options}, c); r.status != tt.want {
			t.Errorf("%s = %d %s, want %d", tt.what, r.status, r.raw, tt.want)
		}
	}
	if r := e.do("POST", "/v1/verification-sessions", map[string]any{"options": map[string]any{"document": false},
		"expected": map[string]string{"last_name": "X"}}, key); r.status != 400 {
		t.Errorf("expected data without a document = %d, want 400", r.status)
	}

	for _, tt := range []struct {
		name    string
		options map[string]any
	}{
		{"liveness only", map[string]any{"document": false}},
		{"re-verification", map[string]any{"document": false, "face_of": first}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			defer func() { e.t = nil }()
			s := e.must(e.do("POST", "/v1/verification-sessions", map[string]any{"reference": "customer-9", "options": tt.options}, key), 201)
			_, browser := e.openLink(s.str("url"))
			link := cred{link: browser}
			vid := s.str("verification_id")
			e.passLiveness(vid, link)
			v := e.waitFor(vid, key, "a decision", func(r res) bool { return r.str("status") != "liveness_passed" && r.str("status") != "processing" })
			if v.str("status") != "approved" || len(reasons(v)) != 0 || v.body["document"] != nil {
				t.Fatalf("decided: %s", v.raw)
			}
			fm, _ := v.body["face_match"].(map[string]any)
			if _, reverify := tt.options["face_of"]; reverify && (fm == nil || fm["similarity"].(float64) < 80) {
				t.Errorf("a re-verification without its face match: %s", v.raw)
			} else if !reverify && fm != nil {
				t.Errorf("a liveness-only check with a face match: %s", v.raw)
			}
			if r := e.do("POST", "/v1/verifications/"+vid+"/documents", map[string]string{"front": faceB64}, link); r.status != 409 {
				t.Errorf("a document after the decision = %d, want 409", r.status)
			}
		})
	}
	e.t = t
}
