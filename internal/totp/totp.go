// Package totp implements time-based one-time passwords (RFC 6238, with the
// HOTP of RFC 4226): 6 digits, 30-second steps, HMAC-SHA1, as every
// authenticator app expects.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Step is the length of a time step.
const Step = 30 * time.Second

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns 20 random bytes, the size RFC 4226 recommends.
func NewSecret() []byte {
	s := make([]byte, 20)
	rand.Read(s)
	return s
}

// Encode writes a secret as authenticator apps take it (base32, no padding).
func Encode(secret []byte) string { return b32.EncodeToString(secret) }

// Decode reads a base32 secret, ignoring spaces and case.
func Decode(s string) ([]byte, error) {
	return b32.DecodeString(strings.ToUpper(strings.ReplaceAll(s, " ", "")))
}

// URL is the otpauth:// URL an authenticator app scans from a QR code.
func URL(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer + ":" + account)
	q := url.Values{"secret": {Encode(secret)}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// StepAt is the time step t falls in.
func StepAt(t time.Time) int64 { return t.Unix() / int64(Step/time.Second) }

// Code is the 6-digit code of a time step.
func Code(secret []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// Validate checks code against the steps around now (one step of clock skew
// either way) and returns the step it matched. A step at or before lastStep
// is refused, so a code cannot be replayed.
func Validate(secret []byte, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	cur := StepAt(now)
	for _, step := range []int64{cur - 1, cur, cur + 1} {
		if step <= lastStep {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(Code(secret, step)), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}
