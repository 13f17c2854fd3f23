package kyc

import (
	"slices"
	"time"
)

// Reason codes of decisions (API.md). A decision lists its reasons in the
// order of Reasons: the first is the one to tell the applicant.
const (
	ReasonUnreadable     = "document_unreadable"
	ReasonUnsupported    = "unsupported_document"
	ReasonExpired        = "document_expired"
	ReasonNoFace         = "no_face_on_document"
	ReasonLivenessFailed = "liveness_failed"
	ReasonFaceMismatch   = "face_mismatch"
	ReasonUnderage       = "underage"
	ReasonSpoof          = "spoof_detected"
	ReasonFaceUncertain  = "face_match_uncertain"
	ReasonChecksum       = "mrz_checksum_failed"
	ReasonInconsistent   = "data_inconsistent"
	ReasonUnconfirmed    = "data_unconfirmed" // a document field no check digit covers (the type, the names) is confirmed by nothing else
	ReasonDataMismatch   = "data_mismatch"
	ReasonDisputed       = "data_disputed" // the applicant says a field the document shows is wrong
	ReasonDuplicate      = "duplicate_face"
	ReasonIncomplete     = "check_incomplete"
	ReasonTooMany        = "too_many_attempts"
	ReasonReviewer       = "reviewer_decision"
)

// Reasons lists every reason code a decision can carry, most telling
// first: what is wrong with the document before what follows from it (an
// unreadable document explains a missing face), the person before the
// doubts a reviewer settles.
var Reasons = []string{ReasonUnreadable, ReasonUnsupported, ReasonExpired, ReasonNoFace, ReasonLivenessFailed,
	ReasonFaceMismatch, ReasonUnderage, ReasonSpoof, ReasonFaceUncertain, ReasonChecksum, ReasonInconsistent,
	ReasonUnconfirmed, ReasonDataMismatch, ReasonDisputed, ReasonDuplicate, ReasonIncomplete, ReasonTooMany, ReasonReviewer}

// Rules decide a case.
type Rules struct {
	MatchThreshold  float64  // similarity (0–100) at or above which the selfie and the portrait are one person
	ReviewThreshold float64  // below it they are two people (face_mismatch); between the two a reviewer decides
	MinAge          int      // younger applicants are rejected (underage)
	DocumentTypes   []string // accepted types: passport, id_card, residence_permit, visa, drivers_license
	Countries       []string // accepted issuing countries (ISO alpha-3); any when empty
	SpoofReview     float64  // a passed liveness check with a confidence under this goes to a reviewer; 0: off
}

// Evidence is what the journey gathered about a submitted case. The
// gatherer fails closed: a check it could not make is named in Unchecked
// rather than left out, and sends the case to a reviewer.
type Evidence struct {
	LivenessPassed     bool
	LivenessConfidence float64           // 0–100, of the passed check
	Document           *DocumentEvidence // nil when nothing could be read from the document
	// Similarity of the liveness reference and the document's portrait,
	// 0–100; nil when either face is missing.
	Similarity *float64
	Duplicates []string // other applicants' cases with this face
	Mismatches []string // fields that differ from what the integrator expected
	Disputed   []string // fields the applicant says the document's reading has wrong
	Unchecked  []string // checks that could not be made (e.g. "duplicate_search")
	// NoDocument: the integrator asked for a liveness check only. The
	// face rules then hold the live face against an earlier case's when
	// Reverify is set (Similarity is to that face), and are skipped
	// otherwise (a live person is proven, not who).
	NoDocument bool
	Reverify   bool
}

// DocumentEvidence is what was read from the document.
type DocumentEvidence struct {
	Type          string    // passport, id_card, residence_permit, visa, drivers_license, unknown
	Country       string    // issuing country, ISO alpha-3
	HasFields     bool      // any field was read
	DateOfBirth   time.Time // zero when not read
	ExpiresOn     time.Time // zero when not read
	Expired       bool      // the reader says so (a printed date, say)
	PortraitFound bool      // a face was found on the document
	MRZRead       bool      // a machine-readable zone was read
	MRZValid      bool      // and every check digit passed
	Inconsistent  bool      // printed text disagrees with the MRZ or barcode
	Unconfirmed   bool      // a field no check digit covers (document code, names) is confirmed by nothing else
}

// Readable reports whether enough was read to decide on: a type, fields
// and a date of birth (nil reads nothing).
func (d *DocumentEvidence) Readable() bool {
	return d != nil && d.Type != "unknown" && d.Type != "" && d.HasFields && !d.DateOfBirth.IsZero()
}

// AcceptedBy reports whether r accepts the document's type and country.
func (d *DocumentEvidence) AcceptedBy(r Rules) bool {
	return d != nil && slices.Contains(r.DocumentTypes, d.Type) && (len(r.Countries) == 0 || slices.Contains(r.Countries, d.Country))
}

// Decision is the outcome of the rules: approved, rejected or needs_review,
// with its reason codes in the order of Reasons.
type Decision struct {
	Status  Status
	Reasons []string
}

// Decide applies the rules to the evidence at now. Hard failures reject;
// doubts (a borderline face, a failing check digit, printed text that
// disagrees, data that differs from what the integrator expected, a face
// seen on another applicant's case, an unconvincing liveness check when
// spoof review is on, a check that could not be made) go to a reviewer
// instead of a guess.
func Decide(e Evidence, r Rules, now time.Time) Decision {
	if e.NoDocument {
		return decideLiveOnly(e, r)
	}
	var reject, review []string
	d := e.Document
	switch {
	case !d.Readable():
		reject = append(reject, ReasonUnreadable)
	case !d.AcceptedBy(r):
		reject = append(reject, ReasonUnsupported)
	}
	if d != nil {
		if d.Expired || !d.ExpiresOn.IsZero() && !now.Before(d.ExpiresOn) {
			reject = append(reject, ReasonExpired)
		}
		if !d.DateOfBirth.IsZero() && Age(d.DateOfBirth, now) < r.MinAge {
			reject = append(reject, ReasonUnderage)
		}
		if d.MRZRead && !d.MRZValid {
			review = append(review, ReasonChecksum)
		}
		if d.Inconsistent {
			review = append(review, ReasonInconsistent)
		}
		if d.Unconfirmed {
			review = append(review, ReasonUnconfirmed)
		}
	}
	switch {
	case !e.LivenessPassed:
		reject = append(reject, ReasonLivenessFailed)
	case d == nil: // nothing was read: rejected as unreadable above
	case !d.PortraitFound:
		reject = append(reject, ReasonNoFace)
	default:
		reject, review = faceRule(e.Similarity, r, reject, review) // a portrait and a reference
	}
	return verdict(reject, append(review, e.doubts(r)...))
}

// faceRule holds a similarity to the face thresholds: a missing comparison
// and a borderline face go to a reviewer, another face is rejected.
func faceRule(sim *float64, r Rules, reject, review []string) ([]string, []string) {
	switch {
	case sim == nil:
		review = append(review, ReasonIncomplete)
	case *sim < r.ReviewThreshold:
		reject = append(reject, ReasonFaceMismatch)
	case *sim < r.MatchThreshold:
		review = append(review, ReasonFaceUncertain)
	}
	return reject, review
}

// doubts are the reasons for a reviewer that do not depend on the
// document: an unconvincing liveness check (when spoof review is on),
// data that differs from what the integrator expected, a face seen on
// another case, a check that could not be made.
func (e Evidence) doubts(r Rules) []string {
	var review []string
	if e.LivenessPassed && r.SpoofReview > 0 && e.LivenessConfidence < r.SpoofReview {
		review = append(review, ReasonSpoof)
	}
	if len(e.Mismatches) > 0 {
		review = append(review, ReasonDataMismatch)
	}
	if len(e.Disputed) > 0 {
		review = append(review, ReasonDisputed)
	}
	if len(e.Duplicates) > 0 {
		review = append(review, ReasonDuplicate)
	}
	if len(e.Unchecked) > 0 {
		review = append(review, ReasonIncomplete)
	}
	return review
}

// verdict: rejected with every reason when any rejects, else to a
// reviewer when any doubts, else approved.
func verdict(reject, review []string) Decision {
	switch {
	case len(reject) > 0:
		return Decision{Status: StatusRejected, Reasons: ordered(append(reject, review...))}
	case len(review) > 0:
		return Decision{Status: StatusNeedsReview, Reasons: ordered(review)}
	}
	return Decision{Status: StatusApproved, Reasons: []string{}}
}

// decideLiveOnly decides a check without a document: the liveness check,
// the face against the earlier case's when one is named, and the doubts
// that apply (spoof review, duplicates, unchecked).
func decideLiveOnly(e Evidence, r Rules) Decision {
	var reject, review []string
	switch {
	case !e.LivenessPassed:
		reject = append(reject, ReasonLivenessFailed)
	case e.Reverify:
		reject, review = faceRule(e.Similarity, r, reject, review)
	}
	return verdict(reject, append(review, e.doubts(r)...))
}

// Ordered sorts reasons by Reasons' order and drops repeats.
func Ordered(reasons []string) []string { return ordered(reasons) }

// ordered sorts reasons by Reasons' order and drops repeats.
func ordered(reasons []string) []string {
	slices.SortFunc(reasons, func(a, b string) int { return slices.Index(Reasons, a) - slices.Index(Reasons, b) })
	return slices.Compact(reasons)
}

// Age is the number of birthdays passed by now. It compares month and day,
// not the day of the year, which a leap year shifts by one after February.
func Age(birth, now time.Time) int {
	a := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		a--
	}
	return a
}
