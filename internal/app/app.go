// Package app wires kycd together: it turns a configuration into running
// parts (database, blob store, job queue, HTTP server) and implements the
// command-line subcommands. cmd/kycd only calls Main.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/kycd/kycd/internal/config"
	"github.com/kycd/kycd/internal/models"
	"github.com/kycd/kycd/internal/seal"
)

// Version is kycd's version, set at build time with
// -ldflags "-X github.com/kycd/kycd/internal/app.Version=v1.2.3".
var Version = "0.1.0-dev"

const usage = `kycd: self-hosted identity verification

Usage: kycd <command> [options]

Commands:
  serve            run the HTTP server and background workers
  migrate          apply pending database migrations and exit
  models install   fetch ONNX Runtime and the models (pinned, sha256-checked)
  models verify    check the installed models
  user create      create a confirmed account: --email E --password-file F --role R
  eval faces       face verification accuracy: --pairs FILE [--portrait-width PX] [--mirror small|always|off] [--refine false]
  eval documents   document reading accuracy and latency: DIR (a generated set or the specimens)
  eval liveness    liveness APCER per attack and BPCER: --faces FILE [--sessions N] [--split tune|report]
                   or on real recordings: --clips MANIFEST [--clips-dir DIR] [--split tune|report|all]
                   [--sessions N] [--phases N] [--pace MS] [--trace CLIP]
  gen-docs         synthetic documents with ground truth: --out DIR --faces DIR [--count N]
  audit verify     check the audit trail's hash chain; fails on tampering
  keys rotate      re-wrap every stored secret under a new master key: --new-key-file F
  backup           a consistent copy of the database (SQLite) and every blob, while serving: --out DIR
  restore          bring a backup back into an empty data directory, kycd stopped: --from DIR
  keygen           print a new random master key
  version          print the version
  help             print this help

Run 'kycd <command> --help' for the options of a command.
`

// Main runs the command in args (without the program name) and returns the
// process's exit code. Failures are one line on stderr, never a stack trace.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := run(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "kycd: %s\n", oneLine(err))
		return 1
	}
	return 0
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		cfg, log, err := loadConfig("serve", rest, stdout, stderr)
		if err != nil {
			return err
		}
		return Serve(ctx, cfg, log, nil)
	case "migrate":
		cfg, log, err := loadConfig("migrate", rest, stdout, stderr)
		if err != nil {
			return err
		}
		return migrate(ctx, cfg, log)
	case "models":
		if len(rest) == 0 || (rest[0] != "install" && rest[0] != "verify") {
			return errors.New("usage: kycd models install|verify [options]")
		}
		cfg, log, err := loadConfig("models "+rest[0], rest[1:], stdout, stderr)
		if err != nil {
			return err
		}
		if rest[0] == "install" {
			return models.Install(ctx, cfg.ModelsDir, log)
		}
		if err := models.Verify(cfg.ModelsDir); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "models in %s: ok\n", cfg.ModelsDir)
		return nil
	case "user":
		if len(rest) == 0 || rest[0] != "create" {
			return errors.New("usage: kycd user create --email E --password-file F --role R")
		}
		return userCreate(ctx, rest[1:], os.Stdin, stdout, stderr)
	case "eval":
		switch {
		case len(rest) > 0 && rest[0] == "faces":
			return evalFaces(ctx, rest[1:], stdout, stderr)
		case len(rest) > 0 && rest[0] == "documents":
			return evalDocuments(ctx, rest[1:], stdout, stderr)
		case len(rest) > 0 && rest[0] == "liveness":
			return evalLiveness(ctx, rest[1:], stdout, stderr)
		}
		return errors.New("usage: kycd eval faces|documents|liveness [options]")
	case "keys":
		if len(rest) == 0 || rest[0] != "rotate" {
			return errors.New("usage: kycd keys rotate --new-key-file FILE [options]")
		}
		return keysRotate(ctx, rest[1:], stdout, stderr)
	case "audit":
		if len(rest) == 0 || rest[0] != "verify" {
			return errors.New("usage: kycd audit verify [options]")
		}
		cfg, log, err := loadConfig("audit verify", rest[1:], stdout, stderr)
		if err != nil {
			return err
		}
		return auditVerify(ctx, cfg, log, stdout)
	case "backup":
		return backup(ctx, rest, stdout, stderr)
	case "restore":
		return restore(ctx, rest, stdout, stderr)
	case "gen-docs":
		return genDocs(ctx, rest, stdout, stderr)
	case "keygen":
		fmt.Fprintln(stdout, seal.GenerateKeyText())
		return nil
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "kycd %s (%s)\n", Version, goVersion())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown Go"
}

// loadConfig reads and validates the configuration and makes the logger.
func loadConfig(cmd string, args []string, stdout, stderr io.Writer) (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(cmd, args, os.LookupEnv, stdout)
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	return cfg, NewLogger(cfg, stderr), nil
}

// NewLogger makes the process's logger as configured.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
