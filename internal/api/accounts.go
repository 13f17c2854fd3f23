package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/account"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

var (
	secured  = []map[string][]string{{"bearer": {}}, {"cookie": {}}}
	tagAuth  = []string{"Accounts"}
	tagAdmin = []string{"Administration"}
)

// EmailBody carries an e-mail address.
type EmailBody struct {
	Email string `json:"email" maxLength:"254" example:"ana@example.com"`
}

// CredentialsBody is a sign-up.
type CredentialsBody struct {
	Email    string `json:"email" maxLength:"254" example:"ana@example.com"`
	Password string `json:"password" maxLength:"1024" doc:"at least 8 characters, not a common password"`
}

// SignUpOutput answers a sign-up.
type SignUpOutput struct {
	Body struct {
		UserID string `json:"user_id"`
		Status string `json:"status" example:"unconfirmed"`
	}
}

// StatusOutput is a bare status answer.
type StatusOutput struct {
	Body struct {
		Status string `json:"status"`
	}
}

// TokensBody is a sign-in's or refresh's tokens.
type TokensBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type" example:"Bearer"`
	ExpiresIn    int    `json:"expires_in" doc:"seconds until the access token expires"`
}

// SignInOutput answers a sign-in: tokens for API clients, a cookie for the
// web UI.
type SignInOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      TokensBody
}

// UserBody describes an account.
type UserBody struct {
	UserID     string    `json:"user_id"`
	Email      string    `json:"email"`
	Status     string    `json:"status" enum:"unconfirmed,confirmed,disabled"`
	Roles      []string  `json:"roles"`
	MFAEnabled bool      `json:"mfa_enabled"`
	CreatedAt  time.Time `json:"created_at"`
}

func userBody(u *kyc.User) UserBody {
	return UserBody{UserID: u.ID, Email: u.Email, Status: string(u.Status), Roles: roleNames(u.Roles), MFAEnabled: u.MFAEnabled, CreatedAt: u.CreatedAt}
}

func roleNames(roles []kyc.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// UserOutput answers with one account.
type UserOutput struct{ Body UserBody }

// RolesInput sets roles.
type RolesInput struct {
	ID   string `path:"id"`
	Body struct {
		Roles []string `json:"roles" minItems:"1" example:"[\"reviewer\"]"`
	}
}

// APIKeyBody describes an API key (never its value).
type APIKeyBody struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Roles      []string   `json:"roles"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) sessionCookie(value string, expires time.Time) http.Cookie {
	c := http.Cookie{Name: s.opts.Cookie.Name, Value: value, Path: "/", HttpOnly: true, Secure: s.opts.Cookie.Secure,
		SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

func (s *Server) registerAccounts() {
	a := s.opts.Accounts
	huma.Register(s.api, huma.Operation{OperationID: "signup", Method: http.MethodPost, Path: "/v1/auth/signup", Tags: tagAuth,
		Summary: "Create an account", DefaultStatus: http.StatusCreated,
		Description: "Creates an unconfirmed applicant account and e-mails a 6-digit code, valid 24 hours."},
		func(ctx context.Context, in *struct{ Body CredentialsBody }) (*SignUpOutput, error) {
			u, err := a.SignUp(ctx, in.Body.Email, in.Body.Password)
			if err != nil {
				return nil, err
			}
			out := &SignUpOutput{}
			out.Body.UserID, out.Body.Status = u.ID, string(u.Status)
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "confirm", Method: http.MethodPost, Path: "/v1/auth/confirm", Tags: tagAuth,
		Summary: "Confirm an account with the e-mailed code", Description: "At most 5 wrong tries per code; then ask for a new one."},
		func(ctx context.Context, in *struct {
			Body struct {
				Email string `json:"email" maxLength:"254"`
				Code  string `json:"code" maxLength:"12" example:"123456"`
			}
		}) (*StatusOutput, error) {
			if err := a.Confirm(ctx, in.Body.Email, in.Body.Code); err != nil {
				return nil, err
			}
			out := &StatusOutput{}
			out.Body.Status = string(kyc.UserConfirmed)
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "resend-code", Method: http.MethodPost, Path: "/v1/auth/resend-code", Tags: tagAuth,
		Summary: "Send a new confirmation code", DefaultStatus: http.StatusAccepted,
		Description: "Answers 202 whether or not the address has an unconfirmed account."},
		func(ctx context.Context, in *struct{ Body EmailBody }) (*struct{}, error) {
			return nil, a.ResendCode(ctx, in.Body.Email)
		})
	huma.Register(s.api, huma.Operation{OperationID: "signin", Method: http.MethodPost, Path: "/v1/auth/signin", Tags: tagAuth,
		Summary: "Sign in",
		Description: "Returns an access token (15 min) and a refresh token (30 days) and sets the web session cookie. " +
			"401 mfa_required when two-factor authentication is on and no code was given; 423 locked after 5 failures " +
			"(2^(n−5) seconds, at most 15 minutes, with Retry-After). A recovery code (xxxxx-xxxxx) works in place of totp_code."},
		func(ctx context.Context, in *struct {
			Body struct {
				Email    string `json:"email" maxLength:"254"`
				Password string `json:"password" maxLength:"1024"`
				TOTPCode string `json:"totp_code,omitempty" maxLength:"20" doc:"authenticator or recovery code, when MFA is on"`
			}
		}) (*SignInOutput, error) {
			t, err := a.SignIn(ctx, in.Body.Email, in.Body.Password, in.Body.TOTPCode)
			if err != nil {
				return nil, err
			}
			return &SignInOutput{SetCookie: s.sessionCookie(t.Session, t.SessionExpiresAt), Body: tokensBody(t)}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "refresh", Method: http.MethodPost, Path: "/v1/auth/refresh", Tags: tagAuth,
		Summary:     "Exchange a refresh token for a new pair",
		Description: "The old refresh token is spent. Using a spent one again revokes every token of that sign-in."},
		func(ctx context.Context, in *struct {
			Body struct {
				RefreshToken string `json:"refresh_token" maxLength:"200"`
			}
		}) (*struct{ Body TokensBody }, error) {
			t, err := a.Refresh(ctx, in.Body.RefreshToken)
			if err != nil {
				return nil, err
			}
			return &struct{ Body TokensBody }{tokensBody(t)}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "signout", Method: http.MethodPost, Path: "/v1/auth/signout", Tags: tagAuth,
		Summary: "Sign out", Description: "Revokes the session or token used and every other token of the same sign-in.",
		DefaultStatus: http.StatusNoContent, Security: secured},
		func(ctx context.Context, _ *struct{}) (*struct {
			SetCookie http.Cookie `header:"Set-Cookie"`
		}, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			if err := a.SignOut(ctx, p); err != nil {
				return nil, err
			}
			return &struct {
				SetCookie http.Cookie `header:"Set-Cookie"`
			}{s.sessionCookie("", time.Time{})}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "forgot-password", Method: http.MethodPost, Path: "/v1/auth/forgot-password", Tags: tagAuth,
		Summary: "E-mail a password reset code", DefaultStatus: http.StatusAccepted,
		Description: "Answers 202 whether or not the address has an account. The code is valid 1 hour."},
		func(ctx context.Context, in *struct{ Body EmailBody }) (*struct{}, error) {
			return nil, a.ForgotPassword(ctx, in.Body.Email)
		})
	huma.Register(s.api, huma.Operation{OperationID: "reset-password", Method: http.MethodPost, Path: "/v1/auth/reset-password", Tags: tagAuth,
		Summary: "Set a new password with a reset code", Description: "Revokes every session and token of the account."},
		func(ctx context.Context, in *struct {
			Body struct {
				Email       string `json:"email" maxLength:"254"`
				Code        string `json:"code" maxLength:"12"`
				NewPassword string `json:"new_password" maxLength:"1024"`
			}
		}) (*StatusOutput, error) {
			if err := a.ResetPassword(ctx, in.Body.Email, in.Body.Code, in.Body.NewPassword); err != nil {
				return nil, err
			}
			out := &StatusOutput{}
			out.Body.Status = "password_reset"
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "change-password", Method: http.MethodPost, Path: "/v1/auth/change-password", Tags: tagAuth,
		Summary: "Change your password", Description: "Needs the current password; signs out every session, this one included.",
		Security: secured},
		func(ctx context.Context, in *struct {
			Body struct {
				CurrentPassword string `json:"current_password" maxLength:"1024"`
				NewPassword     string `json:"new_password" maxLength:"1024"`
			}
		}) (*StatusOutput, error) {
			p, err := RequirePerson(ctx)
			if err != nil {
				return nil, err
			}
			if err := a.ChangePassword(ctx, p, in.Body.CurrentPassword, in.Body.NewPassword); err != nil {
				return nil, err
			}
			out := &StatusOutput{}
			out.Body.Status = "password_changed"
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "totp-setup", Method: http.MethodPost, Path: "/v1/auth/totp/setup", Tags: tagAuth,
		Summary: "Start two-factor authentication", Security: secured,
		Description: "Returns a new TOTP secret and its otpauth:// URL for an authenticator app; MFA is on once /v1/auth/totp/verify accepts a code."},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Secret     string `json:"secret"`
				OTPAuthURL string `json:"otpauth_url"`
			}
		}, error) {
			p, err := RequirePerson(ctx)
			if err != nil {
				return nil, err
			}
			secret, url, err := a.TOTPSetup(ctx, p)
			if err != nil {
				return nil, err
			}
			out := &struct {
				Body struct {
					Secret     string `json:"secret"`
					OTPAuthURL string `json:"otpauth_url"`
				}
			}{}
			out.Body.Secret, out.Body.OTPAuthURL = secret, url
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "totp-verify", Method: http.MethodPost, Path: "/v1/auth/totp/verify", Tags: tagAuth,
		Summary: "Turn two-factor authentication on", Security: secured,
		Description: "Checks a code from the new secret, turns MFA on and returns 10 one-time recovery codes, shown only now."},
		func(ctx context.Context, in *struct {
			Body struct {
				Code string `json:"code" maxLength:"12"`
			}
		}) (*struct {
			Body struct {
				RecoveryCodes []string `json:"recovery_codes"`
			}
		}, error) {
			p, err := RequirePerson(ctx)
			if err != nil {
				return nil, err
			}
			codes, err := a.TOTPVerify(ctx, p, in.Body.Code)
			if err != nil {
				return nil, err
			}
			out := &struct {
				Body struct {
					RecoveryCodes []string `json:"recovery_codes"`
				}
			}{}
			out.Body.RecoveryCodes = codes
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "me", Method: http.MethodGet, Path: "/v1/me", Tags: tagAuth,
		Summary: "Your account", Security: secured},
		func(ctx context.Context, _ *struct{}) (*UserOutput, error) {
			p, err := RequirePerson(ctx)
			if err != nil {
				return nil, err
			}
			u, err := a.Me(ctx, p)
			if err != nil {
				return nil, err
			}
			return &UserOutput{Body: userBody(u)}, nil
		})
	s.registerAdmin()
	if s.opts.DevMailbox {
		huma.Register(s.api, huma.Operation{OperationID: "dev-mailbox", Method: http.MethodGet, Path: "/v1/dev/mailbox", Tags: []string{"Development"},
			Summary: "Messages sent to an address (dev mail mode only)", Description: "Newest first. Not served in production mode."},
			func(ctx context.Context, in *struct {
				To string `query:"to" required:"true" maxLength:"254"`
			}) (*struct{ Body []*store.MailMessage }, error) {
				to, err := kyc.NormalizeEmail(in.To)
				if err != nil {
					return nil, err
				}
				msgs, err := s.opts.DB.ListMail(ctx, to)
				if err != nil {
					return nil, err
				}
				return &struct{ Body []*store.MailMessage }{msgs}, nil
			})
	}
}

func tokensBody(t *account.Tokens) TokensBody {
	return TokensBody{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer", ExpiresIn: t.ExpiresIn}
}

func (s *Server) registerAdmin() {
	a := s.opts.Accounts
	huma.Register(s.api, huma.Operation{OperationID: "admin-list-users", Method: http.MethodGet, Path: "/v1/admin/users", Tags: tagAdmin,
		Summary: "List accounts", Security: secured},
		func(ctx context.Context, in *struct {
			Limit int `query:"limit" minimum:"1" maximum:"500" default:"100"`
		}) (*struct{ Body []UserBody }, error) {
			if _, err := RequireRole(ctx, kyc.RoleAdmin); err != nil {
				return nil, err
			}
			users, err := a.ListUsers(ctx, in.Limit)
			if err != nil {
				return nil, err
			}
			out := make([]UserBody, len(users))
			for i, u := range users {
				out[i] = userBody(u)
			}
			return &struct{ Body []UserBody }{out}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "admin-set-roles", Method: http.MethodPost, Path: "/v1/admin/users/{id}/roles", Tags: tagAdmin,
		Summary: "Replace an account's roles", Security: secured},
		func(ctx context.Context, in *RolesInput) (*UserOutput, error) {
			p, err := RequireRole(ctx, kyc.RoleAdmin)
			if err != nil {
				return nil, err
			}
			roles, err := kyc.ParseRoles(in.Body.Roles, kyc.UserRoles)
			if err != nil {
				return nil, err
			}
			u, err := a.SetRoles(ctx, p, in.ID, roles)
			if err != nil {
				return nil, err
			}
			return &UserOutput{Body: userBody(u)}, nil
		})
	for _, disable := range []bool{true, false} {
		verb := map[bool]string{true: "disable", false: "enable"}[disable]
		huma.Register(s.api, huma.Operation{OperationID: "admin-" + verb + "-user", Method: http.MethodPost,
			Path: "/v1/admin/users/{id}/" + verb, Tags: tagAdmin, Security: secured,
			Summary: map[bool]string{true: "Disable an account (revokes its sessions and tokens)", false: "Enable a disabled account"}[disable]},
			func(ctx context.Context, in *struct {
				ID string `path:"id"`
			}) (*UserOutput, error) {
				p, err := RequireRole(ctx, kyc.RoleAdmin)
				if err != nil {
					return nil, err
				}
				u, err := a.SetDisabled(ctx, p, in.ID, disable)
				if err != nil {
					return nil, err
				}
				return &UserOutput{Body: userBody(u)}, nil
			})
	}
	huma.Register(s.api, huma.Operation{OperationID: "create-api-key", Method: http.MethodPost, Path: "/v1/api-keys", Tags: tagAdmin,
		Summary: "Create an API key", DefaultStatus: http.StatusCreated, Security: secured,
		Description: "The key is shown only in this answer; kycd keeps only its hash. Send it as Authorization: Bearer <key>. " +
			"Roles: integrator (starts verifications and sees and drives only the ones it started), reviewer (the review queue, " +
			"every case, decisions), admin (accounts, keys, webhooks, erasure)."},
		func(ctx context.Context, in *struct {
			Body struct {
				Name  string   `json:"name" maxLength:"100" example:"crm integration"`
				Roles []string `json:"roles" minItems:"1" doc:"integrator, reviewer and/or admin"`
			}
		}) (*struct {
			Body struct {
				ID  string `json:"id"`
				Key string `json:"key"`
			}
		}, error) {
			p, err := RequireRole(ctx, kyc.RoleAdmin)
			if err != nil {
				return nil, err
			}
			roles, err := kyc.ParseRoles(in.Body.Roles, kyc.KeyRoles)
			if err != nil {
				return nil, err
			}
			k, value, err := a.CreateAPIKey(ctx, p, in.Body.Name, roles)
			if err != nil {
				return nil, err
			}
			out := &struct {
				Body struct {
					ID  string `json:"id"`
					Key string `json:"key"`
				}
			}{}
			out.Body.ID, out.Body.Key = k.ID, value
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-api-keys", Method: http.MethodGet, Path: "/v1/api-keys", Tags: tagAdmin,
		Summary: "List API keys", Security: secured},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []APIKeyBody }, error) {
			if _, err := RequireRole(ctx, kyc.RoleAdmin); err != nil {
				return nil, err
			}
			keys, err := a.ListAPIKeys(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]APIKeyBody, len(keys))
			for i, k := range keys {
				out[i] = APIKeyBody{ID: k.ID, Name: k.Name, Roles: roleNames(k.Roles), CreatedAt: k.CreatedAt,
					LastUsedAt: timePtr(k.LastUsedAt), RevokedAt: timePtr(k.RevokedAt)}
			}
			return &struct{ Body []APIKeyBody }{out}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "revoke-api-key", Method: http.MethodDelete, Path: "/v1/api-keys/{id}", Tags: tagAdmin,
		Summary: "Revoke an API key", DefaultStatus: http.StatusNoContent, Security: secured},
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
		}) (*struct{}, error) {
			p, err := RequireRole(ctx, kyc.RoleAdmin)
			if err != nil {
				return nil, err
			}
			return nil, a.RevokeAPIKey(ctx, p, in.ID)
		})
	huma.Register(s.api, huma.Operation{OperationID: "admin-audit", Method: http.MethodGet, Path: "/v1/admin/audit", Tags: tagAdmin,
		Summary: "The audit trail", Security: secured,
		Description: "Events oldest first, each with its hash and the previous event's hash; filter by subject (a user, key or verification id)."},
		func(ctx context.Context, in *struct {
			SubjectID string `query:"subject_id" maxLength:"100"`
			Limit     int    `query:"limit" minimum:"1" maximum:"10000" default:"1000"`
		}) (*struct{ Body []*store.AuditEvent }, error) {
			if _, err := RequireRole(ctx, kyc.RoleAdmin); err != nil {
				return nil, err
			}
			events, err := s.opts.DB.ListAudit(ctx, in.SubjectID, in.Limit)
			if err != nil {
				return nil, err
			}
			if events == nil {
				events = []*store.AuditEvent{}
			}
			return &struct{ Body []*store.AuditEvent }{events}, nil
		})
}
