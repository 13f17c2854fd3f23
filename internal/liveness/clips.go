package liveness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/raster"
)

// The evaluation on real recordings: clips of real people, each with the
// windows in which it shows a head movement, played against the real
// service the way a person answers its random challenges, at the capture
// page's pace. A recording cannot answer the light challenge (its colours
// are drawn when the session starts), so a clip session passes when it
// reaches it: every movement asked was met.

// ClipManifest lists recordings and where they show each movement
// (docs/data/liveness-clips.json).
type ClipManifest struct {
	About string `json:"about,omitempty"`
	Clips []Clip `json:"clips"`
}

// Clip is one recording of one person.
type Clip struct {
	ID     string `json:"id"`
	Person string `json:"person"` // the split is by person
	Split  string `json:"split"`  // "tune" or "report", fixed before any result was seen
	File   string `json:"file"`   // relative to the clips folder
	// Where it comes from: the repository, the path in it, the commit,
	// the file's sha256 and the licence.
	Source  string `json:"source"`
	Commit  string `json:"commit"`
	SHA256  string `json:"sha256"`
	Licence string `json:"licence"`
	// Crop is the person's part of a wider frame (x, y, width, height as
	// ratios of the frame): a small face in a wide shot, as a camera
	// nearer to that person would see it.
	Crop    []float64 `json:"crop,omitempty"`
	Windows []Window  `json:"windows"`
	Note    string    `json:"note,omitempty"`
}

// Window is a stretch of a clip that shows one movement: From is a moment
// the person faces the camera, To the movement's furthest (before From:
// the footage is played backwards, a return from a turn played as the
// turn, a step back played as coming closer).
type Window struct {
	Move Challenge `json:"move"`
	From float64   `json:"from"`
	To   float64   `json:"to"`
	Note string    `json:"note,omitempty"`
}

// ReadClipManifest reads a manifest and checks it.
func ReadClipManifest(path string) (*ClipManifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m ClipManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, c := range m.Clips {
		if c.ID == "" || c.Person == "" || c.File == "" {
			return nil, fmt.Errorf("%s: clip %q needs an id, a person and a file", path, c.ID)
		}
		if c.Split != "tune" && c.Split != "report" {
			return nil, fmt.Errorf("%s: clip %s: split must be tune or report", path, c.ID)
		}
		if c.Crop != nil && len(c.Crop) != 4 {
			return nil, fmt.Errorf("%s: clip %s: crop is x, y, width, height", path, c.ID)
		}
		for _, w := range c.Windows {
			if !slices.Contains(Drawn, w.Move) || w.From < 0 || w.To < 0 || math.Abs(w.To-w.From) < 0.2 {
				return nil, fmt.Errorf("%s: clip %s: bad window %+v (a drawn movement, at least 0.2 s)", path, c.ID, w)
			}
		}
	}
	return &m, nil
}

// clipFPS is the rate clips are decoded at: frame k is at k/clipFPS s.
const clipFPS = 30

// Footage is one window's frames, ready to be sent.
type Footage struct {
	Clip     *Clip
	Window   Window
	Move     Challenge // what it shows (a mirrored turn shows the other)
	Mirrored bool
	Frames   [][]byte // JPEG, clipFPS a second, from the frontal moment on
	// Reach is how far the face engine reads the movement going from the
	// first frame: degrees for turns and look-ups, the face's width ratio
	// for coming closer. A target beyond it cannot be met by this footage.
	Reach float64
}

// Duration is the footage's length.
func (f *Footage) Duration() time.Duration {
	return time.Duration(len(f.Frames)) * time.Second / clipFPS
}

// at is the frame shown at d into the footage.
func (f *Footage) at(d time.Duration) []byte {
	k := int(d * clipFPS / time.Second)
	return f.Frames[max(0, min(k, len(f.Frames)-1))]
}

// LoadFootage decodes every window of the manifest's clips of split
// ("all" for both) from dir with ffmpeg, checks each file's sha256, and
// measures each window's reach with the face engine. Turns are also
// mirrored into the opposite turn: the same real footage, flipped.
func LoadFootage(ctx context.Context, e *face.Engine, m *ClipManifest, dir, split string, progress io.Writer) ([]*Footage, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, errors.New("kycd eval liveness --clips needs ffmpeg on PATH (Debian: apt-get install ffmpeg)")
	}
	var out []*Footage
	for i := range m.Clips {
		c := &m.Clips[i]
		if split != "all" && c.Split != split {
			continue
		}
		path := filepath.Join(dir, c.File)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("clip %s: %w (fetch it from %s at %s)", c.ID, err, c.Source, c.Commit)
		}
		if sum := sha256.Sum256(data); c.SHA256 != "" && hex.EncodeToString(sum[:]) != c.SHA256 {
			return nil, fmt.Errorf("clip %s: %s is not the manifest's file (sha256 differs)", c.ID, path)
		}
		for _, w := range c.Windows {
			if progress != nil {
				fmt.Fprintf(progress, "\rdecoding %-6s %5.1f–%5.1f s ", c.ID, w.From, w.To)
			}
			imgs, err := decodeWindow(ctx, path, c.Crop, w, clipFPS)
			if err != nil {
				return nil, fmt.Errorf("clip %s: %w", c.ID, err)
			}
			if len(imgs) < 3 {
				return nil, fmt.Errorf("clip %s: window %.1f–%.1f s gave %d frames", c.ID, w.From, w.To, len(imgs))
			}
			f, err := NewFootage(ctx, e, c, w, imgs, false)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
			if !isTurn(w.Move) {
				continue
			}
			for k, img := range imgs {
				imgs[k] = img.Mirror()
			}
			mirror, err := NewFootage(ctx, e, c, w, imgs, true)
			if err != nil {
				return nil, err
			}
			out = append(out, mirror)
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	return out, nil
}

// NewFootage makes footage of window w of clip c from its frames
// (clipFPS a second, in playing order; mirrored: flipped, which shows the
// other turn), encoded as the capture page does (JPEG, 0.85), with its
// reach measured by the face engine (which does not read a mirrored face
// quite as the face: a mirror's reach is its own).
func NewFootage(ctx context.Context, e *face.Engine, c *Clip, w Window, imgs []*raster.Image, mirrored bool) (*Footage, error) {
	f := &Footage{Clip: c, Window: w, Move: w.Move, Mirrored: mirrored, Frames: make([][]byte, len(imgs))}
	if mirrored {
		f.Move = opposite(w.Move)
	}
	var err error
	if f.Reach, err = measureReach(ctx, e, imgs, f.Move); err != nil {
		return nil, err
	}
	for k, img := range imgs {
		if f.Frames[k], err = img.EncodeJPEG(85); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func opposite(c Challenge) Challenge {
	switch c {
	case TurnLeft:
		return TurnRight
	case TurnRight:
		return TurnLeft
	}
	return c
}

// decodeWindow decodes a window's frames at fps frames a second, cropped
// and scaled to at most 640 pixels on the long side (the capture page asks
// the camera for 640×480), in the order the window plays.
func decodeWindow(ctx context.Context, path string, crop []float64, w Window, fps int) ([]*raster.Image, error) {
	tmp, err := os.MkdirTemp("", "kycd-clip-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	start, end := math.Min(w.From, w.To), math.Max(w.From, w.To)
	filters := []string{fmt.Sprintf("fps=%d", fps)}
	if crop != nil {
		filters = append(filters, fmt.Sprintf("crop=iw*%g:ih*%g:iw*%g:ih*%g", crop[2], crop[3], crop[0], crop[1]))
	}
	filters = append(filters, "scale='if(gt(iw,ih),min(640,iw),-2)':'if(gt(iw,ih),-2,min(640,ih))'")
	cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-i", path, "-ss", fmt.Sprintf("%.3f", start), "-t", fmt.Sprintf("%.3f", end-start),
		"-vf", strings.Join(filters, ","), "-pix_fmt", "rgb24", filepath.Join(tmp, "%05d.png"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	names, err := filepath.Glob(filepath.Join(tmp, "*.png"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var imgs []*raster.Image
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		img, err := raster.Decode(data, raster.Limits{})
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	if w.To < w.From {
		slices.Reverse(imgs)
	}
	return imgs, nil
}

// measureReach is how far the face engine reads the footage's movement
// (every second frame read; see reach).
func measureReach(ctx context.Context, e *face.Engine, imgs []*raster.Image, move Challenge) (float64, error) {
	var seen []Observation
	for k := 0; k < len(imgs); k += 2 {
		fs, err := e.Detect(ctx, imgs[k], face.AttrPose)
		if err != nil {
			return 0, err
		}
		if f := face.Largest(fs); f == nil || f.Pose == nil {
			continue
		}
		seen = append(seen, observe(imgs[k], fs, Frame{}, time.Time{}))
	}
	return reach(seen, move), nil
}

// reach is how far the frames seen go in the movement move, as the checker
// would read it: from the first frame it could start from (one read
// frontal, or near enough for the still gate: a window's first frame read
// 20° turned, a glitch of the pose model one frame before it reads 0°, made
// footage of an 8° turn reach 29°), a turn only as far as the landmarks'
// foreshortening bears it out (Config.TurnSeen).
func reach(seen []Observation, move Challenge) float64 {
	s := &State{}
	for _, o := range seen {
		if Defaults.facing(o) {
			s.Broad = math.Max(s.Broad, proportion(&o.Landmarks))
		}
	}
	start := slices.IndexFunc(seen, Defaults.near)
	if start < 0 {
		return 0 // the checker could start nowhere
	}
	var far float64
	for k := start + 1; k < len(seen); k++ {
		first, o := baseline(seen[start]), seen[k]
		var v float64
		switch move {
		case TurnLeft:
			v = math.Min(first.Yaw-o.Yaw, Defaults.turnSeen(s, &first, o)/Defaults.TurnSeen)
		case TurnRight:
			v = math.Min(o.Yaw-first.Yaw, Defaults.turnSeen(s, &first, o)/Defaults.TurnSeen)
		case LookUp:
			v = o.Pitch - first.Pitch
		case ComeCloser:
			v = o.BoxW / first.BoxW
		}
		far = math.Max(far, v)
	}
	return far
}

// reaches says whether the footage goes far enough past target to answer
// it: the face engine reads a pose a few degrees (a face's width a few
// hundredths) differently from one frame to the next, and a try that falls
// short by that much tells nothing about the checks.
func (f *Footage) reaches(target float64) bool {
	margin := 2.0
	if f.Move == ComeCloser {
		margin = 0.03
	}
	return target+margin <= f.Reach
}

// ClipRow is the outcome of one kind of clip session: one movement, or a
// whole drawn session.
type ClipRow struct {
	Name     string
	Tries    int // sessions played
	Met      int // that met every movement asked
	Reasons  map[string]int
	Mirrored int // of the tries, on mirrored footage
	Measures     // at the decision, over the tries that reached them
	// Failed tries by clip and window (clip@from–to).
	FailedBy map[string]int
	// Sessions whose drawn movements had no footage (not played).
	NoFootage int
}

// Rate is the share met.
func (r ClipRow) Rate() float64 { return float64(r.Met) / float64(max(r.Tries, 1)) }

// EvaluateClips plays the footage against the service: each window, at
// phases sampling phases of the capture pace and a drawn target it
// reaches, as a session of that one movement; then n sessions per person
// with the service's own drawn challenges, each movement answered with
// footage of this person that reaches its target (sessions that ask for a
// movement there is no such footage of are counted, not played). pace is
// the time between frames (the capture page's 100 ms); each frame comes
// up to a tenth of it late, as a browser's timer does.
func (s *Service) EvaluateClips(ctx context.Context, clock *SimClock, footage []*Footage, pace time.Duration, phases, n int, seed uint64, progress io.Writer) ([]ClipRow, error) {
	rows := map[string]*ClipRow{}
	row := func(name string) *ClipRow {
		if rows[name] == nil {
			rows[name] = &ClipRow{Name: name, Reasons: map[string]int{}, FailedBy: map[string]int{}}
		}
		return rows[name]
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	record := func(rw *ClipRow, st *State, passed bool, what string, mirrored bool) {
		rw.Tries++
		if mirrored {
			rw.Mirrored++
		}
		if passed {
			rw.Met++
		} else {
			reasons := strings.Join(st.Reasons, "+")
			if reasons == "" {
				reasons = "not met"
			}
			rw.Reasons[reasons]++
			rw.FailedBy[what+" "+reasons]++
		}
		rw.add(st)
	}
	// Each session starts 10 simulated minutes after the last one's start
	// or a minute after its end, whichever is later.
	start, played := clock.T, 0
	next := func() {
		clock.T = maxTime(clock.T, start.Add(time.Duration(played)*10*time.Minute))
		played++
	}
	// Each movement on its own.
	for i, f := range footage {
		for ph := 0; ph < phases; ph++ {
			var steps []int
			for k := 0; k < TargetSteps; k++ {
				if f.reaches(Target(f.Move, k)) {
					steps = append(steps, k)
				}
			}
			rw := row(string(f.Move))
			if len(steps) == 0 {
				rw.NoFootage++
				continue
			}
			task := Task{Type: f.Move, Target: Target(f.Move, steps[r.IntN(len(steps))])}
			next()
			pl := &clipPlayer{pick: func(Task) *Footage { return f }, phase: time.Duration(ph) * pace / time.Duration(phases)}
			st, err := s.playClip(ctx, clock, []Task{task}, pl, pace, r)
			if err != nil {
				return nil, err
			}
			record(rw, st, st.Index >= 1, f.name(), f.Mirrored)
			if progress != nil {
				fmt.Fprintf(progress, "\rmovements %3d/%d ", i+1, len(footage))
			}
		}
	}
	// Whole sessions, person by person.
	byPerson := map[string][]*Footage{}
	var people []string
	for _, f := range footage {
		if byPerson[f.Clip.Person] == nil {
			people = append(people, f.Clip.Person)
		}
		byPerson[f.Clip.Person] = append(byPerson[f.Clip.Person], f)
	}
	sort.Strings(people)
	rw := row("sessions")
	for pi, person := range people {
		mine := byPerson[person]
		for i := 0; i < n; i++ {
			_, draws := sessionRand(seed, 1000+pi, i)
			tasks, err := Draw(draws, s.o.Challenges)
			if err != nil {
				return nil, err
			}
			moves := tasks[:len(tasks)-1] // up to the light
			choose := func(t Task) *Footage {
				var fit []*Footage
				for _, f := range mine {
					if f.Move == t.Type && f.reaches(t.Target) {
						fit = append(fit, f)
					}
				}
				if len(fit) == 0 {
					return nil
				}
				return fit[r.IntN(len(fit))]
			}
			ok := true
			for _, t := range moves {
				ok = ok && choose(t) != nil
			}
			if !ok {
				rw.NoFootage++
				continue
			}
			next()
			pl := &clipPlayer{pick: choose, phase: time.Duration(r.IntN(int(pace)))}
			st, err := s.playClip(ctx, clock, moves, pl, pace, r)
			if err != nil {
				return nil, err
			}
			record(rw, st, st.Index >= len(moves), person+" "+strings.Join(taskNames(moves), ","), false)
			if progress != nil {
				fmt.Fprintf(progress, "\rsessions: %-12s %3d/%d ", person, i+1, n)
			}
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	var out []ClipRow
	for _, name := range []string{string(TurnLeft), string(TurnRight), string(LookUp), string(ComeCloser), "sessions"} {
		if rows[name] != nil {
			out = append(out, *rows[name])
		}
	}
	return out, nil
}

func (f *Footage) name() string {
	m := ""
	if f.Mirrored {
		m = " mirrored"
	}
	return fmt.Sprintf("%s@%.1f–%.1f%s", f.Clip.ID, f.Window.From, f.Window.To, m)
}

// clipPlayer answers each task with footage of it: from the frontal moment
// to the movement's furthest and back, again and again, as a person tries
// again; once a task is met, back to the frontal moment, then the next
// task's footage. Between two windows it sends nothing for longer than
// MaxGap: the change of recording is not the person's.
type clipPlayer struct {
	pick     func(Task) *Footage
	phase    time.Duration
	cur      *Footage
	task     Task
	pos      time.Duration // into cur
	back     bool          // playing backwards
	next     *Footage      // after the way back
	fresh    bool          // cur is new: its first frame is still to show
	last     time.Time
	quietTil time.Time
}

func (p *clipPlayer) frame(t Task, now time.Time) []byte {
	if p.cur == nil {
		p.cur, p.task, p.pos, p.last = p.pick(t), t, p.phase, now
		return p.cur.at(p.pos)
	}
	step := now.Sub(p.last)
	p.last = now
	if t.Type != p.task.Type || t.Target != p.task.Target {
		// Met: back to the frontal moment, then the next footage.
		p.task, p.next, p.back = t, p.pick(t), true
	}
	if now.Before(p.quietTil) {
		return nil
	}
	if p.fresh {
		p.fresh = false // the new footage starts at its frontal moment
		return p.cur.at(p.pos)
	}
	if p.back {
		p.pos -= step
	} else {
		p.pos += step
	}
	if d := p.cur.Duration(); p.pos >= d {
		p.pos, p.back = 2*d-p.pos, true
	}
	if p.pos <= 0 {
		p.pos, p.back = -p.pos, false
		if p.next != nil {
			frontal := p.cur.at(0)
			p.cur, p.next, p.pos, p.fresh = p.next, nil, 0, true
			p.quietTil = now.Add(Defaults.MaxGap + 100*time.Millisecond)
			return frontal
		}
	}
	return p.cur.at(p.pos)
}

// playClip plays one clip session: tasks are the movements asked (the
// light is never reached by a recording).
func (s *Service) playClip(ctx context.Context, clock *SimClock, tasks []Task, pl *clipPlayer, pace time.Duration, r *rand.Rand) (*State, error) {
	// The movements to play, then the drawn light (never reached).
	run, v, err := s.evalSession(ctx, func(ts []Task) []Task { return append(slices.Clone(tasks), ts[len(ts)-1]) })
	if err != nil {
		return nil, err
	}
	task := tasks[0]
	client := clock.T
	start := client
	for i := 0; i < 1000 && !run.Done() && task.Type != Light; i++ {
		client = client.Add(pace + time.Duration(r.IntN(int(pace/10)+1)))
		clock.T = client
		jpeg := pl.frame(task, client)
		if jpeg == nil {
			continue
		}
		prog, err := run.Frame(ctx, Frame{JPEG: jpeg, ClientAt: client})
		if err != nil && kyc.ErrorCode(err) == kyc.Internal {
			return nil, err
		}
		if prog.Task != nil {
			task = *prog.Task
		}
		if verbose && prog.Face != nil {
			fmt.Printf("  %6.2f s %-14s yaw %6.1f pitch %6.1f\n", client.Sub(start).Seconds(), prog.Guidance, prog.Face.Yaw, prog.Face.Pitch)
		}
	}
	clock.T = client.Add(time.Minute)
	if verbose {
		fmt.Printf("clip %-30s tasks %v index %d reasons %v %s depth %.2f (%d) lift %.2f (%d) bend %.2f (%d) again %d jump %.2f speed %.0f\n", "",
			taskNames(run.st.Tasks), run.st.Index, run.st.Reasons, run.st.Break, run.st.NoseDepth, run.st.Turns, run.st.PitchDepth, run.st.Nods,
			run.st.Bend, run.st.BentTurns, run.st.Retried, run.st.MaxJump, run.st.MaxSpeed)
	}
	if err := s.endEvalSession(ctx, run, v); err != nil {
		return nil, err
	}
	return run.st, nil
}

// FormatClips writes the clip evaluation as Markdown.
func FormatClips(w io.Writer, rows []ClipRow) {
	fmt.Fprintln(w, "| movement | tries | met | rate | mirrored tries | not played (no footage reaches the target) | what rejected the rest |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d | %.1f%% | %d | %d | %s |\n", r.Name, r.Tries, r.Met, 100*r.Rate(), r.Mirrored, r.NoFootage, strings.Join(tally(r.Reasons, "%s %d"), ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The measures at the decision (min / median / max):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| movement | nose depth (turns) | nose depth (look-ups) | profile bend (turns) | largest jump | fastest turn, °/s |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.Name, stats(r.NoseDepth), stats(r.PitchDepth), stats(r.Bend), stats(r.MaxJump), stats(r.Speed))
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		if len(r.FailedBy) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s, failed tries: %s\n\n", r.Name, strings.Join(tally(r.FailedBy, "`%s` %d"), ", "))
	}
}

// TraceClip prints what the face engine reads in a whole clip, ten frames
// a second (time, faces, yaw, pitch, face width): the reading windows are
// chosen from.
func TraceClip(ctx context.Context, e *face.Engine, m *ClipManifest, dir, id string, w io.Writer) error {
	i := slices.IndexFunc(m.Clips, func(c Clip) bool { return c.ID == id })
	if i < 0 {
		return fmt.Errorf("no clip %q in the manifest", id)
	}
	c := m.Clips[i]
	// Decoded at the rate it is read: a long clip at clipFPS would hold
	// three times the frames in memory for nothing.
	const fps = 10
	imgs, err := decodeWindow(ctx, filepath.Join(dir, c.File), c.Crop, Window{From: 0, To: 3600}, fps)
	if err != nil {
		return err
	}
	if len(imgs) == 0 {
		return fmt.Errorf("clip %s: ffmpeg gave no frames", c.ID)
	}
	fmt.Fprintf(w, "%s: %d frames read at %d a second, %s\n", c.ID, len(imgs), fps, imgs[0])
	for k := range imgs {
		fs, err := e.Detect(ctx, imgs[k], face.AttrPose)
		if err != nil {
			return err
		}
		f := face.Largest(fs)
		if f == nil || f.Pose == nil {
			fmt.Fprintf(w, "%6.2f  no face\n", float64(k)/fps)
			continue
		}
		fmt.Fprintf(w, "%6.2f  faces %d  yaw %6.1f  pitch %6.1f  width %.2f\n", float64(k)/fps, len(fs), f.Pose.Yaw, f.Pose.Pitch, f.Box.W/float64(imgs[k].W))
	}
	return nil
}
