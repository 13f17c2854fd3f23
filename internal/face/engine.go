// Package face finds and describes faces and compares them, on ONNX Runtime
// with the face models of docs/models.md: detection, 68 landmarks, head
// pose, eyes open or closed, expression (smile), passive anti-spoofing, age,
// gender, and a 512-d embedding for face matching.
//
// An Engine owns a pool of workers. Each worker holds its own sessions and
// pre-allocated input and output tensors, so a request never allocates a
// model-sized buffer and workers run in parallel without locks.
package face

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/kycd/kycd/internal/models"
	"github.com/kycd/kycd/internal/onnx"
)

// Options tune an Engine.
type Options struct {
	// Workers is how many images are analysed at once; GOMAXPROCS when 0.
	Workers int
	// Threads is ONNX Runtime's intra-op thread count per worker; 1 when 0.
	// On small machines one thread per request with several workers is
	// fastest (measured in docs/benchmarks.md).
	Threads int
	// Mirror and NoRefine set the two extra passes a face analysis runs
	// beyond the models' own pipeline, to measure what each buys (`kycd
	// eval faces --mirror always|small|off --refine false`,
	// docs/accuracy.md): the embedding of the face's mirror image averaged
	// with the face's own (by default for small faces only), and the
	// landmark fits after re-centring the box on the first fit's points.
	Mirror   Mirror
	NoRefine bool
}

// Mirror says when the mirror image of a face is embedded too.
type Mirror int

// Mirror modes.
const (
	MirrorSmall  Mirror = iota // faces under mirrorBelow px wide (the default)
	MirrorAlways               // every face
	MirrorOff                  // none
)

// Engine analyses faces. It is safe for concurrent use.
type Engine struct {
	pool    chan *worker
	workers []*worker
}

// model is one ONNX session bound to its tensors.
type model struct {
	session *ort.AdvancedSession
	in      *ort.Tensor[float32]
	outs    []*ort.Tensor[float32]
}

func (m *model) input() []float32       { return m.in.GetData() }
func (m *model) output(i int) []float32 { return m.outs[i].GetData() }
func (m *model) run() error             { return m.session.Run() }

func (m *model) destroy() {
	if m == nil {
		return
	}
	m.session.Destroy()
	m.in.Destroy()
	for _, o := range m.outs {
		o.Destroy()
	}
}

func loadModel(path string, opts *ort.SessionOptions, in ort.Shape, outs ...ort.Shape) (*model, error) {
	inInfo, outInfo, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if len(inInfo) != 1 || len(outInfo) < len(outs) {
		return nil, fmt.Errorf("%s has %d inputs and %d outputs, not the 1 and %d expected", filepath.Base(path), len(inInfo), len(outInfo), len(outs))
	}
	m := &model{}
	if m.in, err = ort.NewEmptyTensor[float32](in); err != nil {
		return nil, err
	}
	outNames := make([]string, len(outs))
	outValues := make([]ort.Value, len(outs))
	for i, s := range outs {
		t, err := ort.NewEmptyTensor[float32](s)
		if err != nil {
			m.destroy()
			return nil, err
		}
		m.outs = append(m.outs, t)
		outNames[i], outValues[i] = outInfo[i].Name, t
	}
	m.session, err = ort.NewAdvancedSession(path, []string{inInfo[0].Name}, outNames, []ort.Value{m.in}, outValues, opts)
	if err != nil {
		m.in.Destroy()
		for _, o := range m.outs {
			o.Destroy()
		}
		return nil, fmt.Errorf("load %s: %w", filepath.Base(path), err)
	}
	return m, nil
}

// worker holds one set of sessions and the scratch buffers of one analysis.
type worker struct {
	detect, landmark, feature, liveness, eye, pose, expression, age, gender *model
	patch                                                                   []float32 // 64×64 quality patch
	mirror                                                                  Mirror    // Options.Mirror
	noRefine                                                                bool      // Options.NoRefine
}

func (w *worker) destroy() {
	for _, m := range []*model{w.detect, w.landmark, w.feature, w.liveness, w.eye, w.pose, w.expression, w.age, w.gender} {
		m.destroy()
	}
}

// New loads the models from dir (which also holds the ONNX Runtime library).
func New(dir string, opts Options) (*Engine, error) {
	if err := models.Verify(dir); err != nil {
		return nil, err
	}
	if err := onnx.Init(filepath.Join(dir, models.RuntimeLibrary)); err != nil {
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Threads <= 0 {
		opts.Threads = 1
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	if err := errors.Join(so.SetIntraOpNumThreads(opts.Threads), so.SetInterOpNumThreads(1),
		so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll),
		so.SetExecutionMode(ort.ExecutionModeSequential)); err != nil {
		return nil, err
	}
	e := &Engine{pool: make(chan *worker, opts.Workers)}
	for range opts.Workers {
		w, err := newWorker(dir, so)
		if err != nil {
			e.Close()
			return nil, err
		}
		w.mirror, w.noRefine = opts.Mirror, opts.NoRefine
		e.workers = append(e.workers, w)
		e.pool <- w
	}
	return e, nil
}

func newWorker(dir string, so *ort.SessionOptions) (*worker, error) {
	w := &worker{patch: make([]float32, 64*64)}
	load := func(dst **model, name string, in ort.Shape, outs ...ort.Shape) error {
		m, err := loadModel(filepath.Join(dir, name+".onnx"), so, in, outs...)
		*dst = m
		return err
	}
	ssr := []ort.Shape{ort.NewShape(1, 3), ort.NewShape(1, 3), ort.NewShape(1, 3), ort.NewShape(1, 1), ort.NewShape(1, 1),
		ort.NewShape(1, 1), ort.NewShape(1, 3), ort.NewShape(1, 3), ort.NewShape(1, 3)}
	err := errors.Join(
		load(&w.detect, "fr_detect", ort.NewShape(1, 3, detH, detW), ort.NewShape(1, 4420, 2), ort.NewShape(1, 4420, 4)),
		load(&w.landmark, "fr_landmark", ort.NewShape(1, 1, 64, 64), ort.NewShape(1, 136)),
		load(&w.feature, "fr_feature", ort.NewShape(1, 3, 112, 112), ort.NewShape(1, 512)),
		load(&w.liveness, "fr_liveness", ort.NewShape(1, 3, 128, 128), ort.NewShape(1, 3)),
		load(&w.eye, "fr_eye", ort.NewShape(1, 1, 24, 24), ort.NewShape(1, 2)),
		load(&w.pose, "fr_pose", ort.NewShape(1, 3, 224, 224), ort.NewShape(1, 66), ort.NewShape(1, 66), ort.NewShape(1, 66)),
		load(&w.expression, "fr_expression", ort.NewShape(1, 3, 224, 224), ort.NewShape(1, 7)),
		load(&w.age, "fr_age", ort.NewShape(1, 3, 64, 64), ssr...),
		load(&w.gender, "fr_gender", ort.NewShape(1, 3, 64, 64), ssr...),
	)
	if err != nil {
		w.destroy()
		return nil, err
	}
	return w, nil
}

// Close releases the sessions. The engine must not be used afterwards.
func (e *Engine) Close() {
	for _, w := range e.workers {
		w.destroy()
	}
	e.workers = nil
}

// with runs fn on a free worker, waiting for one while ctx allows.
func (e *Engine) with(ctx context.Context, fn func(w *worker) error) error {
	select {
	case w := <-e.pool:
		defer func() { e.pool <- w }()
		return fn(w)
	case <-ctx.Done():
		return ctx.Err()
	}
}
