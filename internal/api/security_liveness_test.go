package api_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/testenv"
)

// TestLivenessRedrawCap (issue 11, finding 2): redrawing the challenges
// costs attempts. Thirty starts at once get at most the five sessions a
// case may start, one open at a time; the case is then rejected
// (liveness_failed) instead of waiting forever, and sessions left without
// frames expire.
func TestLivenessRedrawCap(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, dialect string) {
		e := newEnv(t, envOptions{dialect: dialect})
		u := e.newUser("redraw@example.com")
		c := cred{bearer: u.access}
		vid := e.must(e.do("POST", "/v1/verifications", nil, c), 201).str("id")
		rs := e.parallel(30, func(int) (string, string, any, cred) {
			return "POST", "/v1/verifications/" + vid + "/liveness", nil, c
		})
		st := statuses(rs)
		if st[201] < 1 || st[201] > 5 || st[201]+st[409]+st[429] != 30 {
			t.Errorf("30 parallel starts: %v, want 1 to 5 sessions (201), the rest 409 or 429", st)
		}
		for {
			r := e.do("POST", "/v1/verifications/"+vid+"/liveness", nil, c)
			if r.status == 201 {
				continue
			}
			if r.status != 429 && r.status != 409 {
				t.Fatalf("start after the parallel ones = %d %s", r.status, r.raw)
			}
			break
		}
		n, err := e.db.CountLiveness(t.Context(), vid)
		if err != nil || n != 5 {
			t.Errorf("%d sessions started (%v), want 5", n, err)
		}
		var open int
		e.db.SQL().QueryRowContext(t.Context(), rebind(dialect, "SELECT COUNT(*) FROM liveness_sessions WHERE verification_id = $1 AND status IN ('created', 'in_progress')"), vid).Scan(&open)
		if open != 0 {
			t.Errorf("%d sessions still open after the cap, want 0", open)
		}
		v := e.must(e.do("GET", "/v1/verifications/"+vid, nil, c), 200)
		if v.str("status") != "rejected" || !slices.Contains(reasons(v), "liveness_failed") {
			t.Errorf("the case after the last attempt: %s", v.raw)
		}
		if r := e.do("POST", "/v1/verifications/"+vid+"/liveness", nil, c); r.status != 409 {
			t.Errorf("a start on the rejected case = %d, want 409", r.status)
		}
		// The applicant starts a new case, counted against the daily cap.
		fresh := e.must(e.do("POST", "/v1/verifications", nil, c), 201).str("id")
		s := e.must(e.do("POST", "/v1/verifications/"+fresh+"/liveness", nil, c), 201).str("session_id")
		e.clk.Advance(4 * time.Minute)
		if _, err := e.journey.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := e.must(e.do("GET", "/v1/liveness/"+s, nil, c), 200); got.str("status") != "expired" {
			t.Errorf("a session left without frames, after the sweep: %s", got.raw)
		}
	})
}

// rebind turns $1 placeholders into SQLite's ?1.
func rebind(dialect, q string) string {
	if dialect == "sqlite" {
		return strings.ReplaceAll(q, "$", "?")
	}
	return q
}

// TestLivenessOneStream (finding 9): a session takes one connection; a
// second stream or an HTTP post of frames is refused while it holds the
// session, and a silent stream is closed and lets go.
func TestLivenessOneStream(t *testing.T) {
	// The idle limit leaves room for the 30 refused connections and the
	// refused post under the race detector on a busy machine (at 1 s, a
	// loaded run saw the stream closed for idleness before the post came).
	e := newEnv(t, envOptions{challenges: performableOrder, streamIdle: 3 * time.Second})
	u := e.newUser("streams@example.com")
	_, s := e.startLiveness(u)
	sid := s.str("session_id")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/v1/liveness/" + sid + "/stream"
	auth := &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + u.access}}}
	first, _, err := websocket.Dial(ctx, url, auth)
	if err != nil {
		t.Fatal(err)
	}
	defer first.CloseNow()
	rs := e.parallel(30, func(int) (string, string, any, cred) {
		return "GET", "/v1/liveness/" + sid + "/stream", nil, cred{bearer: u.access}
	})
	if st := statuses(rs); st[409] != 30 {
		t.Errorf("30 more connections to a streaming session: %v, want 30 × 409", st)
	}
	ts := strconv.FormatInt(e.clk.Now().UnixMilli(), 10)
	if r := e.multipartDo("/v1/liveness/"+sid+"/frames", cred{bearer: u.access},
		part{"timestamp_ms", "", "", []byte(ts)}, part{"frame", "", "image/jpeg", stillFrame(t)}); r.status != 409 {
		t.Errorf("HTTP frames while a stream holds the session = %d, want 409", r.status)
	}
	// Silent for longer than the idle limit: the server closes the stream.
	if _, _, err := first.Read(ctx); err == nil || ctx.Err() != nil {
		t.Errorf("a silent stream: %v, want closed by the server", err)
	}
	// The lease is given back as the handler ends, just after the close the
	// client sees.
	deadline := time.Now().Add(5 * time.Second)
	for {
		second, _, err := websocket.Dial(ctx, url, auth)
		if err == nil {
			second.CloseNow()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a new stream after the silent one was closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestErasureRemovesEveryObject (finding 3): erasing a case removes every
// object under it: the images of all its liveness sessions, a document
// uploaded twice, and an object a crashed upload left without a record.
func TestErasureRemovesEveryObject(t *testing.T) {
	e := newEnv(t, envOptions{challenges: performableOrder})
	u := e.newUser("erase-me@example.com")
	c := cred{bearer: u.access}
	vid := e.must(e.do("POST", "/v1/verifications", nil, c), 201).str("id")
	// A first session that stores images and is abandoned, then one that passes.
	first := e.must(e.do("POST", "/v1/verifications/"+vid+"/liveness", nil, c), 201).str("session_id")
	e.clk.Advance(200 * time.Millisecond)
	e.multipartDo("/v1/liveness/"+first+"/frames", c,
		part{"timestamp_ms", "", "", []byte(strconv.FormatInt(e.clk.Now().UnixMilli(), 10))}, part{"frame", "", "image/jpeg", stillFrame(t)})
	e.passLiveness(vid, c)
	doc, _ := generatedDocOf(t, "face_recognition/examples__obama-480p.jpg", docgen.Passport, 3, 0)
	read := func(r res) bool {
		d, _ := r.body["document"].(map[string]any)
		return d != nil && d["status"] != "pending"
	}
	for range 2 { // a document, then a retake
		e.must(e.multipartDo("/v1/verifications/"+vid+"/documents", c, part{"front", "passport.jpg", "image/jpeg", doc}), 202)
		e.waitFor(vid, c, "the document to be read", read)
	}
	// What a crash between storing an image and recording it leaves behind.
	raw := e.rawBlobs(t)
	orphan := kyc.CasePrefix(vid) + "doc_crashed-front"
	if err := e.blobs.Put(t.Context(), orphan, doc); err != nil {
		t.Fatal(err)
	}
	before, err := raw.List(t.Context(), kyc.CasePrefix(vid))
	if err != nil {
		t.Fatal(err)
	}
	var liveImages int
	for _, k := range before {
		if strings.Contains(k, "/liveness/"+first+"/") {
			liveImages++
		}
	}
	if liveImages == 0 || len(before) < 6 {
		t.Fatalf("before the erasure: %v", before)
	}
	e.must(e.do("DELETE", "/v1/verifications/"+vid, nil, c), 200)
	deadline := time.Now().Add(30 * time.Second)
	for {
		left, err := raw.List(t.Context(), kyc.CasePrefix(vid))
		if err == nil && len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the erasure, still stored: %v (%v)", left, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if bs, _ := e.db.ListBlobs(t.Context(), vid); len(bs) != 0 {
		t.Errorf("%d ledger records left", len(bs))
	}
}

// rawBlobs is the test's blob store without its encryption layer, to see
// what is really stored.
func (e *env) rawBlobs(t *testing.T) blob.Store {
	t.Helper()
	raw, err := blob.OpenRaw(t.Context(), "file://"+e.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// twoPhotos is the attack issue 13 opened with: two photographs of the
// person, a frontal one and a turned one (mirrored for the other side),
// shown as each challenge asks (the frontal one zoomed to come closer),
// switched a second after the challenge is revealed.
type twoPhotos struct {
	frontal, left, right, up, closer []byte
	task                             liveness.Task
	since                            time.Time
}

func newTwoPhotos(t *testing.T) *twoPhotos {
	e := faceEngine(t)
	return &twoPhotos{frontal: stillFrame(t), left: testenv.CameraFrame(t, e, testenv.TurnedPhoto, false, 0.3),
		right: testenv.CameraFrame(t, e, testenv.TurnedPhoto, true, 0.3), closer: testenv.CameraFrame(t, e, testenv.FrontalPhoto, false, 0.45)}
}

func (a *twoPhotos) Frame(task liveness.Task, now time.Time) ([]byte, time.Time) {
	if task.Type != a.task.Type || task.Target != a.task.Target {
		a.task, a.since = task, now
	}
	if now.Sub(a.since) < time.Second {
		return a.frontal, time.Time{}
	}
	switch task.Type {
	case liveness.TurnLeft:
		return a.left, time.Time{}
	case liveness.TurnRight:
		return a.right, time.Time{}
	case liveness.ComeCloser:
		return a.closer, time.Time{}
	case liveness.LookUp:
		if a.up != nil {
			return a.up, time.Time{}
		}
	case liveness.Light:
		return a.frontal, a.since // it claims to have shown the colours
	}
	return a.frontal, time.Time{}
}

func (a *twoPhotos) Heard(liveness.Progress, time.Time) {}

// posePhotos is the slideshow an attacker builds with the public API: each
// photograph of the person is sent to /v1/faces/detect, and the most
// frontal, the most turned each way and the most raised are shown as the
// challenges ask.
func posePhotos(e *env, u *user) *twoPhotos {
	e.t.Helper()
	type shot struct {
		file       string
		yaw, pitch float64
	}
	var shots []shot
	for _, f := range []string{"examples__obama.jpg", "examples__obama2.jpg", "examples__knn_examples__test__obama1.jpg",
		"examples__knn_examples__train__obama__obama.jpg", "examples__knn_examples__train__obama__obama2.jpg",
		"tests__test_images__obama.jpg", "tests__test_images__obama2.jpg"} {
		data, err := os.ReadFile(filepath.Join(testenv.TestData(e.t), "faces", "face_recognition", f))
		if err != nil {
			e.t.Fatal(err)
		}
		r := e.must(e.do("POST", "/v1/faces/detect", map[string]string{"image": base64.StdEncoding.EncodeToString(data)}, cred{bearer: u.access}), 200)
		var out struct {
			Faces []struct {
				Pose struct{ Yaw, Pitch float64 }
			}
		}
		if json.Unmarshal([]byte(r.raw), &out); len(out.Faces) == 1 {
			shots = append(shots, shot{f, out.Faces[0].Pose.Yaw, out.Faces[0].Pose.Pitch})
		}
	}
	if len(shots) < 3 {
		e.t.Fatalf("only %d usable photographs", len(shots))
	}
	by := func(key func(s shot) float64) shot {
		return slices.MinFunc(shots, func(a, b shot) int { return cmp.Compare(key(a), key(b)) })
	}
	frontal := by(func(s shot) float64 { return math.Abs(s.yaw) + math.Abs(s.pitch) })
	left := by(func(s shot) float64 { return s.yaw })   // turned towards the image's right
	right := by(func(s shot) float64 { return -s.yaw }) // and towards its left
	up := by(func(s shot) float64 { return -s.pitch })
	fe := faceEngine(e.t)
	frame := func(s shot, share float64) []byte {
		return testenv.CameraFrame(e.t, fe, s.file, false, share)
	}
	e.t.Logf("pose slideshow: frontal %v, left %v, right %v, up %v", frontal, left, right, up)
	return &twoPhotos{frontal: frame(frontal, 0.3), left: frame(left, 0.3), right: frame(right, 0.3), up: frame(up, 0.3),
		closer: frame(frontal, 0.45)}
}

// TestLivenessPhotoAttacks (issue 13): through the public API, with honest
// timestamps, none of these passes a session: the two photographs; one
// print turned, tilted and brought closer as asked; the print bent around
// a vertical axis and moved so; the person's photographs chosen by the pose
// the public API measures, at camera speed and slowly. Each meets the challenges as drawn in
// production, and a fixed order of the movements a photograph acts out
// best (turn left, come closer, turn right) that the two-photo attack used
// to pass; the bent print and the slideshows, a fixed order with a look-up.
// (A bent print turned further than asked is not reliably stopped yet:
// docs/accuracy.md.)
func TestLivenessPhotoAttacks(t *testing.T) {
	drawn := []liveness.Challenge(nil)
	movements := []liveness.Challenge{liveness.TurnLeft, liveness.ComeCloser, liveness.TurnRight}
	withLookUp := []liveness.Challenge{liveness.TurnLeft, liveness.LookUp, liveness.ComeCloser}
	var slideshow *twoPhotos
	attacks := []struct {
		name   string
		orders [][]liveness.Challenge
		make   func(e *env, u *user) camera
		step   time.Duration // between frames; 200 ms when 0
	}{
		{"two photos", [][]liveness.Challenge{drawn, movements}, func(*env, *user) camera { return newTwoPhotos(t) }, 0},
		{"moved print", [][]liveness.Challenge{drawn, movements}, func(*env, *user) camera { return testenv.NewPerson(t, faceEngine(t), headgen.Flat, 5) }, 0},
		{"bent print", [][]liveness.Challenge{drawn, withLookUp}, func(*env, *user) camera { return testenv.NewPerson(t, faceEngine(t), headgen.Cylinder, 6) }, 0},
		{"pose slideshow", [][]liveness.Challenge{drawn, withLookUp}, func(e *env, u *user) camera {
			if slideshow == nil {
				slideshow = posePhotos(e, u)
			}
			c := *slideshow
			return &c
		}, 0},
		// Sent slowly, so that no two frames can be compared.
		{"slow pose slideshow", [][]liveness.Challenge{withLookUp}, func(e *env, u *user) camera {
			if slideshow == nil {
				slideshow = posePhotos(e, u)
			}
			c := *slideshow
			return &c
		}, 850 * time.Millisecond},
	}
	envs := map[string]*env{}
	for _, a := range attacks {
		for _, order := range a.orders {
			name := fmt.Sprint(order)
			if order == nil {
				name = "drawn"
			}
			e := envs[name]
			if e == nil {
				e = newEnv(t, envOptions{challenges: order})
				envs[name] = e
			}
			u := e.newUser(strings.NewReplacer(" ", "-", "[", "", "]", "").Replace(a.name+"-"+name) + "@example.com")
			step := a.step
			if step == 0 {
				step = 200 * time.Millisecond
			}
			for i := range 2 {
				_, s := e.startLiveness(u)
				r := e.performEvery(s, cred{bearer: u.access}, a.make(e, u), step)
				res, _ := r.body["result"].(map[string]any)
				if r.status != 200 || res == nil || res["status"] != "failed" {
					t.Errorf("%s, challenges %s, session %d: %s", a.name, name, i, r.raw)
					continue
				}
				t.Logf("%s, challenges %s: failed with %v", a.name, name, res["reasons"])
			}
		}
	}
}
