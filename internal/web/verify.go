package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

// maxUpload bounds a document upload (both sides).
const maxUpload = 32 << 20

// verifyView is the applicant's case as the page shows it.
type verifyView struct {
	Case       *kyc.Verification
	Step       int // 1 liveness, 2 document, 3 review, 4 result
	Details    *journey.Details
	Fields     []fieldRow
	Similarity *float64
	Advice     []string
}

type fieldRow struct {
	Name string
	document.Field
}

func sortedFields(an *document.Analysis) []fieldRow {
	if an == nil {
		return nil
	}
	var rows []fieldRow
	for n, f := range an.Fields {
		if n != "MRZ_CODE" {
			rows = append(rows, fieldRow{n, f})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows
}

// latestCase is the applicant's newest verification, nil when none.
func (h *Handler) latestCase(ctx context.Context, userID string) *kyc.Verification {
	vs, err := h.opts.DB.ListVerifications(ctx, store.VerificationFilter{UserID: userID, Limit: 1})
	if err != nil || len(vs) == 0 {
		return nil
	}
	return vs[0]
}

// verify is the applicant's guided flow: one page that shows the step the
// case is at (refreshing itself while the server works).
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	p, u, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	pg := page{Title: t("verify.title"), User: u, Data: map[string]any{}}
	v := h.latestCase(r.Context(), p.UserID)
	if q := r.URL.Query().Get("error"); q != "" {
		pg.Error = q
	}
	if v == nil || v.Status == kyc.StatusErased || v.Status == kyc.StatusExpired {
		h.render(w, r, "verify.html", 200, pg)
		return
	}
	view := verifyView{Case: v, Similarity: v.Similarity}
	d, err := h.opts.Journey.Details(v)
	if err != nil {
		h.fail(w, r, "verify.html", err, pg)
		return
	}
	view.Details = d
	if d.Document != nil {
		view.Fields = sortedFields(d.Document)
	}
	switch v.Status {
	case kyc.StatusCreated:
		view.Step = 1
	case kyc.StatusLivenessPassed:
		view.Step = 2
	case kyc.StatusDocumentSubmitted:
		view.Step = 3
		if v.DocumentStatus == kyc.DocumentPending {
			pg.Data["Refresh"] = true
		}
	default:
		view.Step = 4
		if v.Status == kyc.StatusProcessing {
			pg.Data["Refresh"] = true
		}
		for _, reason := range v.Reasons {
			view.Advice = append(view.Advice, t("advice."+reason))
		}
	}
	pg.Data["View"] = view
	h.render(w, r, "verify.html", 200, pg)
}

func (h *Handler) verifyStart(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, false, func(p *kyc.Principal, _ *kyc.Verification) error {
		_, err := h.opts.Journey.Create(r.Context(), p, "")
		return err
	})
}

func (h *Handler) verifyDocument(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, true, func(p *kyc.Principal, v *kyc.Verification) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return kyc.Errorf(kyc.TooLarge, "The upload is too large or incomplete; photos up to 15 MB each.")
		}
		read := func(name string) []byte {
			f, _, err := r.FormFile(name)
			if err != nil {
				return nil
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			return b
		}
		_, err := h.opts.Journey.UploadDocument(r.Context(), p, v.ID, read("front"), read("back"))
		return err
	})
}

func (h *Handler) verifySubmit(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, true, func(p *kyc.Principal, v *kyc.Verification) error {
		_, err := h.opts.Journey.Submit(r.Context(), p, v.ID)
		return err
	})
}

// step runs one step of the applicant's flow on their newest case (when
// needsCase) and goes back to /verify, with the error when it failed.
func (h *Handler) step(w http.ResponseWriter, r *http.Request, needsCase bool, fn func(p *kyc.Principal, v *kyc.Verification) error) {
	p, _, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	v := h.latestCase(r.Context(), p.UserID)
	if needsCase && v == nil {
		redirect(w, r, "/verify", nil)
		return
	}
	if err := fn(p, v); err != nil {
		redirect(w, r, "/verify", url.Values{"error": {kyc.ErrorMessage(err)}})
		return
	}
	redirect(w, r, "/verify", nil)
}

// reviewer returns the signed-in reviewer or admin, or answers 403.
func (h *Handler) reviewer(w http.ResponseWriter, r *http.Request) (*kyc.Principal, *kyc.User, bool) {
	p, u, ok := h.signedIn(w, r)
	if !ok {
		return nil, nil, false
	}
	if !p.Has(kyc.RoleReviewer, kyc.RoleAdmin) {
		h.fail(w, r, "queue.html", kyc.Errorf(kyc.Forbidden, "the review console is for reviewers"), page{Title: t("queue.title"), User: u})
		return nil, nil, false
	}
	return p, u, true
}

var queueStatuses = []string{"needs_review", "processing", "approved", "rejected", "all"}

// queue is the reviewers' list of cases, filtered by status and searched by
// id or reference.
func (h *Handler) queue(w http.ResponseWriter, r *http.Request) {
	p, u, ok := h.reviewer(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	if !slices.Contains(queueStatuses, status) {
		status = "needs_review"
	}
	q := r.URL.Query().Get("q")
	pg := page{Title: t("queue.title"), User: u, Data: map[string]any{"Status": status, "Q": q, "Statuses": queueStatuses}}
	filter := kyc.Status(status)
	if status == "all" {
		filter = ""
	}
	vs, err := h.opts.Journey.Review(r.Context(), p, filter, q, 200)
	if err != nil {
		h.fail(w, r, "queue.html", err, pg)
		return
	}
	pg.Data["Cases"] = vs
	h.render(w, r, "queue.html", 200, pg)
}

// reviewCase is a case's page for reviewers: the selfie next to the
// document's portrait with their similarity, the document images, every
// field with its source and confidence, the MRZ checks, warnings and
// reasons, and the decision form. Opening it is audited.
func (h *Handler) reviewCase(w http.ResponseWriter, r *http.Request) {
	p, u, ok := h.reviewer(w, r)
	if !ok {
		return
	}
	pg := page{Title: t("case.title"), User: u, Data: map[string]any{}}
	v, err := h.opts.Journey.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, "case.html", err, pg)
		return
	}
	h.opts.Journey.AuditView(r.Context(), p, v, "case page")
	d, err := h.opts.Journey.Details(v)
	if err != nil {
		h.fail(w, r, "case.html", err, pg)
		return
	}
	pg.Data["Case"] = v
	pg.Data["Details"] = d
	pg.Data["Fields"] = sortedFields(d.Document)
	pg.Data["Threshold"] = h.opts.Journey.Rules().MatchThreshold
	if l, err := h.opts.DB.LatestLiveness(r.Context(), v.ID, ""); err == nil {
		pg.Data["Liveness"] = l
	}
	h.render(w, r, "case.html", 200, pg)
}

func (h *Handler) decideCase(w http.ResponseWriter, r *http.Request) {
	p, _, ok := h.reviewer(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		redirect(w, r, "/review/"+id, nil)
		return
	}
	approve := r.PostForm.Get("outcome") == "approved"
	if _, err := h.opts.Journey.Decide(r.Context(), p, id, approve, r.PostForm.Get("note")); err != nil {
		redirect(w, r, "/review/"+id, url.Values{"error": {kyc.ErrorMessage(err)}})
		return
	}
	redirect(w, r, "/review/"+id, url.Values{"decided": {"1"}})
}
