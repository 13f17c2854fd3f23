package app_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/testenv"
)

var kycdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kycd-bin-")
	if err != nil {
		panic(err)
	}
	kycdBin = filepath.Join(dir, "kycd")
	build := exec.Command("go", "build", "-o", kycdBin, "github.com/kycd/kycd/cmd/kycd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build kycd:", err)
		os.Exit(1)
	}
	code := testenv.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// logBuffer collects a process's output while the test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a kycd process started by a test.
type proc struct {
	cmd    *exec.Cmd
	url    string
	stderr *logBuffer
	done   chan error
}

// startKycd runs `kycd serve` with env on a free port and waits until it
// answers /healthz.
func startKycd(t testing.TB, env ...string) *proc {
	t.Helper()
	port := testenv.FreePort(t)
	p := &proc{url: fmt.Sprintf("http://127.0.0.1:%d", port), stderr: &logBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(kycdBin, "serve")
	p.cmd.Env = append(os.Environ(), append([]string{
		fmt.Sprintf("KYCD_ADDR=127.0.0.1:%d", port),
		"KYCD_MODELS_DIR=" + testenv.ModelsDir(t),
		"KYCD_SHUTDOWN_TIMEOUT=10s",
	}, env...)...)
	pipe, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() {
		s := bufio.NewScanner(pipe)
		for s.Scan() {
			p.stderr.WriteString(s.Text() + "\n")
		}
		close(copied)
	}()
	go func() { <-copied; p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("kycd log:\n%s", p.stderr.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(p.url + "/healthz")
		if err == nil {
			res.Body.Close()
			return p
		}
		select {
		case err := <-p.done:
			t.Fatalf("kycd exited before serving: %v\n%s", err, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kycd did not serve within 60 s:\n%s", p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks the process shuts down cleanly.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("kycd exited with %v after SIGTERM:\n%s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("kycd did not stop within 30 s of SIGTERM")
	}
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("no clean-stop log line:\n%s", p.stderr.String())
	}
}

func getJSON(t *testing.T, url string, want int, v any) http.Header {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("GET %s = %d %s, want %d", url, res.StatusCode, body, want)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
	return res.Header
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// TestServeEmbeddedDefaults runs kycd on its defaults: SQLite and encrypted
// local blobs in a fresh data directory.
func TestServeEmbeddedDefaults(t *testing.T) {
	dataDir := t.TempDir()
	p := startKycd(t, "KYCD_DATA_DIR="+dataDir)
	var ready readiness
	getJSON(t, p.url+"/readyz", http.StatusOK, &ready)
	for _, check := range []string{"database", "blobs", "models"} {
		if ready.Checks[check] != "ok" {
			t.Errorf("readyz check %s = %q", check, ready.Checks[check])
		}
	}
	for _, f := range []string{"kycd.db", "master.key", "blobs"} {
		if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
			t.Errorf("data dir lacks %s: %v", f, err)
		}
	}
	if !strings.Contains(p.stderr.String(), "GENERATED A NEW MASTER KEY") {
		t.Error("no loud warning about the generated master key")
	}
	p.stop(t)

	// A restart reuses the key and the database, and says so.
	p = startKycd(t, "KYCD_DATA_DIR="+dataDir)
	if strings.Contains(p.stderr.String(), "GENERATED") {
		t.Error("a restart generated another master key")
	}
	p.stop(t)
}

// TestScaleOut runs two kycd processes on different ports against one
// PostgreSQL database and one S3 bucket. Both are ready, and a job that one
// process enqueues through the shared database is worked by the other.
func TestScaleOut(t *testing.T) {
	dbURL := testenv.PostgresURL(t)
	blobURL := testenv.S3URL(t)
	keyFile := filepath.Join(t.TempDir(), "master.key")
	out, err := exec.Command(kycdBin, "keygen").Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(keyFile, out, 0o600)
	common := append(testenv.S3Env(),
		"KYCD_DATABASE_URL="+dbURL, "KYCD_BLOB_URL="+blobURL, "KYCD_MASTER_KEY_FILE="+keyFile,
		"KYCD_DATA_DIR="+t.TempDir())
	a := startKycd(t, append(common, "KYCD_JOB_WORKERS=0")...)
	b := startKycd(t, common...)
	for _, p := range []*proc{a, b} {
		var ready readiness
		getJSON(t, p.url+"/readyz", http.StatusOK, &ready)
		if ready.Status != "ready" {
			t.Errorf("%s readyz = %+v", p.url, ready)
		}
	}
	testScaleOutJob(t, dbURL, blobURL, keyFile)
	a.stop(t)
	b.stop(t)
}

// TestMigrateCommand runs `kycd migrate` twice on PostgreSQL.
func TestMigrateCommand(t *testing.T) {
	dbURL := testenv.PostgresURL(t)
	for range 2 {
		cmd := exec.Command(kycdBin, "migrate")
		cmd.Env = append(os.Environ(), "KYCD_DATABASE_URL="+dbURL, "KYCD_DATA_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "schema_version=") {
			t.Fatalf("kycd migrate: %v\n%s", err, out)
		}
	}
}

// TestBadConfigFailsFast checks that each misconfiguration stops kycd at once
// with one clear line on stderr and exit code 1.
func TestBadConfigFailsFast(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	port := testenv.FreePort(t)
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown database scheme", nil, []string{"KYCD_DATABASE_URL=mysql://u:p@h/db"}, `database-url scheme "mysql" is unknown`},
		{"unreachable database", nil, []string{fmt.Sprintf("KYCD_DATABASE_URL=postgres://kycd:hunter2@127.0.0.1:%d/kycd?connect_timeout=2", port)}, "connect to database postgres://kycd:xxxxx@"},
		{"production without master key", []string{"--mode", "production"}, []string{"KYCD_MAIL=smtp://h:25", "KYCD_PUBLIC_URL=https://kyc.example.com"}, "production mode needs a master key"},
		{"unwritable data dir", []string{"--data-dir", filepath.Join(file, "data")}, nil, "data-dir"},
		{"unknown flag", []string{"--colour"}, nil, "flag provided but not defined: -colour"},
		{"dev mode on a network", []string{"--addr", "0.0.0.0:0"}, nil, "dev mode listens on loopback only"},
		{"bad master key", nil, []string{"KYCD_MASTER_KEY=short"}, "master key must be 32 bytes"},
		{"unknown command", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve"}, tt.args...)
			if tt.name == "unknown command" {
				args, tt.want = []string{"serv"}, `unknown command "serv"`
			}
			cmd := exec.Command(kycdBin, args...)
			cmd.Env = append(os.Environ(), append([]string{"KYCD_DATA_DIR=" + t.TempDir(), "KYCD_ADDR=127.0.0.1:0"}, tt.env...)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			exit, _ := err.(*exec.ExitError)
			if exit == nil || exit.ExitCode() != 1 {
				t.Fatalf("kycd %v = %v, want exit code 1", args, err)
			}
			var last string
			for line := range strings.Lines(stderr.String()) {
				if strings.HasPrefix(line, "kycd: ") {
					last = line
				}
			}
			if !strings.Contains(last, tt.want) {
				t.Errorf("stderr = %q, want a line containing %q", stderr.String(), tt.want)
			}
			for _, bad := range []string{"goroutine ", "panic", "hunter2"} {
				if strings.Contains(stderr.String(), bad) {
					t.Errorf("stderr holds %q:\n%s", bad, stderr.String())
				}
			}
		})
	}
}
