package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/liveness"
)

// evalLiveness implements `kycd eval liveness --faces LABELS [--sessions N]
// [--split tune|report|all] [--seed S]`: sessions of the real liveness
// check played by rendered people and by the attacks, APCER per attack and
// BPCER (docs/accuracy.md). The sessions run in simulated time on a
// throw-away SQLite database and blob store.
func evalLiveness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	own, rest, err := splitFlags(args, "faces", "sessions", "split", "seed")
	if err != nil {
		return err
	}
	if own["faces"] == "" {
		return errors.New("usage: kycd eval liveness --faces LABELS.tsv [--sessions N] [--split tune|report|all] [--seed S]")
	}
	n, seed, err := countAndSeed(own, "sessions", 50)
	if err != nil {
		return err
	}
	split := own["split"]
	if split == "" {
		split = "report"
	}
	if split != "tune" && split != "report" && split != "all" {
		return errors.New("--split must be tune, report or all")
	}
	_, samples, err := face.ReadPairs(own["faces"])
	if err != nil {
		return err
	}
	_, e, err := evalEngine("eval liveness", rest, stdout, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	all, err := liveness.LoadSubjects(ctx, e, samples, os.ReadFile)
	if err != nil {
		return err
	}
	var subjects []liveness.Subject
	for _, s := range all {
		if split == "all" || s.Tune() == (split == "tune") {
			subjects = append(subjects, s)
		}
	}
	dir, err := os.MkdirTemp("", "kycd-eval-liveness-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	clock := &liveness.SimClock{T: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	svc, db, err := liveness.EvalService(ctx, dir, e, clock)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "%d photographs of %d on the %s split; %d sessions per scenario, seed %d\n\n",
		len(subjects), len(all), split, n, seed)
	var unread []string
	for _, s := range subjects {
		if !s.Readable {
			unread = append(unread, "`"+s.Path+"`")
		}
	}
	if len(unread) > 0 {
		fmt.Fprintf(stdout, "Rendered heads the face engine does not read turned and raised at least half as far as rendered (they stay in every scenario): %s\n\n", strings.Join(unread, ", "))
	}
	rows, err := svc.Evaluate(ctx, clock, subjects, n, seed, stderr)
	if err != nil {
		return err
	}
	liveness.FormatEval(stdout, rows)
	return nil
}
