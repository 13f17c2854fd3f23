package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

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
	"liveness.title":              "Selfie check",
	"live.intro":                  "We check that you are really here: follow each instruction as it appears. Near the end the screen flashes a few colours for about three seconds: hold still and face it. It takes about 30 seconds.",
	"live.progress":               "Progress of the selfie check",
	"live.camera":                 "Your camera",
	"live.ready":                  "Press start when you are ready.",
	"live.start":                  "Start",
	"live.again":                  "Try again",
	"live.help":                   "Good light on your face, no hat or sunglasses. If flashing lights affect you, ask a reviewer for another way to verify. Images are stored encrypted and used only for this check.",
	"live.step":                   "Step {n} of {count}",
	"live.continue":               "Continue",
	"live.ok":                     "Liveness confirmed. You can continue.",
	"live.fail":                   "We could not confirm it was you.",
	"live.fail_default":           "Try again in good light, following each instruction.",
	"live.lost":                   "The connection was lost. Press start to try again.",
	"live.slow":                   "Your network blocks live connections, so a slower mode is used.",
	"live.dark":                   "It is too dark: turn towards a light.",
	"live.no_camera_api":          "This browser cannot use a camera here. Open the page over HTTPS in a current browser, or on your phone.",
	"live.cam_denied":             "Camera access was denied. Allow the camera for this site in your browser's settings, then reload the page.",
	"live.cam_none":               "No camera was found. Connect a camera, or open this page on your phone.",
	"live.cam_busy":               "The camera is in use by another app. Close it and try again.",
	"live.cam_other":              "The camera could not be started.",
	"live.why.light_too_faint":    "The room is too bright for the light check: move away from windows and bright lamps, turn your screen's brightness up, and try again.",
	"live.why.light_mismatch":     "The screen's light did not fall on your face as expected. Face the screen closely and hold still while the colours change.",
	"live.why.challenge_timeout":  "A step was not done in time. Follow each instruction as it appears.",
	"live.why.no_depth":           "We could not see your head move. Turn or tilt your head itself, not the phone.",
	"live.why.discontinuity":      "The camera picture jumped. Hold the device still and try again.",
	"live.why.face_changed":       "Another face appeared. Only the person being verified should be in front of the camera.",
	"live.why.no_face":            "We could not see your face. Keep it inside the oval, in good light.",
	"live.why.frame_timing":       "The camera frames arrived irregularly. Check your connection and try again.",
	"guide.no_face":               "We can't see your face: look at the camera",
	"guide.multiple_faces":        "Only one person, please",
	"guide.move_closer":           "Move a little closer",
	"guide.center_face":           "Center your face in the oval",
	"guide.look_straight":         "Look straight at the camera",
	"guide.hold_still":            "Hold still",
	"guide.slow_down":             "A little slower",
	"guide.done":                  "Done",
	"guide.turn_left":             "Turn your head slowly to your left",
	"guide.turn_right":            "Turn your head slowly to your right",
	"guide.look_up":               "Tilt your head up",
	"guide.blink":                 "Blink",
	"guide.smile":                 "Smile",
	"guide.come_closer":           "Move closer to the camera",
	"guide.light":                 "Hold still while the screen changes colour",
	"lang.label":                  "Language",
	"liveness.go":                 "Start the selfie check",
	"link.help":                   "Go back to the site that sent you here and ask for a new verification link.",
	"link.return":                 "Continue",
	"link.done":                   "You can close this page now.",
	"handoff.start":               "No camera here? Continue on your phone",
	"handoff.scan":                "Scan this code with your phone's camera to continue there.",
	"handoff.qr":                  "QR code of the link to continue on your phone",
	"handoff.type":                "Or open this link on your phone:",
	"handoff.code":                "Code:",
	"handoff.waiting":             "Waiting for your phone… This page follows along.",
	"handoff.claimed":             "You are continuing on your phone. This page shows the result when you are done there.",
	"document.help":               "Put your passport, ID card or driving licence on a dark table in good light, fill the frame, avoid reflections. For ID cards and licences, add the back.",
	"document.front":              "Front (the side with your photo)",
	"document.back":               "Back (ID cards and licences)",
	"document.upload":             "Upload",
	"document.reading":            "Reading your document…",
	"document.failed":             "We could not read that photo:",
	"document.retake":             "Upload a different photo",
	"document.retake_first":       "Take a new photo before you submit: this one would not be accepted.",
	"review.intro":                "This is what we read. If something is wrong, take a new photo.",
	"dispute.open":                "Is something here wrong?",
	"dispute.help":                "Tick what we read wrong. Your document stays the record: a reviewer compares what you tick with its photo.",
	"dispute.note":                "What is right (optional)",
	"dispute.send":                "Tell the reviewer",
	"dispute.recorded":            "Noted: a reviewer will check these against your document:",
	"request.notice":              "A reviewer asked for a new photo of your document.",
	"review.photo":                "The photo you sent",
	"review.submit":               "Submit for verification",
	"processing":                  "We are checking your verification. This takes a few seconds.",
	"approved":                    "You are verified.",
	"rejected":                    "We could not verify you.",
	"rejected.other":              "If you think this is a mistake, contact the service that asked you to verify.",
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
	"case.evidence":               "Images",
	"case.decision":               "Case and decision",
	"case.threshold":              "threshold",
	"case.frame":                  "liveness frame",
	"case.front":                  "document front",
	"case.back":                   "document back",
	"case.applicant":              "Applicant",
	"case.created":                "started",
	"case.duplicates":             "The same face on",
	"case.expected":               "Integrator's expected",
	"case.warnings":               "warnings",
	"case.mrz_valid":              "every check digit passes",
	"case.mrz_invalid":            "check digits fail",
	"case.unconfirmed":            "not confirmed by the printed text, compare by eye",
	"case.qr_verified":            "the issuer's signature verifies",
	"case.qr_unverified":          "the issuer's signature does not verify with a trusted certificate: nothing of it is trusted",
	"case.repaired":               "repaired",
	"case.computed":               "computed",
	"case.cross":                  "Printed text against the machine-readable data",
	"case.machine":                "MRZ or barcode",
	"case.printed":                "Printed",
	"case.decided_by":             "Decided by",
	"case.decided":                "Decision recorded.",
	"case.reason":                 "Main reason",
	"case.reject_help":            "A rejection needs its reason and a note of what you saw.",
	"case.reject_confirm":         "Reject the case",
	"case.reject":                 "Reject",
	"case.claim":                  "Claim this case",
	"case.release":                "Release",
	"case.claimed_you":            "You are working on this case",
	"case.claimed_other":          "Another reviewer is working on this case",
	"case.proposal":               "Waiting for a second reviewer",
	"case.proposal_yours":         "Your decision waits for a second reviewer.",
	"case.confirm_help":           "Decide the same to confirm it, or otherwise to replace it.",
	"case.request":                "Ask for a new document…",
	"case.request_help":           "The case goes back to the applicant for a new photo or another document; the old one is deleted. They are told the reason, not your note.",
	"case.request_confirm":        "Ask for a new document",
	"case.requested":              "A new document was asked for",
	"case.disputed":               "The applicant says these are read wrong",
	"case.compared":               "compared",
	"case.shortcuts":              "Keys: a approve · r reject · d new document · c claim · z zoom · o rotate · n next case · / search (j/k move in the queue)",
	"case.zoom":                   "Zoom",
	"case.rotate":                 "Rotate",
	"queue.next":                  "Next case",
	"queue.age":                   "Waiting",
	"queue.claimed":               "Claimed",
	"queue.search_help":           "a case id, a reference, or a name or document number (matched by keyed hashes: whole words)",
	"reason.data_disputed":        "The applicant says the reading has a field wrong",
	"field.FIRST_NAME":            "First name",
	"field.MIDDLE_NAME":           "Middle names",
	"field.LAST_NAME":             "Last name",
	"field.SUFFIX":                "Suffix",
	"field.DATE_OF_BIRTH":         "Date of birth",
	"field.SEX":                   "Sex",
	"field.PLACE_OF_BIRTH":        "Place of birth",
	"field.NATIONALITY":           "Nationality",
	"field.ID_TYPE":               "Document type",
	"field.DOCUMENT_NUMBER":       "Document number",
	"field.PERSONAL_NUMBER":       "Personal number",
	"field.ISSUING_COUNTRY":       "Issued by",
	"field.STATE_NAME":            "State",
	"field.DATE_OF_ISSUE":         "Date of issue",
	"field.EXPIRATION_DATE":       "Expiry date",
	"field.ADDRESS":               "Address",
	"field.CITY_IN_ADDRESS":       "City",
	"field.STATE_IN_ADDRESS":      "State (address)",
	"field.ZIP_CODE_IN_ADDRESS":   "Postal code",
	"field.CLASS":                 "Licence class",
	"field.ENDORSEMENTS":          "Endorsements",
	"field.RESTRICTIONS":          "Restrictions",
	"field.name":                  "Field",
	"field.value":                 "Value",
	"field.source":                "Source",
	"field.confidence":            "Confidence",
	"reason.document_unreadable":  "The document could not be read",
	"reason.unsupported_document": "Not an accepted document (type or country)",
	"reason.document_expired":     "The document has expired",
	"reason.no_face_on_document":  "No face found on the document",
	"reason.liveness_failed":      "The liveness check failed",
	"reason.face_mismatch":        "The selfie and the document's portrait are different people",
	"reason.underage":             "Under the minimum age",
	"reason.spoof_detected":       "The selfie may not be live (photo, screen or mask)",
	"reason.face_match_uncertain": "The faces may or may not be one person",
	"reason.mrz_checksum_failed":  "A check digit of the machine-readable zone fails",
	"reason.data_inconsistent":    "Printed text disagrees with the machine-readable data",
	"reason.data_unconfirmed":     "A name or the document type read from the machine-readable zone is not confirmed by the printed text: compare them by eye",
	"reason.data_mismatch":        "The document differs from the integrator's expected data",
	"reason.duplicate_face":       "The face is on another applicant's case",
	"reason.check_incomplete":     "A check could not be completed",
	"reason.too_many_attempts":    "Too many attempts",
	"reason.reviewer_decision":    "Decided by a reviewer",
	"advice.face_mismatch":        "The face on the document does not match your selfie. Use your own document.",
	"advice.face_match_uncertain": "We could not be sure that the face on the document is yours.",
	"advice.no_face_on_document":  "We found no face on the document. Photograph the side with your picture, without glare.",
	"advice.document_unreadable":  "The document could not be read. Photograph it flat, in good light, filling the frame, without reflections.",
	"advice.document_expired":     "The document has expired. Use a valid one.",
	"advice.mrz_checksum_failed":  "The machine-readable lines could not be read reliably. Take a sharper photo.",
	"advice.data_inconsistent":    "What is printed on the document does not match its machine-readable lines.",
	"advice.data_unconfirmed":     "The printed name could not be read clearly enough to confirm the machine-readable lines. A sharper photo, without glare on the name, helps.",
	"advice.underage":             "You must be of age to be verified.",
	"advice.unsupported_document": "This kind of document is not accepted. Use a passport, ID card, residence permit or driving licence.",
	"advice.duplicate_face":       "This face is already verified on another account.",
	"advice.spoof_detected":       "We could not be sure the selfie was taken live.",
	"advice.liveness_failed":      "The selfie check did not pass. Try again in good light, following each instruction.",
	"advice.reviewer_decision":    "A reviewer decided your case.",
	"advice.data_mismatch":        "What the document says does not match the details you were registered with.",
	"advice.data_disputed":        "You told us a field was read wrong: a reviewer checks it against your document.",
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

// languages are the ones the applicant's pages speak, as the switcher
// lists them.
var languages = []struct{ Tag, Name string }{{"en", "English"}, {"de", "Deutsch"}, {"es", "Español"}, {"hi", "हिन्दी"}}

var tables = map[string]map[string]string{"en": english, "de": german, "es": spanish, "hi": hindi}

var matcher = language.NewMatcher([]language.Tag{language.English, language.German, language.Spanish, language.Hindi})

// langCookie remembers the language a person chose with the switcher.
const langCookie = "kycd_lang"

// langOf is the language of a request's page: the switcher's choice
// (?lang=, then its cookie), else the browser's Accept-Language, else
// English.
func langOf(r *http.Request) string {
	for _, v := range []string{r.URL.Query().Get("lang"), cookieValue(r, langCookie)} {
		if _, ok := tables[v]; ok {
			return v
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return languages[i].Tag
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// tr returns the text of a key in lang: English when lang has none, the
// key itself when English has none either.
func tr(lang, key string) string {
	if s, ok := tables[lang][key]; ok {
		return s
	}
	if s, ok := english[key]; ok {
		return s
	}
	return key
}

// t is tr in English: the reviewers' console and texts made outside a
// request.
func t(key string) string { return tr("en", key) }

// liveStrings are the texts the liveness page's script shows (live.*,
// guide.*), in lang, as the JSON it reads.
func liveStrings(lang string) template.JS {
	m := map[string]string{}
	for k := range english {
		if strings.HasPrefix(k, "live.") || strings.HasPrefix(k, "guide.") {
			m[k] = tr(lang, k)
		}
	}
	b, _ := json.Marshal(m)
	return template.JS(b)
}
