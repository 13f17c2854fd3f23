package web

// Strings of the verification pages, kept in one table so that a
// translation is one more table (selected by Accept-Language later); the
// templates use {{t "key"}}.
var english = map[string]string{
	"verify.title":                "Verify your identity",
	"verify.intro":                "Three steps, a few minutes: a live selfie check, a photo of your ID, and a check of what we read.",
	"verify.start":                "Start",
	"verify.again":                "Start a new verification",
	"step.liveness":               "Selfie check",
	"step.document":               "Photo of your ID",
	"step.review":                 "Check and submit",
	"step.result":                 "Result",
	"liveness.go":                 "Start the selfie check",
	"document.help":               "Put your passport, ID card or driving licence on a dark table in good light, fill the frame, avoid reflections. For ID cards and licences, add the back.",
	"document.front":              "Front (the side with your photo)",
	"document.back":               "Back (ID cards and licences)",
	"document.upload":             "Upload",
	"document.reading":            "Reading your document…",
	"document.failed":             "We could not read that photo:",
	"document.retake":             "Upload a different photo",
	"review.intro":                "This is what we read. If something is wrong, take a new photo.",
	"review.submit":               "Submit for verification",
	"processing":                  "We are checking your verification. This takes a few seconds.",
	"approved":                    "You are verified.",
	"rejected":                    "We could not verify you.",
	"needs_review":                "A member of our team is checking your verification. You will hear from us.",
	"similarity":                  "Face match",
	"reasons":                     "Why",
	"queue.title":                 "Review queue",
	"queue.empty":                 "Nothing to review.",
	"queue.filter":                "Show",
	"queue.search":                "Search by id or reference",
	"case.title":                  "Case",
	"case.selfie":                 "Selfie (liveness reference)",
	"case.portrait":               "Document portrait",
	"case.fields":                 "Extracted fields",
	"case.note":                   "Note (kept with the decision)",
	"case.approve":                "Approve",
	"case.reject":                 "Reject",
	"field.name":                  "Field",
	"field.value":                 "Value",
	"field.source":                "Source",
	"field.confidence":            "Confidence",
	"advice.face_mismatch":        "The face on the document does not match your selfie. Use your own document.",
	"advice.face_match_uncertain": "We could not be sure that the face on the document is yours.",
	"advice.no_face_on_document":  "We found no face on the document. Photograph the side with your picture, without glare.",
	"advice.document_unreadable":  "The document could not be read. Photograph it flat, in good light, filling the frame, without reflections.",
	"advice.document_expired":     "The document has expired. Use a valid one.",
	"advice.mrz_checksum_failed":  "The machine-readable lines could not be read reliably. Take a sharper photo.",
	"advice.data_inconsistent":    "What is printed on the document does not match its machine-readable lines.",
	"advice.underage":             "You must be of age to be verified.",
	"advice.unsupported_document": "This kind of document is not accepted. Use a passport, ID card, residence permit or driving licence.",
	"advice.duplicate_face":       "This face is already verified on another account.",
	"advice.spoof_detected":       "We could not be sure the selfie was taken live.",
	"advice.liveness_failed":      "The selfie check did not pass. Try again in good light, following each instruction.",
	"advice.reviewer_decision":    "A reviewer decided your case.",
	"advice.data_mismatch":        "What the document says does not match the details you were registered with.",
	"advice.check_incomplete":     "We could not finish checking your verification. Start a new one.",
	"advice.too_many_attempts":    "There were too many attempts. Try again tomorrow.",
	"advice.low_resolution":       "The photo is too small to read. Move closer so the document fills the frame.",
	"advice.blurry":               "The photo is blurry. Hold still and let the camera focus.",
	"advice.glare":                "There is glare on the document. Tilt it away from the light.",
	"advice.too_dark":             "The photo is too dark. Move to a brighter place.",
	"advice.mrz_repaired":         "Part of the machine-readable lines was hard to read; a check digit confirmed it. A sharper photo is better.",
	"advice.back_side_needed":     "This document keeps its details on the back. Add a photo of the back.",
	"advice.barcode_malformed":    "The barcode on the back could not be understood. Photograph the back again, flat and sharp.",
}

// t returns the text of a key (the key itself when it has none).
func t(key string) string {
	if s, ok := english[key]; ok {
		return s
	}
	return key
}
