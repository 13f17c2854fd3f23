// Command train fits the MRZ glyph classifier on generated OCR-B samples
// and writes the weights that the mrzscan package embeds.
//
//	go run ./internal/mrzscan/train -out internal/mrzscan/classifier.bin
package main

import (
	"flag"
	"log"
	"os"

	"github.com/kycd/kycd/internal/mrzscan"
)

func main() {
	out := flag.String("out", "classifier.bin", "where to write the weights")
	epochs := flag.Int("epochs", 12, "passes")
	per := flag.Int("per-class", 2000, "samples per character per pass")
	flag.Parse()
	w := mrzscan.Train(*epochs, *per, os.Stderr)
	if err := os.WriteFile(*out, w, 0o644); err != nil {
		log.Fatal(err)
	}
}
