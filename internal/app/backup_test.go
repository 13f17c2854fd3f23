package app_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/testenv"
)

// kycdCmd runs a kycd command with env and returns its output.
func kycdCmd(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(kycdBin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// image fetches a case's image as a.
func (a api) image(path string) []byte {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		a.t.Fatalf("GET %s = %d", path, res.StatusCode)
	}
	return b
}

// TestBackupRestore (issue 17): `kycd backup` of a serving kycd, restored
// with `kycd restore` into an empty data directory, brings back every case,
// image and audit event: the audit trail verifies, the case's decision and
// document image are the same bytes, and a restore over data is refused.
func TestBackupRestore(t *testing.T) {
	eng := testenv.FaceEngine(t)
	keyFile := filepath.Join(t.TempDir(), "master.key")
	out, _ := exec.Command(kycdBin, "keygen").Output()
	os.WriteFile(keyFile, out, 0o600)
	common := []string{"KYCD_MASTER_KEY_FILE=" + keyFile, "OMP_THREAD_LIMIT=1", "KYCD_LIVENESS_CHALLENGES=turn_left,look_up,light"}
	envA := append([]string{"KYCD_DATA_DIR=" + t.TempDir()}, common...)
	p := startKycd(t, envA...)
	admin := api{t: t, base: p.url, token: adminToken(t, p.url, envA)}
	key := admin.json("POST", "/v1/api-keys", map[string]any{"name": "crm", "roles": []string{"integrator"}}, 201)["key"].(string)
	a := api{t: t, base: p.url, token: key}
	vid, decided := a.completeCase(eng, "b-1")
	front := a.image("/v1/verifications/" + vid + "/images/front")
	events := len(admin.json("GET", "/v1/verifications/"+vid+"/audit", nil, 200)["events"].([]any))

	// The backup is taken while kycd serves.
	dir := filepath.Join(t.TempDir(), "backup")
	if out, err := kycdCmd(t, envA, "backup", "--out", dir); err != nil || !strings.Contains(out, "backed up") {
		t.Fatalf("kycd backup: %v\n%s", err, out)
	}
	if out, err := kycdCmd(t, envA, "backup", "--out", dir); err == nil {
		t.Errorf("a backup over an earlier one was not refused:\n%s", out)
	}
	p.stop(t)

	envB := append([]string{"KYCD_DATA_DIR=" + t.TempDir()}, common...)
	if out, err := kycdCmd(t, envB, "restore", "--from", dir); err != nil {
		t.Fatalf("kycd restore: %v\n%s", err, out)
	}
	if out, err := kycdCmd(t, envB, "restore", "--from", dir); err == nil {
		t.Errorf("a restore over data was not refused:\n%s", out)
	}
	if out, err := kycdCmd(t, envB, "audit", "verify"); err != nil || !strings.Contains(out, "audit trail intact") {
		t.Fatalf("kycd audit verify after the restore: %v\n%s", err, out)
	}
	q := startKycd(t, envB...)
	token := api{t: t, base: q.url}.json("POST", "/v1/auth/signin", map[string]string{"email": "ops@example.com", "password": "correct-horse-battery"}, 200)["access_token"].(string)
	b := api{t: t, base: q.url, token: token}
	got := b.json("GET", "/v1/verifications/"+vid, nil, 200)
	if got["status"] != decided["status"] || got["reference"] != "b-1" {
		t.Errorf("the restored case: %v, was %v", got["status"], decided["status"])
	}
	if img := b.image("/v1/verifications/" + vid + "/images/front"); !bytes.Equal(img, front) {
		t.Errorf("the restored document image differs: %d bytes, was %d", len(img), len(front))
	}
	// The restored trail has the case's events, and those its reads since.
	if n := len(b.json("GET", "/v1/verifications/"+vid+"/audit", nil, 200)["events"].([]any)); n < events {
		t.Errorf("the restored case has %d audit events, was %d", n, events)
	}
}
