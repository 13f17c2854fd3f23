package liveness_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/liveness"
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
