// Package aamva parses the PDF417 payload of North American driver's
// licences and ID cards (AAMVA DL/ID Card Design Standard, versions 1–10):
// the header, the subfile designators and the data elements, with US
// (MMDDCCYY) or Canadian (CCYYMMDD) dates, names in every layout the
// versions used, sex codes and the address.
package aamva

import (
	"errors"
	"regexp"
	"strings"
	"time"
)

// Card is a parsed payload.
type Card struct {
	IIN                 string
	Jurisdiction        Jurisdiction // zero when the IIN is unknown
	Version             int
	JurisdictionVersion int
	Subfile             string // DL (licence) or ID (identification card)
	Elements            map[string]string

	DocumentNumber string
	LastName       string
	FirstName      string
	MiddleName     string
	Suffix         string
	BirthDate      time.Time
	ExpiryDate     time.Time
	IssueDate      time.Time
	Sex            string // M, F or X
	Street         string
	City           string
	State          string
	PostalCode     string
	Country        string // USA, CAN, MEX
	Warnings       []string
}

// ErrNotAAMVA means the payload has no AAMVA header.
var ErrNotAAMVA = errors.New("aamva: no ANSI or AAMVA header")

var header = regexp.MustCompile(`(?:ANSI ?|AAMVA)(\d{6})(\d{2})`)
var element = regexp.MustCompile(`^[A-Z][A-Z0-9]{2}`)
var firstSubfile = regexp.MustCompile(`(DL|ID)D[A-D][A-Z]`)

// Parse reads a payload. Separators vary in the wild (LF, CR, CRLF, RS,
// even '|'), so elements are found line by line.
func Parse(payload string) (*Card, error) {
	loc := header.FindStringSubmatchIndex(payload)
	if loc == nil || loc[0] > 64 {
		return nil, ErrNotAAMVA
	}
	c := &Card{IIN: payload[loc[2]:loc[3]], Elements: map[string]string{}}
	c.Version = atoi(payload[loc[4]:loc[5]])
	rest := payload[loc[1]:]
	if c.Version >= 2 && len(rest) >= 2 {
		c.JurisdictionVersion = atoi(rest[:2])
		rest = rest[2:]
	}
	entries := 1
	if len(rest) >= 2 && isDigits(rest[:2]) {
		entries = atoi(rest[:2])
		rest = rest[2:]
	}
	// Subfile designators: type (2) + offset (4) + length (4). The offsets
	// are often wrong in practice; the types tell which prefixes to strip.
	var types []string
	for i := 0; i < entries && len(rest) >= 10 && isDigits(rest[2:10]); i++ {
		types = append(types, rest[:2])
		rest = rest[10:]
	}
	if len(types) == 0 {
		// Malformed designators: start at the first DL or ID subfile
		// type that an element code follows.
		if loc := firstSubfile.FindStringIndex(rest); loc != nil {
			types = []string{rest[loc[0] : loc[0]+2]}
			rest = rest[loc[0]:]
		}
	}
	if len(types) > 0 {
		c.Subfile = types[0]
	}
	// Separators: LF, CR, RS, FS, '|', and the C1 controls some encoders
	// leave in the payload.
	lines := strings.FieldsFunc(rest, func(r rune) bool {
		return r < 0x20 || (r >= 0x80 && r <= 0x9f) || r == '|' || r == 0xfffd
	})
	for _, line := range lines {
		for _, t := range types {
			if strings.HasPrefix(line, t) && element.MatchString(line[2:]) && len(line) > 5 && !isElementCode(line[:3]) {
				line = line[2:]
				break
			}
			// The first element follows its subfile type directly.
			if strings.HasPrefix(line, t) && len(line) > 5 && isElementCode(line[2:5]) && (t == "DL" || t == "ID") {
				line = line[2:]
				break
			}
		}
		if len(line) < 3 || !element.MatchString(line) {
			continue
		}
		code := line[:3]
		if _, seen := c.Elements[code]; !seen {
			c.Elements[code] = strings.TrimSpace(line[3:])
		}
	}
	if len(c.Elements) == 0 {
		return nil, errors.New("aamva: the payload holds no data elements")
	}
	c.fill()
	return c, nil
}

// isElementCode reports a code of the standard's DA./DB./DC./DD. sets.
func isElementCode(s string) bool {
	return len(s) == 3 && s[0] == 'D' && (s[1] == 'A' || s[1] == 'B' || s[1] == 'C' || s[1] == 'D')
}

func (c *Card) fill() {
	e := c.Elements
	if j, ok := Jurisdictions[c.IIN]; ok {
		c.Jurisdiction = j
	}
	c.DocumentNumber = e["DAQ"]
	c.LastName, c.FirstName, c.MiddleName, c.Suffix = c.names()
	c.Sex = sex(e["DBC"])
	c.Street = strings.TrimSpace(strings.Join(nonEmpty(e["DAG"], e["DAH"]), ", "))
	c.City, c.State = e["DAI"], e["DAJ"]
	c.PostalCode = postal(e["DAK"])
	c.Country = e["DCG"]
	if c.Country == "" {
		c.Country = c.Jurisdiction.Country
	}
	if c.Country == "" && canadian[c.State] {
		c.Country = "CAN"
	}
	if c.Country == "" {
		c.Country = "USA"
	}
	c.BirthDate = c.date("DBB")
	c.ExpiryDate = c.date("DBA")
	c.IssueDate = c.date("DBD")
	if c.State == "" {
		c.State = c.Jurisdiction.Code
	}
}

// names reads the name in whichever elements the version used: DCS/DAC/DAD
// (v4+), DCS/DCT (v2–3: given names together), DAB/DAC (v1 split) or DAA
// (v1 full name, "LAST,FIRST,MIDDLE" or "FIRST MIDDLE LAST").
func (c *Card) names() (last, first, middle, suffix string) {
	e := c.Elements
	clean := func(s string) string {
		if strings.EqualFold(s, "NONE") || strings.EqualFold(s, "unavl") {
			return ""
		}
		return strings.Join(strings.Fields(s), " ")
	}
	last = clean(or(e["DCS"], e["DAB"]))
	first, middle = clean(e["DAC"]), clean(e["DAD"])
	suffix = clean(or(e["DCU"], e["DAE"]))
	if first == "" && e["DCT"] != "" {
		given := strings.FieldsFunc(e["DCT"], func(r rune) bool { return r == ',' || r == ' ' })
		if len(given) > 0 {
			first, middle = given[0], strings.Join(given[1:], " ")
		}
	}
	if last == "" && e["DAA"] != "" {
		full := e["DAA"]
		if strings.Contains(full, ",") {
			parts := strings.Split(full, ",")
			last = clean(parts[0])
			if len(parts) > 1 {
				first = clean(parts[1])
			}
			if len(parts) > 2 {
				middle = clean(strings.Join(parts[2:], " "))
			}
		} else if f := strings.Fields(full); len(f) > 0 {
			first, last = f[0], f[len(f)-1]
			if len(f) > 2 {
				middle = strings.Join(f[1:len(f)-1], " ")
			}
		}
	}
	return last, first, middle, suffix
}

// date reads an 8-digit date: CCYYMMDD on Canadian cards and in version 1,
// MMDDCCYY otherwise; when the expected order gives no valid date the other
// is tried, with a warning.
func (c *Card) date(code string) time.Time {
	s := strings.TrimSpace(c.Elements[code])
	if len(s) < 8 || !isDigits(s[:8]) {
		if s != "" {
			c.Warnings = append(c.Warnings, code+" is not a date")
		}
		return time.Time{}
	}
	s = s[:8]
	canadianOrder := c.Country == "CAN" || c.Version == 1
	first, second := mmddccyy, ccyymmdd
	if canadianOrder {
		first, second = ccyymmdd, mmddccyy
	}
	if d, ok := first(s); ok {
		return d
	}
	if d, ok := second(s); ok {
		c.Warnings = append(c.Warnings, code+" is in the other date order")
		return d
	}
	c.Warnings = append(c.Warnings, code+" is not a valid date")
	return time.Time{}
}

func mmddccyy(s string) (time.Time, bool) { return mkdate(atoi(s[4:8]), atoi(s[0:2]), atoi(s[2:4])) }
func ccyymmdd(s string) (time.Time, bool) { return mkdate(atoi(s[0:4]), atoi(s[4:6]), atoi(s[6:8])) }

func mkdate(y, m, d int) (time.Time, bool) {
	if y < 1850 || y > 2200 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t, t.Day() == d
}

func sex(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "1", "M":
		return "M"
	case "2", "F":
		return "F"
	}
	return "X"
}

// postal drops the empty ZIP+4 extension ("981230000" → "98123").
func postal(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 9 && isDigits(s) && s[5:] == "0000" {
		return s[:5]
	}
	if len(s) == 9 && isDigits(s) {
		return s[:5] + "-" + s[5:]
	}
	return s
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func or(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
