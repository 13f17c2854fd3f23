package account

import (
	"testing"
	"time"
)

func TestLockFor(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {10, 32 * time.Second},
		{14, 512 * time.Second}, {15, MaxLock}, {40, MaxLock}, {1000, MaxLock},
	}
	for _, tt := range tests {
		if got := lockFor(tt.failures); got != tt.want {
			t.Errorf("lockFor(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := newRecoveryCode()
		if len(c) != 11 || c[5] != '-' || seen[c] {
			t.Fatalf("newRecoveryCode() = %q (seen before: %v)", c, seen[c])
		}
		seen[c] = true
	}
	if recoveryHash("u", "ABCDE-fghjk ") != recoveryHash("u", "abcde-fghjk") {
		t.Error("recovery codes are not case- and space-insensitive")
	}
}
