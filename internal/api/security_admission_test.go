package api_test

import (
	"path/filepath"
	"testing"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/testenv"
)

// TestImageWorkAdmission (issue 11, finding 8): image work is bounded per
// principal (429) and per process (503 with Retry-After once the workers
// and the queue are full), and images too large or too narrow are refused
// before they are decoded.
func TestImageWorkAdmission(t *testing.T) {
	photo := b64(mustReadFile(t, filepath.Join(testenv.TestData(t), "faces", "face_recognition", "examples__obama-1080p.jpg")))
	t.Run("per process", func(t *testing.T) {
		e := newEnv(t, envOptions{analysisSlots: 1, analysisQueue: 1})
		u := e.newUser("burst@example.com")
		rs := e.parallel(30, func(int) (string, string, any, cred) {
			return "POST", "/v1/faces/detect", map[string]string{"image": photo}, cred{bearer: u.access}
		})
		st := statuses(rs)
		if st[200] < 2 || st[503] < 1 || st[200]+st[503] != 30 {
			t.Errorf("30 parallel detections on 1 worker + 1 waiting: %v, want some 200 and the rest 503", st)
		}
		for _, r := range rs {
			if r.status == 503 && (r.code() != "unavailable" || r.header.Get("Retry-After") == "") {
				t.Errorf("a refusal: %d %s Retry-After %q", r.status, r.raw, r.header.Get("Retry-After"))
				break
			}
		}
	})
	t.Run("per principal", func(t *testing.T) {
		// Room at the process's gate for the 5 allowed whatever the CPU
		// count (one CPU gives 1 slot and 2 waiting by default: 2 of the 5
		// were refused with 503 on a one-core run).
		e := newEnv(t, envOptions{analysisRate: 5, analysisSlots: 1, analysisQueue: 5})
		u := e.newUser("greedy@example.com")
		other := e.newUser("patient@example.com")
		rs := e.parallel(30, func(int) (string, string, any, cred) {
			return "POST", "/v1/documents/analyze", map[string]string{"front": photo}, cred{bearer: u.access}
		})
		if st := statuses(rs); st[429] != 25 || st[200] != 5 {
			t.Errorf("30 analyses by one user allowed 5 a minute: %v, want 5 × 200 and 25 × 429", st)
		}
		// Another user is not held up by the first one's limit.
		e.must(e.do("POST", "/v1/faces/detect", map[string]string{"image": photo}, cred{bearer: other.access}), 200)
	})
	// Found by the load test: a selfie check's frames (dozens) spent the
	// principal's tokens, so that an integrator's key relaying one had its
	// document refused. Frames are bounded by their session, not the limit.
	t.Run("frames spend nothing", func(t *testing.T) {
		e := newEnv(t, envOptions{analysisRate: 5, challenges: performableOrder})
		u := e.newUser("relay@example.com")
		c := cred{bearer: u.access}
		vid := e.must(e.do("POST", "/v1/verifications", nil, c), 201).str("id")
		e.passLiveness(vid, c)
		front, _ := generatedDocOf(t, "face_recognition/examples__obama-480p.jpg", docgen.Passport, 3, 0)
		e.must(e.multipartDo("/v1/verifications/"+vid+"/documents", c, part{"front", "p.jpg", "image/jpeg", front}), 202)
	})
	t.Run("bombs and strips", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		u := e.newUser("shapes@example.com")
		for _, tt := range []struct {
			name   string
			data   []byte
			status int
		}{
			{"29999×1333 PNG (40 MP)", testenv.PNGHeader(29999, 1333), 413},
			{"6000×4500 PNG (27 MP)", testenv.PNGHeader(6000, 4500), 413},
			{"9000×300 PNG (a strip)", testenv.PNGHeader(9000, 300), 400},
		} {
			if r := e.do("POST", "/v1/documents/analyze", map[string]string{"front": b64(tt.data)}, cred{bearer: u.access}); r.status != tt.status {
				t.Errorf("%s = %d %s, want %d", tt.name, r.status, r.raw, tt.status)
			}
		}
	})
}
