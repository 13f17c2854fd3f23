package liveness_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

// TestEvaluatePaired: each session of `kycd eval liveness` plays from its
// own seed and its own start, whatever else the run plays, so that two
// builds are compared session by session. A scenario run alone gives what
// it gives among others; a run is reproduced by its seed.
func TestEvaluatePaired(t *testing.T) {
	dir := filepath.Join(testenv.TestData(t), "faces", "face_recognition")
	samples := []face.Sample{
		{Path: filepath.Join(dir, testenv.FrontalPhoto), Identity: "obama"},
		{Path: filepath.Join(dir, testenv.TurnedPhoto), Identity: "obama"},
		{Path: filepath.Join(dir, testenv.OtherPhoto), Identity: "biden"},
	}
	subjects, err := liveness.LoadSubjects(t.Context(), engine(t), samples, os.ReadFile)
	if err != nil || len(subjects) == 0 {
		t.Fatalf("subjects: %d, %v", len(subjects), err)
	}
	evaluate := func(only string, seed uint64) []liveness.EvalRow {
		t.Helper()
		t.Setenv("KYCD_EVAL_ONLY", only)
		clock := &liveness.SimClock{T: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
		svc, db, err := liveness.EvalService(t.Context(), t.TempDir(), engine(t), clock)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := svc.Evaluate(t.Context(), clock, subjects, 2, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	both := evaluate("slow pose slideshow|burst", 7)
	alone := evaluate("burst", 7)
	if len(both) != 2 || len(alone) != 1 {
		t.Fatalf("rows: %d and %d", len(both), len(alone))
	}
	if !reflect.DeepEqual(both[1], alone[0]) {
		t.Errorf("burst among others %+v, alone %+v", both[1], alone[0])
	}
	if both[1].Reasons[liveness.ReasonFrameTiming] != 2 || both[1].Passed != 0 {
		t.Errorf("burst: %+v", both[1])
	}
	// Another seed plays other sessions: the challenges drawn differ, so
	// do the measures (a constant stream would pass this only by chance).
	if other := evaluate("burst", 8); reflect.DeepEqual(other[0], alone[0]) {
		t.Errorf("seeds 7 and 8 played the same sessions: %+v", other[0])
	}
}

// TestEvaluateClips: the clip evaluation plays footage against the real
// service and face engine and tells a movement met from one refused. Here
// the footage is rendered (the real clips stay in their repositories): a
// head turning as a person does is met; the same photograph as a flat
// print, turned the same way, is not; sessions whose drawn movements have
// no footage (no look-up here) are counted, not played.
func TestEvaluateClips(t *testing.T) {
	dir := filepath.Join(testenv.TestData(t), "faces", "face_recognition")
	subjects, err := liveness.LoadSubjects(t.Context(), engine(t), []face.Sample{{Path: filepath.Join(dir, testenv.FrontalPhoto), Identity: "obama"}}, os.ReadFile)
	if err != nil || len(subjects) != 1 {
		t.Fatalf("subjects: %d, %v", len(subjects), err)
	}
	sub := subjects[0]
	// A turn to deg over 1.2 s, eased, as clipFPS frames (the engine reads
	// about two thirds of a rendered head's turn, less of a print's).
	footage := func(shape headgen.Shape, deg float64) *liveness.Footage {
		head := headgen.Build(sub.Image, sub.Face.Landmarks, shape)
		var imgs []*raster.Image
		for k := 0; k <= 36; k++ {
			x := float64(k) / 36
			imgs = append(imgs, head.Render(headgen.Pose{Yaw: deg * x * x * (3 - 2*x), Distance: 4}, 640, 480))
		}
		clip := &liveness.Clip{ID: "rendered", Person: "obama", Split: "tune"}
		f, err := liveness.NewFootage(t.Context(), engine(t), clip, liveness.Window{Move: liveness.TurnLeft, From: 0, To: 1.2}, imgs, false)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	evaluate := func(f *liveness.Footage) []liveness.ClipRow {
		t.Helper()
		clock := &liveness.SimClock{T: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
		svc, db, err := liveness.EvalService(t.Context(), t.TempDir(), engine(t), clock)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := svc.EvaluateClips(t.Context(), clock, []*liveness.Footage{f}, 150*time.Millisecond, 2, 1, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	solid := footage(headgen.Solid, 48)
	if solid.Reach < 25 {
		t.Fatalf("the rendered turn reads %.0f°", solid.Reach)
	}
	rows := evaluate(solid)
	if len(rows) != 2 || rows[0].Name != "turn_left" || rows[0].Tries != 2 || rows[0].Met != 2 || rows[1].Name != "sessions" || rows[1].NoFootage != 1 || rows[1].Tries != 0 {
		t.Errorf("a head's turn: %+v", rows)
	}
	flat := footage(headgen.Flat, 75)
	if flat.Reach < 25 {
		t.Fatalf("the rendered print's turn reads %.0f°", flat.Reach)
	}
	rows = evaluate(flat)
	if len(rows) != 2 || rows[0].Tries != 2 || rows[0].Met != 0 {
		t.Errorf("a flat print's turn: %+v", rows)
	}
}
