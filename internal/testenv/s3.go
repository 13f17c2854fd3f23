package testenv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/blob"
)

var (
	s3Once     sync.Once
	s3Endpoint string
	s3Err      error
	s3Seq      atomic.Int64
)

// S3 credentials of the test server; S3URL puts them in the environment.
const (
	S3AccessKey = "kycdtestaccess"
	S3SecretKey = "kycdtestsecret0123456789"
)

// S3URL returns the blob URL of a new, empty bucket on the test process's
// versitygw server, starting the server on first use.
func S3URL(t testing.TB) string {
	t.Helper()
	s3Once.Do(func() { s3Endpoint, s3Err = startVersityGW() })
	if s3Err != nil {
		t.Fatalf("start versitygw: %v", s3Err)
	}
	raw := fmt.Sprintf("s3://kycd-test-%d-%d?endpoint=%s&region=us-east-1", os.Getpid(), s3Seq.Add(1), url.QueryEscape(s3Endpoint))
	u, _ := url.Parse(raw)
	store, err := blob.NewS3(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return raw
}

// S3Env is the environment a kycd process needs to reach the test S3 server.
func S3Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + S3AccessKey, "AWS_SECRET_ACCESS_KEY=" + S3SecretKey, "AWS_REGION=us-east-1"}
}

func startVersityGW() (string, error) {
	home, _ := os.UserHomeDir()
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = filepath.Join(home, "go")
	}
	bin, err := lookPath("versitygw", os.Getenv("KYCD_TOOLS_DIR"), filepath.Join(home, ".cache", "kycd", "bin"), filepath.Join(gopath, "bin"))
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "kycd-s3-")
	if err != nil {
		return "", err
	}
	root, sidecar := filepath.Join(dir, "root"), filepath.Join(dir, "meta")
	os.MkdirAll(root, 0o700)
	os.MkdirAll(sidecar, 0o700)
	for _, kv := range S3Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	for attempt := 0; ; attempt++ {
		port := freePort()
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(bin, "--access", S3AccessKey, "--secret", S3SecretKey, "--port", addr, "--quiet",
			"posix", "--sidecar", sidecar, root)
		logFile, _ := os.Create(filepath.Join(dir, "log"))
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			return "", err
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		if err := waitTCP(addr, 20*time.Second); err == nil {
			atExit(func() {
				cmd.Process.Kill()
				<-exited
				os.RemoveAll(dir)
			})
			return "http://" + addr, nil
		}
		cmd.Process.Kill()
		<-exited
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return "", fmt.Errorf("versitygw did not start:\n%s", log)
		}
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
