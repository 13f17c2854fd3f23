package totp

import (
	"strings"
	"testing"
	"time"
)

// The test vectors of RFC 6238 appendix B (SHA-1), truncated to 6 digits.
func TestRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	}
	for _, tt := range tests {
		if got := Code(secret, StepAt(time.Unix(tt.unix, 0))); got != tt.want {
			t.Errorf("Code(T=%d) = %s, want %s", tt.unix, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_800_000_000, 0)
	cur := StepAt(now)
	tests := []struct {
		name     string
		code     string
		lastStep int64
		ok       bool
	}{
		{"current", Code(secret, cur), 0, true},
		{"previous step (skew)", Code(secret, cur-1), 0, true},
		{"next step (skew)", Code(secret, cur+1), 0, true},
		{"two steps old", Code(secret, cur-2), 0, false},
		{"replayed", Code(secret, cur), cur, false},
		{"wrong", "000000", 0, Code(secret, cur) == "000000"},
		{"short", "12345", 0, false},
	}
	for _, tt := range tests {
		if _, ok := Validate(secret, tt.code, now, tt.lastStep); ok != tt.ok {
			t.Errorf("%s: Validate() = %v, want %v", tt.name, ok, tt.ok)
		}
	}
}

func TestURL(t *testing.T) {
	secret := []byte("12345678901234567890")
	u := URL("kycd", "ana@example.com", secret)
	if !strings.HasPrefix(u, "otpauth://totp/kycd:ana@example.com?") || !strings.Contains(u, "secret="+Encode(secret)) {
		t.Errorf("URL() = %q", u)
	}
	back, err := Decode(strings.ToLower(Encode(secret)))
	if err != nil || string(back) != string(secret) {
		t.Errorf("Decode(Encode()) = %q, %v", back, err)
	}
}
