package kyc

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestCanTransition(t *testing.T) {
	tests := []struct {
		from, to Status
		want     Code
	}{
		{StatusCreated, StatusLivenessPassed, ""},
		{StatusCreated, StatusProcessing, Conflict},
		{StatusLivenessPassed, StatusDocumentSubmitted, ""},
		{StatusDocumentSubmitted, StatusProcessing, ""},
		{StatusProcessing, StatusNeedsReview, ""},
		{StatusNeedsReview, StatusApproved, ""},
		{StatusApproved, StatusRejected, Conflict},
		{StatusErased, StatusCreated, Conflict},
		{StatusApproved, StatusErased, ""},
		{"bogus", StatusErased, Invalid},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s->%s", tt.from, tt.to), func(t *testing.T) {
			err := CanTransition(tt.from, tt.to)
			if got := ErrorCode(err); got != tt.want {
				t.Errorf("CanTransition(%s, %s) = %v, want code %q", tt.from, tt.to, err, tt.want)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	base := Errorf(NotFound, "no such verification")
	wrapped := fmt.Errorf("load: %w", base)
	if got := ErrorCode(wrapped); got != NotFound {
		t.Errorf("ErrorCode(wrapped) = %q, want %q", got, NotFound)
	}
	if got := ErrorMessage(wrapped); got != "no such verification" {
		t.Errorf("ErrorMessage(wrapped) = %q", got)
	}
	plain := errors.New("disk on fire at /secret/path")
	if got := ErrorCode(plain); got != Internal {
		t.Errorf("ErrorCode(plain) = %q, want internal", got)
	}
	if got := ErrorMessage(plain); got != "internal error" {
		t.Errorf("ErrorMessage(plain) leaks %q", got)
	}
	if ErrorCode(nil) != "" {
		t.Errorf("ErrorCode(nil) is not empty")
	}
}

func TestNewID(t *testing.T) {
	id := NewID(bytes.NewReader(make([]byte, 15)), "ver")
	if id != "ver_000000000000000000000000" {
		t.Errorf("NewID(zeros) = %q", id)
	}
	if !ValidID(id, "ver") || ValidID(id, "usr") || ValidID("ver_../../etc", "ver") {
		t.Errorf("ValidID accepts or refuses the wrong ids")
	}
	if a, b := NewID(nil, "x"), NewID(nil, "x"); a == b {
		t.Errorf("NewID returned %q twice", a)
	}
}

func TestPlainText(t *testing.T) {
	for s, want := range map[string]bool{
		"crm-4711": true, "Zoë Ångström 北京": true, "": true,
		"a\x00b": false, "line\nbreak": false, "tab\there": false, "\xff\xfe": false, "x\ufffdy": false,
		"esc\x1b[31m": false, "rtl\u202eoverride": false, "del\x7f": false,
	} {
		if got := PlainText(s); got != want {
			t.Errorf("PlainText(%q) = %v, want %v", s, got, want)
		}
	}
}
