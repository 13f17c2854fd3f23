package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/raster"
)

// genDocs implements `kycd gen-docs --out DIR --faces DIR [--count N]
// [--seed S]`: a synthetic document set with its ground truth.
func genDocs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	own, rest, err := splitFlags(args, "out", "faces", "count", "seed")
	if err != nil {
		return err
	}
	if own["out"] == "" || own["faces"] == "" {
		return errors.New("usage: kycd gen-docs --out DIR --faces DIR [--count N] [--seed S] " +
			"(faces: a folder of face photos, e.g. the test data's faces/)")
	}
	count, seed, err := countAndSeed(own, "count", 90)
	if err != nil {
		return err
	}
	photos, err := facePhotos(own["faces"])
	if err != nil {
		return err
	}
	_, e, err := evalEngine("gen-docs", rest, stdout, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	portrait := func(img *raster.Image) (*raster.Image, error) { return e.Portrait(ctx, img, 320, 85) }
	if err := docgen.Generate(own["out"], count, seed, photos, portrait, time.Now(), stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d documents in %s (index: %s)\n", count, own["out"], docgen.SetFile)
	return nil
}

// facePhotos lists the JPEG and PNG photos under dir, leaving out the
// eye crops (they are not whole faces).
func facePhotos(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "eyes" {
			return filepath.SkipDir
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".jpg", ".jpeg", ".png":
			out = append(out, p)
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("no JPEG or PNG photos in %s", dir)
	}
	return out, err
}

// evalDocuments implements `kycd eval documents DIR`.
func evalDocuments(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: kycd eval documents DIR (a set from kycd gen-docs, or the specimens folder with labels.json)")
	}
	dir := args[0]
	cfg, e, err := evalEngine("eval documents", args[1:], stdout, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	a := &document.Analyzer{Faces: e, Limits: raster.Limits{MaxPixels: cfg.MaxImagePixels}}
	r, err := document.Evaluate(ctx, a, dir, stderr)
	if err != nil {
		return err
	}
	r.Report(stdout)
	return nil
}
