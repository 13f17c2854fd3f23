package web

import (
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/api"
	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/hosted"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
	qrcode "github.com/skip2/go-qrcode"
)

// maxUpload bounds a document upload (both sides).
const maxUpload = 32 << 20

// verifyView is the applicant's case as the page shows it.
type verifyView struct {
	*journey.View
	Step   int // 1 liveness, 2 document, 3 review, 4 result
	Fields []fieldRow
	// Reason is the one reason a rejected applicant is told (what they
	// can act on), "" when none is theirs to know: the doubts and fraud
	// signals (a duplicate face, a spoof, the similarity) are for reviewers.
	Reason string
}

// applicantReasons are the reasons an applicant is told, in kyc.Reasons'
// order (the first of a decision's is the clearest).
var applicantReasons = []string{kyc.ReasonUnreadable, kyc.ReasonUnsupported, kyc.ReasonExpired, kyc.ReasonNoFace,
	kyc.ReasonLivenessFailed, kyc.ReasonFaceMismatch, kyc.ReasonUnderage, kyc.ReasonTooMany}

// applicantReason is the first of reasons an applicant is told.
func applicantReason(reasons []string) string {
	for _, r := range reasons {
		if slices.Contains(applicantReasons, r) {
			return r
		}
	}
	return ""
}

type fieldRow struct {
	Name  string
	Label string // the field's name in words (its key when the table has none)
	document.Field
}

// fieldOrder is the order a person reads a document's fields in; others
// follow by name.
var fieldOrder = []string{"FIRST_NAME", "MIDDLE_NAME", "LAST_NAME", "SUFFIX", "DATE_OF_BIRTH", "SEX", "PLACE_OF_BIRTH",
	"NATIONALITY", "ID_TYPE", "DOCUMENT_NUMBER", "PERSONAL_NUMBER", "ISSUING_COUNTRY", "STATE_NAME", "DATE_OF_ISSUE",
	"EXPIRATION_DATE", "ADDRESS", "CITY_IN_ADDRESS", "STATE_IN_ADDRESS", "ZIP_CODE_IN_ADDRESS", "CLASS",
	"ENDORSEMENTS", "RESTRICTIONS"}

func sortedFields(d *journey.DocumentView, lang string) []fieldRow {
	if d == nil || d.Analysis == nil {
		return nil
	}
	var rows []fieldRow
	for n, f := range d.Analysis.Fields {
		if n != "MRZ_CODE" {
			rows = append(rows, fieldRow{Name: n, Label: tr(lang, "field."+n), Field: f})
		}
	}
	rank := func(n string) int {
		if i := slices.Index(fieldOrder, n); i >= 0 {
			return i
		}
		return len(fieldOrder)
	}
	sort.Slice(rows, func(i, j int) bool {
		if a, b := rank(rows[i].Name), rank(rows[j].Name); a != b {
			return a < b
		}
		return rows[i].Name < rows[j].Name
	})
	return rows
}

// verify is the applicant's guided flow: one page that shows the step the
// case is at (refreshing itself while the server works).
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	p, u, ok := h.applicant(w, r)
	if !ok {
		return
	}
	pg := page{Title: tr(langOf(r), "verify.title"), User: u, Data: map[string]any{}}
	if q := r.URL.Query().Get("error"); q != "" {
		pg.Error = q
	}
	v, err := h.opts.Journey.Latest(r.Context(), p)
	if err != nil {
		h.fail(w, r, "verify.html", err, pg)
		return
	}
	if v == nil || v.Status == kyc.StatusErased || v.Status == kyc.StatusExpired {
		h.render(w, r, "verify.html", 200, pg)
		return
	}
	jv, err := h.opts.Journey.ViewOf(r.Context(), v)
	if err != nil {
		h.fail(w, r, "verify.html", err, pg)
		return
	}
	view := verifyView{View: jv, Fields: sortedFields(jv.Document, langOf(r))}
	switch v.Status {
	case kyc.StatusCreated:
		view.Step = 1
	case kyc.StatusLivenessPassed:
		view.Step = 2
	case kyc.StatusDocumentSubmitted:
		view.Step = 3
		if v.DocumentStatus == kyc.DocumentPending {
			pg.Data["Poll"] = true
		}
	default:
		view.Step = 4
		if v.Status == kyc.StatusProcessing {
			pg.Data["Poll"] = true
		}
		if v.Status == kyc.StatusRejected {
			view.Reason = applicantReason(v.Reasons)
		}
		if p.LinkID != "" && v.Status != kyc.StatusProcessing {
			back, err := h.opts.Hosted.ReturnURL(r.Context(), p)
			if err != nil {
				h.fail(w, r, "verify.html", err, pg)
				return
			}
			pg.Data["Return"] = back
			pg.Data["Session"] = p.LinkID
			pg.Data["Frame"] = p.Frame
		}
	}
	var ho *hosted.Handoff
	if p.LinkID != "" && !p.Handoff && view.Step < 4 {
		if ho, err = h.handoffView(r, p, pg); err != nil {
			h.fail(w, r, "verify.html", err, pg)
			return
		}
	}
	pg.Data["View"] = view
	if pg.Data["Poll"] != nil {
		// What /verify/state says now: the page reloads when it changes.
		pg.Data["State"] = stateKey(string(v.Status), v.DocumentStatus, ho.State())
	}
	h.render(w, r, "verify.html", 200, pg)
}

// stateKey is the page's state as progress.js compares it.
func stateKey(status, document, handoff string) string {
	return status + "|" + document + "|" + handoff
}

// handoffView adds the cross-device hand-off to the first browser's page:
// the QR code and short link while a phone may claim it, the phone's
// progress once one did (the page follows it), or the button that starts
// it. It returns the hand-off (nil when none was started).
func (h *Handler) handoffView(r *http.Request, p *kyc.Principal, pg page) (*hosted.Handoff, error) {
	ho, err := h.opts.Hosted.Handoff(r.Context(), p, false)
	if err != nil {
		return nil, err
	}
	if ho == nil {
		pg.Data["CanHandoff"] = true
		return nil, nil
	}
	view := map[string]any{"Claimed": ho.Claimed, "Code": ho.Code, "URL": ho.URL}
	if !ho.Claimed {
		png, err := qrcode.Encode(ho.URL, qrcode.Medium, 240)
		if err != nil {
			return nil, err
		}
		view["QR"] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	pg.Data["Handoff"] = view
	pg.Data["Poll"] = true
	return ho, nil
}

// state is what the applicant's page follows while it waits (the server
// reading or deciding, a phone doing the steps): the case's status, its
// document's, and the hand-off's ("", waiting or claimed). The page
// reloads when it changes.
func (h *Handler) state(w http.ResponseWriter, r *http.Request) {
	p := api.PrincipalFrom(r.Context())
	if p == nil || p.UserID == "" && p.CaseID == "" {
		http.Error(w, `{"error":{"code":"unauthorized","message":"sign in first"}}`, http.StatusUnauthorized)
		return
	}
	out := map[string]string{}
	v, err := h.opts.Journey.Latest(r.Context(), p)
	if err == nil && v != nil {
		out["status"], out["document"] = string(v.Status), v.DocumentStatus
	}
	if err == nil && p.LinkID != "" && !p.Handoff {
		var ho *hosted.Handoff
		if ho, err = h.opts.Hosted.Handoff(r.Context(), p, false); err == nil {
			out["handoff"] = ho.State()
		}
	}
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	out["key"] = stateKey(out["status"], out["document"], out["handoff"])
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// verifyHandoff makes the hand-off code of the browser's session.
func (h *Handler) verifyHandoff(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, true, func(p *kyc.Principal, _ *kyc.Verification) error {
		_, err := h.opts.Hosted.Handoff(r.Context(), p, true)
		return err
	})
}

// openHandoff gives this browser (a phone) the session whose hand-off
// code it has; the first browser's page follows its progress.
func (h *Handler) openHandoff(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	o, err := h.opts.Hosted.OpenHandoff(r.Context(), r.PathValue("code"))
	if err != nil {
		h.fail(w, r, "verify.html", err, page{Title: tr(langOf(r), "verify.title"), Data: map[string]any{"LinkError": true}})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: h.opts.Cookie.Link, Value: o.Cookie, Path: "/", HttpOnly: true, Expires: o.ExpiresAt,
		Secure: h.opts.Cookie.Secure, SameSite: http.SameSiteLaxMode})
	h.setSession(w, "", time.Time{})
	redirect(w, r, "/verify", nil)
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

// verifySubmit submits the case, unless its document would surely be
// rejected: the applicant is asked to retake it instead of spending an
// attempt (the API leaves that choice to integrators).
func (h *Handler) verifySubmit(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, true, func(p *kyc.Principal, v *kyc.Verification) error {
		view, err := h.opts.Journey.ViewOf(r.Context(), v)
		if err != nil {
			return err
		}
		if view.SubmitBlock != "" {
			lang := langOf(r)
			return kyc.Errorf(kyc.Conflict, "%s %s", tr(lang, "advice."+view.SubmitBlock), tr(lang, "document.retake_first"))
		}
		_, err = h.opts.Journey.Submit(r.Context(), p, v.ID)
		return err
	})
}

// verifyDispute records the fields the applicant says were read wrong.
func (h *Handler) verifyDispute(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, true, func(p *kyc.Principal, v *kyc.Verification) error {
		if err := r.ParseForm(); err != nil {
			return kyc.Errorf(kyc.Invalid, "the form could not be read")
		}
		_, err := h.opts.Journey.DisputeFields(r.Context(), p, v.ID, r.PostForm["field"], r.PostForm.Get("note"))
		return err
	})
}

// step runs one step of the applicant's flow on their newest case (when
// needsCase) and goes back to /verify, with the error when it failed.
func (h *Handler) step(w http.ResponseWriter, r *http.Request, needsCase bool, fn func(p *kyc.Principal, v *kyc.Verification) error) {
	p, _, ok := h.applicant(w, r)
	if !ok {
		return
	}
	v, err := h.opts.Journey.Latest(r.Context(), p)
	if err == nil && needsCase && v == nil {
		redirect(w, r, "/verify", nil)
		return
	}
	if err == nil {
		err = fn(p, v)
	}
	if err != nil {
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
		h.fail(w, r, "queue.html", kyc.Errorf(kyc.Forbidden, "the review console is for reviewers"), page{Title: t("queue.title"), User: u, Lang: "en"})
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
	pg := page{Title: t("queue.title"), User: u, Lang: "en", Data: map[string]any{"Status": status, "Q": q, "Statuses": queueStatuses, "Wide": true}}
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
	claimants := map[string]string{}
	for _, v := range vs {
		if who := v.ClaimedByOther("", time.Now()); who != "" {
			claimants[who] = h.who(r, who)
		}
	}
	pg.Data["Claimants"] = claimants
	h.render(w, r, "queue.html", 200, pg)
}

// who names a reviewer (or an applicant) by their e-mail address; an API
// key, or an account that no longer exists, by its id.
func (h *Handler) who(r *http.Request, id string) string {
	if a, err := h.opts.DB.GetUser(r.Context(), id); err == nil {
		return a.Email
	}
	return id
}

// nextCase opens the oldest case waiting for review that the reviewer may
// work on: not claimed by another, not their own proposal.
func (h *Handler) nextCase(w http.ResponseWriter, r *http.Request) {
	p, _, ok := h.reviewer(w, r)
	if !ok {
		return
	}
	vs, err := h.opts.Journey.Review(r.Context(), p, kyc.StatusNeedsReview, "", 500)
	if err != nil {
		redirect(w, r, "/review", nil)
		return
	}
	for _, v := range vs {
		if v.ClaimedByOther(p.ID(), time.Now()) == "" && v.ProposedBy != p.ID() {
			redirect(w, r, "/review/"+v.ID, nil)
			return
		}
	}
	redirect(w, r, "/review", nil)
}

// claimCase claims a case for the reviewer, or releases it.
func (h *Handler) claimCase(w http.ResponseWriter, r *http.Request) {
	p, id, ok := h.reviewerForm(w, r)
	if !ok {
		return
	}
	if _, err := h.opts.Journey.Claim(r.Context(), p, id, r.PostForm.Get("action") == "release"); err != nil {
		redirect(w, r, "/review/"+id, url.Values{"error": {kyc.ErrorMessage(err)}})
		return
	}
	redirect(w, r, "/review/"+id, nil)
}

// reviewCase is a case's page for reviewers: the selfie next to the
// document's portrait with their similarity, the document images, every
// field with its source and confidence, the MRZ checks, warnings and
// reasons, and the decision form. Opening it is audited; a view that
// cannot be recorded is not shown.
func (h *Handler) reviewCase(w http.ResponseWriter, r *http.Request) {
	p, u, ok := h.reviewer(w, r)
	if !ok {
		return
	}
	pg := page{Title: t("case.title"), User: u, Lang: "en", Data: map[string]any{}, Error: r.URL.Query().Get("error")}
	if r.URL.Query().Get("decided") != "" {
		pg.Notice = t("case.decided")
	}
	view, err := h.opts.Journey.View(r.Context(), p, r.PathValue("id"))
	if err == nil {
		err = h.opts.Journey.AuditView(r.Context(), p, view.Case, "case page")
	}
	if err != nil {
		h.fail(w, r, "case.html", err, pg)
		return
	}
	pg.Data["Case"] = view.Case
	pg.Data["View"] = view
	pg.Data["Fields"] = sortedFields(view.Document, "en")
	pg.Data["Threshold"] = h.opts.Journey.Rules().MatchThreshold
	pg.Data["Wide"] = true
	pg.Data["ReviewReasons"] = journey.ReviewReasons
	pg.Data["ResubmitReasons"] = journey.ResubmitReasons
	// Who the applicant is, who decided, who works the case: accounts by
	// their e-mail address (an API key by its id).
	v := view.Case
	if v.UserID != "" {
		pg.Data["Applicant"] = h.who(r, v.UserID)
	}
	if d := view.Decision; d != nil && d.DecidedBy != "" && d.DecidedBy != "auto" {
		pg.Data["DecidedBy"] = h.who(r, d.DecidedBy)
	}
	if who := v.ClaimedByOther("", time.Now()); who == p.ID() {
		pg.Data["ClaimedYou"] = true
	} else if who != "" {
		pg.Data["ClaimedOther"] = h.who(r, who)
	}
	if pr := view.Proposal; pr != nil {
		pg.Data["ProposedBy"] = h.who(r, pr.By)
		pg.Data["ProposalYours"] = pr.By == p.ID()
	}
	if d := view.Dispute; d != nil {
		var labels []string
		for _, f := range d.Fields {
			labels = append(labels, tr("en", "field."+f))
		}
		pg.Data["Disputed"] = labels
	}
	h.render(w, r, "case.html", 200, pg)
}

// reviewerForm is a reviewer's form posted about the case in the path:
// the reviewer, the case's id, and whether to go on.
func (h *Handler) reviewerForm(w http.ResponseWriter, r *http.Request) (*kyc.Principal, string, bool) {
	p, _, ok := h.reviewer(w, r)
	if !ok {
		return nil, "", false
	}
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		redirect(w, r, "/review/"+id, nil)
		return nil, "", false
	}
	return p, id, true
}

func (h *Handler) decideCase(w http.ResponseWriter, r *http.Request) {
	p, id, ok := h.reviewerForm(w, r)
	if !ok {
		return
	}
	outcome := r.PostForm.Get("outcome")
	rev := journey.Review{Approve: outcome == "approved", Resubmit: outcome == "request_document", Note: r.PostForm.Get("note")}
	if rev.Resubmit {
		if rev.Reason = r.PostForm.Get("request_reason"); rev.Reason == "" {
			redirect(w, r, "/review/"+id, url.Values{"error": {"Choose what the new document must mend."}})
			return
		}
	} else if !rev.Approve {
		// A second reviewer confirming a proposed rejection may leave
		// the reason to the proposal.
		if rev.Reason = r.PostForm.Get("reason"); rev.Reason == "" && r.PostForm.Get("confirming") == "" {
			redirect(w, r, "/review/"+id, url.Values{"error": {"Choose the reason for the rejection."}})
			return
		}
	}
	if _, err := h.opts.Journey.Decide(r.Context(), p, id, rev); err != nil {
		redirect(w, r, "/review/"+id, url.Values{"error": {kyc.ErrorMessage(err)}})
		return
	}
	redirect(w, r, "/review/"+id, url.Values{"decided": {"1"}})
}

// openLink opens an integrator's verification link in this browser: the
// link is spent and the browser gets a cookie that drives that one case
// (and signs it out of any kycd account, so that the link's case is the
// one it sees). A link that cannot be opened says why, on a page.
func (h *Handler) openLink(w http.ResponseWriter, r *http.Request) {
	// The link must not travel on: not to another site (Referer) nor into
	// a cache.
	w.Header().Set("Cache-Control", "no-store")
	o, err := h.opts.Hosted.Open(r.Context(), r.PathValue("credential"), r.URL.Query().Get("embed"))
	if err != nil {
		h.fail(w, r, "verify.html", err, page{Title: tr(langOf(r), "verify.title"), Data: map[string]any{"LinkError": true}})
		return
	}
	c := &http.Cookie{Name: h.opts.Cookie.Link, Value: o.Cookie, Path: "/", HttpOnly: true, Expires: o.ExpiresAt,
		Secure: h.opts.Cookie.Secure, SameSite: http.SameSiteLaxMode}
	if h.opts.Cookie.Secure {
		// In the embedded flow the page is a third party's frame: the
		// cookie goes there only as SameSite=None, partitioned by the
		// embedding site.
		c.SameSite, c.Partitioned = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, c)
	h.setSession(w, "", time.Time{})
	allowFrame(w, o.Session.EmbedOrigin)
	redirect(w, r, "/verify", nil)
}

// allowFrame lets origin (a site an integrator's key allows, checked when
// the session was opened) embed this response; nothing else may.
func allowFrame(w http.ResponseWriter, origin string) {
	if origin == "" {
		return
	}
	hd := w.Header()
	hd.Del("X-Frame-Options")
	hd.Set("Content-Security-Policy", strings.Replace(hd.Get("Content-Security-Policy"), "frame-ancestors 'none'", "frame-ancestors "+origin, 1))
}

// sdk serves /sdk/kycd.js, which integrators' pages load from another
// site: it may be read across origins, and cached for a while.
func sdk(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/kycd.js")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	hd.Set("Cache-Control", "public, max-age=300")
	w.Write(b)
}
