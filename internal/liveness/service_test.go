package liveness_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func engine(t testing.TB) *face.Engine { return testenv.FaceEngine(t) }

// clock is the test's time: frames are 200 ms apart and arrive at once.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type fixture struct {
	svc *liveness.Service
	db  *store.DB
	clk *clock
	p   *kyc.Principal
	v   *kyc.Verification
}

func newFixture(t testing.TB, challenges ...liveness.Challenge) *fixture {
	clk := &clock{t: time.Now().UTC()}
	db := testenv.OpenDB(t, testenv.DatabaseURL(t, store.SQLite), clk.now)
	k, _ := seal.ParseKey(seal.GenerateKeyText())
	blobs, err := blob.Open(context.Background(), "file://"+t.TempDir(), seal.NewKeyring(k))
	if err != nil {
		t.Fatal(err)
	}
	svc := liveness.NewService(db, engine(t), blobs, seal.NewKeyring(k), liveness.Options{Fixed: challenges, Now: clk.now})
	f := &fixture{svc: svc, db: db, clk: clk, p: &kyc.Principal{UserID: "usr_applicant", Roles: []kyc.Role{kyc.RoleApplicant}},
		v: &kyc.Verification{UserID: "usr_applicant"}}
	f.v.ID = f.newVerification(t)
	return f
}

// newVerification makes another case of the applicant (each may start 5
// sessions).
func (f *fixture) newVerification(t testing.TB) string {
	t.Helper()
	v := &kyc.Verification{ID: kyc.NewID(nil, "ver"), UserID: f.p.UserID}
	if err := f.db.CreateVerification(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

// send feeds frames 200 ms apart and returns the last progress.
func (f *fixture) send(t *testing.T, id string, frames ...[]byte) liveness.Progress {
	t.Helper()
	r, err := f.svc.Begin(context.Background(), f.p, id)
	if err != nil {
		t.Fatal(err)
	}
	var last liveness.Progress
	for _, jpg := range frames {
		f.clk.t = f.clk.t.Add(200 * time.Millisecond)
		if last, err = r.Frame(context.Background(), liveness.Frame{JPEG: jpg, ClientAt: f.clk.t}); err != nil {
			t.Fatal(err)
		}
		if r.Done() {
			break
		}
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return last
}

func (f *fixture) start(t testing.TB) string {
	t.Helper()
	l, _, err := f.svc.Start(context.Background(), f.p, f.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// play has p perform session id's challenges, one frame every 200 ms as
// the session reveals them, for at most n frames; it returns the last
// progress.
func (f *fixture) play(t *testing.T, id string, p *testenv.Person, n int) liveness.Progress {
	t.Helper()
	_, st, err := f.svc.Get(context.Background(), f.p, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Begin(context.Background(), f.p, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	task := st.Task()
	var last liveness.Progress
	for i := 0; i < n && !r.Done(); i++ {
		f.clk.t = f.clk.t.Add(200 * time.Millisecond)
		jpg, lightStart := p.Frame(task, f.clk.t)
		if last, err = r.Frame(context.Background(), liveness.Frame{JPEG: jpg, ClientAt: f.clk.t, LightStart: lightStart}); err != nil {
			t.Fatal(err)
		}
		p.Heard(last, f.clk.t)
		task = liveness.Task{}
		if last.Task != nil {
			task = *last.Task
		}
	}
	return last
}

func frame(t *testing.T, photo string) []byte {
	return testenv.CameraFrame(t, engine(t), photo, false, 0.3)
}

// TestLivenessPasses: a person (a head rendered in 3-D) meets a turn, a
// look-up, an approach and the light challenge.
func TestLivenessPasses(t *testing.T) {
	f := newFixture(t, liveness.TurnLeft, liveness.LookUp, liveness.ComeCloser, liveness.Light)
	id := f.start(t)
	p := f.play(t, id, testenv.NewPerson(t, engine(t), headgen.Solid, 1), 200)
	if p.State != "done" || p.Result == nil || p.Result.Status != liveness.StatusSucceeded {
		t.Fatalf("progress %+v result %+v", p, p.Result)
	}
	if p.Result.Confidence < 60 {
		t.Errorf("confidence %.1f", p.Result.Confidence)
	}
	l, st, err := f.svc.Get(context.Background(), f.p, id)
	if err != nil {
		t.Fatal(err)
	}
	if l.Status != liveness.StatusSucceeded || l.ReferenceKey == "" || len(l.AuditKeys) < 2 || len(l.AuditKeys) > 4 {
		t.Errorf("session %+v", l)
	}
	if st.Turns != 1 || st.NoseDepth < 0.4 || st.LightCorr < 0.5 || st.BentTurns != 1 || st.Bend < liveness.Defaults.MinBend {
		t.Errorf("the measures: nose depth %.2f over %d turns, profile bend %.2f over %d, light correlation %.2f",
			st.NoseDepth, st.Turns, st.Bend, st.BentTurns, st.LightCorr)
	}
	ref, err := f.svc.Image(context.Background(), f.p, id, "reference")
	if err != nil || raster.Sniff(ref) != raster.JPEG {
		t.Errorf("reference image: %v", err)
	}
	emb, key, err := f.svc.Reference(context.Background(), f.v.ID)
	if err != nil || len(emb) != 512 || key == "" {
		t.Errorf("reference embedding: %d values, %v", len(emb), err)
	}
	// Used twice: refused.
	if _, err := f.svc.Begin(context.Background(), f.p, id); kyc.ErrorCode(err) != kyc.Conflict {
		t.Errorf("second use = %v, want conflict", err)
	}
	// Another applicant sees nothing.
	stranger := &kyc.Principal{UserID: "usr_other", Roles: []kyc.Role{kyc.RoleApplicant}}
	if _, err := f.svc.Begin(context.Background(), stranger, id); kyc.ErrorCode(err) != kyc.NotFound {
		t.Errorf("another applicant = %v, want not_found", err)
	}
}

// TestLivenessMovedPrint: the same photograph as a print, turned, tilted
// and brought closer as asked, does not pass: its nose moves with its eyes.
func TestLivenessMovedPrint(t *testing.T) {
	f := newFixture(t, liveness.TurnLeft, liveness.LookUp, liveness.ComeCloser, liveness.Light)
	id := f.start(t)
	p := f.play(t, id, testenv.NewPerson(t, engine(t), headgen.Flat, 1), 200)
	if p.Result == nil || p.Result.Status != liveness.StatusFailed {
		t.Fatalf("a moved print: %+v", p.Result)
	}
	t.Logf("a moved print: %v", p.Result.Reasons)
}

// TestLivenessBentPrint: the photograph printed, bent around a vertical
// axis and turned further than asked (so that the face engine reads the
// turn asked for) shows depth to the landmarks, but its painted nose tip
// stays on the line from the nasion to the mouth: the profile check stops
// it, on the turn and on the turn asked for once more.
func TestLivenessBentPrint(t *testing.T) {
	f := newFixture(t, liveness.TurnLeft, liveness.LookUp, liveness.ComeCloser, liveness.Light)
	id := f.start(t)
	print := testenv.NewPerson(t, engine(t), headgen.Cylinder, 1)
	print.TurnFurther(1.6)
	p := f.play(t, id, print, 200)
	if p.Result == nil || p.Result.Status != liveness.StatusFailed || !slices.Contains(p.Result.Reasons, liveness.ReasonFlat) {
		t.Fatalf("a bent print: %+v", p.Result)
	}
	_, st, err := f.svc.Get(context.Background(), f.p, id)
	if err != nil {
		t.Fatal(err)
	}
	// The landmarks saw depth: the profile is what stopped it, twice.
	if st.Retried != 1 || st.BentTurns != 2 || st.Bend >= liveness.Defaults.MinBend || st.Turns != 2 || st.NoseDepth < liveness.Defaults.MinNoseDepth {
		t.Errorf("asked again %d times; profile bend %.2f over %d turns, want under %.2f; nose depth %.2f over %d, want above %.2f",
			st.Retried, st.Bend, st.BentTurns, liveness.Defaults.MinBend, st.NoseDepth, st.Turns, liveness.Defaults.MinNoseDepth)
	}
	t.Logf("a bent print: nose depth %.2f, profile bend %.2f", st.NoseDepth, st.Bend)
}

// TestLivenessWrongOrder: a recording of a person doing other challenges
// than the session asks for does not pass.
func TestLivenessWrongOrder(t *testing.T) {
	f := newFixture(t, liveness.TurnRight, liveness.ComeCloser, liveness.TurnLeft)
	id := f.start(t)
	rec := testenv.NewPerson(t, engine(t), headgen.Solid, 2).Choreography(liveness.Fixed([]liveness.Challenge{liveness.TurnLeft,
		liveness.ComeCloser, liveness.TurnRight}), 5, 3*time.Second)
	// Then standing still: the challenge times out.
	p := f.send(t, id, append(rec, slices.Repeat(rec[len(rec)-1:], 70)...)...)
	if p.Result == nil || p.Result.Status != liveness.StatusFailed || !slices.Contains(p.Result.Reasons, liveness.ReasonTimeout) {
		t.Errorf("result %+v", p.Result)
	}
}

func TestLivenessStillPhoto(t *testing.T) {
	f := newFixture(t, liveness.TurnLeft, liveness.ComeCloser, liveness.TurnRight)
	id := f.start(t)
	p := f.send(t, id, slices.Repeat([][]byte{frame(t, testenv.FrontalPhoto)}, 80)...)
	if p.Result == nil || p.Result.Status != liveness.StatusFailed {
		t.Fatalf("a still photo: %+v", p.Result)
	}
}

// TestLivenessIdentityChange: another person takes over mid-session.
func TestLivenessIdentityChange(t *testing.T) {
	f := newFixture(t, liveness.TurnLeft, liveness.ComeCloser, liveness.TurnRight)
	id := f.start(t)
	if p := f.play(t, id, testenv.NewPerson(t, engine(t), headgen.Solid, 3), 14); p.State == "done" {
		t.Fatalf("ended early: %+v", p.Result)
	}
	// Another person in front of the camera: each frame a little different.
	var swap [][]byte
	for _, zoom := range []float64{0.3, 0.31, 0.32, 0.33} {
		swap = append(swap, testenv.CameraFrame(t, engine(t), testenv.OtherPhoto, false, zoom))
	}
	p := f.send(t, id, swap...)
	if p.Result == nil || p.Result.Status != liveness.StatusFailed ||
		!slices.Contains(p.Result.Reasons, liveness.ReasonFaceChanged) && !slices.Contains(p.Result.Reasons, liveness.ReasonJump) {
		t.Fatalf("another person mid-session: %+v", p.Result)
	}
}

func TestLivenessExpiryAndAttempts(t *testing.T) {
	f := newFixture(t, liveness.TurnLeft, liveness.ComeCloser, liveness.TurnRight)
	id := f.start(t)
	f.clk.t = f.clk.t.Add(4 * time.Minute)
	if _, err := f.svc.Begin(context.Background(), f.p, id); kyc.ErrorCode(err) != kyc.Expired {
		t.Errorf("after 4 minutes = %v, want expired", err)
	}
	l, _, _ := f.svc.Get(context.Background(), f.p, id)
	if l.Status != liveness.StatusExpired {
		t.Errorf("status %s, want expired", l.Status)
	}
	// Every session started counts, whatever became of it: one that never
	// received a frame (abandoned by the next start) too.
	var last string
	for range 4 {
		next := f.start(t)
		if last != "" {
			if l, _, _ := f.svc.Get(context.Background(), f.p, last); l.Status != liveness.StatusFailed || l.Reasons[0] != "abandoned" {
				t.Errorf("the session a new start replaced: %s %v, want failed (abandoned)", l.Status, l.Reasons)
			}
			if _, err := f.svc.Begin(context.Background(), f.p, last); kyc.ErrorCode(err) != kyc.Conflict {
				t.Errorf("frames to an abandoned session = %v, want conflict", err)
			}
		}
		last = next
	}
	_, _, err := f.svc.Start(context.Background(), f.p, f.v.ID)
	var ke *kyc.Error
	if !errors.As(err, &ke) || ke.Code != kyc.RateLimited || ke.Reason != "too_many_attempts" {
		t.Errorf("sixth session = %v, want rate_limited (too_many_attempts)", err)
	}
}

// TestLivenessOneStream: a session is fed by one connection at a time.
func TestLivenessOneStream(t *testing.T) {
	f := newFixture(t, liveness.TurnLeft, liveness.ComeCloser, liveness.TurnRight)
	id := f.start(t)
	r, err := f.svc.Begin(context.Background(), f.p, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Begin(context.Background(), f.p, id); kyc.ErrorCode(err) != kyc.Conflict {
		t.Errorf("a second connection = %v, want conflict", err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err = f.svc.Begin(context.Background(), f.p, id)
	if err != nil {
		t.Fatalf("after the first connection closed: %v", err)
	}
	r.Close(context.Background())
}

// TestLivenessStalledCamera: a busy computer's camera gives the same
// picture two or three times, then catches up (Chromium's fake camera does
// this on a loaded machine). A repeated picture says nothing new and is
// skipped, so the catch-up is not taken for a slideshow's jump.
func TestLivenessStalledCamera(t *testing.T) {
	challenges := []liveness.Challenge{liveness.TurnLeft, liveness.LookUp, liveness.ComeCloser}
	f := newFixture(t, challenges...)
	id := f.start(t)
	r, err := f.svc.Begin(context.Background(), f.p, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	// A recording at 10 frames a second, captured every 150 ms by the page.
	rec := testenv.NewPerson(t, engine(t), headgen.Solid, 1).Choreography(liveness.Fixed(challenges), 10, 2500*time.Millisecond)
	var last liveness.Progress
	var shown []byte
	for i := 0; i*3/2 < len(rec) && !r.Done(); i++ {
		f.clk.t = f.clk.t.Add(150 * time.Millisecond)
		if i%3 < 2 || shown == nil { // one capture in three the camera stalls
			shown = rec[i*3/2]
		}
		if last, err = r.Frame(context.Background(), liveness.Frame{JPEG: shown, ClientAt: f.clk.t}); err != nil {
			t.Fatal(err)
		}
	}
	if last.Result == nil || last.Result.Status != liveness.StatusSucceeded {
		t.Fatalf("a person on a stalling camera: %+v %+v", last, last.Result)
	}
}
