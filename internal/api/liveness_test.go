package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/testenv"
)

// startLiveness creates a verification and a liveness session as u.
func (e *env) startLiveness(u *user) (verification string, session res) {
	e.t.Helper()
	v := e.must(e.do("POST", "/v1/verifications", map[string]string{"reference": "case-1"}, cred{bearer: u.access}), 201)
	if v.str("status") != "created" {
		e.t.Fatalf("verification %s", v.raw)
	}
	return v.str("id"), e.must(e.do("POST", "/v1/verifications/"+v.str("id")+"/liveness", nil, cred{bearer: u.access}), 201)
}

func challenges(r res) []string {
	var out []string
	for _, c := range r.body["challenges"].([]any) {
		out = append(out, c.(map[string]any)["type"].(string))
	}
	return out
}

// firstTask is the challenge a new session reveals.
func firstTask(t testing.TB, session res) liveness.Task {
	var b struct{ Challenges []liveness.Task }
	if err := json.Unmarshal([]byte(session.raw), &b); err != nil || len(b.Challenges) != 1 {
		t.Fatalf("a new session reveals one challenge: %s", session.raw)
	}
	return b.Challenges[0]
}

// performableOrder is the tests' fixed challenge order: a turn, a look-up,
// an approach, and the light challenge.
var performableOrder = []liveness.Challenge{liveness.TurnLeft, liveness.LookUp, liveness.ComeCloser, liveness.Light}

// camera is what is in front of the camera: a person, or an attack.
type camera interface {
	Frame(task liveness.Task, now time.Time) (jpeg []byte, lightStart time.Time)
	Heard(p liveness.Progress, now time.Time)
}

// perform has p meet the challenges of session (the answer that started
// it) over HTTP, one frame per request 200 ms apart, each challenge as the
// answers reveal it; it returns the last answer.
func (e *env) perform(session res, c cred, p camera) res {
	e.t.Helper()
	return e.performEvery(session, c, p, 200*time.Millisecond)
}

// performEvery is perform with a frame every step.
func (e *env) performEvery(session res, c cred, p camera, step time.Duration) res {
	e.t.Helper()
	sid, task := session.str("session_id"), firstTask(e.t, session)
	var last res
	for range 300 {
		e.clk.Advance(step)
		jpg, lightStart := p.Frame(task, e.clk.Now())
		parts := []part{{"timestamp_ms", "", "", []byte(strconv.FormatInt(e.clk.Now().UnixMilli(), 10))}}
		if !lightStart.IsZero() {
			parts = append(parts, part{"light_start_ms", "", "", []byte(strconv.FormatInt(lightStart.UnixMilli(), 10))})
		}
		last = e.multipartDo("/v1/liveness/"+sid+"/frames", c, append(parts, part{"frame", "", "image/jpeg", jpg})...)
		if last.status != 200 || last.str("state") == "done" {
			return last
		}
		var pr liveness.Progress
		json.Unmarshal([]byte(last.raw), &pr)
		p.Heard(pr, e.clk.Now())
		task = liveness.Task{}
		if pr.Task != nil {
			task = *pr.Task
		}
	}
	e.t.Fatalf("the session did not end: %s", last.raw)
	return last
}

// subject is the test person: a head rendered in 3-D from the test
// photograph.
func subject(t testing.TB) *testenv.Person {
	return testenv.NewPerson(t, faceEngine(t), headgen.Solid, 1)
}

// stillFrame is a camera frame of the test photograph.
func stillFrame(t testing.TB) []byte {
	if f, ok := frameCache["still"]; ok {
		return f
	}
	f := testenv.CameraFrame(t, faceEngine(t), testenv.FrontalPhoto, false, 0.3)
	frameCache["still"] = f
	return f
}

var frameCache = map[string][]byte{}

// TestLivenessOverHTTP: a person (a head rendered in 3-D) meets a session's
// challenges over HTTP, one frame per request, 200 ms apart, each as the
// answers reveal it.
func TestLivenessOverHTTP(t *testing.T) {
	e := newEnv(t, envOptions{challenges: performableOrder})
	u := e.newUser("live@example.com")
	vid, s := e.startLiveness(u)
	if len(challenges(s)) != 1 || !strings.HasPrefix(s.str("stream_url"), "ws://kyc.test/v1/liveness/") || s.str("frames_url") == "" {
		t.Fatalf("session %s", s.raw)
	}
	sid := s.str("session_id")
	// One challenge at a time: the first is revealed, the count is known.
	if s.body["challenge_count"] != float64(4) || challenges(s)[0] != "turn_left" {
		t.Errorf("session %s", s.raw)
	}
	last := e.perform(s, cred{bearer: u.access}, subject(t))
	res, _ := last.body["result"].(map[string]any)
	if res == nil || res["status"] != "succeeded" {
		t.Fatalf("result after the sequence: %s", last.raw)
	}
	{
		got := e.must(e.do("GET", "/v1/liveness/"+sid, nil, cred{bearer: u.access}), 200)
		if got.str("status") != "succeeded" || got.str("reference_image_url") == "" {
			t.Errorf("session %s", got.raw)
		}
		img, err := http.NewRequest("GET", e.srv.URL+got.str("reference_image_url"), nil)
		if err != nil {
			t.Fatal(err)
		}
		img.Header.Set("Authorization", "Bearer "+u.access)
		resp, err := http.DefaultClient.Do(img)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("reference image: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
		v := e.must(e.do("GET", "/v1/verifications/"+vid, nil, cred{bearer: u.access}), 200)
		if v.str("status") != "liveness_passed" {
			t.Errorf("verification %s", v.raw)
		}
		// The session is single-use.
		again := e.multipartDo("/v1/liveness/"+sid+"/frames", cred{bearer: u.access},
			part{"timestamp_ms", "", "", []byte("1")}, part{"frame", "", "image/jpeg", stillFrame(t)})
		if again.status != 409 {
			t.Errorf("frames after the end = %d, want 409", again.status)
		}
	}
	other := e.newUser("nosy@example.com")
	if r := e.do("GET", "/v1/liveness/"+sid, nil, cred{bearer: other.access}); r.status != 404 {
		t.Errorf("another applicant reads the session: %d", r.status)
	}
}

// TestLivenessOverWebSocket drives a session over the stream.
func TestLivenessOverWebSocket(t *testing.T) {
	e := newEnv(t, envOptions{challenges: performableOrder})
	u := e.newUser("ws@example.com")
	_, s := e.startLiveness(u)
	sid := s.str("session_id")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/v1/liveness/" + sid + "/stream"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + u.access}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	// A corrupt frame gets an error message, not a dropped connection.
	conn.Write(ctx, websocket.MessageBinary, []byte("not a jpeg"))
	if _, data, _ := conn.Read(ctx); !strings.Contains(string(data), "unsupported_media") {
		t.Errorf("corrupt frame answer %s", data)
	}
	p, task := subject(t), firstTask(t, s)
	var last liveness.Progress
	for range 300 {
		e.clk.Advance(200 * time.Millisecond)
		jpg, lightStart := p.Frame(task, e.clk.Now())
		m := map[string]int64{"timestamp_ms": e.clk.Now().UnixMilli()}
		if !lightStart.IsZero() {
			m["light_start_ms"] = lightStart.UnixMilli()
		}
		ts, _ := json.Marshal(m)
		if err := conn.Write(ctx, websocket.MessageText, ts); err != nil {
			t.Fatal(err)
		}
		if err := conn.Write(ctx, websocket.MessageBinary, jpg); err != nil {
			t.Fatal(err)
		}
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last = liveness.Progress{}
		if err := json.Unmarshal(data, &last); err != nil || last.Guidance == "" {
			t.Fatalf("message %s", data)
		}
		if last.State == "done" {
			break
		}
		p.Heard(last, e.clk.Now())
		task = liveness.Task{}
		if last.Task != nil {
			task = *last.Task
		}
	}
	if last.Result == nil || last.Result.Status != "succeeded" {
		t.Errorf("last message %+v", last)
	}
	// Without credentials the stream is refused before the upgrade.
	if _, resp, err := websocket.Dial(ctx, url, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("anonymous stream: %v", err)
	}
}
