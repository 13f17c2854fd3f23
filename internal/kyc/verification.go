package kyc

import (
	"fmt"
	"slices"
	"time"
)

// Status is the state of a verification case.
type Status string

// The states of a verification, as in DESIGN.md.
const (
	StatusCreated           Status = "created"
	StatusLivenessPassed    Status = "liveness_passed"
	StatusDocumentSubmitted Status = "document_submitted"
	StatusProcessing        Status = "processing"
	StatusApproved          Status = "approved"
	StatusRejected          Status = "rejected"
	StatusNeedsReview       Status = "needs_review"
	StatusExpired           Status = "expired"
	StatusErased            Status = "erased"
)

// transitions lists, for each state, the states it may move to. Every change
// of a verification's status goes through CanTransition.
var transitions = map[Status][]Status{
	StatusCreated:           {StatusLivenessPassed, StatusRejected, StatusExpired, StatusErased},      // rejected: no liveness attempt left
	StatusLivenessPassed:    {StatusDocumentSubmitted, StatusProcessing, StatusExpired, StatusErased}, // processing: no document asked
	StatusDocumentSubmitted: {StatusDocumentSubmitted, StatusProcessing, StatusExpired, StatusErased},
	StatusProcessing:        {StatusApproved, StatusRejected, StatusNeedsReview, StatusErased},
	StatusNeedsReview:       {StatusApproved, StatusRejected, StatusLivenessPassed, StatusErased}, // liveness_passed: a reviewer asks for a new document
	StatusApproved:          {StatusErased},
	StatusRejected:          {StatusErased},
	StatusExpired:           {StatusErased},
	StatusErased:            nil,
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Terminal reports whether no further decision can change a case in state s.
func (s Status) Terminal() bool {
	return s == StatusApproved || s == StatusRejected || s == StatusExpired || s == StatusErased
}

// CanTransition returns nil when a verification may move from one status to
// another, and a Conflict error saying why not otherwise.
func CanTransition(from, to Status) error {
	if !from.Valid() || !to.Valid() {
		return Errorf(Invalid, "unknown verification status %q -> %q", from, to)
	}
	if !slices.Contains(transitions[from], to) {
		return Errorf(Conflict, "a verification in state %s cannot move to %s", from, to)
	}
	return nil
}

// Verification is one KYC case: a person proving who they are.
type Verification struct {
	ID        string
	UserID    string // the applicant's account; empty for integrator-created cases
	APIKeyID  string // the API key that started the case; empty for an applicant's own
	Reference string // the integrator's own id for the case
	Status    Status
	Version   int64 // optimistic-concurrency counter, bumped by every update
	CreatedAt time.Time
	UpdatedAt time.Time

	DocumentStatus string    // "", pending (analysis queued), done, failed
	Similarity     *float64  // the face match, 0–100, once computed
	Reasons        []string  // reason codes of the decision
	DecidedBy      string    // "auto" or the reviewer's user id
	DecidedAt      time.Time // zero until decided
	SubmittedAt    time.Time
	ErasedAt       time.Time
	Details        []byte // sealed by the caller: the document's analysis, notes (personal data)

	ClaimedBy  string    // the reviewer working the case; a claim older than ClaimTTL is free
	ClaimedAt  time.Time // when it was claimed
	ProposedBy string    // the reviewer whose decision waits for a second reviewer (four-eyes)
}

// ClaimTTL is how long a reviewer's claim on a case holds without a
// decision: then another reviewer may take the case.
const ClaimTTL = 30 * time.Minute

// ClaimedByOther returns who else holds a live claim on the case at now,
// or "" when the case is free for reviewer (unclaimed, claimed by them, or
// the claim has lapsed).
func (v *Verification) ClaimedByOther(reviewer string, now time.Time) string {
	if v.ClaimedBy == "" || v.ClaimedBy == reviewer || !now.Before(v.ClaimedAt.Add(ClaimTTL)) {
		return ""
	}
	return v.ClaimedBy
}

// CasePrefix is the folder of the blob store that holds every object of a
// case (document sides, the portrait, liveness images), so that erasure can
// remove all of them, recorded or not.
func CasePrefix(id string) string { return "verifications/" + id + "/" }

// Document statuses.
const (
	DocumentPending = "pending"
	DocumentDone    = "done"
	DocumentFailed  = "failed"
)

// Validate checks the fields a new verification must have.
func (v *Verification) Validate() error {
	if v.ID == "" {
		return Errorf(Invalid, "verification id is required")
	}
	if len(v.Reference) > 200 {
		return Errorf(Invalid, "reference is longer than 200 characters")
	}
	if !PlainText(v.Reference) {
		return Errorf(Invalid, "reference must be plain text: valid UTF-8 without control characters")
	}
	if !v.Status.Valid() {
		return Errorf(Invalid, "unknown verification status %q", v.Status)
	}
	return nil
}

// String is safe to log: it holds no personal data.
func (v *Verification) String() string {
	return fmt.Sprintf("verification %s (%s, v%d)", v.ID, v.Status, v.Version)
}
