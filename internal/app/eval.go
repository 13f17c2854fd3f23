package app

import (
	"cmp"
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
	own, rest, err := splitFlags(args, "pairs", "portrait-width", "portrait-quality", "mirror", "refine")
	if err != nil {
		return err
	}
	if own["pairs"] == "" {
		return errors.New("usage: kycd eval faces --pairs FILE [--portrait-width PX] [--portrait-quality Q] [--mirror small|always|off] [--refine false] " +
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
	var passes face.Options
	switch own["mirror"] {
	case "", "small":
	case "always":
		passes.Mirror = face.MirrorAlways
	case "off":
		passes.Mirror = face.MirrorOff
	default:
		return errors.New("--mirror must be small (the default), always or off")
	}
	if v := own["refine"]; v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("--refine must be true or false")
		}
		passes.NoRefine = !on
	}
	_, e, err := evalEngineWith("eval faces", rest, stdout, stderr, passes)
	if err != nil {
		return err
	}
	defer e.Close()
	if own["mirror"] != "" || passes.NoRefine {
		fmt.Fprintf(stdout, "extra passes: mirror embedding %s, landmark refinement %v\n", cmp.Or(own["mirror"], "small"), !passes.NoRefine)
	}
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
	return evalEngineWith(name, args, stdout, stderr, face.Options{})
}

// evalEngineWith is evalEngine with the engine's other options (its
// passes) set.
func evalEngineWith(name string, args []string, stdout, stderr io.Writer, opts face.Options) (*config.Config, *face.Engine, error) {
	cfg, _, err := loadConfig(name, args, stdout, stderr)
	if err != nil {
		return nil, nil, err
	}
	opts.Workers, opts.Threads = 1, cfg.FaceThreads
	e, err := face.New(cfg.ModelsDir, opts)
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
