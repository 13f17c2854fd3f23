package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
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
	own, rest, err := splitFlags(args, "faces", "sessions", "split", "seed", "clips", "clips-dir", "phases", "pace", "trace")
	if err != nil {
		return err
	}
	if own["clips"] != "" {
		return evalLivenessClips(ctx, own, rest, stdout, stderr)
	}
	if own["faces"] == "" {
		return errors.New("usage: kycd eval liveness --faces LABELS.tsv [--sessions N] [--split tune|report|all] [--seed S]\n" +
			"   or: kycd eval liveness --clips MANIFEST.json [--clips-dir DIR] [--split tune|report|all] [--sessions N] [--phases N] [--pace MS] [--seed S] [--trace CLIP]")
	}
	n, seed, err := countAndSeed(own, "sessions", 50)
	if err != nil {
		return err
	}
	split, err := evalSplit(own)
	if err != nil {
		return err
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
	svc, clock, done, err := evalLivenessService(ctx, e)
	if err != nil {
		return err
	}
	defer done()
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

// evalLivenessClips implements `kycd eval liveness --clips MANIFEST`: real
// recordings played against the real checker and service, each drawn
// challenge answered with the clip's footage of it at the capture page's
// pace (docs/accuracy.md). The clips are read from --clips-dir (the
// manifest's folder by default), decoded with ffmpeg.
func evalLivenessClips(ctx context.Context, own map[string]string, rest []string, stdout, stderr io.Writer) error {
	n, seed, err := countAndSeed(own, "sessions", 20)
	if err != nil {
		return err
	}
	phases, pace := 3, 100*time.Millisecond
	if v := own["phases"]; v != "" {
		if phases, err = strconv.Atoi(v); err != nil || phases < 1 || phases > 10 {
			return errors.New("--phases must be a whole number from 1 to 10")
		}
	}
	if v := own["pace"]; v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 40 || ms > 400 {
			return errors.New("--pace must be a whole number of milliseconds from 40 to 400")
		}
		pace = time.Duration(ms) * time.Millisecond
	}
	split, err := evalSplit(own)
	if err != nil {
		return err
	}
	m, err := liveness.ReadClipManifest(own["clips"])
	if err != nil {
		return err
	}
	dir := own["clips-dir"]
	if dir == "" {
		dir = filepath.Dir(own["clips"])
	}
	_, e, err := evalEngine("eval liveness", rest, stdout, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	if id := own["trace"]; id != "" {
		return liveness.TraceClip(ctx, e, m, dir, id, stdout)
	}
	footage, err := liveness.LoadFootage(ctx, e, m, dir, split, stderr)
	if err != nil {
		return err
	}
	if len(footage) == 0 {
		return fmt.Errorf("no clip of the %s split in %s", split, own["clips"])
	}
	svc, clock, done, err := evalLivenessService(ctx, e)
	if err != nil {
		return err
	}
	defer done()
	people := map[string]bool{}
	for _, f := range footage {
		people[f.Clip.Person] = true
	}
	fmt.Fprintf(stdout, "%d windows (turns also mirrored: %d footages) of %d people on the %s split; %d phases of a %d ms pace; %d drawn sessions per person, seed %d\n\n",
		len(footage)-countMirrored(footage), len(footage), len(people), split, phases, pace.Milliseconds(), n, seed)
	rows, err := svc.EvaluateClips(ctx, clock, footage, pace, phases, n, seed, stderr)
	if err != nil {
		return err
	}
	liveness.FormatClips(stdout, rows)
	return nil
}

func countMirrored(fs []*liveness.Footage) int {
	n := 0
	for _, f := range fs {
		if f.Mirrored {
			n++
		}
	}
	return n
}

// evalSplit is --split: the half of the data a liveness evaluation runs
// on, "report" when absent.
func evalSplit(own map[string]string) (string, error) {
	switch split := own["split"]; split {
	case "":
		return "report", nil
	case "tune", "report", "all":
		return split, nil
	}
	return "", errors.New("--split must be tune, report or all")
}

// evalLivenessService is the throw-away service a liveness evaluation plays
// on (liveness.EvalService in a temporary folder, on simulated time); done
// closes it and removes the folder.
func evalLivenessService(ctx context.Context, e *face.Engine) (*liveness.Service, *liveness.SimClock, func(), error) {
	dir, err := os.MkdirTemp("", "kycd-eval-liveness-")
	if err != nil {
		return nil, nil, nil, err
	}
	clock := &liveness.SimClock{T: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	svc, db, err := liveness.EvalService(ctx, dir, e, clock)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, nil, err
	}
	return svc, clock, func() { db.Close(); os.RemoveAll(dir) }, nil
}
