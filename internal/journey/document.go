package journey

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/queue"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/store"
)

// UploadDocument stores the document's images (encrypted) and queues their
// analysis. It is allowed after the liveness check, and again to replace a
// document until the case is submitted. Images are checked before anything
// is stored, so a bad upload changes nothing.
func (s *Service) UploadDocument(ctx context.Context, p *kyc.Principal, id string, front, back []byte) (*kyc.Verification, error) {
	v, err := s.load(ctx, p, id, true)
	if err != nil {
		return nil, err
	}
	if v.Status != kyc.StatusLivenessPassed && v.Status != kyc.StatusDocumentSubmitted {
		return nil, kyc.Errorf(kyc.Conflict, "the verification is %s: documents are taken after the liveness check and before submitting", v.Status)
	}
	if len(front) == 0 {
		return nil, kyc.Errorf(kyc.Invalid, "the image \"front\" is missing")
	}
	for name, data := range map[string][]byte{"front": front, "back": back} {
		if len(data) == 0 {
			continue
		}
		if _, err := raster.Decode(data, s.o.Limits); err != nil {
			var e *kyc.Error
			if errors.As(err, &e) {
				return nil, &kyc.Error{Code: e.Code, Message: name + ": " + e.Message}
			}
			return nil, err
		}
	}
	d, err := s.Details(v)
	if err != nil {
		return nil, err
	}
	old := []string{d.Front, d.Back, d.Portrait}
	n := kyc.NewID(nil, "doc")
	d.Front, d.Back = kyc.CasePrefix(v.ID)+n+"-front", ""
	if err := s.blobs.Put(ctx, d.Front, front); err != nil {
		return nil, err
	}
	if len(back) > 0 {
		d.Back = kyc.CasePrefix(v.ID) + n + "-back"
		if err := s.blobs.Put(ctx, d.Back, back); err != nil {
			return nil, err
		}
	}
	d.Document, d.DocumentError, d.Portrait, d.PortraitFace = nil, "", "", nil
	if err := s.setDetails(v, d); err != nil {
		return nil, err
	}
	v.Status, v.DocumentStatus = kyc.StatusDocumentSubmitted, kyc.DocumentPending
	err = s.db.InTx(ctx, "upload document", func(tx *store.Tx) error {
		for _, b := range []store.Blob{{Key: d.Front, Kind: "document_front", Size: int64(len(front))},
			{Key: d.Back, Kind: "document_back", Size: int64(len(back))}} {
			if b.Key != "" {
				b.VerificationID = v.ID
				if err := tx.AddBlob(ctx, &b); err != nil {
					return err
				}
			}
		}
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		if _, err := s.queue.Enqueue(ctx, tx, AnalyzeArgs{VerificationID: v.ID}, nil); err != nil {
			return err
		}
		if err := s.deleteLater(ctx, tx, old...); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "document.uploaded", ActorID: p.ID(), SubjectID: v.ID,
			Detail: map[string]string{"back": fmt.Sprint(len(back) > 0)}})
	})
	if err != nil {
		// The images were stored before the transaction; remove them.
		s.blobs.Delete(context.WithoutCancel(ctx), d.Front)
		if d.Back != "" {
			s.blobs.Delete(context.WithoutCancel(ctx), d.Back)
		}
		return nil, err
	}
	return v, nil
}

// AnalyzeArgs queues the reading of a case's document.
type AnalyzeArgs struct {
	VerificationID string `json:"verification_id"`
}

// Kind implements river.JobArgs.
func (AnalyzeArgs) Kind() string { return "document_analyze" }

// InsertOpts: reading a document is CPU-bound work of the analysis queue.
func (AnalyzeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: queue.Analysis} }

// AnalyzeWorker reads a document in the background.
type AnalyzeWorker struct {
	river.WorkerDefaults[AnalyzeArgs]
	S *Service
}

// Work implements river.Worker. A newer upload makes the job a no-op; an
// unreadable image is an outcome (document failed), not a retry.
func (w *AnalyzeWorker) Work(ctx context.Context, job *river.Job[AnalyzeArgs]) error {
	s := w.S
	v, err := s.forJob(ctx, job.Args.VerificationID)
	if err != nil {
		return err
	}
	if v.DocumentStatus != kyc.DocumentPending {
		return nil // already read, or erased
	}
	d, err := s.Details(v)
	if err != nil {
		return river.JobCancel(err)
	}
	sides := []document.Side{}
	for name, key := range map[string]string{"front": d.Front, "back": d.Back} {
		if key == "" {
			continue
		}
		data, err := s.blobs.Get(ctx, key)
		if err != nil {
			return err
		}
		sides = append(sides, document.Side{Name: name, Data: data})
	}
	if len(sides) == 2 && sides[0].Name == "back" {
		sides[0], sides[1] = sides[1], sides[0]
	}
	readCtx, end := s.o.Metrics.Begin(ctx, "document_read")
	an, err := s.analyzer.Analyze(readCtx, sides...)
	end()
	status := kyc.DocumentDone
	var portrait []byte
	switch {
	case err != nil && kyc.ErrorCode(err) != kyc.Internal && kyc.ErrorCode(err) != "":
		status, d.DocumentError = kyc.DocumentFailed, err.Error()
	case err != nil:
		return err
	default:
		d.Document = an
		if an.PortraitFace != nil {
			embedCtx, end := s.o.Metrics.Begin(ctx, "portrait_embed")
			emb, err := s.faces.Embed(embedCtx, an.PortraitImage, an.PortraitFace)
			end()
			if err != nil {
				return err
			}
			d.PortraitFace = emb
			if portrait, err = cropJPEG(an.PortraitImage, an.PortraitFace.Box); err != nil {
				return err
			}
		}
	}
	if portrait != nil {
		d.Portrait = kyc.CasePrefix(v.ID) + kyc.NewID(nil, "doc") + "-portrait"
		if err := s.blobs.Put(ctx, d.Portrait, portrait); err != nil {
			return err
		}
	}
	if err := s.setDetails(v, d); err != nil {
		return err
	}
	v.DocumentStatus = status
	err = s.db.InTx(ctx, "record document", func(tx *store.Tx) error {
		if d.Portrait != "" {
			if err := tx.AddBlob(ctx, &store.Blob{Key: d.Portrait, VerificationID: v.ID, Kind: "document_portrait", Size: int64(len(portrait))}); err != nil {
				return err
			}
		}
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err // a concurrent change: River retries with the new state
		}
		detail := map[string]string{"status": status}
		if an != nil {
			detail["type"] = string(an.DocumentType)
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "document.analyzed", ActorID: "system", SubjectID: v.ID, Detail: detail})
	})
	if err != nil && d.Portrait != "" {
		// The record of the portrait went with the transaction: so does the image.
		s.blobs.Delete(context.WithoutCancel(ctx), d.Portrait)
	}
	return err
}

// cropJPEG cuts the portrait (the face box with room around it) for the
// reviewer.
func cropJPEG(img *raster.Image, b face.Box) ([]byte, error) {
	c := img.Crop(image.Rect(int(b.X-0.3*b.W), int(b.Y-0.4*b.H), int(b.X+1.3*b.W), int(b.Y+1.4*b.H)))
	if c == nil {
		return nil, nil
	}
	return c.EncodeJPEG(90)
}
