package liveness

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/metrics"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
)

// ReasonSessionBusy is the reason of the conflict a second connection to
// a session gets while another holds it.
const ReasonSessionBusy = "session_busy"

// Session statuses.
const (
	StatusCreated    = "created"
	StatusInProgress = "in_progress"
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusExpired    = "expired"
)

// Options tune the service.
type Options struct {
	Config      Config        // thresholds; Defaults when zero
	TTL         time.Duration // a session's lifetime; 3 minutes
	Challenges  int           // how many challenges; 3
	MaxSessions int           // sessions a verification may start, whatever became of them; 5
	// Fixed, when set, replaces the random draw (tests and dev demos only).
	Fixed  []Challenge
	Rand   io.Reader // crypto/rand when nil
	Now    func() time.Time
	Limits raster.Limits
	Logger *slog.Logger
	// Metrics records sessions' outcomes and frames' analysis time.
	Metrics *metrics.Metrics
}

// Service runs liveness sessions.
type Service struct {
	db       *store.DB
	faces    *face.Engine
	blobs    blob.Store
	keyring  *seal.Keyring
	o        Options
	finisher Finisher
}

// Finisher owns the verification's state (the journey): it is told, inside
// the transaction that records it, that a session of v ended, whether it
// passed and how many sessions v may still start. Without one, sessions end
// and the verification is left as it is.
type Finisher interface {
	LivenessEnded(ctx context.Context, tx *store.Tx, v *kyc.Verification, passed bool, attemptsLeft int) error
}

// SetFinisher names who hears about the ends of sessions; the journey calls
// it when it is built on this service.
func (s *Service) SetFinisher(f Finisher) { s.finisher = f }

// ended tells the finisher, if any, that a session of verificationID ended.
func (s *Service) ended(ctx context.Context, tx *store.Tx, verificationID string, passed bool) error {
	if s.finisher == nil {
		return nil
	}
	v, err := tx.GetVerification(ctx, verificationID)
	if err != nil {
		return err
	}
	n, err := tx.CountLiveness(ctx, verificationID)
	if err != nil {
		return err
	}
	return s.finisher.LivenessEnded(ctx, tx, v, passed, s.o.MaxSessions-n)
}

// NewService returns a liveness service.
func NewService(db *store.DB, faces *face.Engine, blobs blob.Store, keyring *seal.Keyring, o Options) *Service {
	if o.Config == (Config{}) {
		o.Config = Defaults
	}
	if o.TTL == 0 {
		o.TTL = 3 * time.Minute
	}
	if o.Challenges == 0 {
		o.Challenges = 3
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = 5
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, faces: faces, blobs: blobs, keyring: keyring, o: o}
}

// Start creates a session for a verification. Every session started
// counts towards the cap (MaxSessions), passed, failed, expired or
// abandoned, so that redrawing the challenges costs attempts; starting one
// ends the verification's open session (abandoned), so one is open at a
// time (the database refuses a second). Once the cap is reached the
// finisher hears that no attempt is left.
func (s *Service) Start(ctx context.Context, p *kyc.Principal, verificationID string) (*store.LivenessSession, *State, error) {
	v, err := s.db.GetVerification(ctx, verificationID)
	if err != nil && kyc.ErrorCode(err) != kyc.NotFound {
		return nil, nil, err
	}
	if err != nil || !p.CanView(v) {
		return nil, nil, kyc.Errorf(kyc.NotFound, "verification %s not found", verificationID)
	}
	if !p.Owns(v) {
		return nil, nil, kyc.Errorf(kyc.Forbidden, "only the case's applicant or the integrator that started it can run the liveness check")
	}
	if v.Status != kyc.StatusCreated {
		return nil, nil, kyc.Errorf(kyc.Conflict, "the verification is %s: the liveness check is behind it", v.Status)
	}
	now := s.o.Now()
	tasks := Fixed(s.o.Fixed)
	if tasks == nil {
		if tasks, err = Draw(s.o.Rand, s.o.Challenges); err != nil {
			return nil, nil, err
		}
	}
	st := NewState(tasks)
	st.Nonce = kyc.NewID(s.o.Rand, "n")
	l := &store.LivenessSession{ID: kyc.NewID(s.o.Rand, "liv"), VerificationID: v.ID, UserID: p.UserID,
		Status: StatusCreated, ExpiresAt: now.Add(s.o.TTL)}
	if l.State, err = s.seal(l.ID, st); err != nil {
		return nil, nil, err
	}
	started := 0
	err = s.db.InTx(ctx, "start liveness", func(tx *store.Tx) error {
		// Parallel starts take turns, or each would count the same
		// sessions and all would start past the cap.
		if err := tx.LockVerification(ctx, v.ID); err != nil {
			return err
		}
		if _, err := tx.EndOpenLiveness(ctx, v.ID, now, true); err != nil {
			return err
		}
		if started, err = tx.CountLiveness(ctx, v.ID); err != nil {
			return err
		}
		if started >= s.o.MaxSessions {
			return s.ended(ctx, tx, v.ID, false)
		}
		if err := tx.CreateLiveness(ctx, l); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "liveness.start", ActorID: p.ID(), SubjectID: v.ID,
			Detail: map[string]string{"session": l.ID, "attempt": strconv.Itoa(started + 1)}})
	})
	switch {
	case err != nil:
		return nil, nil, err
	case started >= s.o.MaxSessions:
		return nil, nil, &kyc.Error{Code: kyc.RateLimited, Reason: "too_many_attempts",
			Message: fmt.Sprintf("%d liveness checks were started on this verification, the most allowed: start a new verification", started)}
	}
	return l, st, nil
}

func (s *Service) seal(id string, st *State) ([]byte, error) {
	data, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	return s.keyring.Seal(data, []byte("liveness:"+id))
}

func (s *Service) open(l *store.LivenessSession) (*State, error) {
	data, err := s.keyring.Open(l.State, []byte("liveness:"+l.ID))
	if err != nil {
		return nil, fmt.Errorf("open liveness state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read liveness state: %w", err)
	}
	return &st, nil
}

// Get returns a session the principal may see, with its state.
func (s *Service) Get(ctx context.Context, p *kyc.Principal, id string) (*store.LivenessSession, *State, error) {
	l, st, _, err := s.load(ctx, p, id)
	return l, st, err
}

// load reads a session, its state and its verification, refusing (as not
// found) a principal who may not see them.
func (s *Service) load(ctx context.Context, p *kyc.Principal, id string) (*store.LivenessSession, *State, *kyc.Verification, error) {
	l, err := s.db.GetLiveness(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := s.db.GetVerification(ctx, l.VerificationID)
	if err != nil || !p.CanView(v) {
		return nil, nil, nil, kyc.Errorf(kyc.NotFound, "liveness session %s not found", id)
	}
	st, err := s.open(l)
	if err != nil {
		return nil, nil, nil, err
	}
	return l, st, v, nil
}

// Image returns a stored reference or audit image of a session.
func (s *Service) Image(ctx context.Context, p *kyc.Principal, id, name string) ([]byte, error) {
	l, _, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	for _, k := range append([]string{l.ReferenceKey}, l.AuditKeys...) {
		if k != "" && k == imageKey(l, name) {
			return s.blobs.Get(ctx, k)
		}
	}
	return nil, kyc.Errorf(kyc.NotFound, "no image %q", name)
}

func imageKey(l *store.LivenessSession, name string) string {
	return kyc.CasePrefix(l.VerificationID) + "liveness/" + l.ID + "/" + name + ".jpg"
}

// MaxFrameBytes is the largest frame accepted: a 1080p JPEG is well under.
const MaxFrameBytes = 2 << 20

// Frame is one camera frame.
type Frame struct {
	JPEG     []byte
	ClientAt time.Time
	// LightStart is when the page began showing the light challenge's
	// colours (its clock), sent with the frames of that challenge.
	LightStart time.Time
}

// Progress answers frames.
type Progress struct {
	State          string    `json:"state" enum:"in_progress,done"`
	ChallengeIndex int       `json:"challenge_index"`
	Challenge      string    `json:"challenge,omitempty"`
	Task           *Task     `json:"task,omitempty" doc:"the current challenge with its target (and, for light, its colours); the next one is revealed when it is met"`
	Guidance       string    `json:"guidance" doc:"no_face, multiple_faces, move_closer, center_face, look_straight, hold_still, slow_down (the head moved fast between two frames: slower, keep going), done, or the current challenge"`
	Instruction    string    `json:"instruction"`
	Progress       float64   `json:"progress" doc:"share of challenges met, 0–1"`
	Face           *FaceInfo `json:"face,omitempty"`
	Result         *Result   `json:"result,omitempty"`
}

// FaceInfo is the largest face of the last frame, for the capture page.
type FaceInfo struct {
	Left, Top, Width, Height float64
	Yaw, Pitch               float64
	EyesOpen                 bool
}

// Result is a finished session's outcome.
type Result struct {
	Status     string   `json:"status"`
	Confidence float64  `json:"confidence"`
	Reasons    []string `json:"reasons"`
}

// Run is a session being fed frames, by one connection or request, which
// holds the session's lease until Close.
type Run struct {
	s     *Service
	l     *store.LivenessSession
	st    *State
	p     *kyc.Principal
	last  Progress
	dirty bool
}

// Begin loads a session to feed it frames and takes its lease: one
// connection feeds a session at a time (a second gets a conflict until the
// first closes or the session ends). Only the case's owner may; a finished
// or expired session is refused. Close the run when done.
func (s *Service) Begin(ctx context.Context, p *kyc.Principal, id string) (*Run, error) {
	l, st, v, err := s.load(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !p.Owns(v) {
		return nil, kyc.Errorf(kyc.Forbidden, "only the case's applicant or the integrator that started it can send frames")
	}
	r := &Run{s: s, l: l, st: st, p: p}
	switch l.Status {
	case StatusSucceeded, StatusFailed:
		return nil, kyc.Errorf(kyc.Conflict, "this liveness session is over: start a new one")
	case StatusExpired:
		return nil, kyc.Errorf(kyc.Expired, "this liveness session has expired: start a new one")
	}
	if s.o.Now().After(l.ExpiresAt) {
		st.Fail(ReasonExpired)
		r.dirty = true
		if err := r.Save(ctx); err != nil {
			return nil, err
		}
		return nil, kyc.Errorf(kyc.Expired, "this liveness session has expired: start a new one")
	}
	leased, err := s.db.LeaseLiveness(ctx, l.ID, l.ExpiresAt)
	if err != nil {
		return nil, err
	}
	if !leased {
		return nil, &kyc.Error{Code: kyc.Conflict, Reason: ReasonSessionBusy,
			Message: "this liveness session is already receiving frames on another connection"}
	}
	if l.Status == StatusCreated {
		l.Status = StatusInProgress
		r.dirty = true
		if err := r.Save(ctx); err != nil {
			r.Close(ctx)
			return nil, err
		}
	}
	return r, nil
}

// Close saves what is left and gives the session's lease back.
func (r *Run) Close(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	err := r.Save(ctx)
	if rerr := r.s.db.ReleaseLiveness(ctx, r.l.ID); err == nil {
		err = rerr
	}
	return err
}

// Expires is when the session ends, met or not.
func (r *Run) Expires() time.Time { return r.l.ExpiresAt }

// Done reports whether the session is decided.
func (r *Run) Done() bool { return r.st.Done }

// Frame analyses one frame and moves the session on. A frame that is not
// an image is an error; the session goes on.
func (r *Run) Frame(ctx context.Context, f Frame) (Progress, error) {
	if r.st.Done {
		return r.progress(Feedback{Guidance: GuideDone}, nil, nil), nil
	}
	now := r.s.o.Now()
	if now.After(r.l.ExpiresAt) {
		r.st.Fail(ReasonExpired)
		r.dirty = true
		return r.progress(Feedback{Guidance: GuideDone}, nil, nil), nil
	}
	ctx, end := r.s.o.Metrics.Begin(ctx, "liveness_frame")
	defer end()
	if len(f.JPEG) > MaxFrameBytes {
		return Progress{}, kyc.Errorf(kyc.TooLarge, "a frame is at most %d bytes", MaxFrameBytes)
	}
	// A busy device's camera gives the same picture again until it catches
	// up: a repeat says nothing new, and counted as a frame it would make
	// the catch-up look like a slideshow's jump. Only its time counts (an
	// attacker gains nothing: it is not analysed).
	sum := sha256.Sum256(f.JPEG)
	digest := hex.EncodeToString(sum[:8])
	if digest == r.st.LastFrame {
		r.dirty = true
		if !r.s.o.Config.Repeat(r.st, Observation{ClientAt: f.ClientAt, ReceivedAt: now}) {
			return r.progress(Feedback{Guidance: GuideDone}, nil, nil), nil
		}
		return r.progress(Feedback{Guidance: r.last.Guidance}, nil, nil), nil
	}
	img, err := raster.Decode(f.JPEG, r.s.o.Limits)
	if err != nil {
		return Progress{}, err
	}
	r.st.LastFrame = digest
	attrs := AttrsFor(r.st)
	faces, err := r.s.faces.Detect(ctx, img, attrs)
	if err != nil {
		return Progress{}, err
	}
	o := observe(img, faces, f, now)
	if r.st.WantsPicture() && o.HasLandmarks {
		o.Gray = img.Gray()
	}
	fb := r.s.o.Config.Step(r.st, o)
	r.dirty = true
	if err := r.keepImages(ctx, f, faces, fb); err != nil {
		return Progress{}, err
	}
	return r.progress(fb, img, face.Largest(faces)), nil
}

// AttrsFor is what the face engine must measure for the next frame.
func AttrsFor(st *State) face.Attr {
	a := face.AttrLiveness &^ face.AttrSpoof
	if st.WantsSpoof() {
		a |= face.AttrSpoof
	}
	if st.WantsExpression() {
		a |= face.AttrSmile
	}
	if st.WantsEmbedding() {
		a |= face.AttrEmbedding
	}
	return a
}

func observe(img *raster.Image, faces []*face.Face, f Frame, now time.Time) Observation {
	o := Observation{ClientAt: f.ClientAt, ReceivedAt: now, Faces: len(faces), Happy: -1, LightStart: f.LightStart}
	lf := face.Largest(faces)
	if lf == nil {
		return o
	}
	w, h := float64(img.W), float64(img.H)
	o.BoxW, o.CX, o.CY = lf.Box.W/w, (lf.Box.X+lf.Box.W/2)/w, (lf.Box.Y+lf.Box.H/2)/h
	if lf.Pose != nil {
		o.Yaw, o.Pitch = lf.Pose.Yaw, lf.Pose.Pitch
	}
	o.EyesOpen, o.MouthWidth, o.Sharpness = lf.EyesOpen, lf.MouthWidth(), lf.Sharpness
	if o.Real = -1; lf.Has(face.AttrSpoof) {
		o.Real = lf.Real
	}
	if lf.Has(face.AttrSmile) {
		o.Happy = lf.Smile
	}
	o.Embedding = lf.Embedding
	for i, p := range lf.Landmarks {
		o.Landmarks[i] = [2]float64{p.X / w, p.Y / w}
	}
	o.HasLandmarks = true
	o.Luma = meanLuma(img, lf.Box)
	centres, half := RegionCentres(&o.Landmarks)
	for r, c := range centres {
		o.Regions[r] = meanColour(img, c[0]*w, c[1]*w, half*w)
	}
	return o
}

// meanLuma is the mean luminance of the middle of a face's box.
func meanLuma(img *raster.Image, b face.Box) float64 {
	c := meanColour(img, b.X+b.W/2, b.Y+b.H/2, b.W/4)
	return float64(raster.Luma(float32(c[0]), float32(c[1]), float32(c[2])))
}

// meanColour is the mean colour of the square patch of half-side half
// around (x, y); a channel of which more than 2% of the pixels clip reads
// 255 (see Saturated).
func meanColour(img *raster.Image, x, y, half float64) [3]float64 {
	var out [3]float64
	var clipped [3]int
	n := 0
	x0, x1 := max(0, int(x-half)), min(img.W-1, int(x+half))
	y0, y1 := max(0, int(y-half)), min(img.H-1, int(y+half))
	for yy := y0; yy <= y1; yy++ {
		for xx := x0; xx <= x1; xx++ {
			p := img.Pix[3*(yy*img.W+xx):]
			for ch := 0; ch < 3; ch++ {
				out[ch] += float64(p[ch])
				if p[ch] >= Saturated {
					clipped[ch]++
				}
			}
			n++
		}
	}
	if n == 0 {
		return out
	}
	for ch := 0; ch < 3; ch++ {
		out[ch] /= float64(n)
		// A patch whose channel clips in places cannot show how much
		// light it took: it is marked as saturated as a whole.
		if clipped[ch]*50 > n {
			out[ch] = 255
		}
	}
	return out
}

// better says whether a frontal face makes a better reference image than
// the one kept (by any request of the session): open eyes first (eyes
// behind glasses may never read open) unless half as sharp, then
// sharpness.
func (r *Run) better(f *face.Face) bool {
	if r.l.ReferenceKey == "" {
		return true
	}
	if open := f.EyesOpen >= r.s.o.Config.EyesOpen; open != r.st.ImageOpen {
		return open && f.Sharpness >= r.st.ImageSharp/2
	}
	return f.Sharpness > r.st.ImageSharp+2
}

// keepImages stores the sharpest frontal frame as the reference image and,
// up to four, the frames that started the session and met each challenge.
func (r *Run) keepImages(ctx context.Context, f Frame, faces []*face.Face, fb Feedback) error {
	l := r.l
	if fb.Frontal && len(faces) == 1 && r.better(faces[0]) {
		r.st.ImageOpen, r.st.ImageSharp = faces[0].EyesOpen >= r.s.o.Config.EyesOpen, faces[0].Sharpness
		l.ReferenceKey = imageKey(l, "reference")
		if err := r.s.put(ctx, l, l.ReferenceKey, "liveness_reference", f.JPEG); err != nil {
			return err
		}
	}
	if len(faces) == 1 && (len(l.AuditKeys) == 0 || fb.Met) && len(l.AuditKeys) < 4 {
		k := imageKey(l, "audit-"+strconv.Itoa(len(l.AuditKeys)))
		if err := r.s.put(ctx, l, k, "liveness_audit", f.JPEG); err != nil {
			return err
		}
		l.AuditKeys = append(l.AuditKeys, k)
	}
	return nil
}

// put records an image in the blob ledger, then stores it: every object of
// a case is in the ledger before it exists, so erasure and retention find
// it whatever happens to the session afterwards.
func (s *Service) put(ctx context.Context, l *store.LivenessSession, key, kind string, data []byte) error {
	err := s.db.RecordBlob(ctx, &store.Blob{Key: key, VerificationID: l.VerificationID, Kind: kind, Size: int64(len(data))})
	if err != nil {
		return err
	}
	return s.blobs.Put(ctx, key, data)
}

func (r *Run) progress(fb Feedback, img *raster.Image, f *face.Face) Progress {
	p := Progress{State: "in_progress", ChallengeIndex: r.st.Index, Challenge: string(r.st.Current()),
		Guidance: fb.Guidance, Instruction: GuidanceText(fb.Guidance), Progress: r.st.Progress()}
	if t := r.st.Task(); t.Type != "" {
		p.Task = &t
	}
	if f != nil && img != nil {
		w, h := float64(img.W), float64(img.H)
		p.Face = &FaceInfo{Left: f.Box.X / w, Top: f.Box.Y / h, Width: f.Box.W / w, Height: f.Box.H / h, EyesOpen: f.EyesOpen >= 0.5}
		if f.Pose != nil {
			p.Face.Yaw, p.Face.Pitch = f.Pose.Yaw, f.Pose.Pitch
		}
	}
	if r.st.Done {
		p.State = "done"
		p.Result = &Result{Status: statusOf(r.st), Confidence: r.s.o.Config.Confidence(r.st), Reasons: r.st.Reasons}
		if p.Result.Reasons == nil {
			p.Result.Reasons = []string{}
		}
	}
	r.last = p
	return p
}

func statusOf(st *State) string {
	switch {
	case !st.Done:
		return StatusInProgress
	case st.Passed:
		return StatusSucceeded
	case len(st.Reasons) > 0 && st.Reasons[0] == ReasonExpired:
		return StatusExpired
	}
	return StatusFailed
}

// Save writes the session's progress; when it is decided, it records the
// outcome and tells the finisher (the journey, which moves the
// verification on), all in one transaction.
func (r *Run) Save(ctx context.Context) error {
	if !r.dirty {
		return nil
	}
	l := r.l
	var err error
	if l.State, err = r.s.seal(l.ID, r.st); err != nil {
		return err
	}
	finishing := r.st.Done && l.FinishedAt.IsZero()
	if finishing {
		l.Status = statusOf(r.st)
		l.Confidence = r.s.o.Config.Confidence(r.st)
		l.Reasons = r.st.Reasons
		l.FinishedAt = r.s.o.Now()
	}
	err = r.s.db.InTx(ctx, "save liveness", func(tx *store.Tx) error {
		if err := tx.SaveLiveness(ctx, l); err != nil {
			return err
		}
		if !r.st.Done || l.FinishedAt.IsZero() {
			return nil
		}
		if err := r.s.ended(ctx, tx, l.VerificationID, l.Status == StatusSucceeded); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "liveness." + l.Status, ActorID: r.p.ID(), SubjectID: l.VerificationID,
			Detail: map[string]string{"session": l.ID, "confidence": strconv.FormatFloat(l.Confidence, 'f', 1, 64),
				"reasons": fmt.Sprint(l.Reasons)}})
	})
	if err != nil {
		return err
	}
	if finishing {
		r.s.o.Metrics.Liveness(l.Status, l.Reasons)
		// The measures the thresholds acted on (no personal data): what an
		// operator tunes and a reviewer asks about.
		st := r.st
		r.s.o.Logger.Info("liveness decided", "session", l.ID, "status", l.Status, "reasons", fmt.Sprint(l.Reasons),
			"index", st.Index, "tasks", len(st.Tasks), "frames", st.Frames, "face_frames", st.FaceFrames,
			"client_ms", st.LastAt.Sub(st.FirstAt).Milliseconds(),
			"nose_depth", round2(st.NoseDepth), "pitch_depth", round2(st.PitchDepth), "bend", round2(st.Bend), "asked_again", st.Retried,
			"reference_eyes_open", st.RefOpen, "max_jump", round2(st.MaxJump), "break", st.Break,
			"light_corr", round2(st.LightCorr), "light_ratio", round2(st.LightRatio), "min_cos", round2(st.MinCos))
	}
	r.dirty = false
	return nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// GuidanceText is the sentence shown for a guidance code.
func GuidanceText(code string) string {
	switch code {
	case GuideNoFace:
		return "We can't see your face: look at the camera"
	case GuideMultipleFaces:
		return "Only one person, please"
	case GuideMoveCloser:
		return "Move a little closer"
	case GuideCenterFace:
		return "Center your face in the oval"
	case GuideLookStraight:
		return "Look straight at the camera"
	case GuideHoldStill:
		return "Hold still"
	case GuideSlowDown:
		return "A little slower"
	case GuideDone:
		return "Done"
	}
	return Challenge(code).Instruction()
}

// Reference returns a succeeded session's reference face embedding, for the
// face match, and its reference image key.
func (s *Service) Reference(ctx context.Context, verificationID string) ([]float32, string, error) {
	l, err := s.db.LatestLiveness(ctx, verificationID, StatusSucceeded)
	if err != nil {
		return nil, "", err
	}
	st, err := s.open(l)
	if err != nil {
		return nil, "", err
	}
	return st.Reference, l.ReferenceKey, nil
}
