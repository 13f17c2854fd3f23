package web

import (
	"testing"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/kyc"
)

// TestEveryCodeHasText: the pages show a reason or a warning by its text;
// a code without one would be shown as a raw key ("advice.blurry").
func TestEveryCodeHasText(t *testing.T) {
	for _, code := range append(append([]string{}, kyc.Reasons...), document.Warnings...) {
		if _, ok := english["advice."+code]; !ok {
			t.Errorf("no text for %q", code)
		}
	}
	for _, code := range kyc.Reasons {
		if _, ok := english["reason."+code]; !ok {
			t.Errorf("no reviewer's text for %q", code)
		}
	}
}

// TestEveryFieldHasLabel: the check step names each field in words, not by
// its key (DATE_OF_BIRTH).
func TestEveryFieldHasLabel(t *testing.T) {
	for _, f := range fieldOrder {
		if _, ok := english["field."+f]; !ok {
			t.Errorf("no label for field %s", f)
		}
	}
}
