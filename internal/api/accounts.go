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
	// The sites that may embed the key's verification sessions.
	EmbedOrigins []string `json:"embed_origins"`
}

func apiKeyBody(k *store.APIKey) APIKeyBody {
	return APIKeyBody{ID: k.ID, Name: k.Name, Roles: roleNames(k.Roles), CreatedAt: k.CreatedAt,
		LastUsedAt: timePtr(k.LastUsedAt), RevokedAt: timePtr(k.RevokedAt), EmbedOrigins: append([]string{}, k.EmbedOrigins...)}
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

// The accounts' routes: sign-up and sign-in, passwords, MFA, your account,
// the dev mailbox, and the admins' users, keys and audit trail.
func (s *Server) registerAccounts() {
	post, get := http.MethodPost, http.MethodGet
	s.register(
		handle(anyone, huma.Operation{Method: post, Path: "/v1/auth/signup", OperationID: "signup", Tags: tagAuth, Summary: "Create an account",
			DefaultStatus: http.StatusCreated, Errors: []int{400, 409, 429},
			Description: "Creates an unconfirmed applicant account and e-mails a 6-digit code, valid 24 hours."}, s.signUp),
		handle(anyone, huma.Operation{Method: post, Path: "/v1/auth/confirm", OperationID: "confirm", Tags: tagAuth,
			Summary: "Confirm an account with the e-mailed code", Errors: []int{400, 410, 429},
			Description: "At most 5 tries per code; then ask for a new one. Every wrong code answers the same, account or not."}, s.confirm),
		handle(anyone, huma.Operation{Method: post, Path: "/v1/auth/resend-code", OperationID: "resend-code", Tags: tagAuth,
			Summary: "Send a new confirmation code", DefaultStatus: http.StatusAccepted, Errors: []int{429},
			Description: "Answers 202 whether or not the address has an unconfirmed account."}, s.resendCode),
		handle(anyone, huma.Operation{Method: post, Path: "/v1/auth/signin", OperationID: "signin", Tags: tagAuth, Summary: "Sign in",
			Errors: []int{401, 403, 423, 429},
			Description: "Returns an access token (15 min) and a refresh token (30 days) and sets the web session cookie. " +
				"401 mfa_required when two-factor authentication is on and no code was given; 423 locked after 5 failures " +
				"for the address (2^(n−5) seconds, at most 15 minutes, with Retry-After), whether or not it has an account. " +
				"A recovery code (xxxxx-xxxxx) works in place of totp_code."}, s.signIn),
		handle(anyone, huma.Operation{Method: post, Path: "/v1/auth/refresh", OperationID: "refresh", Tags: tagAuth,
			Summary: "Exchange a refresh token for a new pair", Errors: []int{401, 429},
			Description: "The old refresh token is spent. Using a spent one again revokes every token of that sign-in."}, s.refresh),
		handle(signedIn, huma.Operation{Method: post, Path: "/v1/auth/signout", OperationID: "signout", Tags: tagAuth, Summary: "Sign out",
			DefaultStatus: http.StatusNoContent,
			Description:   "Revokes the session or token used and every other token of the same sign-in."}, s.signOut),
		handle(anyone, huma.Operation{Method: post, Path: "/v1/auth/forgot-password", OperationID: "forgot-password", Tags: tagAuth,
			Summary: "E-mail a password reset code", DefaultStatus: http.StatusAccepted, Errors: []int{429},
			Description: "Answers 202 whether or not the address has an account. The code is valid 1 hour."}, s.forgotPassword),
		handle(anyone, huma.Operation{Method: post, Path: "/v1/auth/reset-password", OperationID: "reset-password", Tags: tagAuth,
			Summary: "Set a new password with a reset code", Errors: []int{400, 410, 429},
			Description: "Revokes every session and token of the account and lifts a lockout."}, s.resetPassword),
		handle(person, huma.Operation{Method: post, Path: "/v1/auth/change-password", OperationID: "change-password", Tags: tagAuth,
			Summary: "Change your password", Errors: []int{400, 409, 423, 429},
			Description: "Needs the current password (wrong ones count towards the lockout); signs out every session, this one included."}, s.changePassword),
		handle(person, huma.Operation{Method: post, Path: "/v1/auth/totp/setup", OperationID: "totp-setup", Tags: tagAuth,
			Summary: "Start two-factor authentication", Errors: []int{409},
			Description: "Returns a new TOTP secret and its otpauth:// URL for an authenticator app; MFA is on once /v1/auth/totp/verify accepts a code."}, s.totpSetup),
		handle(person, huma.Operation{Method: post, Path: "/v1/auth/totp/verify", OperationID: "totp-verify", Tags: tagAuth,
			Summary: "Turn two-factor authentication on", Errors: []int{400, 409},
			Description: "Checks a code from the new secret, turns MFA on and returns 10 one-time recovery codes, shown only now."}, s.totpVerify),
		handle(person, huma.Operation{Method: get, Path: "/v1/me", OperationID: "me", Tags: tagAuth, Summary: "Your account"}, s.me),
		handle(adminOnly, huma.Operation{Method: get, Path: "/v1/admin/users", OperationID: "admin-list-users", Tags: tagAdmin,
			Summary: "List accounts"}, s.listUsers),
		handle(adminOnly, huma.Operation{Method: post, Path: "/v1/admin/users/{id}/roles", OperationID: "admin-set-roles", Tags: tagAdmin,
			Summary: "Replace an account's roles", Errors: []int{400, 404, 409},
			Description: "Roles of persons: applicant, reviewer, admin. An admin cannot take the admin role from themself."}, s.setRoles),
		handle(adminOnly, huma.Operation{Method: post, Path: "/v1/admin/users/{id}/disable", OperationID: "admin-disable-user", Tags: tagAdmin,
			Summary: "Disable an account (revokes its sessions and tokens)", Errors: []int{404, 409}}, s.disableUser),
		handle(adminOnly, huma.Operation{Method: post, Path: "/v1/admin/users/{id}/enable", OperationID: "admin-enable-user", Tags: tagAdmin,
			Summary: "Enable a disabled account", Errors: []int{404}}, s.enableUser),
		handle(adminOnly, huma.Operation{Method: post, Path: "/v1/api-keys", OperationID: "create-api-key", Tags: tagAdmin,
			Summary: "Create an API key", DefaultStatus: http.StatusCreated, Errors: []int{400},
			Description: "The key is shown only in this answer; kycd keeps only its hash. Send it as Authorization: Bearer <key>. " +
				"Roles: integrator (starts verifications and sees and drives only the ones it started), reviewer (the review queue, " +
				"every case, decisions), admin (accounts, keys, webhooks, erasure)."}, s.createAPIKey),
		handle(adminOnly, huma.Operation{Method: get, Path: "/v1/api-keys", OperationID: "list-api-keys", Tags: tagAdmin,
			Summary: "List API keys"}, s.listAPIKeys),
		handle(adminOnly, huma.Operation{Method: http.MethodPut, Path: "/v1/api-keys/{id}/embed-origins", OperationID: "set-embed-origins",
			Tags: tagAdmin, Summary: "Set the sites that may embed a key's verification sessions", Errors: []int{400, 404}},
			s.setEmbedOrigins),
		handle(adminOnly, huma.Operation{Method: http.MethodDelete, Path: "/v1/api-keys/{id}", OperationID: "revoke-api-key", Tags: tagAdmin,
			Summary: "Revoke an API key", DefaultStatus: http.StatusNoContent, Errors: []int{404}}, s.revokeAPIKey),
		handle(adminOnly, huma.Operation{Method: get, Path: "/v1/admin/audit", OperationID: "admin-audit", Tags: tagAdmin,
			Summary:     "The audit trail",
			Description: "Events oldest first, each with its hash and the previous event's hash; filter by subject (a user, key or verification id)."}, s.auditTrail),
	)
	if s.opts.DevMailbox {
		s.register(handle(anyone, huma.Operation{Method: get, Path: "/v1/dev/mailbox", OperationID: "dev-mailbox", Tags: []string{"Development"},
			Summary: "Messages sent to an address (dev mail mode only)", Errors: []int{400},
			Description: "Newest first. Not served in production mode; dev mode listens on loopback only."}, s.devMailbox))
	}
}

// SignUpInput is a sign-up.
type SignUpInput struct{ Body CredentialsBody }

func (s *Server) signUp(ctx context.Context, in *SignUpInput) (*SignUpOutput, error) {
	u, err := s.opts.Accounts.SignUp(ctx, in.Body.Email, in.Body.Password)
	if err != nil {
		return nil, err
	}
	out := &SignUpOutput{}
	out.Body.UserID, out.Body.Status = u.ID, string(u.Status)
	return out, nil
}

// ConfirmInput confirms an account.
type ConfirmInput struct {
	Body struct {
		Email string `json:"email" maxLength:"254"`
		Code  string `json:"code" maxLength:"12" example:"123456"`
	}
}

func (s *Server) confirm(ctx context.Context, in *ConfirmInput) (*StatusOutput, error) {
	if err := s.opts.Accounts.Confirm(ctx, in.Body.Email, in.Body.Code); err != nil {
		return nil, err
	}
	return statusOutput(string(kyc.UserConfirmed)), nil
}

func statusOutput(status string) *StatusOutput {
	out := &StatusOutput{}
	out.Body.Status = status
	return out
}

// EmailInput carries an e-mail address.
type EmailInput struct{ Body EmailBody }

func (s *Server) resendCode(ctx context.Context, in *EmailInput) (*struct{}, error) {
	return nil, s.opts.Accounts.ResendCode(ctx, in.Body.Email)
}

func (s *Server) forgotPassword(ctx context.Context, in *EmailInput) (*struct{}, error) {
	return nil, s.opts.Accounts.ForgotPassword(ctx, in.Body.Email)
}

// SignInInput is a sign-in.
type SignInInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"254"`
		Password string `json:"password" maxLength:"1024"`
		TOTPCode string `json:"totp_code,omitempty" maxLength:"20" doc:"authenticator or recovery code, when MFA is on"`
	}
}

func (s *Server) signIn(ctx context.Context, in *SignInInput) (*SignInOutput, error) {
	t, err := s.opts.Accounts.SignIn(ctx, in.Body.Email, in.Body.Password, in.Body.TOTPCode)
	if err != nil {
		return nil, err
	}
	return &SignInOutput{SetCookie: s.sessionCookie(t.Session, t.SessionExpiresAt), Body: tokensBody(t)}, nil
}

// RefreshInput spends a refresh token.
type RefreshInput struct {
	Body struct {
		RefreshToken string `json:"refresh_token" maxLength:"200"`
	}
}

// TokensOutput answers a refresh.
type TokensOutput struct{ Body TokensBody }

func (s *Server) refresh(ctx context.Context, in *RefreshInput) (*TokensOutput, error) {
	t, err := s.opts.Accounts.Refresh(ctx, in.Body.RefreshToken)
	if err != nil {
		return nil, err
	}
	return &TokensOutput{tokensBody(t)}, nil
}

// CookieOutput answers with only a cookie (one that ends the session).
type CookieOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

func (s *Server) signOut(ctx context.Context, _ *struct{}) (*CookieOutput, error) {
	if err := s.opts.Accounts.SignOut(ctx, caller(ctx)); err != nil {
		return nil, err
	}
	return &CookieOutput{s.sessionCookie("", time.Time{})}, nil
}

// ResetPasswordInput sets a new password with a reset code.
type ResetPasswordInput struct {
	Body struct {
		Email       string `json:"email" maxLength:"254"`
		Code        string `json:"code" maxLength:"12"`
		NewPassword string `json:"new_password" maxLength:"1024"`
	}
}

func (s *Server) resetPassword(ctx context.Context, in *ResetPasswordInput) (*StatusOutput, error) {
	if err := s.opts.Accounts.ResetPassword(ctx, in.Body.Email, in.Body.Code, in.Body.NewPassword); err != nil {
		return nil, err
	}
	return statusOutput("password_reset"), nil
}

// ChangePasswordInput changes a signed-in person's password.
type ChangePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"1024"`
		NewPassword     string `json:"new_password" maxLength:"1024"`
	}
}

func (s *Server) changePassword(ctx context.Context, in *ChangePasswordInput) (*StatusOutput, error) {
	if err := s.opts.Accounts.ChangePassword(ctx, caller(ctx), in.Body.CurrentPassword, in.Body.NewPassword); err != nil {
		return nil, err
	}
	return statusOutput("password_changed"), nil
}

// TOTPSecretOutput is a new TOTP secret.
type TOTPSecretOutput struct {
	Body struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
	}
}

func (s *Server) totpSetup(ctx context.Context, _ *struct{}) (*TOTPSecretOutput, error) {
	secret, url, err := s.opts.Accounts.TOTPSetup(ctx, caller(ctx))
	if err != nil {
		return nil, err
	}
	out := &TOTPSecretOutput{}
	out.Body.Secret, out.Body.OTPAuthURL = secret, url
	return out, nil
}

// TOTPCodeInput is a code from an authenticator app.
type TOTPCodeInput struct {
	Body struct {
		Code string `json:"code" maxLength:"12"`
	}
}

// RecoveryCodesOutput are MFA recovery codes, shown once.
type RecoveryCodesOutput struct {
	Body struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
}

func (s *Server) totpVerify(ctx context.Context, in *TOTPCodeInput) (*RecoveryCodesOutput, error) {
	codes, err := s.opts.Accounts.TOTPVerify(ctx, caller(ctx), in.Body.Code)
	if err != nil {
		return nil, err
	}
	out := &RecoveryCodesOutput{}
	out.Body.RecoveryCodes = codes
	return out, nil
}

func (s *Server) me(ctx context.Context, _ *struct{}) (*UserOutput, error) {
	p := caller(ctx)
	if u := p.Account; u != nil && u.ID == p.UserID {
		return &UserOutput{Body: userBody(u)}, nil // read by this request's authentication
	}
	u, err := s.opts.Accounts.Me(ctx, p)
	if err != nil {
		return nil, err
	}
	return &UserOutput{Body: userBody(u)}, nil
}

// MailboxInput names the address whose mail to show.
type MailboxInput struct {
	To string `query:"to" required:"true" maxLength:"254"`
}

// MailBody is a message of the dev mailbox.
type MailBody struct {
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	SentAt  time.Time `json:"sent_at"`
}

// MailboxOutput is the dev mailbox of an address.
type MailboxOutput struct{ Body []MailBody }

func (s *Server) devMailbox(ctx context.Context, in *MailboxInput) (*MailboxOutput, error) {
	to, err := kyc.NormalizeEmail(in.To)
	if err != nil {
		return nil, err
	}
	msgs, err := s.opts.DB.ListMail(ctx, to)
	if err != nil {
		return nil, err
	}
	out := &MailboxOutput{Body: []MailBody{}}
	for _, m := range msgs {
		out.Body = append(out.Body, MailBody{To: m.To, Subject: m.Subject, Body: m.Body, SentAt: m.SentAt})
	}
	return out, nil
}

func tokensBody(t *account.Tokens) TokensBody {
	return TokensBody{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer", ExpiresIn: t.ExpiresIn}
}

// LimitInput bounds a list.
type LimitInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

// UsersOutput lists accounts.
type UsersOutput struct{ Body []UserBody }

func (s *Server) listUsers(ctx context.Context, in *LimitInput) (*UsersOutput, error) {
	users, err := s.opts.Accounts.ListUsers(ctx, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &UsersOutput{Body: make([]UserBody, len(users))}
	for i, u := range users {
		out.Body[i] = userBody(u)
	}
	return out, nil
}

func (s *Server) setRoles(ctx context.Context, in *RolesInput) (*UserOutput, error) {
	roles, err := kyc.ParseRoles(in.Body.Roles, kyc.UserRoles)
	if err != nil {
		return nil, err
	}
	u, err := s.opts.Accounts.SetRoles(ctx, caller(ctx), in.ID, roles)
	if err != nil {
		return nil, err
	}
	return &UserOutput{Body: userBody(u)}, nil
}

// UserIDInput names an account.
type UserIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

func (s *Server) disableUser(ctx context.Context, in *UserIDInput) (*UserOutput, error) {
	u, err := s.opts.Accounts.SetDisabled(ctx, caller(ctx), in.ID, true)
	if err != nil {
		return nil, err
	}
	return &UserOutput{Body: userBody(u)}, nil
}

func (s *Server) enableUser(ctx context.Context, in *UserIDInput) (*UserOutput, error) {
	u, err := s.opts.Accounts.SetDisabled(ctx, caller(ctx), in.ID, false)
	if err != nil {
		return nil, err
	}
	return &UserOutput{Body: userBody(u)}, nil
}

// CreateAPIKeyInput names a new key and its roles.
type CreateAPIKeyInput struct {
	Body struct {
		Name  string   `json:"name" maxLength:"100" example:"crm integration"`
		Roles []string `json:"roles" minItems:"1" doc:"integrator, reviewer and/or admin"`
		// Sites that may embed the key's sessions with /sdk/kycd.js.
		EmbedOrigins []string `json:"embed_origins,omitempty" maxItems:"10" doc:"integrator keys: the sites (https://shop.example) whose pages may embed the key's verification sessions with /sdk/kycd.js; every other site is refused"`
	}
}

// NewAPIKeyOutput is a new key, shown once.
type NewAPIKeyOutput struct {
	Body struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
}

func (s *Server) createAPIKey(ctx context.Context, in *CreateAPIKeyInput) (*NewAPIKeyOutput, error) {
	roles, err := kyc.ParseRoles(in.Body.Roles, kyc.KeyRoles)
	if err != nil {
		return nil, err
	}
	k, value, err := s.opts.Accounts.CreateAPIKey(ctx, caller(ctx), in.Body.Name, roles, in.Body.EmbedOrigins)
	if err != nil {
		return nil, err
	}
	out := &NewAPIKeyOutput{}
	out.Body.ID, out.Body.Key = k.ID, value
	return out, nil
}

// APIKeysOutput lists API keys.
type APIKeysOutput struct{ Body []APIKeyBody }

func (s *Server) listAPIKeys(ctx context.Context, _ *struct{}) (*APIKeysOutput, error) {
	keys, err := s.opts.Accounts.ListAPIKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := &APIKeysOutput{Body: make([]APIKeyBody, len(keys))}
	for i, k := range keys {
		out.Body[i] = apiKeyBody(k)
	}
	return out, nil
}

// EmbedOriginsInput sets a key's embedding sites.
type EmbedOriginsInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		EmbedOrigins []string `json:"embed_origins" maxItems:"10" doc:"the sites whose pages may embed the key's verification sessions; empty: none"`
	}
}

// APIKeyOutput is one API key.
type APIKeyOutput struct{ Body APIKeyBody }

func (s *Server) setEmbedOrigins(ctx context.Context, in *EmbedOriginsInput) (*APIKeyOutput, error) {
	k, err := s.opts.Accounts.SetEmbedOrigins(ctx, caller(ctx), in.ID, in.Body.EmbedOrigins)
	if err != nil {
		return nil, err
	}
	return &APIKeyOutput{Body: apiKeyBody(k)}, nil
}

// KeyIDInput names an API key.
type KeyIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

func (s *Server) revokeAPIKey(ctx context.Context, in *KeyIDInput) (*struct{}, error) {
	return nil, s.opts.Accounts.RevokeAPIKey(ctx, caller(ctx), in.ID)
}

// AuditInput filters the audit trail.
type AuditInput struct {
	SubjectID string `query:"subject_id" maxLength:"100"`
	Limit     int    `query:"limit" minimum:"1" maximum:"10000" default:"1000"`
}

// AuditEventBody is one event of the audit trail.
type AuditEventBody struct {
	ID        int64             `json:"id"`
	At        time.Time         `json:"at"`
	Action    string            `json:"action"`
	ActorID   string            `json:"actor_id"`
	SubjectID string            `json:"subject_id"`
	Detail    map[string]string `json:"detail,omitempty"`
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
}

func auditEventBodies(evs []*store.AuditEvent) []AuditEventBody {
	out := make([]AuditEventBody, len(evs))
	for i, e := range evs {
		out[i] = AuditEventBody{ID: e.ID, At: e.At, Action: e.Action, ActorID: e.ActorID, SubjectID: e.SubjectID,
			Detail: e.Detail, PrevHash: e.PrevHash, Hash: e.Hash}
	}
	return out
}

// AuditOutput is a part of the audit trail.
type AuditOutput struct{ Body []AuditEventBody }

func (s *Server) auditTrail(ctx context.Context, in *AuditInput) (*AuditOutput, error) {
	events, err := s.opts.DB.ListAudit(ctx, in.SubjectID, in.Limit)
	if err != nil {
		return nil, err
	}
	return &AuditOutput{auditEventBodies(events)}, nil
}
