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
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
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

// Confirm checks the e-mailed code and confirms the account. Confirming a
// confirmed account again succeeds.
func (s *Service) Confirm(ctx context.Context, email, code string) error {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return kyc.Errorf(kyc.Invalid, "wrong code")
	}
	if u.Status == kyc.UserConfirmed {
		return nil
	}
	if u.Status != kyc.UserUnconfirmed {
		return kyc.Errorf(kyc.Forbidden, "this account is disabled")
	}
	if err := s.checkCode(ctx, u, "confirm", code); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		u.Status = kyc.UserConfirmed
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteCode(ctx, u.ID, "confirm"); err != nil {
			return err
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
	return s.db.InTx(ctx, func(tx *store.Tx) error {
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
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := audit(ctx, tx, "auth.password.reset_requested", u.ID, u.ID, nil); err != nil {
			return err
		}
		return s.sendCode(ctx, tx, u, "reset", ResetCodeTTL)
	})
}

// ResetPassword sets a new password with a reset code, revokes every session
// and token of the account and lifts any lockout.
func (s *Service) ResetPassword(ctx context.Context, email, code, newPassword string) error {
	u, err := s.userByEmail(ctx, email)
	if err != nil || u.Status == kyc.UserDisabled {
		return kyc.Errorf(kyc.Invalid, "wrong code")
	}
	if err := s.opts.Policy.Check(newPassword); err != nil {
		return err
	}
	if err := s.checkCode(ctx, u, "reset", code); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		u.PasswordHash = password.Hash(newPassword, s.opts.Password)
		u.FailedLogins, u.LockedUntil = 0, timeZero
		if u.Status == kyc.UserUnconfirmed {
			u.Status = kyc.UserConfirmed // the code proved the address
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteCode(ctx, u.ID, "reset"); err != nil {
			return err
		}
		if err := tx.RevokeUserTokens(ctx, u.ID); err != nil {
			return err
		}
		return audit(ctx, tx, "auth.password.reset", u.ID, u.ID, nil)
	})
}

// ChangePassword replaces a signed-in user's password after checking the
// current one, and revokes their other sessions and tokens.
func (s *Service) ChangePassword(ctx context.Context, p *kyc.Principal, current, newPassword string) error {
	u, err := s.db.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	if ok, _ := password.Verify(current, u.PasswordHash, s.opts.Password); !ok {
		return kyc.Errorf(kyc.Invalid, "the current password is wrong")
	}
	if err := s.opts.Policy.Check(newPassword); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		u.PasswordHash = password.Hash(newPassword, s.opts.Password)
		if err := tx.UpdateUser(ctx, u); err != nil {
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
