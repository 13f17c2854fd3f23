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

var performableOrder = []liveness.Challenge{liveness.TurnLeft, liveness.ComeCloser, liveness.TurnRight}

// TestLivenessOverHTTP runs a session of turns and an approach (challenges
// photographs can act out): it sends the frames in the order the
// challenges ask for, one per request, 200 ms apart.
func TestLivenessOverHTTP(t *testing.T) {
	e := newEnv(t, envOptions{challenges: performableOrder})
	u := e.newUser("live@example.com")
	vid, s := e.startLiveness(u)
	if len(challenges(s)) != 3 || !strings.HasPrefix(s.str("stream_url"), "ws://kyc.test/v1/liveness/") || s.str("frames_url") == "" {
		t.Fatalf("session %s", s.raw)
	}
	sid := s.str("session_id")
	var last res
	for _, jpg := range framesFor(t, challenges(s)) {
		e.clk.Advance(200 * time.Millisecond)
		ts := strconv.FormatInt(e.clk.Now().UnixMilli(), 10)
		last = e.multipartDo("/v1/liveness/"+sid+"/frames", cred{bearer: u.access},
			part{"timestamp_ms", "", "", []byte(ts)}, part{"frame", "", "image/jpeg", jpg})
		if last.status != 200 {
			t.Fatalf("frames: %d %s", last.status, last.raw)
		}
		if last.str("state") == "done" {
			break
		}
	}
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
			part{"timestamp_ms", "", "", []byte("1")}, part{"frame", "", "image/jpeg", framesFor(t, nil)[0]})
		if again.status != 409 {
			t.Errorf("frames after the end = %d, want 409", again.status)
		}
	}
	other := e.newUser("nosy@example.com")
	if r := e.do("GET", "/v1/liveness/"+sid, nil, cred{bearer: other.access}); r.status != 404 {
		t.Errorf("another applicant reads the session: %d", r.status)
	}
}

var frameCache = map[string][]byte{}

// framesFor builds the frames that act out cs: a neutral frame before each.
func framesFor(t testing.TB, cs []string) [][]byte {
	get := func(name string, photo string, mirror bool, share float64) []byte {
		if f, ok := frameCache[name]; ok {
			return f
		}
		f := testenv.CameraFrame(t, faceEngine(t), photo, mirror, share)
		frameCache[name] = f
		return f
	}
	neutral := get("neutral", testenv.FrontalPhoto, false, 0.3)
	neutralM := get("neutralM", testenv.FrontalPhoto, true, 0.3)
	out := [][]byte{neutral}
	for _, c := range cs {
		switch c {
		case "turn_left":
			out = append(out, neutralM, get("left", testenv.TurnedPhoto, false, 0.3))
		case "turn_right":
			out = append(out, neutral, get("right", testenv.TurnedPhoto, true, 0.3))
		case "come_closer":
			out = append(out, neutral, get("closer", testenv.FrontalPhoto, false, 0.45))
		default:
			out = append(out, neutral, neutral)
		}
	}
	return out
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
	var last map[string]any
	for _, jpg := range framesFor(t, challenges(s)) {
		e.clk.Advance(200 * time.Millisecond)
		ts, _ := json.Marshal(map[string]int64{"timestamp_ms": e.clk.Now().UnixMilli()})
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
		last = nil
		json.Unmarshal(data, &last)
		if last["guidance"] == nil {
			t.Fatalf("message %s", data)
		}
		if last["state"] == "done" {
			break
		}
	}
	if last["result"] == nil || last["result"].(map[string]any)["status"] != "succeeded" {
		t.Errorf("last message %v", last)
	}
	// A corrupt frame gets an error message, not a dropped connection.
	if last["state"] != "done" {
		conn.Write(ctx, websocket.MessageBinary, []byte("not a jpeg"))
		_, data, _ := conn.Read(ctx)
		if !strings.Contains(string(data), "unsupported_media") {
			t.Errorf("corrupt frame answer %s", data)
		}
	}
	// Without credentials the stream is refused before the upgrade.
	if _, resp, err := websocket.Dial(ctx, url, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("anonymous stream: %v", err)
	}
}
