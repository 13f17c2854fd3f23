package docgen

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/kycd/kycd/internal/raster"
)

// Case is one generated document in a set: its image files and what they
// show.
type Case struct {
	ID    string `json:"id"`
	Front string `json:"front"`
	Back  string `json:"back,omitempty"`
	Face  string `json:"face"` // the photo the portrait was cut from
	Shot  Shot   `json:"shot"`
	Truth Truth  `json:"truth"`
}

// SetFile is the name of a generated set's index.
const SetFile = "truth.json"

// RandomShot is a phone photo or scan of varying quality: 900–2000 px wide,
// up to ±8° of skew, a right-angle turn in one case out of four, blur up to
// σ 1.2 px, JPEG quality 45–95.
func RandomShot(r *rand.Rand) Shot {
	s := Shot{
		Width:   []int{900, 1200, 1600, 2000}[r.IntN(4)],
		Skew:    r.Float64()*16 - 8,
		Blur:    r.Float64() * 1.2,
		Quality: 45 + r.IntN(51),
		Margin:  0.03 + r.Float64()*0.12,
	}
	if r.IntN(4) == 0 {
		s.Turn = []int{90, 180, 270}[r.IntN(3)]
	}
	return s
}

// Generate writes n documents (passports, ID cards and licences in turn)
// into dir with an index, truth.json. faces are photos to take portraits
// from; portrait cuts one out (nil: the photo is used whole).
func Generate(dir string, n int, seed uint64, faces []string, portrait func(*raster.Image) (*raster.Image, error), now time.Time, progress io.Writer) error {
	if len(faces) == 0 {
		return fmt.Errorf("docgen: no face photos given")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	kinds := []Kind{Passport, IDCard, DriversLicense}
	var cases []Case
	for i := 0; i < n; i++ {
		kind := kinds[i%len(kinds)]
		d := Random(r, kind, now)
		photo := faces[r.IntN(len(faces))]
		b, err := os.ReadFile(photo)
		if err != nil {
			return err
		}
		img, err := raster.Decode(b, raster.Limits{})
		if err != nil {
			return fmt.Errorf("%s: %w", photo, err)
		}
		if portrait != nil {
			p, err := portrait(img)
			if err != nil {
				return err
			}
			if p == nil {
				i-- // no face in this photo: draw another
				continue
			}
			img = p
		}
		front, back, err := Render(d, img, 12, r)
		if err != nil {
			return err
		}
		c := Case{ID: fmt.Sprintf("%04d", i+1), Face: photo, Shot: RandomShot(r), Truth: d.Truth()}
		c.Front = c.ID + "-front.jpg"
		if err := writeShot(filepath.Join(dir, c.Front), front, c.Shot, r); err != nil {
			return err
		}
		if back != nil {
			c.Back = c.ID + "-back.jpg"
			if err := writeShot(filepath.Join(dir, c.Back), back, c.Shot, r); err != nil {
				return err
			}
		}
		cases = append(cases, c)
		if progress != nil {
			fmt.Fprintf(progress, "\rgenerated %d/%d", i+1, n)
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	j, _ := json.MarshalIndent(cases, "", " ")
	return os.WriteFile(filepath.Join(dir, SetFile), j, 0o644)
}

func writeShot(path string, img *raster.Image, s Shot, r *rand.Rand) error {
	b, err := Photograph(img, s, r)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// ReadSet loads a generated set's index.
func ReadSet(dir string) ([]Case, error) {
	b, err := os.ReadFile(filepath.Join(dir, SetFile))
	if err != nil {
		return nil, err
	}
	var cases []Case
	return cases, json.Unmarshal(b, &cases)
}
