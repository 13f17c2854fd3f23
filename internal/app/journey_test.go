package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
	"github.com/kycd/kycd/internal/totp"
)

// api is an HTTP client of one kycd process with a bearer token.
type api struct {
	t     testing.TB
	base  string
	token string
}

func (a api) call(method, path, contentType string, body io.Reader) (int, map[string]any) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.base+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return res.StatusCode, out
}

func (a api) json(method, path string, body any, want int) map[string]any {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	status, out := a.call(method, path, "application/json", rd)
	if status != want {
		a.t.Fatalf("%s %s = %d %v, want %d", method, path, status, out, want)
	}
	return out
}

// parts posts multipart parts in order: name, value pairs.
func (a api) parts(path string, want int, kv ...any) map[string]any {
	a.t.Helper()
	status, out := a.tryParts(path, kv...)
	if status != want {
		a.t.Fatalf("POST %s = %d %v, want %d", path, status, out, want)
	}
	return out
}

// tryParts posts a multipart form and returns the answer, whatever it is.
func (a api) tryParts(path string, kv ...any) (int, map[string]any) {
	a.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i < len(kv); i += 2 {
		name := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			w.WriteField(name, v)
		case []byte:
			pw, _ := w.CreateFormFile(name, name+".jpg")
			pw.Write(v)
		}
	}
	w.Close()
	return a.call("POST", path, w.FormDataContentType(), &b)
}

// liveness runs a case's liveness check with the recorded sequence, a
// frame every 250 ms of real time.
func (a api) liveness(vid string, p *testenv.Person) {
	a.t.Helper()
	if err := a.tryLiveness(vid, p); err != nil {
		a.t.Fatal(err)
	}
}

// tryLiveness is liveness that returns what went wrong (for clients under
// load, which count a failed check and go on).
func (a api) tryLiveness(vid string, p *testenv.Person) error {
	a.t.Helper()
	status, s := a.call("POST", "/v1/verifications/"+vid+"/liveness", "", nil)
	if status != 201 {
		return fmt.Errorf("start liveness: %d %v", status, s)
	}
	sid := s["session_id"].(string)
	var task liveness.Task
	if cs, _ := s["challenges"].([]any); len(cs) == 1 {
		task = taskOf(cs[0])
	}
	// A camera's clock: a frame every 200 ms of capture time, sent as soon
	// as the last one was answered and never stamped ahead of the real
	// time (a loaded machine answers slower than a camera captures: the
	// frames queue, as the capture page's do).
	now := time.Now()
	for range 300 {
		now = now.Add(200 * time.Millisecond)
		time.Sleep(time.Until(now))
		jpg, lightStart := p.Frame(task, now)
		fields := []any{"timestamp_ms", strconv.FormatInt(now.UnixMilli(), 10)}
		if !lightStart.IsZero() {
			fields = append(fields, "light_start_ms", strconv.FormatInt(lightStart.UnixMilli(), 10))
		}
		status, r := a.tryParts("/v1/liveness/"+sid+"/frames", append(fields, "frame", jpg)...)
		if status != 200 {
			return fmt.Errorf("liveness frame: %d %v", status, r)
		}
		if r["state"] == "done" {
			if res, _ := r["result"].(map[string]any); res["status"] != "succeeded" {
				return fmt.Errorf("liveness: %v", r)
			}
			return nil
		}
		var pr liveness.Progress
		b, _ := json.Marshal(r)
		json.Unmarshal(b, &pr)
		p.Heard(pr, now)
		task = liveness.Task{}
		if pr.Task != nil {
			task = *pr.Task
		}
	}
	return errors.New("the liveness check did not finish")
}

// taskOf reads a challenge of a JSON answer.
func taskOf(v any) liveness.Task {
	var t liveness.Task
	b, _ := json.Marshal(v)
	json.Unmarshal(b, &t)
	return t
}

// waitStatus polls a case until its status is one of want.
func (a api) waitStatus(vid string, timeout time.Duration, want ...string) map[string]any {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		status, v := a.call("GET", "/v1/verifications/"+vid, "", nil)
		if status == 200 {
			for _, w := range want {
				if v["status"] == w {
					return v
				}
			}
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%s is %v after %v, want %v", vid, v["status"], timeout, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitRead polls a case until its document is read (or failed).
func (a api) waitRead(vid string, timeout time.Duration) map[string]any {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v := a.json("GET", "/v1/verifications/"+vid, nil, 200)
		if d, _ := v["document"].(map[string]any); d != nil && d["status"] != "pending" {
			return v
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("the document of %s was not read in %v: %v", vid, timeout, v)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// completeCase drives a case through the API as a: start (with
// reference), the liveness check of the test person, a generated passport
// of the same face, submit; it returns the case's id and decided state.
func (a api) completeCase(eng *face.Engine, reference string) (string, map[string]any) {
	a.t.Helper()
	vid := a.json("POST", "/v1/verifications", map[string]string{"reference": reference}, 201)["id"].(string)
	a.liveness(vid, testenv.NewPerson(a.t, eng, headgen.Solid, 1))
	a.parts("/v1/verifications/"+vid+"/documents", 202, "front", passport(a.t, eng, "face_recognition/examples__obama-480p.jpg", 1))
	a.waitRead(vid, 90*time.Second)
	a.json("POST", "/v1/verifications/"+vid+"/submit", nil, 202)
	return vid, a.waitStatus(vid, 90*time.Second, "approved", "rejected", "needs_review")
}

// passport renders a generated passport whose portrait is cut from photo.
func passport(t testing.TB, e *face.Engine, photo string, seed uint64) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.TestData(t), "faces", photo))
	if err != nil {
		t.Fatal(err)
	}
	img, err := raster.Decode(b, raster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Portrait(t.Context(), img, 320, 85)
	if err != nil || p == nil {
		t.Fatalf("portrait of %s: %v", photo, err)
	}
	r := rand.New(rand.NewPCG(seed, seed))
	front, _, err := docgen.Render(docgen.Random(r, docgen.Passport, time.Now()), p, 12, r)
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := docgen.Photograph(front, docgen.Shot{Width: 1400, Skew: 2, Quality: 85, Margin: 0.06}, r)
	if err != nil {
		t.Fatal(err)
	}
	return jpg
}

// adminToken creates an admin with the CLI and signs it in.
func adminToken(t testing.TB, base string, env []string) string {
	t.Helper()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("correct-horse-battery\n"), 0o600)
	cmd := exec.Command(kycdBin, "user", "create", "--email", "ops@example.com", "--password-file", pwFile, "--role", "admin")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kycd user create: %v\n%s", err, out)
	}
	r := api{t: t, base: base}.json("POST", "/v1/auth/signin", map[string]string{"email": "ops@example.com", "password": "correct-horse-battery"}, 200)
	return r["access_token"].(string)
}

// TestJourneyScaleOutAndCrash drives cases through two kycd processes that
// share PostgreSQL and an S3 bucket, each step on either process, then
// kills both (SIGKILL) right after a submit and starts one again: the case
// is decided, once, with nothing lost.
func TestJourneyScaleOutAndCrash(t *testing.T) {
	e := testenv.FaceEngine(t)
	person := testenv.NewPerson(t, e, headgen.Solid, 1)
	doc1 := passport(t, e, "face_recognition/examples__obama-480p.jpg", 1)
	doc2 := passport(t, e, "face_recognition/examples__obama-720p.jpg", 2)

	dbURL, blobURL := testenv.PostgresURL(t), testenv.S3URL(t)
	keyFile := filepath.Join(t.TempDir(), "master.key")
	out, _ := exec.Command(kycdBin, "keygen").Output()
	os.WriteFile(keyFile, out, 0o600)
	common := append(testenv.S3Env(), "KYCD_DATABASE_URL="+dbURL, "KYCD_BLOB_URL="+blobURL, "KYCD_MASTER_KEY_FILE="+keyFile,
		"KYCD_LIVENESS_CHALLENGES=turn_left,look_up,light", "KYCD_JOB_TIMEOUT=5s", "OMP_THREAD_LIMIT=1")
	pa := startKycd(t, append(common, "KYCD_DATA_DIR="+t.TempDir())...)
	pb := startKycd(t, append(common, "KYCD_DATA_DIR="+t.TempDir())...)
	admin := adminToken(t, pa.url, append(common, "KYCD_DATA_DIR="+t.TempDir()))
	key := api{t: t, base: pb.url, token: admin}.json("POST", "/v1/api-keys", map[string]any{"name": "crm", "roles": []string{"integrator"}}, 201)
	a := api{t: t, base: pa.url, token: key["key"].(string)}
	b := api{t: t, base: pb.url, token: key["key"].(string)}

	// One case, its steps spread over both processes.
	v := a.json("POST", "/v1/verifications", map[string]string{"reference": "shared-1"}, 201)
	vid := v["id"].(string)
	b.liveness(vid, person)
	a.parts("/v1/verifications/"+vid+"/documents", 202, "front", doc1)
	b.json("POST", "/v1/verifications/"+vid+"/submit", nil, 202)
	got := a.waitStatus(vid, 90*time.Second, "approved", "rejected", "needs_review")
	if got["status"] != "approved" {
		t.Fatalf("shared case: %v", got)
	}

	// A crash right after the submit: both processes killed.
	v = b.json("POST", "/v1/verifications", map[string]string{"reference": "crash-1"}, 201)
	vid2 := v["id"].(string)
	b.liveness(vid2, person)
	b.parts("/v1/verifications/"+vid2+"/documents", 202, "front", doc2)
	b.json("POST", "/v1/verifications/"+vid2+"/submit", nil, 202)
	pa.cmd.Process.Kill()
	pb.cmd.Process.Kill()
	<-pa.done
	<-pb.done
	pc := startKycd(t, append(common, "KYCD_DATA_DIR="+t.TempDir())...)
	c := api{t: t, base: pc.url, token: key["key"].(string)}
	got = c.waitStatus(vid2, 120*time.Second, "approved", "rejected", "needs_review")
	// The same face as the first case, on another case of the integrator:
	// the duplicate search sends it to review.
	if got["status"] != "needs_review" {
		t.Fatalf("after the crash: %v", got)
	}
	doc, _ := got["document"].(map[string]any)
	if doc == nil || doc["status"] != "done" || doc["fields"] == nil {
		t.Fatalf("the document was lost: %v", got)
	}
	audit := api{t: t, base: pc.url, token: admin}.json("GET", "/v1/verifications/"+vid2+"/audit", nil, 200)
	counts := map[string]int{}
	for _, ev := range audit["events"].([]any) {
		counts[ev.(map[string]any)["action"].(string)]++
	}
	if counts["verification.decided"] != 1 || counts["document.analyzed"] != 1 || counts["verification.submitted"] != 1 {
		t.Errorf("events after the crash: %v", counts)
	}
	// The audit trail is intact.
	cmd := exec.Command(kycdBin, "audit", "verify")
	cmd.Env = append(os.Environ(), append(common, "KYCD_DATA_DIR="+t.TempDir())...)
	if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("audit trail intact")) {
		t.Errorf("kycd audit verify: %v\n%s", err, out)
	}
	pc.stop(t)
}

// TestAuditVerifyCommand: `kycd audit verify` passes on an intact trail
// and fails, naming the event, once a row is edited.
func TestAuditVerifyCommand(t *testing.T) {
	dataDir := t.TempDir()
	env := []string{"KYCD_DATA_DIR=" + dataDir}
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("correct-horse-battery\n"), 0o600)
	for _, email := range []string{"a@example.com", "b@example.com"} {
		cmd := exec.Command(kycdBin, "user", "create", "--email", email, "--password-file", pwFile, "--role", "reviewer")
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("user create: %v\n%s", err, out)
		}
	}
	verify := func() (string, error) {
		cmd := exec.Command(kycdBin, "audit", "verify")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := verify(); err != nil || !bytes.Contains([]byte(out), []byte("audit trail intact: 2 events")) {
		t.Fatalf("intact trail: %v\n%s", err, out)
	}
	tamper := func(query string) {
		db := testenv.OpenDB(t, "sqlite://"+filepath.Join(dataDir, "kycd.db"), nil)
		if _, err := db.SQL().Exec(query); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	// The newest event removed: the chain before it is intact, the sealed
	// head is not.
	tamper(`DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)`)
	out, err := verify()
	if err == nil || !bytes.Contains([]byte(out), []byte("were removed")) {
		t.Fatalf("trail without its newest event: %v\n%s", err, out)
	}
	tamper(`DELETE FROM audit_head`)
	out, err = verify()
	if err == nil || !bytes.Contains([]byte(out), []byte("no anchored head")) {
		t.Fatalf("trail without its head: %v\n%s", err, out)
	}
	tamper(`UPDATE audit_events SET actor_id = 'someone-else' WHERE id = (SELECT MIN(id) FROM audit_events)`)
	out, err = verify()
	if err == nil || !bytes.Contains([]byte(out), []byte("the audit trail is broken at event")) {
		t.Fatalf("tampered trail: %v\n%s", err, out)
	}
}

// TestKeysRotateCommand: a TOTP secret sealed under the dev key still
// works after `kycd keys rotate` when kycd restarts with the new key only.
func TestKeysRotateCommand(t *testing.T) {
	dataDir := t.TempDir()
	p := startKycd(t, "KYCD_DATA_DIR="+dataDir)
	signedUpUser(t, p.url, "rot@example.com", "correct-horse-battery")
	a := api{t: t, base: p.url}
	a.token = a.json("POST", "/v1/auth/signin", map[string]string{"email": "rot@example.com", "password": "correct-horse-battery"}, 200)["access_token"].(string)
	secret := a.json("POST", "/v1/auth/totp/setup", nil, 200)["secret"].(string)
	p.stop(t)

	newKey := filepath.Join(t.TempDir(), "new.key")
	out, _ := exec.Command(kycdBin, "keygen").Output()
	os.WriteFile(newKey, out, 0o600)
	cmd := exec.Command(kycdBin, "keys", "rotate", "--new-key-file", newKey)
	cmd.Env = append(os.Environ(), "KYCD_DATA_DIR="+dataDir)
	if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("re-wrapped 0 objects and 2 database values")) /* the TOTP secret, the audit head */ {
		t.Fatalf("kycd keys rotate: %v\n%s", err, out)
	}
	os.Remove(filepath.Join(dataDir, "master.key")) // the old key is gone
	p = startKycd(t, "KYCD_DATA_DIR="+dataDir, "KYCD_MASTER_KEY_FILE="+newKey)
	a = api{t: t, base: p.url}
	a.token = a.json("POST", "/v1/auth/signin", map[string]string{"email": "rot@example.com", "password": "correct-horse-battery"}, 200)["access_token"].(string)
	raw, err := totp.Decode(secret)
	if err != nil {
		t.Fatal(err)
	}
	a.json("POST", "/v1/auth/totp/verify", map[string]string{"code": totp.Code(raw, totp.StepAt(time.Now()))}, 200)
	p.stop(t)
	// The audit trail's head was re-wrapped with the rest.
	cmd = exec.Command(kycdBin, "audit", "verify")
	cmd.Env = append(os.Environ(), "KYCD_DATA_DIR="+dataDir, "KYCD_MASTER_KEY_FILE="+newKey)
	if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("audit trail intact")) {
		t.Errorf("kycd audit verify after the rotation: %v\n%s", err, out)
	}
}
