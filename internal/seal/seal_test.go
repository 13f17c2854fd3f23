package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func mustKey(t *testing.T) *Key {
	t.Helper()
	k, err := ParseKey(GenerateKeyText())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	kr := NewKeyring(mustKey(t))
	msg := []byte("passport scan bytes")
	sealed, err := kr.Seal(msg, []byte("verifications/a/front.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != len(msg)+Overhead {
		t.Errorf("len(sealed) = %d, want %d", len(sealed), len(msg)+Overhead)
	}
	if bytes.Contains(sealed, msg) {
		t.Fatal("sealed message contains the plaintext")
	}
	got, err := kr.Open(sealed, []byte("verifications/a/front.jpg"))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Open() = %q, %v", got, err)
	}
	again, _ := kr.Seal(msg, nil)
	if bytes.Equal(again[headerLen:], sealed[headerLen:]) {
		t.Error("two seals of one message are equal: the data key is not fresh")
	}
}

func TestOpenRefuses(t *testing.T) {
	kr := NewKeyring(mustKey(t))
	sealed, _ := kr.Seal([]byte("secret"), []byte("a"))
	flip := func(i int) []byte { b := bytes.Clone(sealed); b[i] ^= 1; return b }
	tests := []struct {
		name   string
		sealed []byte
		aad    string
		want   error
	}{
		{"other name", sealed, "b", ErrCorrupt},
		{"flipped data", flip(len(sealed) - 1), "a", ErrCorrupt},
		{"flipped wrapped key", flip(4 + idSize + 20), "a", ErrCorrupt},
		{"flipped key id", flip(4), "a", ErrUnknownKey},
		{"truncated", sealed[:Overhead-1], "a", ErrCorrupt},
		{"not sealed", []byte("plain text that is long enough to pass the length check, surely, yes it is long"), "a", ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := kr.Open(tt.sealed, []byte(tt.aad)); !errors.Is(err, tt.want) {
				t.Errorf("Open() = %v, want %v", err, tt.want)
			}
		})
	}
	other := NewKeyring(mustKey(t))
	if _, err := other.Open(sealed, []byte("a")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open with another master key = %v, want ErrUnknownKey", err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	sealed, _ := NewKeyring(oldKey).Seal([]byte("selfie"), []byte("k"))
	kr := NewKeyring(newKey, oldKey)
	if got, err := kr.Open(sealed, []byte("k")); err != nil || string(got) != "selfie" {
		t.Fatalf("Open(old) = %q, %v", got, err)
	}
	rewrapped, err := kr.Rewrap(sealed, []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := KeyID(rewrapped); id != newKey.ID() {
		t.Errorf("KeyID(rewrapped) = %s, want %s", id, newKey.ID())
	}
	if got, err := NewKeyring(newKey).Open(rewrapped, []byte("k")); err != nil || string(got) != "selfie" {
		t.Errorf("Open(rewrapped) without the old key = %q, %v", got, err)
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, 32)
	for _, text := range []string{
		"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
		"0707070707070707070707070707070707070707070707070707070707070707",
	} {
		k, err := ParseKey(text)
		if err != nil {
			t.Fatalf("ParseKey(%q) = %v", text, err)
		}
		want, _ := NewKey(raw)
		if k.ID() != want.ID() {
			t.Errorf("ParseKey(%q) has id %s, want %s", text, k.ID(), want.ID())
		}
	}
	for _, bad := range []string{"", "short", "BwcHBwcH"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) = nil error", bad)
		}
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "master.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreateKeyFile() = %v, created %v", err, created)
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || k1.ID() != k2.ID() {
		t.Fatalf("second LoadOrCreateKeyFile() = %v, created %v, same key %v", err, created, k1.ID() == k2.ID())
	}
	os.Chmod(path, 0o644)
	if _, err := LoadKeyFile(path); err == nil {
		t.Error("LoadKeyFile accepted a world-readable key file")
	}
}
