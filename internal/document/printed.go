package document

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/kycd/kycd/internal/mrzscan"
	"github.com/kycd/kycd/internal/raster"
	"github.com/otiai10/gosseract/v2"
	"golang.org/x/text/unicode/norm"
)

// The printed text is read with Tesseract 5 (Debian's tesseract-ocr, its
// English model) through gosseract. Clients are not safe for concurrent
// use and slow to start, so a few are kept and reused.
var ocrClients = make(chan *gosseract.Client, 8)

func withOCR(fn func(c *gosseract.Client) error) error {
	var c *gosseract.Client
	select {
	case c = <-ocrClients:
	default:
		c = gosseract.NewClient()
		if err := c.SetLanguage("eng"); err != nil {
			c.Close()
			return err
		}
		c.SetPageSegMode(gosseract.PSM_AUTO)
		// Tesseract reads every line it is unsure of a second time,
		// inverted, in case it is light print on a dark band. On a photo
		// of a document that is most lines (guilloche, the table behind
		// it), and the second reading cost a quarter of the page's time
		// (docs/benchmarks.md) without changing a field or a type read.
		if err := c.SetVariable("tessedit_do_invert", "0"); err != nil {
			c.Close()
			return err
		}
	}
	err := fn(c)
	select {
	case ocrClients <- c:
	default:
		c.Close()
	}
	return err
}

// ocrWidth is the width the page is read at: printed fields are then
// about 20 px tall, which Tesseract reads well, and a page takes a few
// hundred milliseconds instead of seconds.
const ocrWidth = 1400

// uprightTurn is the clockwise turn, a right angle, that makes a side
// upright, from its text's reading direction (degrees clockwise from →).
func uprightTurn(angle float64) int {
	return (360 - 90*int(math.Round(angle/90))%360) % 360
}

// ocrPage is the picture Tesseract reads of a side: turned upright (turn
// degrees clockwise) and shrunk to ocrWidth. When the side's MRZ was read
// (read, in the side's pixels), only its page is read, and the zone is
// painted over in the paper's colour: the zone has its own reader, and
// Tesseract spent a fifth of a passport's time reading it again, and half
// of a passport's open spread reading the page facing it, which holds no
// field (docs/benchmarks.md). The side's picture is not changed.
func ocrPage(side *raster.Gray, turn int, read *mrzscan.Result) *raster.Gray {
	g, box := side, image.Rect(0, 0, side.W, side.H)
	if read != nil {
		// The page holds the zone, which is in the picture: a page
		// outside it would be a reader's bug, and the side is read whole.
		if page := raster.Bounds(read.Page).Intersect(box); !page.Empty() {
			g, box = side.Crop(page), page
		}
	}
	upright := g.W // the width once turned
	if turn%180 != 0 {
		upright = g.H
	}
	scale := min(1, float64(ocrWidth)/float64(upright))
	if scale < 1 {
		g = g.Shrink(max(1, int(float64(g.W)*scale)), max(1, int(float64(g.H)*scale)))
	}
	if read != nil {
		var zone [4]image.Point
		for i, p := range read.Zone {
			p = p.Sub(box.Min)
			zone[i] = image.Pt(int(math.Round(float64(p.X)*scale)), int(math.Round(float64(p.Y)*scale)))
		}
		paintOver(g, zone)
	}
	return g.Turn(turn)
}

// paintOver paints the zone in the paper's colour: the brighter part of
// it, as the characters cover less than a third of it.
func paintOver(g *raster.Gray, zone [4]image.Point) {
	hist := g.Histogram(zone)
	n := 0
	for _, c := range hist {
		n += c
	}
	paper, seen := uint8(255), 0
	for v, c := range hist {
		if seen += c; 10*seen >= 8*n {
			paper = uint8(v)
			break
		}
	}
	g.Fill(zone, paper)
}

// printedText reads the text of a page as ocrPage gives it.
func printedText(g *raster.Gray) (string, error) {
	// Leptonica reads PGM without any decoding work.
	pgm := append(fmt.Appendf(nil, "P5\n%d %d\n255\n", g.W, g.H), g.Pix...)
	var text string
	err := withOCR(func(c *gosseract.Client) error {
		if err := c.SetImageFromBytes(pgm); err != nil {
			return err
		}
		var err error
		text, err = c.Text()
		return err
	})
	return text, err
}

// Printed-text labels, folded to upper case without accents, in the
// languages of the documents kycd sees most. Small bilingual labels are
// often half garbled by OCR, so single telling words are enough.
var (
	issueLabel  = regexp.MustCompile(`\b(ISSUE|ISSUED|DELIVRANCE|AUSSTELLUNGSDATUM|EXPEDICION|ISS)\b`)
	placeLabel  = regexp.MustCompile(`\b(PLACE|LIEU|GEBURTSORT|LUGAR|BIRTHPLACE)\b`)
	addrLabel   = regexp.MustCompile(`\b(ADDRESS|ADRESSE|ANSCHRIFT|DOMICILIO|RESIDENCE)\b`)
	surnameLbl  = regexp.MustCompile(`\b(SURNAME|LAST NAME|NOM|APELLIDOS|LN)\b`)
	street      = regexp.MustCompile(`\b\d{1,6} [A-Z][A-Z .'-]* (ST|STREET|AVE|AVENUE|RD|ROAD|BLVD|DR|DRIVE|LN|LANE|WAY|CT|PL|STRASSE|RUE|CALLE)\b.*`)
	dateDMYText = regexp.MustCompile(`\b(\d{1,2})[ .\-/]*([A-Z]{3})[A-Z]*[ .\-/]*(\d{4})\b`)
	dateNum     = regexp.MustCompile(`\b(\d{1,2})[./\-](\d{1,2})[./\-](\d{4})\b`)
	dateISO     = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`)
)

// labelWords are the words of field labels on ID documents.
var labelWords = strings.Fields(`DATE OF DE BIRTH NAISSANCE PLACE LIEU SEX SEXE NATIONALITY NATIONALITE SURNAME NOM
	GIVEN NAMES PRENOMS TYPE CODE NO PASSPORT PASSEPORT ISSUE DELIVRANCE EXPIRY EXPIRATION AUTHORITY AUTORITE
	ADDRESS ADRESSE SIGNATURE HOLDER TITULAIRE GEBURTSORT GEBURTSDATUM NAME VORNAMEN`)

// labelish says whether a line is labels rather than a value: it has a
// slash (bilingual labels) or two words that are, give or take an OCR
// slip, label words.
func labelish(line string) bool {
	if strings.ContainsAny(line, "/|") {
		return true
	}
	n := 0
	for _, w := range strings.Fields(line) {
		for _, l := range labelWords {
			if w == l || len(w) >= 5 && editDistance(w, l) <= 1 {
				n++
				break
			}
		}
	}
	return n >= 2 || n == 1 && len(strings.Fields(line)) == 1
}

// month reads a three-letter month, forgiving one wrong letter (OCR reads
// DEC as PEC).
func month(s string) time.Month {
	if m, ok := months[s]; ok {
		return m
	}
	var found time.Month
	for name, m := range months {
		if editDistance(name, s) == 1 {
			if found != 0 {
				return 0 // two months are one letter away: unsure
			}
			found = m
		}
	}
	return found
}

var months = map[string]time.Month{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

// fold upper-cases s and strips accents, so labels match in any script
// variant Tesseract returns.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// parseDate finds a date in s; monthFirst reads 01/02/2006 as 2 January
// (North American licences).
func parseDate(s string, monthFirst bool) (time.Time, bool) {
	mk := func(y, m, d int) (time.Time, bool) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if m < 1 || m > 12 || d < 1 || d > 31 || t.Day() != d || y < 1900 || y > 2100 {
			return time.Time{}, false
		}
		return t, true
	}
	if m := dateISO.FindStringSubmatch(s); m != nil {
		return mk(atoi(m[1]), atoi(m[2]), atoi(m[3]))
	}
	if m := dateDMYText.FindStringSubmatch(s); m != nil {
		if mo := month(m[2]); mo != 0 {
			return mk(atoi(m[3]), int(mo), atoi(m[1]))
		}
	}
	if m := dateNum.FindStringSubmatch(s); m != nil {
		if monthFirst {
			return mk(atoi(m[3]), atoi(m[1]), atoi(m[2]))
		}
		return mk(atoi(m[3]), atoi(m[2]), atoi(m[1]))
	}
	return time.Time{}, false
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// printed is what the printed text says next to known labels, and every
// date it holds.
type printed struct {
	issue          time.Time
	dates          []time.Time
	place, address string
	surname        string
}

// readLabels finds values next to labels: on the label's line after it,
// or on the line below (the usual layout of ID documents).
func readLabels(text string, monthFirst bool) printed {
	var lines []string
	for l := range strings.SplitSeq(text, "\n") {
		l = strings.TrimSpace(fold(l))
		if l != "" && strings.Count(l, "<") < 5 { // the MRZ is read elsewhere
			lines = append(lines, l)
		}
	}
	var p printed
	// value returns the text after the label on its line, else the next
	// line that is not itself labels.
	value := func(i int, loc []int) string {
		rest := strings.TrimSpace(strings.Trim(lines[i][loc[1]:], " :/|.-"))
		if len(rest) >= 3 && !labelish(rest) {
			return rest
		}
		for j := i + 1; j < len(lines) && j <= i+2; j++ {
			if !labelish(lines[j]) {
				return lines[j]
			}
		}
		return ""
	}
	for i, l := range lines {
		for _, part := range splitDates(l) {
			if t, ok := parseDate(part, monthFirst); ok {
				p.dates = append(p.dates, t)
			}
		}
		if loc := issueLabel.FindStringIndex(l); loc != nil && p.issue.IsZero() {
			if t, ok := parseDate(l[loc[1]:], monthFirst); ok {
				p.issue = t
			} else if i+1 < len(lines) {
				p.issue, _ = parseDate(lines[i+1], monthFirst)
			}
		}
		if loc := placeLabel.FindStringIndex(l); loc != nil && p.place == "" {
			p.place = cleanValue(withoutDates(value(i, loc)))
		}
		if loc := addrLabel.FindStringIndex(l); loc != nil && p.address == "" {
			p.address = cleanValue(value(i, loc))
		}
		if p.address == "" {
			p.address = cleanValue(street.FindString(l))
		}
		if loc := surnameLbl.FindStringIndex(l); loc != nil && p.surname == "" {
			p.surname = cleanValue(value(i, loc))
		}
	}
	return p
}

// withoutDates removes dates from a value: fields printed side by side
// end up on one line of OCR text.
func withoutDates(s string) string {
	for _, re := range []*regexp.Regexp{dateISO, dateDMYText, dateNum} {
		s = re.ReplaceAllString(s, " ")
	}
	return s
}

// splitDates cuts a line into pieces that each hold at most one date (two
// dates often share a line: issue and expiry side by side).
func splitDates(l string) []string {
	var out []string
	for _, re := range []*regexp.Regexp{dateISO, dateDMYText, dateNum} {
		out = append(out, re.FindAllString(l, -1)...)
		l = re.ReplaceAllString(l, " ")
	}
	return out
}

// cleanValue keeps the letters, digits and the punctuation addresses use.
func cleanValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" ,.-'#", r) {
			return r
		}
		return ' '
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// merge keeps the first value found for each label across sides.
func (p *printed) merge(q printed) {
	if p.issue.IsZero() {
		p.issue = q.issue
	}
	p.dates = append(p.dates, q.dates...)
	p.place = cmp.Or(p.place, q.place)
	p.address = cmp.Or(p.address, q.address)
	p.surname = cmp.Or(p.surname, q.surname)
}

// CheckOCR reads a blank page with Tesseract, to find at start-up whether
// it and its English model are installed.
func CheckOCR() error {
	pgm := append(fmt.Appendf(nil, "P5\n%d %d\n255\n", 64, 32), bytes.Repeat([]byte{255}, 64*32)...)
	return withOCR(func(c *gosseract.Client) error {
		if err := c.SetImageFromBytes(pgm); err != nil {
			return err
		}
		_, err := c.Text()
		return err
	})
}
