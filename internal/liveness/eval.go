package liveness

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
)

// The evaluation: sessions of the real service (the face engine, the
// checker, the sealed state in a database) played by a genuine person,
// rendered in 3-D from a photograph, and by the attacks of the issue's
// list, each made from the same photographs. ISO/IEC 30107-3's terms:
// APCER is the share of an attack's sessions that pass, BPCER the share of
// genuine sessions that fail.

// Subject is a photograph of one person the evaluation makes heads of.
type Subject struct {
	Path     string
	Identity string
	Image    *raster.Image
	Face     *face.Face
	// Readable: the face engine reads its rendered head turned and raised
	// (readable); false for a rendering it cannot see move.
	Readable bool
}

// Tune reports whether a subject belongs to the half of the identities the
// thresholds are tuned on; the other half is what the results are reported
// on. The split is by identity, fixed by a hash, decided before any result
// was seen.
func (s Subject) Tune() bool {
	h := fnv.New32a()
	h.Write([]byte(s.Identity))
	return h.Sum32()%2 == 0
}

// Scenario is one kind of session: genuine or an attack.
type Scenario struct {
	Name   string
	Attack bool
	Doc    string
	// make builds the session's player from a subject and the other
	// photographs of the same person.
	make func(sub Subject, same []Subject, r *rand.Rand) player
	// burst sends the frames faster than real time (the server's clock
	// moves 20 ms a frame while the frames' timestamps move 180 ms).
	burst bool
	// slow sends a frame every 800–900 ms, too far apart to compare.
	slow bool
	// lightOnly asks for the light challenge alone: it measures that check
	// on its own against pictures that the movements stop first.
	lightOnly bool
}

// player makes what the camera sees at now, told the current task; it
// returns the frame and, during the light challenge, when the page began
// showing its colours. It hears the answer to each frame.
type player interface {
	frame(t Task, now time.Time) ([]byte, time.Time)
	heard(p Progress, now time.Time)
}

// actorPlayer is a head (solid, flat or bent) moved by a headgen.Actor.
type actorPlayer struct {
	a      *headgen.Actor
	follow bool            // it does what it is asked (a still photograph does not)
	screen *headgen.Screen // it is shown on a screen filmed by the camera
	r      *rand.Rand
}

func (p *actorPlayer) frame(t Task, now time.Time) ([]byte, time.Time) {
	var start time.Time
	if p.follow {
		start = p.a.Ask(string(t.Type), t.Target, t.Colors, t.FlashMS, now)
	}
	img := p.a.Head.Render(p.a.Pose(now), 640, 480)
	if p.screen != nil {
		p.screen.Film(img, now.Sub(time.Time{}).Seconds())
	}
	return headgen.Capture(img, p.r), start
}

// heard: a person (or an attacker moving a picture) who is told to look
// straight at the camera corrects their pose.
func (p *actorPlayer) heard(pr Progress, now time.Time) {
	if p.follow && pr.Guidance == GuideLookStraight && pr.Face != nil {
		p.a.Straighten(pr.Face.Yaw, pr.Face.Pitch, now)
	}
}

func (s *slideshow) heard(Progress, time.Time) {}

// slideshow shows photographs of the person chosen by their pose: the most
// frontal one, and for each challenge the one whose pose fits it best,
// switched when the challenge asks for it, as an attacker with a folder of
// the victim's photos would.
type slideshow struct {
	neutral, left, right, up *headgen.Head
	cur                      *headgen.Head
	task                     Task
	since                    time.Time
	r                        *rand.Rand
}

func (s *slideshow) frame(t Task, now time.Time) ([]byte, time.Time) {
	if t.Type != s.task.Type || t.Target != s.task.Target {
		s.task, s.since = t, now
	}
	s.cur = s.neutral
	dist := 4.0
	if now.Sub(s.since) > 700*time.Millisecond {
		switch t.Type {
		case TurnLeft:
			s.cur = s.left
		case TurnRight:
			s.cur = s.right
		case LookUp:
			s.cur = s.up
		case ComeCloser:
			dist = 4 / (t.Target + 0.15)
		}
	}
	img := s.cur.Render(headgen.Pose{Distance: dist, Strength: 0.3}, 640, 480)
	return headgen.Capture(img, s.r), time.Time{}
}

// poseSlideshow is the attacker's choice of the person's photographs by
// pose: the most turned each way and the most raised.
func poseSlideshow(sub Subject, same []Subject, r *rand.Rand) player {
	byYaw := slices.Clone(append(same, sub))
	slices.SortFunc(byYaw, func(a, b Subject) int { return int(math.Copysign(1, a.Face.Pose.Yaw-b.Face.Pose.Yaw)) })
	up := slices.MaxFunc(byYaw, func(a, b Subject) int { return int(math.Copysign(1, a.Face.Pose.Pitch-b.Face.Pose.Pitch)) })
	build := func(s Subject) *headgen.Head { return headgen.Build(s.Image, s.Face.Landmarks, headgen.Flat) }
	return &slideshow{neutral: build(sub), left: build(byYaw[0]), right: build(byYaw[len(byYaw)-1]), up: build(up), r: r}
}

// acting makes the player of a scenario acted out by the subject's
// photograph made into shape: swaying by sway, doing what it is asked
// (follow) and turning over times as far as asked (0: as asked), lit by the
// screen.
func acting(shape headgen.Shape, sway float64, follow bool, over float64) func(Subject, []Subject, *rand.Rand) player {
	return func(sub Subject, _ []Subject, r *rand.Rand) player {
		return &actorPlayer{a: &headgen.Actor{Head: headgen.Build(sub.Image, sub.Face.Landmarks, shape), Sway: sway, Lit: true, Over: over, Rand: r},
			follow: follow, r: r}
	}
}

// Scenarios are the evaluation's kinds of session.
var Scenarios = []Scenario{
	{Name: "genuine", Doc: "a person: a head rendered in 3-D from the photograph, doing what it is asked, lit by the screen",
		make: acting(headgen.Solid, 1, true, 0)},
	{Name: "still photo", Attack: true, Doc: "a print of the photograph held still",
		make: acting(headgen.Flat, 0.5, false, 0)},
	{Name: "moved print", Attack: true, Doc: "the print turned, tilted and brought closer as each challenge asks, lit by the screen",
		make: acting(headgen.Flat, 1, true, 0)},
	{Name: "bent print", Attack: true, Doc: "the print bent around a vertical axis (a cylinder) and moved as each challenge asks",
		make: acting(headgen.Cylinder, 1, true, 0)},
	{Name: "moved print, over-turned", Attack: true, Doc: "the moved print, turned and tilted 1.6 times as far as asked",
		make: acting(headgen.Flat, 1, true, 1.6)},
	{Name: "bent print, over-turned", Attack: true, Doc: "the bent print, turned and tilted 1.6 times as far as asked",
		make: acting(headgen.Cylinder, 1, true, 1.6)},
	{Name: "bent print, over-turned 1.3", Attack: true, Doc: "the bent print, turned and tilted 1.3 times as far as asked (between too little and too much)",
		make: acting(headgen.Cylinder, 1, true, 1.3)},
	{Name: "bent print across, over-turned 1.3", Attack: true, Doc: "the print bent around a horizontal axis through the nose tip (its row stands forward: depth under a turn and a look-up), turned and tilted 1.3 times as far as asked",
		make: acting(headgen.CylinderAcross, 1, true, 1.3)},
	{Name: "pose slideshow", Attack: true, Doc: "the person's photographs chosen by pose (measured with the face engine), switched as each challenge asks",
		make: poseSlideshow},
	{Name: "slow pose slideshow", Attack: true, slow: true, Doc: "the same slideshow sent at about one frame a second, so that no two frames can be compared",
		make: poseSlideshow},
	{Name: "screen replay", Attack: true, Doc: "a recording of the person (rendered in 3-D) doing each challenge, played on a screen: moiré, gamma, bands, bezel; a screen shines, it does not reflect the colours",
		make: func(sub Subject, _ []Subject, r *rand.Rand) player {
			return &actorPlayer{a: &headgen.Actor{Head: headgen.Build(sub.Image, sub.Face.Landmarks, headgen.Solid), Sway: 1, Lit: false, Rand: r},
				follow: true, screen: headgen.NewScreen(r), r: r}
		}},
	{Name: "print, light only", Attack: true, lightOnly: true, Doc: "the light challenge alone, against a print held still in front of the screen",
		make: acting(headgen.Flat, 0.5, true, 0)},
	{Name: "bent print, light only", Attack: true, lightOnly: true, Doc: "the light challenge alone, against a bent print",
		make: acting(headgen.Cylinder, 0.5, true, 0)},
	{Name: "genuine, light only", lightOnly: true, Doc: "the light challenge alone, for a person",
		make: acting(headgen.Solid, 1, true, 0)},
	{Name: "burst", Attack: true, burst: true, Doc: "the genuine frames sent all at once (a recording, or frames made before the session)",
		make: acting(headgen.Solid, 1, true, 0)},
}

// EvalRow is one scenario's outcome.
type EvalRow struct {
	Scenario string
	Attack   bool
	Sessions int
	Passed   int
	Reasons  map[string]int
	Stuck    map[string]int // timed-out sessions by the challenge they were at
	Measures
	// Genuine scenarios: the failed sessions by photograph, and the
	// sessions and failures on heads the face engine reads moving
	// (Subject.Readable).
	FailedBy                 map[string]int
	ReadSessions, ReadFailed int
}

// Measures are the measures the thresholds act on, one per session that
// got to them: the nose's depth over the turns and the look-ups, the
// profile's bends (the nose tip followed by its pixels) over both, the
// light's correlation and side-to-centre ratio, the largest frame-to-frame
// change and the fastest turn or nod (°/s).
type Measures struct {
	NoseDepth, PitchDepth, Bend, BendUp, LightCorr, LightRatio, MaxJump, Speed []float64
}

// add records a finished session's measures.
func (m *Measures) add(st *State) {
	if st.Turns > 0 {
		m.NoseDepth = append(m.NoseDepth, st.NoseDepth)
	}
	if st.Nods > 0 {
		m.PitchDepth = append(m.PitchDepth, st.PitchDepth)
	}
	if st.BentTurns > 0 {
		m.Bend = append(m.Bend, st.Bend)
	}
	if st.BentNods > 0 {
		m.BendUp = append(m.BendUp, st.BendUp)
	}
	if st.LightRatio != 0 {
		m.LightCorr = append(m.LightCorr, st.LightCorr)
		m.LightRatio = append(m.LightRatio, st.LightRatio)
	}
	m.MaxJump = append(m.MaxJump, st.MaxJump)
	m.Speed = append(m.Speed, st.MaxSpeed)
}

// Rate is APCER for an attack (the share passed), BPCER for genuine
// sessions (the share failed).
func (r EvalRow) Rate() float64 {
	if r.Sessions == 0 {
		return 0
	}
	if r.Attack {
		return float64(r.Passed) / float64(r.Sessions)
	}
	return float64(r.Sessions-r.Passed) / float64(r.Sessions)
}

// LoadSubjects reads the photographs of a labels.tsv (path, identity) whose
// face is frontal enough to build a head from.
func LoadSubjects(ctx context.Context, e *face.Engine, samples []face.Sample, read func(string) ([]byte, error)) ([]Subject, error) {
	var out []Subject
	for _, s := range samples {
		data, err := read(s.Path)
		if err != nil {
			return nil, err
		}
		img, err := raster.Decode(data, raster.Limits{})
		if err != nil {
			continue
		}
		// Large photographs are shrunk: the heads are rendered at 640×480.
		if img.W > 1200 {
			img = shrink(img, 1200)
		}
		fs, err := e.Detect(ctx, img, face.AttrPose)
		if err != nil {
			return nil, err
		}
		f := face.Largest(fs)
		if len(fs) != 1 || f.Pose == nil || f.Box.W < 80 {
			continue
		}
		// The head made from it must show one face, frontal enough, when
		// rendered facing the camera (a second face in the background, or
		// a head turned in the photograph, makes no test person).
		head := headgen.Build(img, f.Landmarks, headgen.Solid)
		r, err := e.Detect(ctx, head.Render(headgen.Pose{Distance: 4}, 640, 480), face.AttrPose)
		if err != nil {
			return nil, err
		}
		if len(r) != 1 || math.Abs(r[0].Pose.Yaw) > 8 || math.Abs(r[0].Pose.Pitch) > 10 {
			continue
		}
		// Nor may a second face show up when the head turns or looks up
		// (25°). The same views, and one raised 30°, say whether the
		// engine reads it moving (Readable, reported, not a filter).
		one, readable := true, true
		for _, v := range []struct {
			pose        headgen.Pose
			second, how bool // checked for a second face; for how far it reads moved
		}{
			{headgen.Pose{Yaw: 30, Distance: 4}, true, true},
			{headgen.Pose{Yaw: -30, Distance: 4}, true, true},
			{headgen.Pose{Pitch: 25, Distance: 4}, true, false},
			{headgen.Pose{Pitch: 30, Distance: 4}, false, true},
		} {
			seen, err := e.Detect(ctx, head.Render(v.pose, 640, 480), face.AttrPose)
			if err != nil {
				return nil, err
			}
			one = one && (!v.second || len(seen) == 1)
			readable = readable && (!v.how || movedHalf(seen, v.pose, r[0].Pose))
		}
		if !one {
			continue
		}
		out = append(out, Subject{Path: s.Path, Identity: s.Identity, Image: img, Face: f, Readable: readable})
	}
	return out, nil
}

// movedHalf says whether the face engine read a head rendered at pose
// (turned or raised from facing the camera) moved at least half as far
// from where it read it facing the camera: a rendering of a photograph
// that the engine cannot see move tells about the renderer, not about
// people. The evaluation reports BPCER with and without such heads; they
// stay in every scenario.
func movedHalf(seen []*face.Face, pose headgen.Pose, neutral *face.Pose) bool {
	if len(seen) != 1 || seen[0].Pose == nil {
		return false
	}
	if pose.Pitch != 0 {
		return seen[0].Pose.Pitch-neutral.Pitch >= pose.Pitch/2
	}
	return math.Abs(seen[0].Pose.Yaw-neutral.Yaw) >= math.Abs(pose.Yaw)/2
}

func shrink(img *raster.Image, w int) *raster.Image {
	h := img.H * w / img.W
	out := &raster.Image{W: w, H: h, Pix: make([]uint8, 3*w*h)}
	sx := float64(img.W) / float64(w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := img.Bilinear((float64(x)+0.5)*sx-0.5, (float64(y)+0.5)*sx-0.5, -1)
			k := 3 * (y*w + x)
			out.Pix[k], out.Pix[k+1], out.Pix[k+2] = uint8(r), uint8(g), uint8(b)
		}
	}
	return out
}

// Evaluate plays n sessions of each scenario with subjects drawn from
// subjects (frontal photographs: |yaw| under 12° for the heads), seeded
// with seed, and reports each scenario's outcome. The service must run on
// clock (the sessions are simulated, not waited for); Evaluate sets the
// clock to each session's start (10 simulated minutes apart: a session
// lasts at most 500 frames of 0.9 s) and draws the service's challenges
// from each session's seed (it replaces Options.Rand). progress, when not
// nil, hears about each session.
func (s *Service) Evaluate(ctx context.Context, clock *SimClock, subjects []Subject, n int, seed uint64, progress io.Writer) ([]EvalRow, error) {
	var frontal []Subject
	for _, sub := range subjects {
		if math.Abs(sub.Face.Pose.Yaw) < 12 && math.Abs(sub.Face.Pose.Pitch) < 15 {
			frontal = append(frontal, sub)
		}
	}
	if len(frontal) == 0 {
		return nil, fmt.Errorf("no frontal photograph to make heads of")
	}
	start := clock.T
	var rows []EvalRow
	for k, sc := range Scenarios {
		if !chosen(sc.Name, os.Getenv("KYCD_EVAL_ONLY")) {
			continue
		}
		row := EvalRow{Scenario: sc.Name, Attack: sc.Attack, Reasons: map[string]int{}, Stuck: map[string]int{}, FailedBy: map[string]int{}}
		for i := 0; i < n; i++ {
			// Each session plays from its own seed (the run's, the
			// scenario's place and the session's number) and starts at
			// its own time, so that two builds play the same sessions
			// and differ only where their checks decide differently: a
			// comparison of builds is paired, session by session. (With
			// one stream for the run, every session after the first that
			// played out differently differed too.)
			r, draws := sessionRand(seed, k, i)
			s.o.Rand = draws
			clock.T = maxTime(clock.T, start.Add(time.Duration(k*n+i)*10*time.Minute))
			sub := frontal[r.IntN(len(frontal))]
			var same []Subject
			for _, o := range subjects {
				if o.Identity == sub.Identity && o.Path != sub.Path {
					same = append(same, o)
				}
			}
			st, err := s.simulate(ctx, clock, sc, sc.make(sub, same, r), r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", sc.Name, err)
			}
			if verbose {
				fmt.Printf("  subject %s\n", sub.Path)
			}
			row.Sessions++
			if st.Passed {
				row.Passed++
			} else if !sc.Attack {
				row.FailedBy[sub.Path]++
			}
			if sub.Readable {
				row.ReadSessions++
				if !st.Passed {
					row.ReadFailed++
				}
			}
			for _, reason := range st.Reasons {
				row.Reasons[reason]++
				if reason == ReasonTimeout {
					row.Stuck[string(st.Current())]++
				}
			}
			row.add(st)
			if progress != nil {
				fmt.Fprintf(progress, "\r%-15s %3d/%d ", sc.Name, i+1, n)
			}
		}
		rows = append(rows, row)
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	return rows, nil
}

// chosen reports whether KYCD_EVAL_ONLY's value only picks the scenario
// name: "" picks all; otherwise a list separated by "|", each item a
// scenario's whole name or, when no scenario has that name, a part of
// names.
func chosen(name, only string) bool {
	if only == "" {
		return true
	}
	for _, item := range strings.Split(only, "|") {
		whole := slices.ContainsFunc(Scenarios, func(sc Scenario) bool { return sc.Name == item })
		if name == item || !whole && strings.Contains(name, item) {
			return true
		}
	}
	return false
}

// sessionRand is session i of scenario k's randomness: r for the subject,
// the player and the camera, draws for the service's challenges.
func sessionRand(seed uint64, k, i int) (r *rand.Rand, draws *rand.ChaCha8) {
	id := uint64(k)<<32 | uint64(i)
	r = rand.New(rand.NewPCG(seed, id^0x9e3779b97f4a7c15))
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	binary.LittleEndian.PutUint64(key[8:], id)
	return r, rand.NewChaCha8(key)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// EvalService is the throwaway service Evaluate plays on: SQLite and
// encrypted blobs under dir, a fresh key, clock's time, no cap on
// sessions. The challenges are drawn from the run's seed, each session's
// from its own (Evaluate), so that a run is reproduced by its seed
// (crypto/rand made two runs of one build differ: 3 and 6 of 50 genuine
// sessions rejected). The caller closes the database.
func EvalService(ctx context.Context, dir string, e *face.Engine, clock *SimClock) (*Service, *store.DB, error) {
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "eval.db"), store.Options{Now: clock.Now})
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	key, _ := seal.ParseKey(seal.GenerateKeyText())
	keyring := seal.NewKeyring(key)
	blobs, err := blob.Open(ctx, "file://"+filepath.Join(dir, "blobs"), keyring)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return NewService(db, e, blobs, keyring, Options{Now: clock.Now, MaxSessions: 1 << 30}), db, nil
}

// SimClock is the evaluation's clock: sessions are played in simulated
// time.
type SimClock struct{ T time.Time }

// Now is the clock's time.
func (c *SimClock) Now() time.Time { return c.T }

// simulate plays one session.
func (s *Service) simulate(ctx context.Context, clock *SimClock, sc Scenario, pl player, r *rand.Rand) (*State, error) {
	var retask func([]Task) []Task
	if sc.lightOnly {
		retask = func(ts []Task) []Task { return ts[len(ts)-1:] } // the drawn light alone
	}
	run, v, err := s.evalSession(ctx, retask)
	if err != nil {
		return nil, err
	}
	task := run.st.Task()
	client := clock.T
	guidance := map[string]int{}
	for i := 0; i < 500 && !run.Done(); i++ {
		step := time.Duration(160+r.IntN(60)) * time.Millisecond // a webcam at 5–6 frames a second
		if sc.slow {
			step = time.Duration(800+r.IntN(100)) * time.Millisecond
		}
		client = client.Add(step)
		if sc.burst {
			clock.T = clock.T.Add(20 * time.Millisecond)
		} else {
			clock.T = client
		}
		jpeg, start := pl.frame(task, client)
		prog, err := run.Frame(ctx, Frame{JPEG: jpeg, ClientAt: client, LightStart: start})
		if err != nil && kyc.ErrorCode(err) == kyc.Internal {
			return nil, err
		}
		guidance[prog.Guidance]++
		pl.heard(prog, client)
		task = Task{}
		if prog.Task != nil {
			task = *prog.Task
		}
	}
	clock.T = client.Add(time.Minute)
	if verbose {
		fmt.Printf("%-22s tasks %v index %d reasons %v %s real %.2f depth %.2f (%d) lift %.2f (%d) bend %.2f (%d) up %.2f (%d) again %d light %.2f/%.2f jump %.2f guidance %v\n", sc.Name, taskNames(run.st.Tasks),
			run.st.Index, run.st.Reasons, run.st.Break, run.st.RealMean(), run.st.NoseDepth, run.st.Turns, run.st.PitchDepth, run.st.Nods, run.st.Bend, run.st.BentTurns, run.st.BendUp, run.st.BentNods, run.st.Retried, run.st.LightCorr, run.st.LightRatio, run.st.MaxJump, guidance)
	}
	if err := s.endEvalSession(ctx, run, v); err != nil {
		return nil, err
	}
	return run.st, nil
}

// evalSession starts an evaluation's session for a new verification of
// its own; retask, when not nil, replaces the drawn tasks in the sealed
// state.
func (s *Service) evalSession(ctx context.Context, retask func([]Task) []Task) (*Run, *kyc.Verification, error) {
	v := &kyc.Verification{ID: kyc.NewID(nil, "ver"), UserID: "usr_eval"}
	if err := s.db.CreateVerification(ctx, v); err != nil {
		return nil, nil, err
	}
	p := &kyc.Principal{UserID: v.UserID, Roles: []kyc.Role{kyc.RoleApplicant}}
	l, st, err := s.Start(ctx, p, v.ID)
	if err != nil {
		return nil, nil, err
	}
	if retask != nil {
		st.Tasks = retask(st.Tasks)
		if l.State, err = s.seal(l.ID, st); err != nil {
			return nil, nil, err
		}
		if err := s.db.SaveLiveness(ctx, l); err != nil {
			return nil, nil, err
		}
	}
	run, err := s.Begin(ctx, p, l.ID)
	return run, v, err
}

// endEvalSession closes an evaluation's run and forgets its session.
func (s *Service) endEvalSession(ctx context.Context, run *Run, v *kyc.Verification) error {
	if err := run.Close(ctx); err != nil && kyc.ErrorCode(err) == kyc.Internal {
		return err
	}
	return s.db.InTx(ctx, "forget evaluated session", func(tx *store.Tx) error { return tx.DeleteLivenessSessions(ctx, v.ID) })
}

var verbose = os.Getenv("KYCD_EVAL_VERBOSE") != ""

func taskNames(ts []Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%s:%.0f", t.Type, t.Target))
	}
	return out
}

// FormatEval writes the results as a Markdown table.
func FormatEval(w io.Writer, rows []EvalRow) {
	fmt.Fprintln(w, "| scenario | sessions | passed | APCER / BPCER | reasons |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | --- |")
	for _, r := range rows {
		measure := "APCER"
		if !r.Attack {
			measure = "BPCER"
		}
		reasons := tally(r.Reasons, "%s %d")
		if stuck := tally(r.Stuck, "%s %d"); len(stuck) > 0 {
			reasons = append(reasons, "(timed out at: "+strings.Join(stuck, ", ")+")")
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s %.1f%% | %s |\n", r.Scenario, r.Sessions, r.Passed, measure, 100*r.Rate(), strings.Join(reasons, ", "))
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		if r.Attack || r.Sessions == r.Passed {
			continue
		}
		by := tally(r.FailedBy, "`%s` %d")
		fmt.Fprintf(w, "%s: failed sessions by photograph: %s. On heads the face engine reads turned and raised at least half as far as rendered: BPCER %.1f%% (%d of %d sessions).\n\n",
			r.Scenario, strings.Join(by, ", "), 100*float64(r.ReadFailed)/float64(max(r.ReadSessions, 1)), r.ReadFailed, r.ReadSessions)
	}
	fmt.Fprintln(w, "The measures the thresholds act on, over the sessions that reached them (min / median / max):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | nose depth (turns) | nose depth (look-ups) | profile bend (turns) | profile bend (look-ups) | light correlation | light side/centre | largest shape jump |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Scenario, stats(r.NoseDepth), stats(r.PitchDepth), stats(r.Bend), stats(r.BendUp),
			stats(r.LightCorr), stats(r.LightRatio), stats(r.MaxJump))
	}
}

// tally writes each key of counts with its count by format (a %s and a
// %d), sorted.
func tally(counts map[string]int, format string) []string {
	var out []string
	for k, v := range counts {
		out = append(out, fmt.Sprintf(format, k, v))
	}
	sort.Strings(out)
	return out
}

// stats is the minimum, median and maximum of v.
func stats(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf("%.2f / %.2f / %.2f", s[0], s[len(s)/2], s[len(s)-1])
}
