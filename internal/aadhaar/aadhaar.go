// Package aadhaar reads and verifies the Secure QR code printed on India's
// Aadhaar letters, cards and e-Aadhaar PDFs (UIDAI, "Secure QR Code
// Specification", version 2 of 2019 and the older version 1).
//
// The QR holds one large decimal number. Its bytes are a zlib stream;
// inflated, they are the holder's fields separated by the byte 255, the
// photo (JPEG 2000), optionally the hashes of the e-mail address and
// mobile number, and last a 256-byte RSA signature (PKCS #1 v1.5, SHA-256)
// by UIDAI over everything before it. A reading is trusted only when that
// signature verifies with a key of a certificate the operator trusts,
// valid when the QR was generated.
package aadhaar

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"
)

// Limits against hostile codes: a QR holds at most 7,089 digits; the
// inflated payload of a real one is under 2 KB.
const (
	maxDigits   = 7089
	maxInflated = 64 << 10
	sigLen      = 256
)

// Errors.
var (
	// ErrNotSecureQR means the text is not an Aadhaar Secure QR payload.
	ErrNotSecureQR = errors.New("aadhaar: not a Secure QR payload")
	// ErrUnknownKey means no trusted certificate's key verifies the
	// signature: UIDAI's newer keys, a forgery, or a changed byte.
	ErrUnknownKey = errors.New("aadhaar: no trusted key verifies the signature")
)

// QR is what a Secure QR code holds.
type QR struct {
	Version     string    // V2, or V1 for the older layout
	Last4       string    // the last four digits of the Aadhaar number (the rest is never in the QR)
	Generated   time.Time // when UIDAI generated the code (Indian time)
	Name        string
	DateOfBirth time.Time // zero when only a year is given
	BirthYear   int
	Gender      string // M, F or T
	CareOf      string
	House       string
	Street      string
	Landmark    string
	Location    string
	VTC         string // village, town or city
	PostOffice  string
	SubDistrict string
	District    string
	State       string
	PinCode     string
	MobileLast4 string // V2 only
	EmailHashed bool   // the e-mail address's hash is present
	MobileHash  bool   // the mobile number's hash is present
	Photo       []byte // JPEG 2000 codestream

	signed, signature []byte
}

// Address is the address as one line, most specific first.
func (q *QR) Address() string {
	var parts []string
	for _, p := range []string{q.House, q.Street, q.Landmark, q.Location, q.VTC, q.PostOffice, q.SubDistrict, q.District, q.State, q.PinCode} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

var ist = time.FixedZone("IST", 5*3600+1800)

// Parse decodes a Secure QR's text. It checks the layout, not the
// signature: see Verify.
func Parse(text string) (*QR, error) {
	text = strings.TrimSpace(text)
	if len(text) < 100 || len(text) > maxDigits || strings.Trim(text, "0123456789") != "" {
		return nil, ErrNotSecureQR
	}
	n, ok := new(big.Int).SetString(text, 10)
	if !ok {
		return nil, ErrNotSecureQR
	}
	zr, err := zlib.NewReader(bytes.NewReader(n.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSecureQR, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxInflated+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSecureQR, err)
	}
	if len(data) > maxInflated {
		return nil, fmt.Errorf("%w: inflates past %d bytes", ErrNotSecureQR, maxInflated)
	}
	if len(data) <= sigLen {
		return nil, fmt.Errorf("%w: too short", ErrNotSecureQR)
	}
	q := &QR{signed: data[:len(data)-sigLen], signature: data[len(data)-sigLen:]}
	// The text fields: 16 in version 1, 18 in version 2 (its marker and
	// the mobile number's last digits); the photo follows the last one.
	fields, photoAt := split(q.signed, 18)
	q.Version = "V1"
	if len(fields) > 0 && string(fields[0]) == "V2" {
		q.Version = "V2"
		fields = fields[1:]
	} else {
		fields, photoAt = split(q.signed, 16)
	}
	if fields == nil {
		return nil, fmt.Errorf("%w: too few fields", ErrNotSecureQR)
	}
	f := func(i int) string { return strings.TrimSpace(string(fields[i])) }
	indicator := f(0)
	if len(indicator) != 1 || indicator[0] < '0' || indicator[0] > '3' {
		return nil, fmt.Errorf("%w: e-mail/mobile indicator %q", ErrNotSecureQR, indicator)
	}
	q.EmailHashed, q.MobileHash = indicator == "1" || indicator == "3", indicator == "2" || indicator == "3"
	ref := f(1)
	if len(ref) < 4 || strings.Trim(ref, "0123456789") != "" {
		return nil, fmt.Errorf("%w: reference %q", ErrNotSecureQR, ref)
	}
	q.Last4 = ref[:4]
	if len(ref) >= 18 {
		q.Generated, _ = time.ParseInLocation("20060102150405", ref[4:18], ist)
	}
	q.Name, q.Gender, q.CareOf, q.District, q.Landmark, q.House = f(2), f(4), f(5), f(6), f(7), f(8)
	q.Location, q.PinCode, q.PostOffice, q.State, q.Street, q.SubDistrict, q.VTC = f(9), f(10), f(11), f(12), f(13), f(14), f(15)
	if q.Version == "V2" {
		q.MobileLast4 = f(16)
	}
	dob := f(3)
	for _, layout := range []string{"02-01-2006", "02/01/2006", "2006-01-02"} {
		if t, err := time.Parse(layout, dob); err == nil {
			q.DateOfBirth, q.BirthYear = t, t.Year()
			break
		}
	}
	if q.BirthYear == 0 && len(dob) == 4 {
		fmt.Sscanf(dob, "%d", &q.BirthYear)
	}
	if q.Name == "" || q.BirthYear == 0 {
		return nil, fmt.Errorf("%w: no name or birth date", ErrNotSecureQR)
	}
	hashes := 0
	if q.EmailHashed {
		hashes++
	}
	if q.MobileHash {
		hashes++
	}
	end := len(q.signed) - 32*hashes
	if end < photoAt {
		return nil, fmt.Errorf("%w: no room for the photo", ErrNotSecureQR)
	}
	q.Photo = q.signed[photoAt:end]
	return q, nil
}

// split cuts data at its first n separators (255): the n fields before
// them and where the rest starts; nil when there are fewer.
func split(data []byte, n int) ([][]byte, int) {
	var fields [][]byte
	start := 0
	for i, b := range data {
		if b != 255 {
			continue
		}
		fields = append(fields, data[start:i])
		start = i + 1
		if len(fields) == n {
			return fields, start
		}
	}
	return nil, 0
}

// Key is a public key the operator trusts to sign Secure QR codes, with
// its certificate's name and validity.
type Key struct {
	Name      string
	Public    *rsa.PublicKey
	NotBefore time.Time
	NotAfter  time.Time
}

// ParseCertificates reads the RSA keys of PEM (or DER) certificates.
func ParseCertificates(data []byte) ([]Key, error) {
	var ders [][]byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			ders = append(ders, b.Bytes)
		}
	}
	if len(ders) == 0 {
		ders = [][]byte{data}
	}
	var keys []Key
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("aadhaar: certificate: %w", err)
		}
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("aadhaar: certificate %q holds no RSA key", c.Subject.CommonName)
		}
		keys = append(keys, Key{Name: c.Subject.CommonName, Public: pub, NotBefore: c.NotBefore, NotAfter: c.NotAfter})
	}
	return keys, nil
}

//go:embed uidai_offline_publickey_26022021.pem
var uidai2021 []byte

//go:embed uidai_prod_cdup.pem
var uidai2017 []byte

// UIDAIKeys are UIDAI's published offline-verification certificates
// (2017–2020 and 2021–2024). Codes UIDAI generated after the last one
// expired verify only with a newer certificate the operator adds.
func UIDAIKeys() []Key { return slices.Clone(uidaiKeys()) }

// uidaiKeys parses the embedded certificates once.
var uidaiKeys = sync.OnceValue(func() []Key {
	var keys []Key
	for _, c := range [][]byte{uidai2017, uidai2021} {
		k, err := ParseCertificates(c)
		if err != nil {
			panic(err) // embedded: a broken one is a build error
		}
		keys = append(keys, k...)
	}
	return keys
})

// Verify checks the signature with keys and returns the key that signed.
// A key counts only while its certificate was valid at the code's
// generation time (when the code says it).
func (q *QR) Verify(keys []Key) (Key, error) {
	h := sha256.Sum256(q.signed)
	for _, k := range keys {
		if !q.Generated.IsZero() && (q.Generated.Before(k.NotBefore) || q.Generated.After(k.NotAfter)) {
			continue
		}
		if rsa.VerifyPKCS1v15(k.Public, crypto.SHA256, h[:], q.signature) == nil {
			return k, nil
		}
	}
	return Key{}, ErrUnknownKey
}

// verhoeff's tables (the dihedral group D5, its permutation and inverse).
var (
	vd = [10][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	vp = [8][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
)

// ValidNumber reports whether s is an Aadhaar number: 12 digits (spaces
// allowed between the groups of four), not starting with 0 or 1, whose
// last digit is the Verhoeff check digit of the others.
func ValidNumber(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) != 12 || strings.Trim(s, "0123456789") != "" || s[0] < '2' {
		return false
	}
	c := 0
	for i := 0; i < len(s); i++ {
		c = vd[c][vp[i%8][int(s[len(s)-1-i]-'0')]]
	}
	return c == 0
}
