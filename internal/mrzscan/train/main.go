// Command train fits the MRZ glyph classifier on generated OCR-B samples,
// mixed with real printers' glyphs cut from labelled document images, and
// writes the weights that the mrzscan package embeds.
//
//	scripts/mrz-train-data.sh MRZ-dataset-clone /tmp/mrz-train
//	go run ./internal/mrzscan/train -out internal/mrzscan/classifier.bin \
//	    -real ../shared/testdata/documents/specimens,/tmp/mrz-train
//
// Each -real directory holds images and a labels.json of {file, mrz}, as
// kycd eval documents reads them. One image in five is held out: its
// glyphs only measure the classifier after each epoch.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/kycd/kycd/internal/mrzscan"
	"github.com/kycd/kycd/internal/raster"
)

func main() {
	out := flag.String("out", "classifier.bin", "where to write the weights")
	epochs := flag.Int("epochs", 12, "passes")
	per := flag.Int("per-class", 2000, "samples per character per pass")
	real := flag.String("real", "", "comma-separated directories of labelled real images to harvest glyphs from")
	skip := flag.String("skip", "", "comma-separated file name prefixes to leave out (images kept for evaluation)")
	flag.Parse()
	train, held := harvest(*real, *skip)
	if len(held) > 0 {
		fmt.Fprintf(os.Stderr, "the embedded classifier reads %.2f%% of the held-out real glyphs\n", 100*mrzscan.Accuracy(held))
	}
	w := mrzscan.Train(*epochs, *per, train, held, os.Stderr)
	if err := os.WriteFile(*out, w, 0o644); err != nil {
		log.Fatal(err)
	}
}

// harvest cuts the glyphs of every labelled image whose zone the reader
// places right, four images in five for training and the fifth held out.
func harvest(dirs, skip string) (train, held []mrzscan.Glyph) {
	if dirs == "" {
		return nil, nil
	}
	var skips []string
	if skip != "" {
		skips = strings.Split(skip, ",")
	}
	n, used := 0, 0
	for _, dir := range strings.Split(dirs, ",") {
		data, err := os.ReadFile(filepath.Join(dir, "labels.json"))
		if err != nil {
			log.Fatal(err)
		}
		var labels []struct {
			File string `json:"file"`
			MRZ  string `json:"mrz"`
		}
		if err := json.Unmarshal(data, &labels); err != nil {
			log.Fatalf("%s: %v", dir, err)
		}
	next:
		for _, l := range labels {
			if l.MRZ == "" {
				continue
			}
			for _, p := range skips {
				if strings.HasPrefix(l.File, p) {
					continue next
				}
			}
			raw, err := os.ReadFile(filepath.Join(dir, l.File))
			if err != nil {
				log.Fatal(err)
			}
			img, err := raster.Decode(raw, raster.Limits{})
			if err != nil {
				log.Printf("%s: %v", l.File, err)
				continue
			}
			n++
			gs := mrzscan.Harvest(img.Gray(), l.MRZ)
			if gs == nil {
				continue
			}
			used++
			if used%5 == 0 {
				held = append(held, gs...)
			} else {
				train = append(train, gs...)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "real glyphs: %d images placed right of %d; %d glyphs to train on, %d held out\n", used, n, len(train), len(held))
	return train, held
}
