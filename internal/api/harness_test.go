package api_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/account"
	"github.com/kycd/kycd/internal/api"
	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/hosted"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/mail"
	"github.com/kycd/kycd/internal/password"
	"github.com/kycd/kycd/internal/queue"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
	"github.com/kycd/kycd/internal/totp"
	"github.com/kycd/kycd/internal/web"
	"github.com/kycd/kycd/internal/webhook"
)

// clock is a test clock that tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output written from handler goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// env is a complete account stack on a real SQLite database behind a real
// HTTP server.
type env struct {
	t        testing.TB
	srv      *httptest.Server
	db       *store.DB
	accounts *account.Service
	clk      *clock
	logs     *syncBuffer
	journey  *journey.Service
	blobs    blob.Store
	blobDir  string // where blobs keeps its (sealed) objects
}

type envOptions struct {
	rateLimit  int
	dialect    string
	challenges []liveness.Challenge // a fixed liveness challenge order
	rules      journey.Rules
	argon2     password.Params // the password hash cost; a cheap one when zero
	streamIdle time.Duration   // liveness streams silent this long are closed
	// strictWebhooks refuses webhooks to private addresses, as kycd does by
	// default; the other tests' receivers listen on loopback.
	strictWebhooks bool
	// Image work: slots and queue of the gate, and the per-principal
	// limit (the suite's own default is generous).
	analysisSlots, analysisQueue, analysisRate int
	trustedProxies                             []netip.Prefix
	accessLog                                  string
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.dialect == "" {
		o.dialect = store.SQLite
	}
	if o.rateLimit == 0 {
		o.rateLimit = 100000
	}
	clk := &clock{t: time.Now().UTC()}
	k, _ := seal.ParseKey(seal.GenerateKeyText())
	db := testenv.OpenDB(t, testenv.DatabaseURL(t, o.dialect), clk.Now).WithSealer(seal.NewKeyring(k))
	if o.argon2 == (password.Params{}) {
		o.argon2 = password.Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	}
	accounts := account.New(db, mail.DevSender{}, seal.NewKeyring(k), account.Options{
		Password: o.argon2, Now: clk.Now, PublicURL: "https://kyc.example.com",
	})
	blobDir := t.TempDir()
	blobs, err := blob.Open(context.Background(), "file://"+blobDir, seal.NewKeyring(k))
	if err != nil {
		t.Fatal(err)
	}
	lv := liveness.NewService(db, faceEngine(t), blobs, seal.NewKeyring(k), liveness.Options{Now: clk.Now, Fixed: o.challenges})
	logs := &syncBuffer{}
	docs := &document.Analyzer{Faces: faceEngine(t)}
	inserter, err := queue.New(db, nil, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hooks := webhook.New(db, seal.NewKeyring(k), inserter, webhook.Options{AllowPrivate: !o.strictWebhooks, Now: clk.Now})
	j := journey.New(journey.Deps{DB: db, Blobs: blobs, Keyring: seal.NewKeyring(k), Faces: faceEngine(t), Liveness: lv,
		Analyzer: docs, Queue: inserter, Webhooks: hooks}, journey.Options{Now: clk.Now, Rules: o.rules})
	workers := river.NewWorkers()
	river.AddWorker(workers, &queue.DeleteBlobWorker{Blobs: blobs})
	river.AddWorker(workers, &queue.DeletePrefixWorker{Blobs: blobs})
	river.AddWorker(workers, &journey.AnalyzeWorker{S: j})
	river.AddWorker(workers, &journey.ProcessWorker{S: j})
	river.AddWorker(workers, &webhook.DeliverWorker{S: hooks})
	q, err := queue.New(db, workers, queue.Options{Workers: 2, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	links := hosted.New(db, j, seal.NewKeyring(k), hosted.Options{PublicURL: "http://kyc.test", Now: clk.Now})
	s := api.New(api.Options{Hosted: links, Version: "test", MaxBodyBytes: 8 << 20, Accounts: accounts, DB: db, DevMailbox: true,
		AuthRateLimit: o.rateLimit, Logger: slog.New(slog.NewTextHandler(logs, nil)), Faces: faceEngine(t),
		Liveness: lv, PublicURL: "http://kyc.test", Journey: j, Webhooks: hooks, Documents: docs, StreamIdle: o.streamIdle,
		AnalysisSlots: o.analysisSlots, AnalysisQueue: o.analysisQueue, AnalysisRateLimit: cmp.Or(o.analysisRate, 100000),
		TrustedProxies: o.trustedProxies, AccessLog: o.accessLog})
	web.Register(s.Mux(), web.Options{Accounts: accounts, DB: db,
		Cookie:     api.CookieConfig{Name: "__Host-kycd_session", Link: "__Host-kycd_link", Secure: true},
		DevMailbox: true, Journey: j, Hosted: links})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, db: db, accounts: accounts, clk: clk, logs: logs, journey: j, blobs: blobs, blobDir: blobDir}
}

// faceEngine is the test process's shared face engine.
func faceEngine(t testing.TB) *face.Engine { return testenv.FaceEngine(t) }

// res is an HTTP response, decoded.
type res struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r res) str(key string) string {
	v, _ := r.body[key].(string)
	return v
}

func (r res) code() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// cred is how a request authenticates: a bearer token or a session cookie.
type cred struct {
	bearer, cookie string
	link           string // the cookie of a browser that opened a verification link
}

func (e *env) do(method, path string, body any, c cred) res {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(req, c)
}

// send adds the credential, sends the request and decodes the answer.
func (e *env) send(req *http.Request, c cred) res {
	e.t.Helper()
	r, err := sendReq(req, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func sendReq(req *http.Request, c cred) (res, error) {
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-kycd_session", Value: c.cookie})
	}
	if c.link != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-kycd_link", Value: c.link})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return res{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := res{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &out.body)
	return out, nil
}

// try is do for goroutines: it returns the error instead of failing the
// test (t.Fatal may not be called off the test's goroutine).
func (e *env) try(method, path string, body any, c cred) (res, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		return res{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return sendReq(req, c)
}

// hammer runs n goroutines that each call fn over and over until the
// returned stop function is called (which waits for them).
func hammer(n int, fn func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				fn()
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}

// parallel sends n requests at once (request i made by req(i)) and returns
// the answers in order. The requests wait at a barrier so they really race.
func (e *env) parallel(n int, req func(i int) (method, path string, body any, c cred)) []res {
	e.t.Helper()
	out := make([]res, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			m, p, b, c := req(i)
			start.Wait()
			out[i], errs[i] = e.try(m, p, b, c)
		}()
	}
	start.Done()
	done.Wait()
	for _, err := range errs {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// statuses counts the answers by HTTP status.
func statuses(rs []res) map[int]int {
	m := map[int]int{}
	for _, r := range rs {
		m[r.status]++
	}
	return m
}

// must checks a response's status.
func (e *env) must(r res, status int) res {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d %s, want %d", r.status, r.raw, status)
	}
	return r
}

var codeRE = regexp.MustCompile(`code is (\d{6})`)

// lastCode reads the newest code mailed to an address from the dev mailbox.
func (e *env) lastCode(email string) string {
	e.t.Helper()
	r := e.do("GET", "/v1/dev/mailbox?to="+email, nil, cred{})
	var msgs []map[string]any
	json.Unmarshal([]byte(r.raw), &msgs)
	if len(msgs) == 0 {
		e.t.Fatalf("no mail to %s", email)
	}
	m := codeRE.FindStringSubmatch(msgs[0]["body"].(string))
	if m == nil {
		e.t.Fatalf("no code in %q", msgs[0]["body"])
	}
	return m[1]
}

// user signs up, confirms and signs in a new account, returning its tokens.
type user struct {
	id, email, password string
	access, refresh     string
	session             string
}

func (e *env) newUser(email string) *user {
	e.t.Helper()
	u := &user{email: email, password: "correct-horse-battery"}
	u.id = e.must(e.do("POST", "/v1/auth/signup", map[string]string{"email": email, "password": u.password}, cred{}), 201).str("user_id")
	e.must(e.do("POST", "/v1/auth/confirm", map[string]string{"email": email, "code": e.lastCode(email)}, cred{}), 200)
	e.signIn(u, "")
	return u
}

func (e *env) signIn(u *user, code string) res {
	e.t.Helper()
	body := map[string]string{"email": u.email, "password": u.password}
	if code != "" {
		body["totp_code"] = code
	}
	r := e.do("POST", "/v1/auth/signin", body, cred{})
	if r.status == 200 {
		u.access, u.refresh = r.str("access_token"), r.str("refresh_token")
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == "__Host-kycd_session" {
				u.session = c.Value
			}
		}
	}
	return r
}

// withRoles gives a user roles directly in the store, as the first admin is
// made by `kycd user create`.
func (e *env) withRoles(u *user, roles ...kyc.Role) {
	e.t.Helper()
	if err := e.db.SetUserRoles(context.Background(), u.id, roles); err != nil {
		e.t.Fatal(err)
	}
}

// totpCode computes the current code for a base32 secret.
func totpCode(t *testing.T, secret string, at time.Time) string {
	raw, err := totp.Decode(secret)
	if err != nil {
		t.Fatal(err)
	}
	return totp.Code(raw, totp.StepAt(at))
}

func decodeB32(s string) ([]byte, error) { return totp.Decode(s) }

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }
