// Package entities finds entities and personal data in text, in the types
// Amazon Comprehend names: entity types (PERSON, LOCATION, ORGANIZATION,
// DATE, QUANTITY, OTHER) and PII types (NAME, ADDRESS, DATE_TIME,
// PASSPORT_NUMBER, DRIVER_ID, SSN, EMAIL, PHONE, ...). It works with rules:
// formats (e-mail, phone, SSN, dates, IBAN, cards with a Luhn check) and
// labels on documents ("Surname", "Passport No.", "Address"). It does not
// understand prose: a name that no label introduces is not found.
package entities

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Entity is one finding. Offsets count characters (runes), as Comprehend's.
type Entity struct {
	Type        string  `json:"type"`
	Text        string  `json:"text"`
	Score       float64 `json:"score"`
	BeginOffset int     `json:"begin_offset"`
	EndOffset   int     `json:"end_offset"`
}

// Kinds of result.
const (
	KindEntities = "entities"
	KindPII      = "pii"
)

type rule struct {
	re       *regexp.Regexp
	group    int // the submatch that is the entity (0: all)
	pii      string
	entity   string
	score    float64
	validate func(string) bool
}

var month = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`

var rules = []rule{
	{re: regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b`), pii: "EMAIL", entity: "OTHER", score: 0.99},
	{re: regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), pii: "SSN", entity: "OTHER", score: 0.95, validate: validSSN},
	{re: regexp.MustCompile(`(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\b\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}\b`), pii: "PHONE", entity: "OTHER", score: 0.85},
	{re: regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`), pii: "BANK_ACCOUNT_NUMBER", entity: "OTHER", score: 0.9, validate: validIBAN},
	{re: regexp.MustCompile(`\b(?:\d[ -]?){13,19}\b`), pii: "CREDIT_DEBIT_NUMBER", entity: "OTHER", score: 0.9, validate: luhn},
	// Dates: ISO, day/month/year with . / -, "12 March 1990", "March 12, 1990", compact MRZ-style not included.
	{re: regexp.MustCompile(`\b(?:19|20)\d{2}-\d{2}-\d{2}\b`), pii: "DATE_TIME", entity: "DATE", score: 0.98},
	{re: regexp.MustCompile(`\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}\b`), pii: "DATE_TIME", entity: "DATE", score: 0.9},
	{re: regexp.MustCompile(`(?i)\b\d{1,2} ` + month + `\.? (?:19|20)\d{2}\b`), pii: "DATE_TIME", entity: "DATE", score: 0.97},
	{re: regexp.MustCompile(`(?i)\b` + month + `\.? \d{1,2},? (?:19|20)\d{2}\b`), pii: "DATE_TIME", entity: "DATE", score: 0.97},
	// Labelled values on documents.
	{re: regexp.MustCompile(`(?i)\b(?:passport(?: no\.?| number| nr\.?)?|document no\.?|doc\. no\.?)\s*[:#]?\s*([A-Z0-9]{6,10})\b`), group: 1, pii: "PASSPORT_NUMBER", entity: "OTHER", score: 0.9},
	{re: regexp.MustCompile(`(?i)\b(?:dl|driver'?s? licen[cs]e|licen[cs]e)(?: no\.?| number| #)?\s*[:#]?\s*([A-Z0-9-]{5,20})\b`), group: 1, pii: "DRIVER_ID", entity: "OTHER", score: 0.85},
	{re: regexp.MustCompile(`(?i)\b(?:surname|last name|family name|given names?|first name|name|nom|nombre|apellidos?)\s*[:/]?\s*([A-Z][A-Za-z'\-]+(?:[ ][A-Z][A-Za-z'\-]+){0,3})`), group: 1, pii: "NAME", entity: "PERSON", score: 0.8},
	{re: regexp.MustCompile(`\b\d{1,6} (?:[A-Z][a-z]+ ){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Terr)\b\.?(?:,? [A-Z][a-z]+(?: [A-Z][a-z]+)?)?(?:,? [A-Z]{2} \d{5}(?:-\d{4})?)?`), pii: "ADDRESS", entity: "LOCATION", score: 0.85},
	{re: regexp.MustCompile(`(?i)\b(?:address|domicile|adresse|dirección)\s*[:/]?\s*([^\n]{6,80})`), group: 1, pii: "ADDRESS", entity: "LOCATION", score: 0.75},
	{re: regexp.MustCompile(`\b\d+(?:\.\d+)? ?(?:cm|kg|lb|lbs|in|ft|m|km|%)\b`), entity: "QUANTITY", score: 0.9},
	{re: regexp.MustCompile(`\b(?:[A-Z][a-z]+ )*(?:Inc|Ltd|LLC|GmbH|S\.A\.|AG|Corp|Corporation|Bank|University|Ministry of [A-Z][a-z]+)\b\.?`), entity: "ORGANIZATION", score: 0.7},
}

// Detect finds entities (kinds: "entities", "pii" or both) in text,
// ordered by offset. Overlapping findings of one kind keep the longest.
func Detect(text string, kinds ...string) []Entity {
	if len(kinds) == 0 {
		kinds = []string{KindEntities, KindPII}
	}
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	var out []Entity
	for _, kind := range []string{KindPII, KindEntities} {
		if !want[kind] {
			continue
		}
		var found []Entity
		for _, r := range rules {
			typ := r.pii
			if kind == KindEntities {
				typ = r.entity
			}
			if typ == "" {
				continue
			}
			for _, m := range r.re.FindAllStringSubmatchIndex(text, -1) {
				s, e := m[2*r.group], m[2*r.group+1]
				if s < 0 {
					continue
				}
				val := strings.TrimRight(text[s:e], " ,.;")
				e = s + len(val)
				if r.validate != nil && !r.validate(val) {
					continue
				}
				found = append(found, Entity{Type: typ, Text: val, Score: r.score,
					BeginOffset: utf8.RuneCountInString(text[:s]), EndOffset: utf8.RuneCountInString(text[:e])})
			}
		}
		out = append(out, dedupe(found)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].BeginOffset < out[j].BeginOffset })
	return out
}

// dedupe keeps, among overlapping findings, the longest (then the surest).
func dedupe(in []Entity) []Entity {
	sort.SliceStable(in, func(i, j int) bool {
		li, lj := in[i].EndOffset-in[i].BeginOffset, in[j].EndOffset-in[j].BeginOffset
		if li != lj {
			return li > lj
		}
		return in[i].Score > in[j].Score
	})
	var keep []Entity
	for _, e := range in {
		overlaps := false
		for _, k := range keep {
			if e.BeginOffset < k.EndOffset && k.BeginOffset < e.EndOffset {
				overlaps = true
				break
			}
		}
		if !overlaps {
			keep = append(keep, e)
		}
	}
	return keep
}

func validSSN(s string) bool {
	area := s[:3]
	return area != "000" && area != "666" && area[0] != '9' && s[4:6] != "00" && s[7:] != "0000"
}

func digits(s string) []int {
	var d []int
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d = append(d, int(r-'0'))
		}
	}
	return d
}

// luhn checks a card number's check digit.
func luhn(s string) bool {
	d := digits(s)
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	sum := 0
	for i := range d {
		v := d[len(d)-1-i]
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// validIBAN checks the ISO 13616 mod-97 check.
func validIBAN(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	s = s[4:] + s[:4]
	rem := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			rem = (rem*10 + int(r-'0')) % 97
		case r >= 'A' && r <= 'Z':
			v := int(r-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
	}
	return rem == 1
}
