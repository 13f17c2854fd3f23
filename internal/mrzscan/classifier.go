package mrzscan

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"math"
	"strings"
	"sync"
)

// The glyph classifier: a small neural network (one hidden layer) from a
// cell's patch to the 37 MRZ characters, trained by Train on OCR-B glyphs
// degraded the way prints and photos degrade them (weight, width, blur,
// resolution, noise, misplaced cells). It separates 0 from O, 2 from Z and
// 5 from S far better than correlating with clean glyphs.
//
//go:generate go run ./train -out classifier.bin
//go:embed classifier.bin
var classifierBin []byte

const (
	alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
	nIn      = patchW * patchH
	nHidden  = 128
	nOut     = len(alphabet)
)

type mlp struct {
	w1 []float32 // nHidden × nIn
	b1 []float32
	w2 []float32 // nOut × nHidden
	b2 []float32
}

func newMLP(seed uint64) *mlp {
	m := &mlp{w1: make([]float32, nHidden*nIn), b1: make([]float32, nHidden), w2: make([]float32, nOut*nHidden), b2: make([]float32, nOut)}
	r := newRand(seed)
	s1, s2 := float32(math.Sqrt(2/float64(nIn))), float32(math.Sqrt(2/float64(nHidden)))
	for i := range m.w1 {
		m.w1[i] = float32(r.norm()) * s1
	}
	for i := range m.w2 {
		m.w2[i] = float32(r.norm()) * s2
	}
	return m
}

func (m *mlp) params() [][]float32 { return [][]float32{m.w1, m.b1, m.w2, m.b2} }

func (m *mlp) marshal() []byte {
	var b bytes.Buffer
	for _, p := range m.params() {
		binary.Write(&b, binary.LittleEndian, p)
	}
	return b.Bytes()
}

var (
	clfOnce sync.Once
	clf     *mlp
)

// classifier returns the embedded network.
func classifier() *mlp {
	clfOnce.Do(func() {
		m := newMLP(0)
		r := bytes.NewReader(classifierBin)
		for _, p := range m.params() {
			if binary.Read(r, binary.LittleEndian, p) != nil {
				panic("mrzscan: classifier.bin is missing or truncated (go generate ./internal/mrzscan)")
			}
		}
		clf = m
	})
	return clf
}

// forward fills hidden and logits for the input x (a normalized patch).
func (m *mlp) forward(x, hidden, logits []float32) {
	for j := 0; j < nHidden; j++ {
		hidden[j] = max(m.b1[j]+dot(x, m.w1[j*nIn:(j+1)*nIn]), 0)
	}
	for k := 0; k < nOut; k++ {
		logits[k] = m.b2[k] + dot(hidden, m.w2[k*nHidden:(k+1)*nHidden])
	}
}

// dot is a·b over four accumulators (len(a) a multiple of 4), about twice
// as fast as the plain loop.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	for i := 0; i+3 < len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	return s0 + s1 + s2 + s3
}

// inputScale turns a unit-norm patch into unit-variance inputs.
var inputScale = float32(math.Sqrt(nIn))

// probabilities adds the softmax over the characters of allowed to out.
func (m *mlp) probabilities(patch []float32, allowed string, out map[byte]float32) {
	var x [nIn]float32
	for i, v := range patch {
		x[i] = v * inputScale
	}
	var hidden [nHidden]float32
	var logits [nOut]float32
	m.forward(x[:], hidden[:], logits[:])
	mx := float32(math.Inf(-1))
	for k := 0; k < nOut; k++ {
		if strings.IndexByte(allowed, alphabet[k]) >= 0 {
			mx = max(mx, logits[k])
		}
	}
	var sum float64
	var p [nOut]float64
	for k := 0; k < nOut; k++ {
		if strings.IndexByte(allowed, alphabet[k]) >= 0 {
			p[k] = math.Exp(float64(logits[k] - mx))
			sum += p[k]
		}
	}
	for k := 0; k < nOut; k++ {
		if p[k] > 0 {
			out[alphabet[k]] += float32(p[k] / sum)
		}
	}
}

// rng is a small deterministic generator (xorshift), so training is
// reproducible.
type rng struct{ s uint64 }

func newRand(seed uint64) *rng { return &rng{s: seed*0x9E3779B97F4A7C15 + 1} }
func (r *rng) next() uint64 {
	r.s ^= r.s << 13
	r.s ^= r.s >> 7
	r.s ^= r.s << 17
	return r.s
}
func (r *rng) float() float64               { return float64(r.next()>>11) / (1 << 53) }
func (r *rng) intn(n int) int               { return int(r.next() % uint64(n)) }
func (r *rng) uniform(a, b float64) float64 { return a + (b-a)*r.float() }
func (r *rng) norm() float64 {
	u1, u2 := max(r.float(), 1e-12), r.float()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
