// Package seal encrypts data at rest with envelope encryption: every message
// gets a fresh AES-256-GCM data key, and that data key is itself encrypted
// ("wrapped") under a master key. A keyring can hold older master keys so that
// data sealed before a key rotation still opens.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a master key and of every data key, in bytes.
const KeySize = 32

var magic = []byte("kyc1")

const (
	idSize     = 8
	nonceSize  = 12
	tagSize    = 16
	wrappedLen = nonceSize + KeySize + tagSize
	headerLen  = len("kyc1") + idSize + wrappedLen + nonceSize
)

// Overhead is how many bytes Seal adds to a message.
const Overhead = headerLen + tagSize

// ErrUnknownKey means a sealed message names a master key the keyring lacks.
var ErrUnknownKey = errors.New("seal: sealed under a master key this keyring does not hold")

// ErrCorrupt means a sealed message was altered, truncated or is not sealed.
var ErrCorrupt = errors.New("seal: message is corrupt or was not sealed by kycd")

// Key is a master key.
type Key struct {
	id    [idSize]byte
	aead  cipher.AEAD
	index [32]byte // the root of IndexKey, derived from the raw key
}

// NewKey makes a master key from 32 raw bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("master key is %d bytes, want %d", len(raw), KeySize)
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte("kycd master key id\x00"), raw...))
	k := &Key{aead: aead}
	copy(k.id[:], sum[:idSize])
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("kycd index key"))
	copy(k.index[:], m.Sum(nil))
	return k, nil
}

// ParseKey reads a master key written as base64 (standard or URL alphabet) or
// hex, surrounding white space ignored.
func ParseKey(text string) (*Key, error) {
	text = strings.TrimSpace(text)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if raw, err := dec(text); err == nil && len(raw) == KeySize {
			return NewKey(raw)
		}
	}
	return nil, errors.New("master key must be 32 bytes written as base64 or hex (make one with: kycd keygen)")
}

// ID is a short, non-secret fingerprint of the key, for logs and rotation.
func (k *Key) ID() string { return hex.EncodeToString(k.id[:]) }

// GenerateKeyText returns a new random master key, base64-encoded.
func GenerateKeyText() string {
	raw := make([]byte, KeySize)
	rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}

// LoadKeyFile reads a master key from a file. It refuses a file that other
// users can read.
func LoadKeyFile(path string) (*Key, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	k, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateKeyFile reads the master key at path, writing a new random one
// there first when the file does not exist. created reports that it did.
func LoadOrCreateKeyFile(path string) (k *Key, created bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, fmt.Errorf("create master key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("create master key: %w", err)
		}
		_, werr := f.WriteString(GenerateKeyText() + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, false, fmt.Errorf("create master key: %w", werr)
		}
		created = true
	}
	k, err = LoadKeyFile(path)
	return k, created, err
}

// Keyring seals with its primary key and opens with any key it holds.
type Keyring struct {
	primary *Key
	byID    map[[idSize]byte]*Key
}

// NewKeyring returns a keyring that seals under primary and also opens what
// was sealed under any of older.
func NewKeyring(primary *Key, older ...*Key) *Keyring {
	kr := &Keyring{primary: primary, byID: map[[idSize]byte]*Key{primary.id: primary}}
	for _, k := range older {
		kr.byID[k.id] = k
	}
	return kr
}

// Rotated returns a keyring that seals under next and still opens what kr
// can open: the keyring of a key rotation.
func (kr *Keyring) Rotated(next *Key) *Keyring {
	out := &Keyring{primary: next, byID: map[[idSize]byte]*Key{next.id: next}}
	for id, k := range kr.byID {
		out.byID[id] = k
	}
	return out
}

// IndexKey returns a secret key for one purpose (such as keyed hashes of
// e-mail addresses for lookups and throttling), derived from the primary
// master key. It changes when the master key is rotated, so it may only key
// what can be rebuilt or lost without harm.
func (kr *Keyring) IndexKey(purpose string) []byte {
	m := hmac.New(sha256.New, kr.primary.index[:])
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// PrimaryID is the ID of the key new messages are sealed under.
func (kr *Keyring) PrimaryID() string { return kr.primary.ID() }

// Seal encrypts plaintext under a fresh data key. aad (such as the object's
// name) is authenticated but not stored: Open needs the same aad, so a sealed
// object moved to another name no longer opens.
func (kr *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	dek := make([]byte, KeySize)
	rand.Read(dek)
	out := make([]byte, headerLen, headerLen+len(plaintext)+tagSize)
	copy(out, magic)
	copy(out[4:], kr.primary.id[:])
	wrapped := kr.primary.wrap(dek, out[4:4+idSize])
	copy(out[4+idSize:], wrapped)
	nonce := out[headerLen-nonceSize : headerLen]
	rand.Read(nonce)
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, nonce, plaintext, dataAAD(aad)), nil
}

// Open decrypts a message made by Seal with the same aad.
func (kr *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	_, dek, err := kr.unwrap(sealed)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	nonce := sealed[headerLen-nonceSize : headerLen]
	plain, err := aead.Open(nil, nonce, sealed[headerLen:], dataAAD(aad))
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// Rewrap re-encrypts only the data key of a sealed message under the primary
// key, leaving the encrypted data untouched: the cheap half of a key rotation.
func (kr *Keyring) Rewrap(sealed, aad []byte) ([]byte, error) {
	if _, err := kr.Open(sealed, aad); err != nil {
		return nil, err
	}
	_, dek, _ := kr.unwrap(sealed)
	out := bytes.Clone(sealed)
	copy(out[4:], kr.primary.id[:])
	copy(out[4+idSize:], kr.primary.wrap(dek, out[4:4+idSize]))
	return out, nil
}

// KeyID returns the ID of the master key a sealed message was sealed under.
func KeyID(sealed []byte) (string, error) {
	if len(sealed) < Overhead || !bytes.Equal(sealed[:4], magic) {
		return "", ErrCorrupt
	}
	return hex.EncodeToString(sealed[4 : 4+idSize]), nil
}

func (kr *Keyring) unwrap(sealed []byte) (*Key, []byte, error) {
	if len(sealed) < Overhead || !bytes.Equal(sealed[:4], magic) {
		return nil, nil, ErrCorrupt
	}
	var id [idSize]byte
	copy(id[:], sealed[4:])
	key, ok := kr.byID[id]
	if !ok {
		return nil, nil, ErrUnknownKey
	}
	w := sealed[4+idSize : 4+idSize+wrappedLen]
	dek, err := key.aead.Open(nil, w[:nonceSize], w[nonceSize:], id[:])
	if err != nil {
		return nil, nil, ErrCorrupt
	}
	return key, dek, nil
}

func (k *Key) wrap(dek, id []byte) []byte {
	out := make([]byte, nonceSize, wrappedLen)
	rand.Read(out)
	return k.aead.Seal(out, out[:nonceSize], dek, id)
}

// dataAAD binds the data to the format and to the caller's aad. The wrapped
// data key is authenticated on its own, under the master key, so a rotation
// can replace it without touching the data.
func dataAAD(aad []byte) []byte {
	return append(bytes.Clone(magic), aad...)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
