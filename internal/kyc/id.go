package kyc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a random, URL-safe identifier with the given prefix, such as
// "ver_3k9x...". It reads 15 bytes (120 bits) from r, or from crypto/rand when
// r is nil.
func NewID(r io.Reader, prefix string) string {
	if r == nil {
		r = rand.Reader
	}
	var b [15]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		panic("kyc: random source failed: " + err.Error())
	}
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s looks like an id made by NewID with that prefix.
func ValidID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 24 {
		return false
	}
	_, err := idEncoding.DecodeString(rest)
	return err == nil
}

// HashSecret is how every high-entropy credential is stored: its SHA-256.
func HashSecret(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a random credential (256 bits) with a type prefix, and
// its hash.
func NewSecret(prefix string) (value, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	value = prefix + "_" + base64.RawURLEncoding.EncodeToString(b)
	return value, HashSecret(value)
}
