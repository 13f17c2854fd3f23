// Package docgen renders synthetic identity documents whose contents are
// known exactly: passports (TD3 MRZ), ID cards (TD1 MRZ on the back) and
// North American driver's licences (AAMVA PDF417 on the back), with a real
// face as the portrait, the OCR-B font from Debian's fonts-ocr-b, valid
// check digits, and photographic degradations (resolution, rotation, skew,
// blur, JPEG). Tests and `kycd eval documents` use them as ground truth.
package docgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/mrz"
)

// Kind is what is rendered.
type Kind string

// The kinds.
const (
	Passport       Kind = "passport"
	IDCard         Kind = "id_card"
	DriversLicense Kind = "drivers_license"
)

// Doc is one document's contents.
type Doc struct {
	Kind         Kind
	Country      string // ICAO code as in the MRZ (D for Germany), or USA/CAN for licences
	State        string // licences: the jurisdiction's postal code, e.g. CA
	Number       string
	Surname      string
	GivenNames   string // space-separated
	Sex          string // M, F
	BirthDate    time.Time
	IssueDate    time.Time
	ExpiryDate   time.Time
	Nationality  string
	PlaceOfBirth string
	Street       string
	City         string
	PostalCode   string
	PersonalNo   string // optional data
}

// Truth is what a reader should find, in the API's field names.
type Truth struct {
	Kind    Kind              `json:"document_type"`
	Country string            `json:"issuing_country"`
	Fields  map[string]string `json:"fields"`
	MRZ     string            `json:"mrz,omitempty"`
	Barcode string            `json:"barcode,omitempty"`
}

var (
	surnames = []string{"SMITH", "GARCIA", "MUELLER", "ROSSI", "JANSEN", "NOWAK", "ERIKSSON", "DUBOIS", "SILVA", "KOWALSKA",
		"OCONNOR", "VAN DER BERG", "NGUYEN", "HANSEN", "MARTINEZ LOPEZ", "PAPADOPOULOS", "OKAFOR", "TANAKA", "LINDQVIST", "BAKER"}
	givenF = []string{"ANNA", "MARIA", "SOPHIE", "EMMA", "LUCIA", "CHLOE", "INGRID", "MEI", "AMARA", "ZOE ELISABETH", "JULIA"}
	givenM = []string{"JOHN", "LUCAS", "MATEO", "JAN", "PIOTR", "KENJI", "DAVID", "OMAR", "ERIK", "PAUL ANDREW", "THOMAS"}
	cities = []string{"SPRINGFIELD", "RIVERSIDE", "FAIRVIEW", "MADISON", "GEORGETOWN", "CLINTON", "SALEM", "FRANKLIN"}
	places = []string{"BERLIN", "LYON", "UTRECHT", "SEVILLA", "TORINO", "MALMO", "KRAKOW", "OTTAWA", "PORTO"}
	// Countries with their nationality code; D is Germany's ICAO code.
	countries = []string{"UTO", "D", "FRA", "NLD", "ESP", "ITA", "SWE", "POL", "CAN", "PRT"}
	// Licence jurisdictions with their AAMVA issuer numbers.
	states = []struct{ code, iin, country string }{
		{"CA", "636014", "USA"}, {"NY", "636001", "USA"}, {"TX", "636015", "USA"}, {"FL", "636010", "USA"},
		{"WA", "636045", "USA"}, {"ON", "636012", "CAN"}, {"BC", "636028", "CAN"},
	}
)

const digits = "0123456789"
const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func date(r *rand.Rand, from, to int) time.Time {
	y := from + r.IntN(to-from+1)
	return time.Date(y, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
}

// Random makes a plausible document of kind, valid on now.
func Random(r *rand.Rand, kind Kind, now time.Time) Doc {
	d := Doc{Kind: kind, Sex: pick(r, []string{"M", "F"}), Surname: pick(r, surnames)}
	if d.Sex == "F" {
		d.GivenNames = pick(r, givenF)
	} else {
		d.GivenNames = pick(r, givenM)
	}
	d.BirthDate = date(r, now.Year()-80, now.Year()-18)
	d.IssueDate = date(r, now.Year()-5, now.Year()-1)
	d.ExpiryDate = time.Date(d.IssueDate.Year()+10, d.IssueDate.Month(), d.IssueDate.Day(), 0, 0, 0, 0, time.UTC)
	d.PlaceOfBirth = pick(r, places)
	d.Street = fmt.Sprintf("%d %s ST", 1+r.IntN(9899), pick(r, []string{"MAIN", "OAK", "PINE", "MAPLE", "CEDAR", "ELM", "LAKE"}))
	d.City = pick(r, cities)
	switch kind {
	case DriversLicense:
		s := pick(r, states)
		d.State, d.Country, d.Nationality = s.code, s.country, s.country
		d.Number = randString(r, letters, 1) + randString(r, digits, 7)
		d.PostalCode = randString(r, digits, 5)
		if s.country == "CAN" {
			d.PostalCode = randString(r, letters, 1) + randString(r, digits, 1) + randString(r, letters, 1) + randString(r, digits, 1) + randString(r, letters, 1) + randString(r, digits, 1)
		}
		d.ExpiryDate = time.Date(d.IssueDate.Year()+5+r.IntN(4), d.BirthDate.Month(), d.BirthDate.Day(), 0, 0, 0, 0, time.UTC)
	default:
		d.Country = pick(r, countries)
		d.Nationality = d.Country
		// Mixed letters and digits, as many states issue them: the hard
		// case for a reader.
		d.Number = randString(r, letters, 2) + randString(r, letters+digits, 1+r.IntN(2)) + randString(r, digits, 5)
		if r.IntN(3) == 0 {
			d.PersonalNo = randString(r, digits, 6+r.IntN(5))
		}
	}
	return d
}

func mrzName(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, " ", "<"), "-", "<") }

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}

func yymmdd(t time.Time) string { return t.Format("060102") }

func cd(s string) string { return string(mrz.CheckDigit(s)) }

// MRZ returns the zone's lines (passports TD3, ID cards TD1).
func (d Doc) MRZ() []string {
	names := mrzName(d.Surname) + "<<" + mrzName(d.GivenNames)
	num := pad(d.Number, 9)
	switch d.Kind {
	case Passport:
		l1 := pad("P<"+pad(d.Country, 3)+names, 44)
		opt := pad(d.PersonalNo, 14)
		optCD := cd(opt)
		if d.PersonalNo == "" {
			optCD = "<"
		}
		l2 := num + cd(num) + pad(d.Nationality, 3) + yymmdd(d.BirthDate) + cd(yymmdd(d.BirthDate)) + d.Sex +
			yymmdd(d.ExpiryDate) + cd(yymmdd(d.ExpiryDate)) + opt + optCD
		l2 += cd(l2[0:10] + l2[13:20] + l2[21:43])
		return []string{l1, l2}
	case IDCard:
		l1 := pad("I<"+pad(d.Country, 3)+num+cd(num)+d.PersonalNo, 30)
		l2 := yymmdd(d.BirthDate) + cd(yymmdd(d.BirthDate)) + d.Sex + yymmdd(d.ExpiryDate) + cd(yymmdd(d.ExpiryDate)) +
			pad(d.Nationality, 3) + strings.Repeat("<", 11)
		l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
		l3 := pad(names, 30)
		return []string{l1, l2, l3}
	}
	return nil
}

// AAMVA returns a licence's barcode payload (AAMVA 2016, version 08).
func (d Doc) AAMVA() string {
	iin := ""
	for _, s := range states {
		if s.code == d.State {
			iin = s.iin
		}
	}
	dateFmt := func(t time.Time) string { return t.Format("01022006") }
	if d.Country == "CAN" {
		dateFmt = func(t time.Time) string { return t.Format("20060102") }
	}
	given := strings.SplitN(d.GivenNames, " ", 2)
	middle := "NONE"
	if len(given) == 2 {
		middle = given[1]
	}
	sex := "1"
	if d.Sex == "F" {
		sex = "2"
	}
	elems := []string{
		"DAQ" + d.Number, "DCS" + d.Surname, "DAC" + given[0], "DAD" + middle,
		"DBD" + dateFmt(d.IssueDate), "DBB" + dateFmt(d.BirthDate), "DBA" + dateFmt(d.ExpiryDate),
		"DBC" + sex, "DAG" + d.Street, "DAI" + d.City, "DAJ" + d.State, "DAK" + d.PostalCode,
		"DCF" + randDiscriminator(d), "DCG" + d.Country, "DDEN", "DDFN", "DDGN", "DCAC", "DCBNONE", "DCDNONE",
	}
	body := "DL" + strings.Join(elems, "\n") + "\r"
	const headerLen = 21 + 10
	return fmt.Sprintf("@\n\x1e\rANSI %s0801DL%04d%04d%s", iin, headerLen, len(body), body)
}

func randDiscriminator(d Doc) string {
	return fmt.Sprintf("%s%s%02d", d.Number, d.State, d.IssueDate.Year()%100)
}

func human(t time.Time) string { return t.Format("02 Jan 2006") }

// Truth is the expected reading: fields from the MRZ or barcode, and the
// printed ones only those can not hold.
func (d Doc) Truth() Truth {
	given := strings.SplitN(d.GivenNames, " ", 2)
	f := map[string]string{
		"LAST_NAME": d.Surname, "FIRST_NAME": given[0], "DOCUMENT_NUMBER": d.Number,
		"DATE_OF_BIRTH": d.BirthDate.Format(time.DateOnly), "EXPIRATION_DATE": d.ExpiryDate.Format(time.DateOnly),
		"SEX": d.Sex,
	}
	if len(given) == 2 {
		f["MIDDLE_NAME"] = given[1]
	}
	t := Truth{Kind: d.Kind, Fields: f}
	switch d.Kind {
	case DriversLicense:
		t.Country = d.Country
		f["DATE_OF_ISSUE"] = d.IssueDate.Format(time.DateOnly)
		f["ADDRESS"] = d.Street + ", " + d.City + ", " + d.State + " " + d.PostalCode
		f["ID_TYPE"] = "DRIVER LICENSE FRONT"
		t.Barcode = d.AAMVA()
	default:
		t.Country = d.Country
		if d.Country == "D" {
			t.Country = "DEU"
		}
		f["NATIONALITY"] = t.Country
		f["ID_TYPE"] = map[Kind]string{Passport: "PASSPORT", IDCard: "IDENTIFICATION CARD"}[d.Kind]
		// Printed only, not in the MRZ.
		f["DATE_OF_ISSUE"] = d.IssueDate.Format(time.DateOnly)
		f["PLACE_OF_BIRTH"] = d.PlaceOfBirth
		if d.Kind == IDCard {
			f["ADDRESS"] = d.Street + ", " + d.City
		}
		t.MRZ = strings.Join(d.MRZ(), "\n")
	}
	return t
}
