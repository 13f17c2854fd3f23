package kyc

import (
	"slices"
	"testing"
	"time"
)

// TestDecide: one row per reason code and per boundary of each rule,
// without models or a database.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	rules := Rules{MatchThreshold: 80, ReviewThreshold: 60, MinAge: 18,
		DocumentTypes: []string{"passport", "id_card"}, Countries: nil}
	sim := func(v float64) *float64 { return &v }
	good := func() Evidence {
		return Evidence{LivenessPassed: true, LivenessConfidence: 95, Similarity: sim(92), Document: &DocumentEvidence{
			Type: "passport", Country: "UTO", HasFields: true, DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC),
			ExpiresOn: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), PortraitFound: true, MRZRead: true, MRZValid: true}}
	}
	tests := []struct {
		name    string
		change  func(e *Evidence, r *Rules)
		status  Status
		reasons []string
	}{
		{"everything holds", func(*Evidence, *Rules) {}, StatusApproved, []string{}},
		// document_unreadable
		{"nothing read", func(e *Evidence, _ *Rules) { e.Document, e.Similarity = nil, nil }, StatusRejected, []string{ReasonUnreadable}},
		{"type unknown", func(e *Evidence, _ *Rules) { e.Document.Type = "unknown" }, StatusRejected, []string{ReasonUnreadable}},
		{"no fields", func(e *Evidence, _ *Rules) { e.Document.HasFields = false }, StatusRejected, []string{ReasonUnreadable}},
		{"no date of birth", func(e *Evidence, _ *Rules) { e.Document.DateOfBirth = time.Time{} }, StatusRejected, []string{ReasonUnreadable}},
		{"a selfie as the document: unreadable, whatever the face", func(e *Evidence, _ *Rules) {
			e.Document.Type, e.Document.HasFields, e.Document.DateOfBirth, e.Similarity = "unknown", false, time.Time{}, sim(100)
		}, StatusRejected, []string{ReasonUnreadable}},
		{"a blurry passport: unreadable first, then no face", func(e *Evidence, _ *Rules) {
			e.Document.HasFields, e.Document.PortraitFound, e.Similarity = false, false, nil
		}, StatusRejected, []string{ReasonUnreadable, ReasonNoFace}},
		// unsupported_document
		{"type not accepted", func(e *Evidence, _ *Rules) { e.Document.Type = "drivers_license" }, StatusRejected, []string{ReasonUnsupported}},
		{"country not accepted", func(e *Evidence, r *Rules) { r.Countries = []string{"DEU"} }, StatusRejected, []string{ReasonUnsupported}},
		{"country accepted", func(e *Evidence, r *Rules) { r.Countries = []string{"DEU", "UTO"} }, StatusApproved, []string{}},
		// document_expired, at its boundary
		{"expires tomorrow", func(e *Evidence, _ *Rules) { e.Document.ExpiresOn = now.Add(24 * time.Hour) }, StatusApproved, []string{}},
		{"expires now", func(e *Evidence, _ *Rules) { e.Document.ExpiresOn = now }, StatusRejected, []string{ReasonExpired}},
		{"the reader says expired", func(e *Evidence, _ *Rules) { e.Document.Expired = true }, StatusRejected, []string{ReasonExpired}},
		// underage, at its boundary
		{"18 today", func(e *Evidence, _ *Rules) { e.Document.DateOfBirth = time.Date(2008, 11, 30, 0, 0, 0, 0, time.UTC) }, StatusApproved, []string{}},
		{"18 tomorrow", func(e *Evidence, _ *Rules) { e.Document.DateOfBirth = time.Date(2008, 12, 1, 0, 0, 0, 0, time.UTC) }, StatusRejected, []string{ReasonUnderage}},
		{"no minimum age", func(e *Evidence, r *Rules) {
			r.MinAge, e.Document.DateOfBirth = 0, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		}, StatusApproved, []string{}},
		// liveness_failed
		{"no passed liveness check", func(e *Evidence, _ *Rules) { e.LivenessPassed, e.Similarity = false, nil }, StatusRejected, []string{ReasonLivenessFailed}},
		// no_face_on_document
		{"no portrait", func(e *Evidence, _ *Rules) { e.Document.PortraitFound, e.Similarity = false, nil }, StatusRejected, []string{ReasonNoFace}},
		// face_mismatch / face_match_uncertain, at both thresholds
		{"similarity at the match threshold", func(e *Evidence, _ *Rules) { e.Similarity = sim(80) }, StatusApproved, []string{}},
		{"just under the match threshold", func(e *Evidence, _ *Rules) { e.Similarity = sim(79.9) }, StatusNeedsReview, []string{ReasonFaceUncertain}},
		{"at the review threshold", func(e *Evidence, _ *Rules) { e.Similarity = sim(60) }, StatusNeedsReview, []string{ReasonFaceUncertain}},
		{"just under the review threshold", func(e *Evidence, _ *Rules) { e.Similarity = sim(59.9) }, StatusRejected, []string{ReasonFaceMismatch}},
		// spoof_detected, only when on
		{"spoof review off", func(e *Evidence, _ *Rules) { e.LivenessConfidence = 61 }, StatusApproved, []string{}},
		{"confidence under spoof review", func(e *Evidence, r *Rules) { r.SpoofReview, e.LivenessConfidence = 70, 69.9 }, StatusNeedsReview, []string{ReasonSpoof}},
		{"confidence at spoof review", func(e *Evidence, r *Rules) { r.SpoofReview, e.LivenessConfidence = 70, 70 }, StatusApproved, []string{}},
		// mrz_checksum_failed, data_inconsistent, data_mismatch, duplicate_face, check_incomplete
		{"a check digit fails", func(e *Evidence, _ *Rules) { e.Document.MRZValid = false }, StatusNeedsReview, []string{ReasonChecksum}},
		{"no MRZ at all (a licence)", func(e *Evidence, _ *Rules) { e.Document.MRZRead, e.Document.MRZValid = false, false }, StatusApproved, []string{}},
		{"printed text disagrees", func(e *Evidence, _ *Rules) { e.Document.Inconsistent = true }, StatusNeedsReview, []string{ReasonInconsistent}},
		{"a name or the document code nothing confirms", func(e *Evidence, _ *Rules) { e.Document.Unconfirmed = true }, StatusNeedsReview, []string{ReasonUnconfirmed}},
		{"not the expected person", func(e *Evidence, _ *Rules) { e.Mismatches = []string{"LAST_NAME"} }, StatusNeedsReview, []string{ReasonDataMismatch}},
		{"the applicant says a field is read wrong", func(e *Evidence, _ *Rules) { e.Disputed = []string{"LAST_NAME"} }, StatusNeedsReview, []string{ReasonDisputed}},
		{"the face is on another case", func(e *Evidence, _ *Rules) { e.Duplicates = []string{"ver_1"} }, StatusNeedsReview, []string{ReasonDuplicate}},
		{"the duplicate search could not be made", func(e *Evidence, _ *Rules) { e.Unchecked = []string{"duplicate_search"} }, StatusNeedsReview, []string{ReasonIncomplete}},
		{"a portrait but no comparison", func(e *Evidence, _ *Rules) { e.Similarity = nil }, StatusNeedsReview, []string{ReasonIncomplete}},
		// rejections carry the doubts too, ordered
		{"rejected with doubts", func(e *Evidence, _ *Rules) {
			e.Duplicates, e.Document.MRZValid, e.Similarity = []string{"ver_1"}, false, sim(10)
		}, StatusRejected, []string{ReasonFaceMismatch, ReasonChecksum, ReasonDuplicate}},
		{"several doubts, ordered", func(e *Evidence, _ *Rules) {
			e.Duplicates, e.Document.Inconsistent, e.Similarity = []string{"ver_1"}, true, sim(70)
		}, StatusNeedsReview, []string{ReasonFaceUncertain, ReasonInconsistent, ReasonDuplicate}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		e, r := good(), rules
		r.DocumentTypes = slices.Clone(rules.DocumentTypes)
		tt.change(&e, &r)
		got := Decide(e, r, now)
		if got.Status != tt.status || !slices.Equal(got.Reasons, tt.reasons) {
			t.Errorf("%s: Decide() = %s %v, want %s %v", tt.name, got.Status, got.Reasons, tt.status, tt.reasons)
		}
		for _, reason := range got.Reasons {
			seen[reason] = true
		}
	}
	// Every code Decide can give is asserted above (the reviewer's and the
	// attempt cap's are added by others).
	for _, reason := range Reasons {
		if !seen[reason] && reason != ReasonReviewer && reason != ReasonTooMany {
			t.Errorf("no row gives %s", reason)
		}
	}
}

func TestAge(t *testing.T) {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		birth, now time.Time
		want       int
	}{
		{d(2008, 12, 31), d(2026, 12, 31), 18}, // born in a leap year: the day of the year differs
		{d(2008, 12, 31), d(2026, 12, 30), 17},
		{d(2008, 3, 1), d(2026, 2, 28), 17},
		{d(2008, 2, 29), d(2026, 3, 1), 18},
		{d(2000, 1, 1), d(2026, 1, 1), 26},
	} {
		if got := Age(c.birth, c.now); got != c.want {
			t.Errorf("Age(%s, %s) = %d, want %d", c.birth.Format(time.DateOnly), c.now.Format(time.DateOnly), got, c.want)
		}
	}
}

// TestDecideWithoutDocument: a liveness-only check is decided on the
// liveness check alone, or, in a re-verification, also on the face
// against the earlier case's, with the face rules' thresholds.
func TestDecideWithoutDocument(t *testing.T) {
	r := Rules{MatchThreshold: 80, ReviewThreshold: 60}
	sim := func(v float64) *float64 { return &v }
	for _, tt := range []struct {
		name string
		e    Evidence
		want Status
		why  []string
	}{
		{"live", Evidence{NoDocument: true, LivenessPassed: true}, StatusApproved, []string{}},
		{"not live", Evidence{NoDocument: true}, StatusRejected, []string{ReasonLivenessFailed}},
		{"the same face", Evidence{NoDocument: true, Reverify: true, LivenessPassed: true, Similarity: sim(95)}, StatusApproved, []string{}},
		{"unsure", Evidence{NoDocument: true, Reverify: true, LivenessPassed: true, Similarity: sim(70)}, StatusNeedsReview, []string{ReasonFaceUncertain}},
		{"another face", Evidence{NoDocument: true, Reverify: true, LivenessPassed: true, Similarity: sim(20)}, StatusRejected, []string{ReasonFaceMismatch}},
		{"the earlier face is gone", Evidence{NoDocument: true, Reverify: true, LivenessPassed: true}, StatusNeedsReview, []string{ReasonIncomplete}},
		{"a duplicate", Evidence{NoDocument: true, LivenessPassed: true, Duplicates: []string{"ver_x"}}, StatusNeedsReview, []string{ReasonDuplicate}},
	} {
		d := Decide(tt.e, r, time.Now())
		if d.Status != tt.want || !slices.Equal(d.Reasons, tt.why) {
			t.Errorf("%s: %s %v, want %s %v", tt.name, d.Status, d.Reasons, tt.want, tt.why)
		}
	}
}
