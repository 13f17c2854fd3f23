// Package web serves kycd's pages for people: sign up, confirm, sign in,
// forgotten password, account and two-factor set-up, the dev mailbox, the
// applicant's verification flow and the reviewers' console.
// Pages are rendered on the server from templates embedded in the binary,
// work without JavaScript and fit a phone screen.
package web

import (
	"bytes"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/kycd/kycd/internal/account"
	"github.com/kycd/kycd/internal/api"
	"github.com/kycd/kycd/internal/hosted"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// base is the pages' template set before any language is bound to it;
// pages holds a copy per language, whose t speaks it.
var base = template.Must(template.New("").Funcs(template.FuncMap{
	"join": strings.Join,
	"has":  slices.Contains[[]string],
	// count is 0, 1, ... n-1, for ranging n times.
	"count": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	"t": t,
	// age is how long ago t was, roughly: 12 min, 5 h, 3 d.
	"age": func(t time.Time) string {
		switch d := time.Since(t); {
		case d < time.Hour:
			return strconv.Itoa(int(d.Minutes())) + " min"
		case d < 48*time.Hour:
			return strconv.Itoa(int(d.Hours())) + " h"
		default:
			return strconv.Itoa(int(d.Hours()/24)) + " d"
		}
	},
	// num formats a score, pointer or not, to one decimal.
	"num": func(v any) string {
		switch x := v.(type) {
		case *float64:
			if x == nil {
				return ""
			}
			return strconv.FormatFloat(*x, 'f', 1, 64)
		case float64:
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return ""
	},
}).ParseFS(templateFS, "templates/*.html"))

var pages = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, l := range languages {
		lang := l.Tag
		out[lang] = template.Must(base.Clone()).Funcs(template.FuncMap{"t": func(key string) string { return tr(lang, key) }})
	}
	return out
}()

// Options configure the pages.
type Options struct {
	Accounts   *account.Service
	DB         *store.DB
	Cookie     api.CookieConfig
	DevMailbox bool
	Logger     *slog.Logger
	// Journey serves the applicant's flow (/verify) and the review console
	// (/review) when set.
	Journey *journey.Service
	// Hosted opens integrators' verification links (/s/{credential}).
	Hosted *hosted.Service
}

// Handler serves the pages.
type Handler struct {
	opts Options
}

// Register adds the pages to mux.
func Register(mux *http.ServeMux, opts Options) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts}
	assets, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /signup", h.signupForm)
	mux.HandleFunc("POST /signup", h.signup)
	mux.HandleFunc("GET /confirm", h.confirmForm)
	mux.HandleFunc("POST /confirm", h.confirm)
	mux.HandleFunc("POST /resend", h.resend)
	mux.HandleFunc("GET /signin", h.signinForm)
	mux.HandleFunc("POST /signin", h.signin)
	mux.HandleFunc("POST /signout", h.signout)
	mux.HandleFunc("GET /forgot", h.forgotForm)
	mux.HandleFunc("POST /forgot", h.forgot)
	mux.HandleFunc("GET /reset", h.resetForm)
	mux.HandleFunc("POST /reset", h.reset)
	mux.HandleFunc("GET /account", h.account)
	mux.HandleFunc("POST /account/password", h.changePassword)
	mux.HandleFunc("POST /account/mfa/setup", h.mfaSetup)
	mux.HandleFunc("POST /account/mfa/verify", h.mfaVerify)
	mux.HandleFunc("GET /liveness", h.liveness)
	if opts.Hosted != nil && opts.Journey != nil {
		mux.HandleFunc("GET /s/{credential}", h.openLink)
		mux.HandleFunc("GET /sdk/kycd.js", sdk)
		mux.HandleFunc("GET /h/{code}", h.openHandoff)
		mux.HandleFunc("POST /verify/handoff", h.verifyHandoff)
	}
	if opts.Journey != nil {
		mux.HandleFunc("GET /verify", h.verify)
		mux.HandleFunc("GET /verify/state", h.state)
		mux.HandleFunc("POST /verify/start", h.verifyStart)
		mux.HandleFunc("POST /verify/document", h.verifyDocument)
		mux.HandleFunc("POST /verify/submit", h.verifySubmit)
		mux.HandleFunc("GET /review", h.queue)
		mux.HandleFunc("GET /review/{id}", h.reviewCase)
		mux.HandleFunc("POST /review/{id}/decision", h.decideCase)
		mux.HandleFunc("POST /review/{id}/claim", h.claimCase)
		mux.HandleFunc("GET /review/next", h.nextCase)
		mux.HandleFunc("POST /verify/dispute", h.verifyDispute)
	}
	if opts.DevMailbox {
		mux.HandleFunc("GET /dev/mailbox", h.mailbox)
	}
}

// page is what every template gets.
type page struct {
	Title    string
	Error    string
	Notice   string
	Email    string
	User     *kyc.User
	Dev      bool
	Data     map[string]any
	SignedIn bool
	Hosted   bool // the browser drives an integrator's case through a link: no account, no navigation
	// The page's language, and the switcher's links to the others (this
	// page's address with ?lang=).
	Lang      string
	Languages []langLink
}

type langLink struct {
	Tag, Name, URL string
	Current        bool
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	p.Dev = h.opts.DevMailbox
	pr := api.PrincipalFrom(r.Context())
	p.SignedIn = pr != nil
	p.Hosted = pr != nil && pr.CaseID != ""
	if p.Lang != "" { // the page speaks one language (the reviewers' console: English)
		h.renderIn(w, r, name, status, p)
		return
	}
	p.Lang = langOf(r)
	if q := r.URL.Query().Get("lang"); q == p.Lang {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: h.opts.Cookie.Secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	for _, l := range languages {
		u := *r.URL
		q := u.Query()
		q.Set("lang", l.Tag)
		u.RawQuery = q.Encode()
		p.Languages = append(p.Languages, langLink{Tag: l.Tag, Name: l.Name, URL: u.RequestURI(), Current: l.Tag == p.Lang})
	}
	h.renderIn(w, r, name, status, p)
}

// renderIn renders a page in p.Lang.
func (h *Handler) renderIn(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	var buf bytes.Buffer
	if err := pages[p.Lang].ExecuteTemplate(&buf, name, p); err != nil {
		h.opts.Logger.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail re-renders a form with the error's caller-safe message.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, name string, err error, p page) {
	p.Error = kyc.ErrorMessage(err)
	status := api.Status(kyc.ErrorCode(err))
	if status >= 500 {
		h.opts.Logger.Error("page failed", "page", name, "request_id", api.RequestID(r.Context()), "err", err)
	}
	h.render(w, r, name, status, p)
}

func (h *Handler) setSession(w http.ResponseWriter, value string, expires time.Time) {
	c := &http.Cookie{Name: h.opts.Cookie.Name, Value: value, Path: "/", HttpOnly: true,
		Secure: h.opts.Cookie.Secure, SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

func redirect(w http.ResponseWriter, r *http.Request, path string, q url.Values) {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "home.html", 200, page{Title: "kycd"})
}

func (h *Handler) signupForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "signup.html", 200, page{Title: "Create an account"})
}

func (h *Handler) signup(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	if _, err := h.opts.Accounts.SignUp(r.Context(), email, r.PostFormValue("password")); err != nil {
		h.fail(w, r, "signup.html", err, page{Title: "Create an account", Email: email})
		return
	}
	norm, _ := kyc.NormalizeEmail(email)
	redirect(w, r, "/confirm", url.Values{"email": {norm}, "sent": {"1"}})
}

func (h *Handler) confirmForm(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Confirm your e-mail address", Email: r.URL.Query().Get("email")}
	if r.URL.Query().Get("sent") != "" {
		p.Notice = "We sent a 6-digit code to your e-mail address. It is valid for 24 hours."
	}
	h.render(w, r, "confirm.html", 200, p)
}

func (h *Handler) confirm(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	if err := h.opts.Accounts.Confirm(r.Context(), email, r.PostFormValue("code")); err != nil {
		h.fail(w, r, "confirm.html", err, page{Title: "Confirm your e-mail address", Email: email})
		return
	}
	redirect(w, r, "/signin", url.Values{"email": {email}, "confirmed": {"1"}})
}

func (h *Handler) resend(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	if err := h.opts.Accounts.ResendCode(r.Context(), email); err != nil {
		h.fail(w, r, "confirm.html", err, page{Title: "Confirm your e-mail address", Email: email})
		return
	}
	redirect(w, r, "/confirm", url.Values{"email": {email}, "sent": {"1"}})
}

func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := page{Title: "Sign in", Email: q.Get("email")}
	switch {
	case q.Get("confirmed") != "":
		p.Notice = "Your e-mail address is confirmed. Sign in to continue."
	case q.Get("reset") != "":
		p.Notice = "Your password was changed. Sign in with the new one."
	case q.Get("expired") != "":
		p.Notice = "Your session has ended. Sign in again."
	}
	h.render(w, r, "signin.html", 200, p)
}

func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	t, err := h.opts.Accounts.SignIn(r.Context(), email, r.PostFormValue("password"), r.PostFormValue("totp_code"))
	if err != nil {
		p := page{Title: "Sign in", Email: email, Data: map[string]any{}}
		if kyc.ErrorCode(err) == kyc.MFARequired || r.PostFormValue("totp_code") != "" {
			p.Data["MFA"] = true
		}
		h.fail(w, r, "signin.html", err, p)
		return
	}
	h.setSession(w, t.Session, t.SessionExpiresAt)
	redirect(w, r, "/account", nil)
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	h.opts.Accounts.SignOut(r.Context(), api.PrincipalFrom(r.Context()))
	h.setSession(w, "", time.Time{})
	redirect(w, r, "/signin", nil)
}

func (h *Handler) forgotForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "forgot.html", 200, page{Title: "Forgot your password?"})
}

func (h *Handler) forgot(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	if err := h.opts.Accounts.ForgotPassword(r.Context(), email); err != nil {
		h.fail(w, r, "forgot.html", err, page{Title: "Forgot your password?", Email: email})
		return
	}
	redirect(w, r, "/reset", url.Values{"email": {email}, "sent": {"1"}})
}

func (h *Handler) resetForm(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Choose a new password", Email: r.URL.Query().Get("email")}
	if r.URL.Query().Get("sent") != "" {
		p.Notice = "If an account uses that address, we sent it a 6-digit code, valid for 1 hour."
	}
	h.render(w, r, "reset.html", 200, p)
}

func (h *Handler) reset(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	err := h.opts.Accounts.ResetPassword(r.Context(), email, r.PostFormValue("code"), r.PostFormValue("new_password"))
	if err != nil {
		h.fail(w, r, "reset.html", err, page{Title: "Choose a new password", Email: email})
		return
	}
	redirect(w, r, "/signin", url.Values{"email": {email}, "reset": {"1"}})
}

// signedIn returns the page's user, or redirects to the sign-in page.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (*kyc.Principal, *kyc.User, bool) {
	p := api.PrincipalFrom(r.Context())
	if p == nil || p.UserID == "" {
		redirect(w, r, "/signin", url.Values{"expired": {"1"}})
		return nil, nil, false
	}
	u, err := h.opts.Accounts.Me(r.Context(), p)
	if err != nil {
		redirect(w, r, "/signin", url.Values{"expired": {"1"}})
		return nil, nil, false
	}
	return p, u, true
}

// applicant is signedIn that also lets the holder of a verification link
// through (with no account: the user is nil), for the applicant's pages.
func (h *Handler) applicant(w http.ResponseWriter, r *http.Request) (*kyc.Principal, *kyc.User, bool) {
	if p := api.PrincipalFrom(r.Context()); p != nil && p.CaseID != "" {
		allowFrame(w, p.Frame)
		return p, nil, true
	}
	return h.signedIn(w, r)
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	_, u, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	p := page{Title: "Your account", User: u}
	if r.URL.Query().Get("mfa") != "" {
		p.Notice = "Two-factor authentication is on."
	}
	h.render(w, r, "account.html", 200, p)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	pr, u, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	err := h.opts.Accounts.ChangePassword(r.Context(), pr, r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	if err != nil {
		h.fail(w, r, "account.html", err, page{Title: "Your account", User: u})
		return
	}
	h.setSession(w, "", time.Time{})
	redirect(w, r, "/signin", url.Values{"email": {u.Email}, "reset": {"1"}})
}

func (h *Handler) mfaSetup(w http.ResponseWriter, r *http.Request) {
	pr, u, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	secret, otpURL, err := h.opts.Accounts.TOTPSetup(r.Context(), pr)
	if err != nil {
		h.fail(w, r, "account.html", err, page{Title: "Your account", User: u})
		return
	}
	png, err := qrcode.Encode(otpURL, qrcode.Medium, 256)
	if err != nil {
		h.fail(w, r, "account.html", err, page{Title: "Your account", User: u})
		return
	}
	h.render(w, r, "mfa.html", 200, page{Title: "Set up two-factor authentication", User: u, Data: map[string]any{
		"Secret": secret, "URL": otpURL,
		"QR": template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
	}})
}

func (h *Handler) mfaVerify(w http.ResponseWriter, r *http.Request) {
	pr, u, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	codes, err := h.opts.Accounts.TOTPVerify(r.Context(), pr, r.PostFormValue("code"))
	if err != nil {
		h.fail(w, r, "mfa.html", err, page{Title: "Set up two-factor authentication", User: u,
			Data: map[string]any{"Secret": r.PostFormValue("secret")}})
		return
	}
	h.render(w, r, "recovery.html", 200, page{Title: "Save your recovery codes", User: u, Data: map[string]any{"Codes": codes}})
}

// liveness is the camera page of the liveness check.
func (h *Handler) liveness(w http.ResponseWriter, r *http.Request) {
	_, u, ok := h.applicant(w, r)
	if !ok {
		return
	}
	lang := langOf(r)
	h.render(w, r, "liveness.html", 200, page{Title: tr(lang, "liveness.title"), User: u, Data: map[string]any{"Strings": liveStrings(lang)}})
}

func (h *Handler) mailbox(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	p := page{Title: "Dev mailbox", Email: to, Data: map[string]any{}}
	if to != "" {
		norm, err := kyc.NormalizeEmail(to)
		if err != nil {
			h.fail(w, r, "mailbox.html", err, p)
			return
		}
		msgs, err := h.opts.DB.ListMail(r.Context(), norm)
		if err != nil {
			h.fail(w, r, "mailbox.html", err, p)
			return
		}
		p.Data["Messages"] = msgs
	}
	h.render(w, r, "mailbox.html", 200, p)
}
