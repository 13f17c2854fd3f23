package document

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/docgen"
)

// EvalResult is what an evaluation measured.
type EvalResult struct {
	Set                string // generated or specimens
	Documents          int
	TypeRight          int
	MRZTotal, MRZFound int // documents with an MRZ; those where one was read
	MRZExact, MRZValid int // MRZValid: trusted (every check passes, nothing unconfirmed)
	MRZChecksPass      int
	MRZTrustedWrong    int // wrong readings that are trusted: worse than a failed one
	MRZFlaggedWrong    int // wrong readings that pass every check digit but were flagged unconfirmed
	MRZUnconfirmed     int // right readings flagged unconfirmed: each one costs a reviewer's look
	BarcodeTotal       int
	BarcodeExact       int
	PortraitTotal      int
	PortraitFound      int
	FieldTotal         map[string]int
	FieldRight         map[string]int
	Latencies          []time.Duration
	Failures           []string // what went wrong, per document
}

// Evaluate runs the analyzer over dir: a set made by docgen (truth.json) or
// the real specimens (labels.json with the hand-read MRZs).
func Evaluate(ctx context.Context, a *Analyzer, dir string, progress io.Writer) (*EvalResult, error) {
	if _, err := os.Stat(filepath.Join(dir, docgen.SetFile)); err == nil {
		return evalGenerated(ctx, a, dir, progress)
	}
	if _, err := os.Stat(filepath.Join(dir, "labels.json")); err == nil {
		return evalSpecimens(ctx, a, dir, progress)
	}
	return nil, fmt.Errorf("%s holds neither %s (kycd gen-docs) nor labels.json (the specimens)", dir, docgen.SetFile)
}

func newResult(set string) *EvalResult {
	return &EvalResult{Set: set, FieldTotal: map[string]int{}, FieldRight: map[string]int{}}
}

func (a *Analyzer) timed(ctx context.Context, r *EvalResult, sides ...Side) (*Analysis, error) {
	start := time.Now()
	an, err := a.Analyze(ctx, sides...)
	r.Latencies = append(r.Latencies, time.Since(start))
	return an, err
}

func readSides(dir string, names ...string) ([]Side, error) {
	var sides []Side
	for i, n := range names {
		if n == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		sides = append(sides, Side{Name: []string{"front", "back"}[i], Data: b})
	}
	return sides, nil
}

func evalGenerated(ctx context.Context, a *Analyzer, dir string, progress io.Writer) (*EvalResult, error) {
	cases, err := docgen.ReadSet(dir)
	if err != nil {
		return nil, err
	}
	r := newResult("generated")
	for i, c := range cases {
		sides, err := readSides(dir, c.Front, c.Back)
		if err != nil {
			return nil, err
		}
		an, err := a.timed(ctx, r, sides...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.ID, err)
		}
		r.Documents++
		t := c.Truth
		if string(an.DocumentType) == string(t.Kind) && an.IssuingCountry == t.Country {
			r.TypeRight++
		} else {
			r.Failures = append(r.Failures, fmt.Sprintf("%s: type %s/%s, want %s/%s", c.ID, an.DocumentType, an.IssuingCountry, t.Kind, t.Country))
		}
		if t.MRZ != "" {
			r.scoreMRZ(c.ID, an.MRZ, t.MRZ, fmt.Sprintf(" (shot %+v)", c.Shot))
		}
		if t.Barcode != "" {
			r.BarcodeTotal++
			if an.Barcode != nil && an.Fields["DOCUMENT_NUMBER"].Value == t.Fields["DOCUMENT_NUMBER"] {
				r.BarcodeExact++
			} else {
				r.Failures = append(r.Failures, fmt.Sprintf("%s: barcode not read (shot %+v)", c.ID, c.Shot))
			}
		}
		r.PortraitTotal++
		if an.Portrait != nil {
			r.PortraitFound++
		}
		for name, want := range t.Fields {
			r.FieldTotal[name]++
			if an.Fields[name].Value == want {
				r.FieldRight[name]++
			}
		}
		if progress != nil {
			fmt.Fprintf(progress, "\r%d/%d", i+1, len(cases))
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	return r, nil
}

// scoreMRZ counts one document's reading against the truth.
func (r *EvalResult) scoreMRZ(id string, m *MRZReport, want, context string) {
	r.MRZTotal++
	if m == nil {
		r.Failures = append(r.Failures, fmt.Sprintf("%s: no MRZ found%s", id, context))
		return
	}
	r.MRZFound++
	if m.Valid {
		r.MRZValid++
	}
	if m.ChecksPass {
		r.MRZChecksPass++
	}
	got := strings.Join(m.Lines, "\n")
	switch {
	case got == want:
		r.MRZExact++
		if m.ChecksPass && !m.Valid {
			r.MRZUnconfirmed++
			r.Failures = append(r.Failures, fmt.Sprintf("%s: MRZ right but %v unconfirmed%s", id, m.Unconfirmed, context))
		}
	case m.ChecksPass && !m.Valid:
		r.MRZFlaggedWrong++
		r.Failures = append(r.Failures, fmt.Sprintf("%s: MRZ %q passes every check but is wrong, flagged: %v unconfirmed, want %q%s", id, got, m.Unconfirmed, want, context))
	case m.Valid:
		r.MRZTrustedWrong++
		r.Failures = append(r.Failures, fmt.Sprintf("%s: MRZ %q passes every check but is wrong, want %q%s", id, got, want, context))
	default:
		r.Failures = append(r.Failures, fmt.Sprintf("%s: MRZ %q, want %q%s", id, got, want, context))
	}
}

// specimenLabel is one line of the specimens' labels.json.
type specimenLabel struct {
	File string  `json:"file"`
	Type string  `json:"document_type_from_name"`
	MRZ  *string `json:"mrz"`
}

// readSetLabels reads a labelled set's labels.json.
func readSetLabels(dir string) ([]specimenLabel, error) {
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		return nil, err
	}
	var labels []specimenLabel
	if err := json.Unmarshal(b, &labels); err != nil {
		return nil, fmt.Errorf("labels.json: %w", err)
	}
	return labels, nil
}

func evalSpecimens(ctx context.Context, a *Analyzer, dir string, progress io.Writer) (*EvalResult, error) {
	labels, err := readSetLabels(dir)
	if err != nil {
		return nil, err
	}
	r := newResult("specimens")
	for i, l := range labels {
		sides, err := readSides(dir, l.File)
		if err != nil {
			return nil, err
		}
		an, err := a.timed(ctx, r, sides...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.File, err)
		}
		r.Documents++
		// "other" specimens are border-crossing cards and a generic TD2:
		// any type but passport is acceptable for them.
		if string(an.DocumentType) == l.Type || l.Type == "other" && an.DocumentType != Passport {
			r.TypeRight++
		} else {
			r.Failures = append(r.Failures, fmt.Sprintf("%s: type %s, want %s", l.File, an.DocumentType, l.Type))
		}
		r.PortraitTotal++
		if an.Portrait != nil {
			r.PortraitFound++
		}
		if l.MRZ == nil {
			continue
		}
		r.scoreMRZ(l.File, an.MRZ, *l.MRZ, "")
		if progress != nil {
			fmt.Fprintf(progress, "\r%d/%d", i+1, len(labels))
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	return r, nil
}

// Percentile returns the p-th percentile (0–100) of the latencies.
func (r *EvalResult) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}

func pct(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(a)/float64(b), a, b)
}

// Report prints the metrics.
func (r *EvalResult) Report(w io.Writer) {
	fmt.Fprintf(w, "set: %s, %d documents\n", r.Set, r.Documents)
	fmt.Fprintf(w, "document type right:     %s\n", pct(r.TypeRight, r.Documents))
	fmt.Fprintf(w, "MRZ found:               %s\n", pct(r.MRZFound, r.MRZTotal))
	fmt.Fprintf(w, "MRZ read exactly:        %s\n", pct(r.MRZExact, r.MRZTotal))
	fmt.Fprintf(w, "MRZ all checks pass:     %s\n", pct(r.MRZChecksPass, r.MRZTotal))
	fmt.Fprintf(w, "MRZ trusted:             %s (checks pass, type and names confirmed)\n", pct(r.MRZValid, r.MRZTotal))
	fmt.Fprintf(w, "  trusted but wrong:     %d\n", r.MRZTrustedWrong)
	fmt.Fprintf(w, "  wrong, flagged:        %d (every check passes, a name or the code unconfirmed)\n", r.MRZFlaggedWrong)
	fmt.Fprintf(w, "  right, flagged:        %d (to a reviewer for nothing)\n", r.MRZUnconfirmed)
	if r.BarcodeTotal > 0 {
		fmt.Fprintf(w, "PDF417 read:             %s\n", pct(r.BarcodeExact, r.BarcodeTotal))
	}
	fmt.Fprintf(w, "portrait found:          %s\n", pct(r.PortraitFound, r.PortraitTotal))
	if len(r.FieldTotal) > 0 {
		names := make([]string, 0, len(r.FieldTotal))
		for n := range r.FieldTotal {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(w, "fields (exact value):")
		for _, n := range names {
			fmt.Fprintf(w, "  %-18s %s\n", n, pct(r.FieldRight[n], r.FieldTotal[n]))
		}
	}
	fmt.Fprintf(w, "latency per document: p50 %v, p95 %v, max %v\n",
		r.Percentile(50).Round(time.Millisecond), r.Percentile(95).Round(time.Millisecond), r.Percentile(100).Round(time.Millisecond))
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "misses (%d):\n", len(r.Failures))
		for _, f := range r.Failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
}
