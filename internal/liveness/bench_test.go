package liveness_test

import (
	"context"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/testenv"
)

// BenchmarkFrame is one camera frame through a session, as the stream
// handles it: JPEG decoding, the face engine (with the embedding every
// third frame), the light patches, the checks, the reference image kept
// when sharper. The frames are a rendered person meeting turn left, look
// up and come closer at 5 frames a second, looped; a session that ends is
// replaced (about once in 50 frames).
func BenchmarkFrame(b *testing.B) {
	order := []liveness.Challenge{liveness.TurnLeft, liveness.LookUp, liveness.ComeCloser}
	f := newFixture(b, order...)
	frames := testenv.NewPerson(b, engine(b), headgen.Solid, 1).Choreography(liveness.Fixed(order), 5, 3*time.Second)
	ctx := context.Background()
	var r *liveness.Run
	i := 0
	testenv.Measure(b, func() {
		if r == nil || r.Done() {
			if r != nil {
				r.Close(ctx)
			}
			f.v.ID = f.newVerification(b)
			var err error
			if r, err = f.svc.Begin(ctx, f.p, f.start(b)); err != nil {
				b.Fatal(err)
			}
		}
		f.clk.t = f.clk.t.Add(200 * time.Millisecond)
		if _, err := r.Frame(ctx, liveness.Frame{JPEG: frames[i%len(frames)], ClientAt: f.clk.t}); err != nil {
			b.Fatal(err)
		}
		i++
	})
	if r != nil {
		r.Close(ctx)
	}
}
