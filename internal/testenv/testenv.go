// Package testenv starts the real servers kycd's tests use: a PostgreSQL
// server from the Debian packages and a versitygw S3 server, each once per
// test process on a free loopback port, in a temporary directory. Packages
// that use them call Run from TestMain so the servers stop at the end.
package testenv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/models"
)

var (
	mu       sync.Mutex
	stoppers []func()
)

// Run runs the tests, then stops every server the tests started. Use it as
// os.Exit(testenv.Run(m)) in TestMain.
func Run(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	for _, stop := range stoppers {
		stop()
	}
	return code
}

func atExit(stop func()) {
	mu.Lock()
	stoppers = append(stoppers, stop)
	mu.Unlock()
}

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestData is the shared test data directory: $KYCD_TESTDATA, or
// ../shared/testdata beside the repository. A test that needs it fails at
// once, saying what is missing, when it is not there (rather than reading
// no files and passing, or panicking on an empty list).
func TestData(t testing.TB) string {
	t.Helper()
	dir := testDataDir()
	if info, err := os.Stat(filepath.Join(dir, "faces")); err != nil || !info.IsDir() {
		t.Fatalf("this test needs the shared test data (real faces and document specimens), which is not at %s: "+
			"check out the shared folder beside the repository (../shared/testdata) or set KYCD_TESTDATA to its path", dir)
	}
	return dir
}

func testDataDir() string {
	if d := os.Getenv("KYCD_TESTDATA"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "..", "shared", "testdata")
}

// waitTCP waits until addr accepts connections or the timeout passes.
func waitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %v: %w", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lookPath finds a program on PATH or in the extra directories.
func lookPath(name string, extra ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range extra {
		matches, _ := filepath.Glob(filepath.Join(dir, name))
		for _, m := range matches {
			if info, err := os.Stat(m); err == nil && !info.IsDir() {
				return m, nil
			}
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in %v: run ./scripts/test.sh, which installs it", name, extra)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	return freePort()
}

// ModelsDir is the directory holding ONNX Runtime and the models: the
// $KYCD_MODELS_DIR, or data/models in the repository, where the setup puts
// them. The test fails when the files are missing or wrong.
func ModelsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KYCD_MODELS_DIR")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "data", "models")
	}
	modelsMu.Lock()
	defer modelsMu.Unlock()
	if !modelsOK[dir] {
		if err := models.Verify(dir); err != nil {
			t.Fatal(err)
		}
		modelsOK[dir] = true
	}
	return dir
}

// modelsOK remembers the directories already verified: hashing 90 MB of
// models once per test process is enough.
var (
	modelsMu sync.Mutex
	modelsOK = map[string]bool{}
)

// PNGHeader is a PNG whose header claims w×h pixels but holds no image data:
// what a decompression bomb looks like to a decoder's size check.
func PNGHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IEND", nil)
	return b.Bytes()
}
