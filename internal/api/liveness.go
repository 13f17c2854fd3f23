package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/liveness"
)

// SessionInput names a liveness session.
type SessionInput struct {
	ID string `path:"session_id" maxLength:"64"`
}

// The liveness routes (and the stream, a WebSocket outside the REST API).
func (s *Server) registerLiveness() {
	post, get := http.MethodPost, http.MethodGet
	s.register(
		handle(driver, huma.Operation{Method: post, Path: "/v1/verifications/{id}/liveness", OperationID: "start-liveness", Tags: tagVerify,
			Summary: "Start a liveness check", DefaultStatus: http.StatusCreated, Errors: []int{404, 409, 429},
			Description: "A single-use session, valid 3 minutes: 3 random head movements, then the light challenge (fill the screen " +
				"with the given colours and send light_start_ms). Only the current challenge is announced; the next comes in the " +
				"frames' answers (task) when it is met. Send camera frames to stream_url " +
				"(WebSocket) or frames_url (HTTP). One session is open at a time: starting one abandons the open one. A verification " +
				"may start 5 sessions, whatever became of them (429 rate_limited, reason too_many_attempts); when the last one fails " +
				"the verification is rejected (liveness_failed)."}, s.startLiveness),
		handle(driver, huma.Operation{Method: get, Path: "/v1/liveness/{session_id}", OperationID: "get-liveness", Tags: tagVerify,
			Summary: "A liveness session's state and result", Errors: []int{404}}, s.getLiveness),
		handle(driver, huma.Operation{Method: get, Path: "/v1/liveness/{session_id}/images/{name}", OperationID: "liveness-image", Tags: tagVerify,
			Summary: "A liveness session's reference or audit image (JPEG)", Errors: []int{404}}, s.livenessImage),
		handle(driver, huma.Operation{Method: post, Path: "/v1/liveness/{session_id}/frames", OperationID: "liveness-frames", Tags: tagVerify,
			Summary: "Send camera frames over HTTP", Errors: []int{400, 404, 409, 410, 413, 415, 503},
			MaxBodyBytes: s.opts.MaxBodyBytes, SkipValidateBody: true,
			Description: "The WebSocket's semantics over plain HTTP: multipart parts `frame` (JPEG, repeated, in order), each after a " +
				"`timestamp_ms` field (the capture time, Unix milliseconds). Answers the progress after the last frame. A session " +
				"takes one connection at a time: 409 with reason session_busy while another holds it.",
			RequestBody: imageBody("frames", map[string]string{"frame": "a JPEG frame; repeat the part"},
				map[string]string{"timestamp_ms": "capture time of the next frame, Unix ms",
					"light_start_ms": "during the light challenge: when the page began showing its colours, Unix ms"}),
		}, s.livenessFrames),
	)
	s.mux.HandleFunc("GET /v1/liveness/{session_id}/stream", s.livenessStream)
}

// SessionOutput is a liveness session.
type SessionOutput struct{ Body SessionBody }

func (s *Server) startLiveness(ctx context.Context, in *IDInput) (*SessionOutput, error) {
	l, st, err := s.opts.Liveness.Start(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &SessionOutput{s.sessionBody(l, st)}, nil
}

func (s *Server) getLiveness(ctx context.Context, in *SessionInput) (*SessionOutput, error) {
	l, st, err := s.opts.Liveness.Get(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &SessionOutput{s.sessionBody(l, st)}, nil
}

// LivenessImageInput names a session's image.
type LivenessImageInput struct {
	ID   string `path:"session_id" maxLength:"64"`
	Name string `path:"name" pattern:"^(reference|audit-[0-3])$"`
}

// JPEGOutput is a JPEG image.
type JPEGOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

func (s *Server) livenessImage(ctx context.Context, in *LivenessImageInput) (*JPEGOutput, error) {
	data, err := s.opts.Liveness.Image(ctx, caller(ctx), in.ID, in.Name)
	if err != nil {
		return nil, err
	}
	return &JPEGOutput{"image/jpeg", data}, nil
}

// FramesInput is camera frames over HTTP.
type FramesInput struct {
	ID          string `path:"session_id" maxLength:"64"`
	ContentType string `header:"Content-Type"`
	RawBody     []byte
}

// ProgressOutput is a session's progress after frames.
type ProgressOutput struct{ Body liveness.Progress }

func (s *Server) livenessFrames(ctx context.Context, in *FramesInput) (*ProgressOutput, error) {
	r, err := s.opts.Liveness.Begin(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	frames, err := parseFrames(in.ContentType, in.RawBody)
	if err != nil {
		return nil, errors.Join(err, r.Close(ctx))
	}
	var last liveness.Progress
	for _, f := range frames {
		if last, err = r.Frame(ctx, f); err != nil {
			return nil, errors.Join(err, r.Close(ctx))
		}
		if r.Done() {
			break
		}
	}
	if err := r.Close(ctx); err != nil {
		return nil, err
	}
	return &ProgressOutput{last}, nil
}

// parseFrames reads the frames of a multipart body, each with the
// timestamp_ms field sent before it.
func parseFrames(contentType string, body []byte) ([]liveness.Frame, error) {
	parts, err := multipartParts(contentType, body)
	if err != nil {
		return nil, err
	}
	var frames []liveness.Frame
	var at, lightStart time.Time
	for _, p := range parts {
		switch p.name {
		case "timestamp_ms", "light_start_ms":
			ms, err := strconv.ParseInt(string(p.data), 10, 64)
			if err != nil {
				return nil, kyc.Errorf(kyc.Invalid, "%s must be Unix milliseconds", p.name)
			}
			if p.name == "light_start_ms" {
				lightStart = time.UnixMilli(ms).UTC()
				continue
			}
			at = time.UnixMilli(ms).UTC()
		case "frame":
			if at.IsZero() {
				return nil, kyc.Errorf(kyc.Invalid, "each frame needs a timestamp_ms field before it")
			}
			if err := checkDeclared(p.contentType, p.data, "frame"); err != nil {
				return nil, err
			}
			frames = append(frames, liveness.Frame{JPEG: p.data, ClientAt: at, LightStart: lightStart})
			at = time.Time{}
		}
	}
	if len(frames) == 0 {
		return nil, kyc.Errorf(kyc.Invalid, "no frame parts")
	}
	if len(frames) > 100 {
		return nil, kyc.Errorf(kyc.TooLarge, "at most 100 frames per request")
	}
	return frames, nil
}

// wsMessage is what the client may send as text before a frame.
type wsMessage struct {
	TimestampMS  int64 `json:"timestamp_ms"`
	LightStartMS int64 `json:"light_start_ms"`
}

// livenessStream runs a session over a WebSocket: the client sends a text
// message {"timestamp_ms": N} and then the frame as a binary message (the
// timestamp may be left out: then the server's receipt time is used); the
// server answers each frame with the progress JSON and ends with state
// "done" and the result. Origins other than this server's are refused. The
// stream holds the session's lease (a second connection is refused), and is
// closed when the client is silent for Options.StreamIdle (a camera sends
// several frames a second) or the session expires.
func (s *Server) livenessStream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := RequireDriver(ctx)
	if err != nil {
		writeError(w, r, err)
		return
	}
	run, err := s.opts.Liveness.Begin(ctx, p, r.PathValue("session_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer run.Close(ctx)
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept wrote the error
	}
	defer conn.CloseNow()
	conn.SetReadLimit(liveness.MaxFrameBytes + 1024)
	// The whole stream ends with the session, whatever the client does.
	ctx, cancel := context.WithDeadline(ctx, run.Expires().Add(5*time.Second))
	defer cancel()
	send := func(v any) error {
		data, _ := json.Marshal(v)
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return conn.Write(wctx, websocket.MessageText, data)
	}
	var at, lightStart time.Time
	saved := time.Now()
	for !run.Done() {
		rctx, cancelRead := context.WithTimeout(ctx, s.opts.StreamIdle)
		typ, data, err := conn.Read(rctx)
		cancelRead()
		if err != nil {
			return // closed by the client, silent too long (the read's context closed it), or the session ended
		}
		if typ == websocket.MessageText {
			var m wsMessage
			if json.Unmarshal(data, &m) == nil && m.TimestampMS > 0 {
				at = time.UnixMilli(m.TimestampMS).UTC()
				if m.LightStartMS > 0 {
					lightStart = time.UnixMilli(m.LightStartMS).UTC()
				}
			}
			continue
		}
		if at.IsZero() {
			at = time.Now().UTC()
		}
		release, err := s.gate.enter(ctx)
		if err != nil { // the node is saturated: this frame is dropped, the stream goes on
			send(map[string]any{"error": map[string]string{"code": string(kyc.ErrorCode(err)), "message": kyc.ErrorMessage(err)}})
			at = time.Time{}
			continue
		}
		prog, err := run.Frame(ctx, liveness.Frame{JPEG: data, ClientAt: at, LightStart: lightStart})
		release()
		at = time.Time{}
		if err != nil {
			var ke *kyc.Error
			if errors.As(err, &ke) {
				send(map[string]any{"error": map[string]string{"code": string(ke.Code), "message": ke.Message}})
				continue
			}
			send(map[string]any{"error": map[string]string{"code": "internal", "message": "internal error"}})
			loggerFrom(ctx).Error("liveness frame", "request_id", RequestID(ctx), "err", err)
			return
		}
		if err := send(prog); err != nil {
			return
		}
		// Keep the progress durable every few seconds, not on every frame.
		if time.Since(saved) > 3*time.Second {
			if err := run.Save(ctx); err != nil {
				send(map[string]any{"error": map[string]string{"code": string(kyc.ErrorCode(err)), "message": kyc.ErrorMessage(err)}})
				return
			}
			saved = time.Now()
		}
	}
	if err := run.Save(ctx); err == nil {
		conn.Close(websocket.StatusNormalClosure, "done")
	}
}
