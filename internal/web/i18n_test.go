package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestEveryLanguageHasEveryKey (issue 16): every text an applicant sees,
// every reason and warning code's advice among them, exists in every
// language (the reviewers' console is English only).
func TestEveryLanguageHasEveryKey(t *testing.T) {
	for _, l := range languages {
		table := tables[l.Tag]
		for key := range english {
			switch strings.SplitN(key, ".", 2)[0] {
			case "queue", "case", "reason":
				continue
			}
			if table[key] == "" {
				t.Errorf("%s: no text for %q", l.Tag, key)
			}
		}
		for _, code := range append(append([]string{}, kyc.Reasons...), document.Warnings...) {
			if table["advice."+code] == "" {
				t.Errorf("%s: no advice for %q", l.Tag, code)
			}
		}
		for key, text := range table {
			if _, ok := english[key]; !ok {
				t.Errorf("%s: %q is no key of the pages", l.Tag, key)
			}
			if strings.Contains(english[key], "{n}") && !strings.Contains(text, "{n}") {
				t.Errorf("%s: %q lacks its {n}", l.Tag, key)
			}
		}
	}
}

// TestLanguageChoice: the switcher's choice, then its cookie, then the
// browser's Accept-Language; English when nothing matches.
func TestLanguageChoice(t *testing.T) {
	for _, tt := range []struct {
		url, cookie, accept, want string
	}{
		{"/verify", "", "", "en"},
		{"/verify", "", "de-DE,de;q=0.9,en;q=0.8", "de"},
		{"/verify", "", "es-MX", "es"},
		{"/verify", "", "hi-IN", "hi"},
		{"/verify", "", "fr-FR", "en"},
		{"/verify", "es", "de", "es"},
		{"/verify?lang=hi", "es", "de", "hi"},
		{"/verify?lang=xx", "", "de", "de"},
	} {
		r := httptest.NewRequest("GET", tt.url, nil)
		if tt.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tt.cookie})
		}
		r.Header.Set("Accept-Language", tt.accept)
		if got := langOf(r); got != tt.want {
			t.Errorf("%s cookie %q Accept-Language %q: %s, want %s", tt.url, tt.cookie, tt.accept, got, tt.want)
		}
	}
}
