package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
)

// TestCaseShowsWhatIsUnconfirmed: the reviewer's case page says which MRZ
// fields nothing confirmed, and that a national ID's QR did not verify.
func TestCaseShowsWhatIsUnconfirmed(t *testing.T) {
	v := &kyc.Verification{ID: "ver_1", Status: kyc.StatusNeedsReview, CreatedAt: time.Now(), Reasons: []string{kyc.ReasonUnconfirmed}}
	render := func(an *document.Analysis) string {
		t.Helper()
		view := &journey.View{Case: v, Document: &journey.DocumentView{Status: "done", Analysis: an}}
		var buf bytes.Buffer
		p := page{Lang: "en", Data: map[string]any{"Case": v, "View": view}}
		if err := pages["en"].ExecuteTemplate(&buf, "case.html", p); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	html := render(&document.Analysis{DocumentType: document.Passport, MRZ: &document.MRZReport{Format: "TD3",
		Lines: []string{"P<ESPMENGUAL<<JUAN", "L898902C36"}, ChecksPass: true, Unconfirmed: []string{"LAST_NAME"}}})
	for _, want := range []string{`id="case-unconfirmed"`, "LAST_NAME", "data_unconfirmed", "every check digit passes"} {
		if !strings.Contains(html, want) {
			t.Errorf("unconfirmed MRZ: the page lacks %q", want)
		}
	}
	html = render(&document.Analysis{DocumentType: document.IDCard, DocumentName: "Aadhaar",
		NationalID: &document.NationalIDReport{Scheme: "aadhaar_secure_qr", Last4: "2697"}})
	if !strings.Contains(html, `id="case-national"`) || !strings.Contains(html, "does not verify") {
		t.Error("an unverified QR is not shown as such")
	}
}
