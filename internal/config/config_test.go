package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kycd.json")
	os.WriteFile(file, []byte(`{"addr": "127.0.0.1:7000", "log_level": "warn", "job_workers": 2, "data_dir": "/from/file"}`), 0o600)
	secret := filepath.Join(dir, "db")
	os.WriteFile(secret, []byte("postgres://u:p@h/db\n"), 0o600)

	c, err := Load("serve", []string{"--addr", "127.0.0.1:9000"}, env(map[string]string{
		"KYCD_CONFIG":            file,
		"KYCD_LOG_LEVEL":         "debug",
		"KYCD_DATABASE_URL_FILE": secret,
		"KYCD_SHUTDOWN_TIMEOUT":  "5s",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"addr (flag beats file)", c.Addr, "127.0.0.1:9000"},
		{"log level (env beats file)", c.LogLevel, "debug"},
		{"data dir (file beats default)", c.DataDir, "/from/file"},
		{"database url (from _FILE, trimmed)", c.DatabaseURL, "postgres://u:p@h/db"},
		{"blob url (derived from data dir)", c.BlobURL, "file:///from/file/blobs"},
		{"models dir (derived)", c.ModelsDir, "/from/file/models"},
		{"public url (derived from addr)", c.PublicURL, "http://127.0.0.1:9000"},
		{"mode (default)", c.Mode, "dev"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if c.JobWorkers != 2 || c.ShutdownTimeout != 5*time.Second {
		t.Errorf("JobWorkers, ShutdownTimeout = %d, %v", c.JobWorkers, c.ShutdownTimeout)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"adr": "x"}`), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"bad number", nil, map[string]string{"KYCD_JOB_WORKERS": "many"}, "not a whole number"},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, nil, "not a duration"},
		{"unknown file key", nil, map[string]string{"KYCD_CONFIG": bad}, `unknown setting "adr"`},
		{"missing file", nil, map[string]string{"KYCD_CONFIG": filepath.Join(dir, "none.json")}, "read config file"},
		{"secret twice", nil, map[string]string{"KYCD_MAIL": "dev", "KYCD_MAIL_FILE": bad}, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("serve", tt.args, env(tt.env), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		set  func(c *Config)
		want string // empty: valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"postgres", func(c *Config) { c.DatabaseURL = "postgres://u:p@localhost:5432/kycd" }, ""},
		{"s3", func(c *Config) { c.BlobURL = "s3://bucket?endpoint=http://127.0.0.1:7070" }, ""},
		{"unknown db scheme", func(c *Config) { c.DatabaseURL = "mysql://u:p@h/db" }, `scheme "mysql" is unknown`},
		{"no db scheme", func(c *Config) { c.DatabaseURL = "kycd.db" }, "has no scheme"},
		{"unknown blob scheme", func(c *Config) { c.BlobURL = "gs://b" }, `scheme "gs" is unknown`},
		{"bad mode", func(c *Config) { c.Mode = "prod" }, "mode"},
		{"bad addr", func(c *Config) { c.Addr = "8080" }, "host:port"},
		{"dev mode on every interface", func(c *Config) { c.Addr = ":8080" }, "dev mode listens on loopback only"},
		{"dev mode on 0.0.0.0", func(c *Config) { c.Addr = "0.0.0.0:8080" }, "dev mode listens on loopback only"},
		{"dev mode on a LAN address", func(c *Config) { c.Addr = "192.168.1.5:8080" }, "dev mode listens on loopback only"},
		{"dev mode on ::1", func(c *Config) { c.Addr = "[::1]:8080" }, ""},
		{"dev mode on localhost", func(c *Config) { c.Addr = "localhost:8080" }, ""},
		{"bad mail", func(c *Config) { c.Mail = "sendmail" }, "mail"},
		{"tiny body", func(c *Config) { c.MaxBodyBytes = 10 }, "max-body-bytes"},
		{"production without key", func(c *Config) {
			c.Mode, c.Mail, c.PublicURL = ModeProduction, "smtp://h:25", "https://kyc.example.com"
		}, "needs a master key"},
		{"production with dev mail", func(c *Config) {
			c.Mode, c.MasterKeyFile, c.PublicURL = ModeProduction, "/k", "https://kyc.example.com"
		}, "needs real mail"},
		{"production over http", func(c *Config) {
			c.Mode, c.MasterKeyFile, c.Mail = ModeProduction, "/k", "smtp://h:25"
		}, "https"},
		{"production complete", func(c *Config) {
			c.Mode, c.MasterKeyFile, c.Mail, c.PublicURL = ModeProduction, "/k", "smtp://h:25", "https://kyc.example.com"
		}, ""},
		{"production on every interface", func(c *Config) {
			c.Mode, c.MasterKeyFile, c.Mail, c.PublicURL, c.Addr = ModeProduction, "/k", "smtp://h:25", "https://kyc.example.com", "0.0.0.0:8080"
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("serve", nil, env(nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.set(c)
			err = c.Validate()
			if tt.want == "" && err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestMasterKeyFileIsAPath(t *testing.T) {
	c, err := Load("serve", nil, env(map[string]string{"KYCD_MASTER_KEY_FILE": "/etc/kycd/master.key"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MasterKeyFile != "/etc/kycd/master.key" || c.MasterKey != "" {
		t.Errorf("MasterKeyFile, MasterKey = %q, %q", c.MasterKeyFile, c.MasterKey)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestUsageListsEveryOption(t *testing.T) {
	var out bytes.Buffer
	_, err := Load("serve", []string{"--help"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(--help) = %v, want flag.ErrHelp", err)
	}
	for _, o := range options {
		if !strings.Contains(out.String(), "--"+o.name) || !strings.Contains(out.String(), o.env()) {
			t.Errorf("help does not document --%s / %s", o.name, o.env())
		}
	}
}
