package account

import (
	"context"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/password"
	"github.com/kycd/kycd/internal/store"
)

// SignUp creates an unconfirmed applicant account and mails a confirmation
// code valid 24 hours.
func (s *Service) SignUp(ctx context.Context, email, pw string) (*kyc.User, error) {
	u, err := s.newUser(email, pw, kyc.UserUnconfirmed, []kyc.Role{kyc.RoleApplicant})
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, "sign up", func(tx *store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := audit(ctx, tx, "auth.signup", u.ID, u.ID, nil); err != nil {
			return err
		}
		return s.sendCode(ctx, tx, u, "confirm", ConfirmCodeTTL)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Confirm checks the e-mailed code and confirms the account. Every failure
// answers "wrong code" (or "expired" once the code's tries or time are
// used), after the same work, whether the address has an account, is
// confirmed already or is disabled: the answer tells nothing about it.
func (s *Service) Confirm(ctx context.Context, email, code string) error {
	u, err := s.userByEmail(ctx, email)
	userID := ""
	if err == nil {
		userID = u.ID
	}
	hash, err := s.checkCode(ctx, userID, "confirm", code)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, "confirm", func(tx *store.Tx) error {
		if err := spendCode(ctx, tx, u.ID, "confirm", hash); err != nil {
			return err
		}
		ok, err := tx.SetUserStatus(ctx, u.ID, kyc.UserUnconfirmed, kyc.UserConfirmed)
		if err != nil {
			return err
		}
		if !ok {
			return kyc.Errorf(kyc.Forbidden, "this account is disabled")
		}
		return audit(ctx, tx, "auth.confirm", u.ID, u.ID, nil)
	})
}

// ResendCode mails a new confirmation code to an unconfirmed account. It
// says nothing about whether the address has an account.
func (s *Service) ResendCode(ctx context.Context, email string) error {
	u, err := s.userByEmail(ctx, email)
	if err != nil || u.Status != kyc.UserUnconfirmed {
		return nil
	}
	return s.db.InTx(ctx, "resend code", func(tx *store.Tx) error {
		return s.sendCode(ctx, tx, u, "confirm", ConfirmCodeTTL)
	})
}

// ForgotPassword mails a reset code valid 1 hour, if the address has an
// account. The answer is the same either way.
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	u, err := s.userByEmail(ctx, email)
	if err != nil || u.Status == kyc.UserDisabled {
		return nil
	}
	return s.db.InTx(ctx, "forgot password", func(tx *store.Tx) error {
		if err := audit(ctx, tx, "auth.password.reset_requested", u.ID, u.ID, nil); err != nil {
			return err
		}
		return s.sendCode(ctx, tx, u, "reset", ResetCodeTTL)
	})
}

// ResetPassword sets a new password with a reset code, revokes every session
// and token of the account and lifts any lockout. The new password is
// checked against the policy first, before anything about the account, and
// an unknown or disabled address answers "wrong code" after the same work.
func (s *Service) ResetPassword(ctx context.Context, email, code, newPassword string) error {
	if err := s.opts.Policy.Check(newPassword); err != nil {
		return err
	}
	u, err := s.userByEmail(ctx, email)
	userID := ""
	if err == nil && u.Status != kyc.UserDisabled {
		userID = u.ID
	}
	hash, err := s.checkCode(ctx, userID, "reset", code)
	if err != nil {
		return err
	}
	newHash := password.Hash(newPassword, s.opts.Password)
	return s.db.InTx(ctx, "reset password", func(tx *store.Tx) error {
		if err := spendCode(ctx, tx, u.ID, "reset", hash); err != nil {
			return err
		}
		ok, err := tx.ResetPassword(ctx, u.ID, newHash)
		if err != nil {
			return err
		}
		if !ok {
			return wrongCode() // disabled meanwhile
		}
		if err := tx.ClearLoginAttempts(ctx, s.loginKey(u.Email)); err != nil {
			return err
		}
		if err := tx.RevokeUserTokens(ctx, u.ID); err != nil {
			return err
		}
		return audit(ctx, tx, "auth.password.reset", u.ID, u.ID, nil)
	})
}

// ChangePassword replaces a signed-in user's password after checking the
// current one, and revokes their sessions and tokens. Wrong current
// passwords count towards the lockout like wrong sign-ins (a stolen session
// must not be a way to guess the password), and the change applies only if
// the password is still the one checked.
func (s *Service) ChangePassword(ctx context.Context, p *kyc.Principal, current, newPassword string) error {
	u, err := s.db.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	if err := s.opts.Policy.Check(newPassword); err != nil {
		return err
	}
	key := s.loginKey(u.Email)
	n, until, err := s.takeAttempt(ctx, key)
	if err != nil {
		return err
	}
	if n == 0 {
		return lockedErr(until.Sub(s.now()))
	}
	if ok, _ := password.Verify(current, u.PasswordHash, s.opts.Password); !ok {
		return s.failSignIn(ctx, u.ID, "wrong_current_password", n, kyc.Errorf(kyc.Invalid, "the current password is wrong"))
	}
	newHash := password.Hash(newPassword, s.opts.Password)
	return s.db.InTx(ctx, "change password", func(tx *store.Tx) error {
		ok, err := tx.SetPassword(ctx, u.ID, u.PasswordHash, newHash)
		if err != nil {
			return err
		}
		if !ok {
			return kyc.Errorf(kyc.Conflict, "the password was changed meanwhile: sign in again")
		}
		if err := tx.ClearLoginAttempts(ctx, key); err != nil {
			return err
		}
		if err := tx.RevokeUserTokens(ctx, u.ID); err != nil {
			return err
		}
		return audit(ctx, tx, "auth.password.change", u.ID, u.ID, nil)
	})
}

// newUser checks an address and a password against the policy and makes the
// account record, its password hashed.
func (s *Service) newUser(email, pw string, status kyc.UserStatus, roles []kyc.Role) (*kyc.User, error) {
	email, err := kyc.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if err := s.opts.Policy.Check(pw); err != nil {
		return nil, err
	}
	return &kyc.User{ID: kyc.NewID(nil, "usr"), Email: email, PasswordHash: password.Hash(pw, s.opts.Password),
		Status: status, Roles: roles}, nil
}

func (s *Service) userByEmail(ctx context.Context, email string) (*kyc.User, error) {
	email, err := kyc.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	return s.db.GetUserByEmail(ctx, email)
}
