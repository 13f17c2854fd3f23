package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/api"
	"github.com/kycd/kycd/internal/webhook"
)

// spec fetches one of the served OpenAPI documents.
func (e *env) spec(t *testing.T, path string) (raw []byte, doc map[string]any) {
	t.Helper()
	r := e.must(e.do("GET", path, nil, cred{}), 200)
	if err := json.Unmarshal([]byte(r.raw), &doc); err != nil {
		t.Fatal(err)
	}
	return []byte(r.raw), doc
}

// TestOpenAPIForClients: what client generators and linters need of both
// served documents (the 3.1 one and the 3.0 form for older tools): a
// server to send requests to, every operation saying what credentials it
// needs (none is said explicitly), every operation but the health probes
// describing its 4xx errors, and no 3.1-only keyword in the 3.0 form.
func TestOpenAPIForClients(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/openapi.json", "/openapi-3.0.json"} {
		raw, doc := e.spec(t, path)
		if servers, _ := doc["servers"].([]any); len(servers) == 0 {
			t.Errorf("%s: no servers", path)
		}
		paths, _ := doc["paths"].(map[string]any)
		for p, item := range paths {
			for method, op := range item.(map[string]any) {
				op, ok := op.(map[string]any)
				if !ok {
					continue
				}
				if _, ok := op["security"]; !ok {
					t.Errorf("%s: %s %s declares no security", path, method, p)
				}
				responses, _ := op["responses"].(map[string]any)
				has4xx := false
				for status := range responses {
					has4xx = has4xx || strings.HasPrefix(status, "4")
				}
				if !has4xx && p != "/healthz" && p != "/readyz" {
					t.Errorf("%s: %s %s describes no 4xx response", path, method, p)
				}
			}
		}
		if path == "/openapi-3.0.json" {
			if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0") {
				t.Errorf("%s: openapi %q", path, v)
			}
			if bytes.Contains(raw, []byte(`"contentMediaType"`)) {
				t.Errorf("%s: holds contentMediaType, a 3.1 keyword 3.0 tools refuse", path)
			}
		}
	}
}

// TestGeneratedClient: the Go client oapi-codegen generates from the served
// 3.0 document is examples/kycdclient (which must compile: go vet ./...
// builds it). With -update it is regenerated.
func TestGeneratedClient(t *testing.T) {
	e := newEnv(t, envOptions{})
	raw, _ := e.spec(t, "/openapi-3.0.json")
	specFile := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(specFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-generate", "types,client", "-package", "kycdclient", specFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, stderr.String())
	}
	path := filepath.Join("..", "..", "examples", "kycdclient", "kycdclient.gen.go")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("examples/kycdclient is not what the served API generates (%v): go test ./internal/api -run TestGeneratedClient -update", err)
	}
}

// TestOpenAPILint: both served documents pass Redocly's recommended rules
// with no error (scripts/setup.sh --test installs the CLI under
// KYCD_TOOLS_DIR). Its warnings are logged: the health probes have no 4xx
// to describe, and the licence has no URL yet.
func TestOpenAPILint(t *testing.T) {
	cli := filepath.Join(os.Getenv("KYCD_TOOLS_DIR"), "redocly", "node_modules", ".bin", "redocly")
	if _, err := os.Stat(cli); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redocly's CLI is missing (%v): scripts/setup.sh --test installs it", err)
		}
		t.Skipf("Redocly's CLI is not installed at %s: scripts/setup.sh --test installs it", cli)
	}
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/openapi.json", "/openapi-3.0.json"} {
		raw, _ := e.spec(t, path)
		file := filepath.Join(t.TempDir(), "openapi.json")
		if err := os.WriteFile(file, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(cli, "lint", "--extends=recommended", "--format=summary", file)
		cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: redocly lint: %v\n%s", path, err, out)
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "warning") {
				t.Logf("%s: %s", path, line)
			}
		}
	}
}

// TestWebhookSchemas: the OpenAPI document describes each event kycd
// sends (3.1's webhooks; the 3.0 form, which has no place for them, leaves
// them out), and the described body is what kycd sends: every field of a
// real payload is in the schema's type.
func TestWebhookSchemas(t *testing.T) {
	e := newEnv(t, envOptions{})
	var spec struct {
		Webhooks map[string]map[string]struct {
			RequestBody struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
		} `json:"webhooks"`
	}
	r := e.must(e.do("GET", "/openapi.json", nil, cred{}), 200)
	if err := json.Unmarshal([]byte(r.raw), &spec); err != nil {
		t.Fatal(err)
	}
	for _, ev := range webhook.Events {
		if _, ok := spec.Webhooks[ev]["post"].RequestBody.Content["application/json"]; !ok {
			t.Errorf("the OpenAPI document does not describe the %s webhook", ev)
		}
	}
	if len(spec.Webhooks) != len(webhook.Events) {
		t.Errorf("%d webhooks described, %d sent", len(spec.Webhooks), len(webhook.Events))
	}
	if r := e.must(e.do("GET", "/openapi-3.0.json", nil, cred{}), 200); strings.Contains(r.raw, `"webhooks"`) {
		t.Error("the 3.0 form has a webhooks section")
	}
	sim := 97.5
	body, _ := json.Marshal(webhook.Payload{ID: "dlv_1", Event: webhook.EventCompleted, CreatedAt: time.Now(), Data: webhook.Data{
		VerificationID: "ver_1", Reference: "r", Session: "vs_1", Metadata: map[string]string{"k": "v"}, Status: "approved",
		Reasons: []string{}, Similarity: &sim, DecidedAt: time.Now()}})
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var got api.WebhookEvent
	if err := dec.Decode(&got); err != nil {
		t.Errorf("a payload kycd sends does not fit the documented schema: %v\n%s", err, body)
	}
}
