// Package password hashes passwords with argon2id and enforces the password
// policy: a minimum length and a refusal of the most common passwords.
package password

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/kycd/kycd/internal/kyc"
)

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams follow OWASP's argon2id advice (19 MiB, 2 passes, 1 lane).
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const saltLen, keyLen = 16, 32

// Hash returns an encoded argon2id hash of pw in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
func Hash(pw string, p Params) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// Verify reports whether pw matches the encoded hash, in constant time, and
// whether the hash was made with other parameters than p and should be
// replaced.
func Verify(pw, encoded string, p Params) (ok, rehash bool) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false
	}
	var hp Params
	var threads int
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &hp.MemoryKiB, &hp.Time, &threads); err != nil {
		return false, false
	}
	hp.Threads = uint8(threads)
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, false
	}
	got := argon2.IDKey([]byte(pw), salt, hp.Time, hp.MemoryKiB, hp.Threads, uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && hp != p
}

//go:embed common.txt
var commonText string

var (
	commonOnce sync.Once
	common     map[string]bool
)

// IsCommon reports whether pw (case-insensitively) is on the list of common
// passwords shipped with kycd.
func IsCommon(pw string) bool {
	commonOnce.Do(func() {
		common = map[string]bool{}
		s := bufio.NewScanner(strings.NewReader(commonText))
		for s.Scan() {
			common[strings.ToLower(s.Text())] = true
		}
	})
	return common[strings.ToLower(pw)]
}

// Policy is what a new password must satisfy.
type Policy struct {
	MinLength    int  // in characters; 8 by default
	RejectCommon bool // refuse the common-password list
}

// Check returns an invalid error saying why pw does not satisfy the policy.
func (p Policy) Check(pw string) error {
	min := p.MinLength
	if min <= 0 {
		min = 8
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < min:
		return kyc.Errorf(kyc.Invalid, "the password must have at least %d characters", min)
	case len(pw) > 1024:
		return kyc.Errorf(kyc.Invalid, "the password is longer than 1024 bytes")
	case p.RejectCommon && IsCommon(pw):
		return kyc.Errorf(kyc.Invalid, "that password is one of the most common ones: choose another")
	}
	return nil
}
