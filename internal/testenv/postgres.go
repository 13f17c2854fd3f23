package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

var (
	pgOnce sync.Once
	pgBase string // postgres://postgres@127.0.0.1:PORT
	pgErr  error
	pgSeq  atomic.Int64
)

// PostgresURL returns the URL of a new, empty database on the test process's
// PostgreSQL server, starting the server on first use. PostgreSQL refuses to
// run as root, so as root the server runs as the user "nobody".
func PostgresURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgBase, pgErr = startPostgres() })
	if pgErr != nil {
		t.Fatalf("start PostgreSQL: %v", pgErr)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), pgSeq.Add(1))
	db, err := sql.Open("pgx", pgBase+"/postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return pgBase + "/" + name + "?sslmode=disable"
}

func startPostgres() (string, error) {
	dirs := []string{"/usr/lib/postgresql/*/bin"}
	initdb, err := lookPath("initdb", dirs...)
	if err != nil {
		return "", err
	}
	pgctl, err := lookPath("pg_ctl", dirs...)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "kycd-pg-")
	if err != nil {
		return "", err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			return "", fmt.Errorf("running as root and no user nobody to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", err
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", filepath.Base(name), err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		return "", err
	}
	var port int
	for attempt := 0; ; attempt++ {
		port = freePort()
		opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
		err = run(pgctl, "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts)
		if err == nil {
			break
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return "", fmt.Errorf("%v\n%s", err, log)
		}
	}
	atExit(func() {
		run(pgctl, "stop", "-m", "immediate", "-D", data)
		os.RemoveAll(dir)
	})
	base := fmt.Sprintf("postgres://postgres@127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base+"/postgres")
	if err != nil {
		return "", err
	}
	defer db.Close()
	for db.PingContext(ctx) != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("PostgreSQL on port %d never answered", port)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return base, nil
}
