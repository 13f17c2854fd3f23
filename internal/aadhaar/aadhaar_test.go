package aadhaar

import (
	"bytes"
	"compress/zlib"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"
)

// The sample is UIDAI's sample Secure QR content (a fictitious "Sumit
// Kumar"), re-signed by anon-aadhaar's test key (MIT, anon-aadhaar/anon-
// aadhaar packages/circuits/assets/test.json and testCertificate.pem; see
// testdata/README.md).
func sample(t *testing.T) (string, []Key) {
	t.Helper()
	qr, err := os.ReadFile("testdata/uidai-sample-qr.txt")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile("testdata/anon-aadhaar-test-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseCertificates(cert)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(qr)), keys
}

func TestSampleVerifies(t *testing.T) {
	text, keys := sample(t)
	q, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Verify(keys); err != nil {
		t.Fatalf("the sample with its key: %v", err)
	}
	dob := time.Date(1984, 1, 1, 0, 0, 0, 0, time.UTC)
	if q.Version != "V2" || q.Name != "Sumit Kumar" || !q.DateOfBirth.Equal(dob) || q.Gender != "M" || q.Last4 != "2697" ||
		q.PinCode != "110051" || q.State != "Delhi" || q.MobileLast4 != "1234" || !q.EmailHashed || !q.MobileHash {
		t.Errorf("fields: %+v", q)
	}
	if want := time.Date(2024, 4, 20, 1, 45, 52, 0, ist); !q.Generated.Equal(want) {
		t.Errorf("generated %v, want %v", q.Generated, want)
	}
	if a := q.Address(); a != "B-31, 3rd Floor, Radhey Shyam Park Extension, Krishna Nagar, Krishna Nagar, Gandhi Nagar, East Delhi, Delhi, 110051" {
		t.Errorf("address %q", a)
	}
	// The photo is a JPEG 2000 codestream: SOC and SIZ markers, EOC last.
	if len(q.Photo) < 100 || string(q.Photo[:4]) != "\xff\x4f\xff\x51" || string(q.Photo[len(q.Photo)-2:]) != "\xff\xd9" {
		t.Errorf("photo: %d bytes, %x…%x", len(q.Photo), q.Photo[:4], q.Photo[len(q.Photo)-2:])
	}
}

// TestUnknownKey: UIDAI's own certificates do not verify a code another
// key signed: reported unverified, never trusted.
func TestUnknownKey(t *testing.T) {
	text, _ := sample(t)
	q, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := q.Verify(UIDAIKeys()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("verified by %q: %v", k.Name, err)
	}
	if len(UIDAIKeys()) != 2 {
		t.Errorf("%d UIDAI keys", len(UIDAIKeys()))
	}
}

// TestExpiredKey: a key counts only while its certificate was valid when
// the code was generated.
func TestExpiredKey(t *testing.T) {
	text, keys := sample(t)
	q, _ := Parse(text)
	k := keys[0]
	k.NotAfter = q.Generated.Add(-time.Hour)
	if _, err := q.Verify([]Key{k}); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("a key expired before the code was made verified it: %v", err)
	}
}

// TestAnyChangeFails: every digit of the code changed in turn either
// breaks the layout or the signature; none verifies.
func TestAnyChangeFails(t *testing.T) {
	text, keys := sample(t)
	verified := 0
	for i := 0; i < len(text); i += 7 {
		b := []byte(text)
		b[i] = '0' + (b[i]-'0'+1)%10
		if i == 0 && b[0] == '0' {
			continue
		}
		q, err := Parse(string(b))
		if err != nil {
			continue
		}
		if _, err := q.Verify(keys); err == nil {
			verified++
			t.Errorf("digit %d changed: still verifies", i)
		}
	}
	// A changed byte of the inflated payload, re-compressed, too.
	q, _ := Parse(text)
	for _, at := range []int{20, len(q.signed) / 2, len(q.signed) - 1} {
		c := *q
		c.signed = append([]byte(nil), q.signed...)
		c.signed[at] ^= 1
		if _, err := c.Verify(keys); err == nil {
			t.Errorf("payload byte %d flipped: still verifies", at)
		}
	}
}

func TestNotSecureQR(t *testing.T) {
	for name, s := range map[string]string{
		"empty":        "",
		"a URL":        "https://example.com/" + strings.Repeat("a", 200),
		"short number": "1234567890",
		"not zlib":     strings.Repeat("9", 3000),
		"too long":     strings.Repeat("1", maxDigits+1),
	} {
		if _, err := Parse(s); !errors.Is(err, ErrNotSecureQR) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidNumber(t *testing.T) {
	// Exactly one check digit completes eleven digits.
	base := "23412341234"
	valid := 0
	for d := byte('0'); d <= '9'; d++ {
		if ValidNumber(base + string(d)) {
			valid++
			n := base + string(d)
			if !ValidNumber(n[:4] + " " + n[4:8] + " " + n[8:]) {
				t.Error("spaced groups refused")
			}
			// Any single digit changed, or two neighbours swapped, fails.
			for i := range n {
				b := []byte(n)
				b[i] = '0' + (b[i]-'0'+3)%10
				if b[0] >= '2' && ValidNumber(string(b)) {
					t.Errorf("%s with digit %d changed passes", n, i)
				}
				if i+1 < len(n) && n[i] != n[i+1] {
					s := []byte(n)
					s[i], s[i+1] = s[i+1], s[i]
					if ValidNumber(string(s)) {
						t.Errorf("%s with digits %d,%d swapped passes", n, i, i+1)
					}
				}
			}
		}
	}
	if valid != 1 {
		t.Errorf("%d check digits complete %s", valid, base)
	}
	for _, s := range []string{"", "12345678901", "123456789012", "0234 5678 9012", "2345678901234", "23456789O123"} {
		if ValidNumber(s) {
			t.Errorf("%q passes", s)
		}
	}
}

// TestInflateBomb: a code whose payload inflates past any real one's size
// is refused without inflating it all.
func TestInflateBomb(t *testing.T) {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(make([]byte, 8<<20)) // 8 MiB of zeros: about 8 KB compressed
	w.Close()
	text := new(big.Int).SetBytes(b.Bytes()).String()
	if len(text) > maxDigits {
		// Too long for a QR already; cut the stream to what fits.
		text = new(big.Int).SetBytes(b.Bytes()[:maxDigits*2/5]).String()
	}
	if _, err := Parse(text); !errors.Is(err, ErrNotSecureQR) {
		t.Errorf("an inflating bomb: %v", err)
	}
}
