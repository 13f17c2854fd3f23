package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/kycd/kycd/internal/config"
	"github.com/kycd/kycd/internal/face"
)

// evalFaces implements `kycd eval faces --pairs FILE [--portrait-width N]
// [--portrait-quality Q]`: face verification accuracy on a labelled set.
func evalFaces(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	own, rest, err := splitFlags(args, "pairs", "portrait-width", "portrait-quality")
	if err != nil {
		return err
	}
	if own["pairs"] == "" {
		return errors.New("usage: kycd eval faces --pairs FILE [--portrait-width PX] [--portrait-quality Q] " +
			"(FILE: \"path identity\" lines, every pair is built, or \"pathA pathB 1|0\" lines)")
	}
	var opts face.EvalOptions
	for name, dst := range map[string]*int{"portrait-width": &opts.PortraitWidth, "portrait-quality": &opts.PortraitQuality} {
		if v := own[name]; v != "" {
			if *dst, err = strconv.Atoi(v); err != nil || *dst < 0 {
				return fmt.Errorf("--%s must be a whole number", name)
			}
		}
	}
	pairs, _, err := face.ReadPairs(own["pairs"])
	if err != nil {
		return err
	}
	_, e, err := evalEngine("eval faces", rest, stdout, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	if opts.PortraitWidth > 0 {
		fmt.Fprintf(stdout, "first photo of each pair made into an ID portrait %d px wide (face about %d px), JPEG quality %d\n",
			opts.PortraitWidth, opts.PortraitWidth*10/16, max(opts.PortraitQuality, 60))
	}
	opts.Progress = stderr
	r, err := e.Evaluate(ctx, pairs, opts)
	if err != nil {
		return err
	}
	r.Report(stdout)
	return nil
}

// evalEngine loads the configuration of an evaluation or generation
// command and a face engine with one worker (the commands run one image at
// a time).
func evalEngine(name string, args []string, stdout, stderr io.Writer) (*config.Config, *face.Engine, error) {
	cfg, _, err := loadConfig(name, args, stdout, stderr)
	if err != nil {
		return nil, nil, err
	}
	e, err := face.New(cfg.ModelsDir, face.Options{Workers: 1, Threads: cfg.FaceThreads})
	if err != nil {
		return nil, nil, err
	}
	return cfg, e, nil
}

// countAndSeed reads a command's positive count flag (dflt when absent)
// and its --seed (1 when absent).
func countAndSeed(own map[string]string, count string, dflt int) (n int, seed uint64, err error) {
	n, seed = dflt, 1
	if v := own[count]; v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return 0, 0, fmt.Errorf("--%s must be a positive whole number", count)
		}
	}
	if v := own["seed"]; v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, 0, errors.New("--seed must be a whole number")
		}
	}
	return n, seed, nil
}
