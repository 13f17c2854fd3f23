package kyc

import (
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role is what a person or API key may do.
type Role string

// The roles. A person is an applicant, a reviewer or an admin; an API key
// is an integrator (it starts and drives its own cases), a reviewer or an
// admin.
const (
	RoleApplicant  Role = "applicant"
	RoleReviewer   Role = "reviewer"
	RoleAdmin      Role = "admin"
	RoleIntegrator Role = "integrator"
)

// UserRoles are the roles a person's account may hold; KeyRoles those of
// an API key.
var (
	UserRoles = []Role{RoleApplicant, RoleReviewer, RoleAdmin}
	KeyRoles  = []Role{RoleIntegrator, RoleReviewer, RoleAdmin}
)

// ParseRoles checks a list of role names against the allowed ones
// (UserRoles or KeyRoles), dropping duplicates.
func ParseRoles(names []string, allowed []Role) ([]Role, error) {
	var out []Role
	for _, n := range names {
		r := Role(n)
		if !slices.Contains(allowed, r) {
			list := make([]string, len(allowed))
			for i, a := range allowed {
				list[i] = string(a)
			}
			return nil, Errorf(Invalid, "unknown role %q (want one of %s)", n, strings.Join(list, ", "))
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, Errorf(Invalid, "at least one role is required")
	}
	slices.Sort(out)
	return out, nil
}

// UserStatus is where an account stands.
type UserStatus string

// The account states.
const (
	UserUnconfirmed UserStatus = "unconfirmed"
	UserConfirmed   UserStatus = "confirmed"
	UserDisabled    UserStatus = "disabled"
)

// User is an account of the user pool.
type User struct {
	ID           string
	Email        string
	PasswordHash string
	Status       UserStatus
	Roles        []Role
	MFAEnabled   bool
	TOTPSecret   []byte // sealed; nil until TOTP setup starts
	TOTPLastStep int64  // the last time step accepted, so a code is never used twice
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// HasRole reports whether the user holds r.
func (u *User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// NormalizeEmail lower-cases and checks an e-mail address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !PlainText(s) {
		return "", Errorf(Invalid, "that is not a valid e-mail address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", Errorf(Invalid, "that is not a valid e-mail address")
	}
	return s, nil
}

// PlainText reports whether s is text a person typed: valid UTF-8, no
// control characters (line breaks, NUL, escapes that forge log lines or
// CSV cells), no invisible format characters (a right-to-left override
// disguises what is shown) and no replacement character (what a JSON
// decoder makes of invalid UTF-8).
func PlainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// Principal is who is making a request: a signed-in user or an API key.
type Principal struct {
	UserID   string // empty for an API key
	APIKeyID string // empty for a user
	// CaseID is set for the holder of a hosted verification link (a browser
	// that opened an integrator's session): they drive that one case and
	// nothing else. LinkID names the session.
	CaseID  string
	LinkID  string
	Frame   string // the site that embeds the link's pages ("" when none may)
	Handoff bool   // the browser the link's session was handed to (a phone)
	Roles   []Role
	// SessionHash names the session or access token used, so sign-out can
	// revoke exactly it.
	SessionHash string
	// Account is the user's account as this request's authentication
	// read it (nil for API keys and links): a read of the account in the
	// same request need not query it again.
	Account *User
}

// Has reports whether the principal holds any of roles.
func (p *Principal) Has(roles ...Role) bool {
	if p == nil {
		return false
	}
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// Owns reports whether p started case v: its applicant, or the API key
// that created it. Only the owner drives a case (liveness, document, submit).
func (p *Principal) Owns(v *Verification) bool {
	switch {
	case p == nil:
		return false
	case p.CaseID != "":
		return v.ID == p.CaseID
	case p.APIKeyID != "":
		return v.APIKeyID == p.APIKeyID
	default:
		return p.UserID != "" && v.APIKeyID == "" && v.UserID == p.UserID
	}
}

// CanView reports whether p may see case v: its owner, reviewers and admins.
// Others must not learn that it exists.
func (p *Principal) CanView(v *Verification) bool {
	return p.Owns(v) || p.Has(RoleReviewer, RoleAdmin)
}

// CanStart reports whether p may start a case: an applicant (their own) or
// an integrator's key.
func (p *Principal) CanStart() bool {
	if p == nil || p.CaseID != "" {
		return false
	}
	if p.APIKeyID != "" {
		return p.Has(RoleIntegrator)
	}
	return p.Has(RoleApplicant)
}

// ID names the principal in audit events: a user or API key id.
func (p *Principal) ID() string {
	if p == nil {
		return "anonymous"
	}
	if p.UserID != "" {
		return p.UserID
	}
	if p.LinkID != "" {
		return p.LinkID
	}
	return p.APIKeyID
}

// ParseOrigin checks that s is a web origin, scheme://host[:port] with
// scheme http or https and nothing after it (a trailing slash aside), and
// returns it in its canonical (lower-case) form: what browsers compare in
// postMessage and CSP frame-ancestors.
func ParseOrigin(s string) (string, error) {
	bad := Errorf(Invalid, "%q is not an origin: scheme://host[:port], such as https://shop.example", s)
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(s), "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.ContainsAny(u.Host, " ;,'\"*") {
		return "", bad
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
