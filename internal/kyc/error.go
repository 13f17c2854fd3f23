// Package kyc holds kycd's domain types: verification states, reason codes and
// the one error type every layer returns. It imports only the standard library.
package kyc

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error code. Codes are part of the public
// API contract: they are only ever added, never renamed or removed.
type Code string

// The stable error codes of the API contract.
const (
	Invalid          Code = "invalid"
	Unauthorized     Code = "unauthorized"
	MFARequired      Code = "mfa_required"
	Forbidden        Code = "forbidden"
	NotFound         Code = "not_found"
	Conflict         Code = "conflict"
	TooLarge         Code = "too_large"
	UnsupportedMedia Code = "unsupported_media"
	NoFace           Code = "no_face"
	RateLimited      Code = "rate_limited"
	Locked           Code = "locked"
	Expired          Code = "expired"
	Unavailable      Code = "unavailable"
	Internal         Code = "internal"
)

// Codes lists every stable code, in the order the API documentation shows them.
var Codes = []Code{Invalid, Unauthorized, MFARequired, Forbidden, NotFound, Conflict,
	TooLarge, UnsupportedMedia, NoFace, RateLimited, Locked, Expired, Unavailable, Internal}

// Error is an error with a stable code and a message that is safe to show to
// the caller. The wrapped error, if any, is for logs and errors.Is/As only.
type Error struct {
	Code    Code
	Message string
	// Reason, when set, is a finer machine-readable cause within the code,
	// such as too_many_attempts for rate_limited.
	Reason string
	Err    error
	// RetryAfter, when set, tells the caller when trying again can succeed
	// (a lockout, a rate limit); HTTP sends it as Retry-After.
	RetryAfter time.Duration
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message that wraps err.
func Wrap(code Code, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the first *Error in err's chain, or Internal
// when there is none (an unexpected failure).
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain, or a generic message for unexpected failures, whose text may hold
// details that must not leave the server.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
