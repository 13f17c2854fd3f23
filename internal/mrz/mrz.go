// Package mrz parses the machine-readable zone of travel documents (ICAO
// Doc 9303): TD1 (ID cards, 3×30), TD2 (2×36), TD3 (passports, 2×44) and
// machine-readable visas MRV-A (2×44) and MRV-B (2×36), with every check
// digit and the composite. It repairs OCR confusions only where a check digit
// proves the repair, at most a few characters per zone, and names the
// repaired fields.
package mrz

import (
	"fmt"
	"strings"
	"time"
)

// Format is an MRZ layout.
type Format string

// The formats.
const (
	TD1  Format = "TD1"
	TD2  Format = "TD2"
	TD3  Format = "TD3"
	MRVA Format = "MRV-A"
	MRVB Format = "MRV-B"
	// FRID is the French national identity card of 1988–2021 (still valid
	// in circulation): 2×36 like TD2 but laid out by its own rules: line 1
	// IDFRA, the surname and the issuing office; line 2 the card number
	// (year and month of issue, department, sequence), the given names, the
	// birth date, the sex and a check over both lines. No expiry date.
	FRID Format = "FR-ID"
)

// Check is one check digit: what the zone says and what it should be.
type Check struct {
	Field    string `json:"field"`
	Printed  string `json:"printed"`
	Computed string `json:"computed"`
	Valid    bool   `json:"valid"`
}

// MRZ is a parsed zone.
type MRZ struct {
	Format         Format
	Lines          []string
	DocumentCode   string // P, I, A, C, V, IR, AR, ... (fillers removed)
	IssuingState   string
	DocumentNumber string
	Nationality    string
	Surname        string
	GivenNames     string // space-separated
	BirthDate      time.Time
	ExpiryDate     time.Time
	Sex            string // M, F or X (unspecified)
	Optional1      string
	Optional2      string
	Checks         []Check
	Valid          bool     // every check digit passes
	Repaired       []string // fields changed by a proven repair
	Warnings       []string
}

// MaxRepairs caps the characters a repair may change in one zone.
const MaxRepairs = 3

// Parse reads an MRZ from text: lines separated by newlines, spaces
// ignored. now resolves two-digit years. It fails on text that is not an
// MRZ of a known layout.
func Parse(text string, now time.Time) (*MRZ, error) {
	var lines []string
	for l := range strings.SplitSeq(strings.ToUpper(text), "\n") {
		l = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' {
				return -1
			}
			return r
		}, l)
		if l != "" {
			lines = append(lines, l)
		}
	}
	for _, l := range lines {
		for _, r := range l {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '<') {
				return nil, fmt.Errorf("mrz: character %q is not in the MRZ alphabet", r)
			}
		}
	}
	m := &MRZ{Lines: lines}
	switch {
	case len(lines) == 3 && allLen(lines, 30):
		m.Format = TD1
	case len(lines) == 2 && allLen(lines, 36):
		m.Format = TD2
		switch {
		case lines[0][0] == 'V':
			m.Format = MRVB
		case strings.HasPrefix(lines[0], "IDFRA"):
			m.Format = FRID
		}
	case len(lines) == 2 && allLen(lines, 44):
		m.Format = TD3
		if lines[0][0] == 'V' {
			m.Format = MRVA
		}
	default:
		return nil, fmt.Errorf("mrz: %d lines of lengths %v match no layout (TD1 3×30, TD2/MRV-B 2×36, TD3/MRV-A 2×44)", len(lines), lengths(lines))
	}
	m.parse(now)
	return m, nil
}

func allLen(lines []string, n int) bool {
	for _, l := range lines {
		if len(l) != n {
			return false
		}
	}
	return true
}

func lengths(lines []string) []int {
	out := make([]int, len(lines))
	for i, l := range lines {
		out[i] = len(l)
	}
	return out
}

// field is a span of a line with its check digit, if any.
type field struct {
	name    string
	line    int
	start   int
	end     int // exclusive
	check   int // position of the check digit on the line, −1 when none
	numeric bool
}

// layout lists the fields with check digits and the composite's spans.
func (m *MRZ) layout() (fields []field, composite []span, compositeAt [2]int) {
	switch m.Format {
	case TD1:
		fields = []field{
			{name: "document_number", line: 0, start: 5, end: 14, check: 14},
			{name: "date_of_birth", line: 1, start: 0, end: 6, check: 6, numeric: true},
			{name: "expiration_date", line: 1, start: 8, end: 14, check: 14, numeric: true},
		}
		composite = []span{{0, 5, 30}, {1, 0, 7}, {1, 8, 15}, {1, 18, 29}}
		compositeAt = [2]int{1, 29}
	case TD2, TD3:
		end := 35
		if m.Format == TD3 {
			end = 43
		}
		fields = []field{
			{name: "document_number", line: 1, start: 0, end: 9, check: 9},
			{name: "date_of_birth", line: 1, start: 13, end: 19, check: 19, numeric: true},
			{name: "expiration_date", line: 1, start: 21, end: 27, check: 27, numeric: true},
		}
		if m.Format == TD3 {
			fields = append(fields, field{name: "personal_number", line: 1, start: 28, end: 42, check: 42})
		}
		composite = []span{{1, 0, 10}, {1, 13, 20}, {1, 21, end}}
		compositeAt = [2]int{1, end}
	case FRID:
		fields = []field{
			{name: "document_number", line: 1, start: 0, end: 12, check: 12},
			{name: "date_of_birth", line: 1, start: 27, end: 33, check: 33, numeric: true},
		}
		composite = []span{{0, 0, 36}, {1, 0, 35}}
		compositeAt = [2]int{1, 35}
	case MRVA, MRVB:
		fields = []field{
			{name: "document_number", line: 1, start: 0, end: 9, check: 9},
			{name: "date_of_birth", line: 1, start: 13, end: 19, check: 19, numeric: true},
			{name: "expiration_date", line: 1, start: 21, end: 27, check: 27, numeric: true},
		}
		compositeAt = [2]int{-1, -1}
	}
	return fields, composite, compositeAt
}

type span struct{ line, start, end int }

func (m *MRZ) parse(now time.Time) {
	fields, composite, compositeAt := m.layout()
	m.repair(fields, composite, compositeAt)
	l := m.Lines
	m.Valid = true
	for _, f := range fields {
		c := m.checkField(f)
		if f.name == "personal_number" && c.Printed == "<" && strings.Trim(l[f.line][f.start:f.end], "<") == "" {
			continue // an empty personal number may carry a filler instead of 0
		}
		m.Checks = append(m.Checks, c)
		m.Valid = m.Valid && c.Valid
	}
	// No check digit covers the names; their structure is the check: a
	// zone whose names field cannot be a name was misread.
	for _, nf := range NameFields(m.Format) {
		if !WellFormedNames(l[nf[0]][nf[1]:nf[2]]) {
			m.Checks = append(m.Checks, Check{Field: "names"})
			m.Valid = false
			break
		}
	}
	if compositeAt[0] >= 0 {
		c := Check{Field: "composite", Printed: string(l[compositeAt[0]][compositeAt[1]])}
		c.Computed = string(CheckDigit(m.join(composite)))
		c.Valid = c.Printed == c.Computed
		m.Checks = append(m.Checks, c)
		m.Valid = m.Valid && c.Valid
	}
	trim := func(s string) string { return strings.TrimRight(s, "<") }
	switch m.Format {
	case TD1:
		m.DocumentCode, m.IssuingState = trim(l[0][0:2]), trim(l[0][2:5])
		m.DocumentNumber, m.Optional1 = m.td1Number()
		m.BirthDate = m.date("date_of_birth", l[1][0:6], now, true)
		m.Sex = sex(l[1][7])
		m.ExpiryDate = m.date("expiration_date", l[1][8:14], now, false)
		m.Nationality = trim(l[1][15:18])
		m.Optional2 = trim(l[1][18:29])
		m.Surname, m.GivenNames = names(l[2])
	case FRID:
		m.DocumentCode, m.IssuingState, m.Nationality = "ID", "FRA", "FRA"
		m.Surname = strings.ReplaceAll(trim(l[0][5:30]), "<", " ")
		m.Optional1 = trim(l[0][30:36]) // the issuing department and office
		m.DocumentNumber = l[1][0:12]
		m.GivenNames = strings.Join(strings.FieldsFunc(l[1][13:27], func(r rune) bool { return r == '<' }), " ")
		m.BirthDate = m.date("date_of_birth", l[1][27:33], now, true)
		m.Sex = sex(l[1][34])
		m.Warnings = append(m.Warnings, "this French identity card's MRZ carries no expiry date")
	default:
		m.DocumentCode, m.IssuingState = trim(l[0][0:2]), trim(l[0][2:5])
		m.Surname, m.GivenNames = names(l[0][5:])
		m.DocumentNumber = trim(l[1][0:9])
		m.Nationality = trim(l[1][10:13])
		m.BirthDate = m.date("date_of_birth", l[1][13:19], now, true)
		m.Sex = sex(l[1][20])
		m.ExpiryDate = m.date("expiration_date", l[1][21:27], now, false)
		switch m.Format {
		case TD3:
			m.Optional1 = trim(l[1][28:42])
		case TD2:
			m.Optional1 = trim(l[1][28:35])
		case MRVA:
			m.Optional1 = trim(l[1][28:44])
		case MRVB:
			m.Optional1 = trim(l[1][28:36])
		}
	}
	for _, code := range []string{m.IssuingState, m.Nationality} {
		if strings.ContainsAny(code, "0123456789") {
			m.Warnings = append(m.Warnings, "country code "+code+" holds digits")
		}
	}
}

// td1Number reads a TD1 document number, which may run on into the
// optional data when it is longer than 9 characters (ICAO 9303 part 5,
// 4.2.2): then the check digit position holds '<' and the number ends, with
// its check digit, before the first filler of the optional data.
func (m *MRZ) td1Number() (number, optional string) {
	l := m.Lines[0]
	if l[14] != '<' || l[15] == '<' {
		return strings.TrimRight(l[5:14], "<"), strings.TrimRight(l[15:30], "<")
	}
	rest := l[15:30]
	end := strings.IndexByte(rest, '<')
	if end < 0 {
		end = len(rest)
	}
	if end < 2 {
		return strings.TrimRight(l[5:14], "<"), strings.TrimRight(rest, "<")
	}
	number = l[5:14] + rest[:end-1]
	// Replace the document number check with the extended one.
	for i, c := range m.Checks {
		if c.Field == "document_number" {
			m.Checks[i].Printed = string(rest[end-1])
			m.Checks[i].Computed = string(CheckDigit(number))
			m.Checks[i].Valid = m.Checks[i].Printed == m.Checks[i].Computed
		}
	}
	m.Valid = true
	for _, c := range m.Checks {
		m.Valid = m.Valid && c.Valid
	}
	return number, strings.TrimRight(rest[end:], "<")
}

func (m *MRZ) join(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(m.Lines[s.line][s.start:s.end])
	}
	return b.String()
}

func (m *MRZ) checkField(f field) Check {
	l := m.Lines[f.line]
	c := Check{Field: f.name, Printed: string(l[f.check]), Computed: string(CheckDigit(l[f.start:f.end]))}
	c.Valid = c.Printed == c.Computed
	return c
}

// CheckDigit computes ICAO 9303's check digit: weights 7, 3, 1 over the
// values 0–9 for digits, 10–35 for A–Z and 0 for the filler.
func CheckDigit(s string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += value(s[i]) * weights[i%3]
	}
	return byte('0' + sum%10)
}

func value(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 0
}

func sex(c byte) string {
	switch c {
	case 'M', 'F':
		return string(c)
	}
	return "X"
}

// names splits the name field: surname, then given names after "<<".
func names(s string) (surname, given string) {
	s = strings.TrimRight(s, "<")
	sur, giv, _ := strings.Cut(s, "<<")
	clean := func(x string) string {
		return strings.Join(strings.FieldsFunc(x, func(r rune) bool { return r == '<' }), " ")
	}
	return clean(sur), clean(giv)
}

// date reads YYMMDD. A birth date is placed in the past; an expiry at most
// 50 years ahead. An impossible date is a warning and the
// zero time.
func (m *MRZ) date(name, s string, now time.Time, past bool) time.Time {
	if strings.Trim(s, "<") == "" {
		return time.Time{}
	}
	var yy, mm, dd int
	if _, err := fmt.Sscanf(s, "%2d%2d%2d", &yy, &mm, &dd); err != nil || len(strings.Trim(s, "0123456789")) > 0 {
		m.Warnings = append(m.Warnings, name+" is not a date")
		return time.Time{}
	}
	century := now.Year() / 100 * 100
	year := century + yy
	if past && year > now.Year() {
		year -= 100
	}
	if !past && year > now.Year()+50 {
		year -= 100
	}
	d := time.Date(year, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if d.Month() != time.Month(mm) || d.Day() != dd {
		m.Warnings = append(m.Warnings, name+" is not a valid calendar date")
		return time.Time{}
	}
	return d
}
