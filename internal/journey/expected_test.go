package journey

import (
	"reflect"
	"testing"

	"github.com/kycd/kycd/internal/document"
)

func TestExpectedCompare(t *testing.T) {
	doc := &document.Analysis{Fields: map[string]document.Field{
		"FIRST_NAME": {Value: "JOERG"}, "MIDDLE_NAME": {Value: "PETER"}, "LAST_NAME": {Value: "MUELLER LUEDENSCHEIDT"},
		"DATE_OF_BIRTH": {Value: "1985-03-09"}, "DOCUMENT_NUMBER": {Value: "C01X00T47"},
	}}
	cases := []struct {
		name string
		e    Expected
		want []Comparison
	}{
		{"umlauts as the MRZ writes them", Expected{FirstName: "Jörg", LastName: "Müller-Lüdenscheidt"},
			[]Comparison{{"first_name", Match}, {"last_name", Match}}},
		{"all given names", Expected{FirstName: "Jörg Peter"}, []Comparison{{"first_name", Match}}},
		{"another name", Expected{LastName: "Miller"}, []Comparison{{"last_name", Mismatch}}},
		{"date exact", Expected{DateOfBirth: "1985-03-09", DocumentNumber: "c01x 00t47"},
			[]Comparison{{"date_of_birth", Match}, {"document_number", Match}}},
		{"a day off", Expected{DateOfBirth: "1985-03-08"}, []Comparison{{"date_of_birth", Mismatch}}},
		{"nothing expected", Expected{}, nil},
	}
	for _, c := range cases {
		if got := c.e.Compare(doc); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	// Stripped marks and one-letter forms match too; punctuation is a space.
	plain := &document.Analysis{Fields: map[string]document.Field{"FIRST_NAME": {Value: "JORG"}, "LAST_NAME": {Value: "O BRIEN"}}}
	got := (&Expected{FirstName: "Jörg", LastName: "O'Brien"}).Compare(plain)
	if want := []Comparison{{"first_name", Match}, {"last_name", Match}}; !reflect.DeepEqual(got, want) {
		t.Errorf("plain forms: got %v, want %v", got, want)
	}
	// What the document does not say is not confirmed, and counts as a mismatch.
	got = (&Expected{DateOfBirth: "1985-03-09", FirstName: "Ann"}).Compare(&document.Analysis{Fields: map[string]document.Field{
		"FIRST_NAME": {Value: "<<<"}}})
	if want := []Comparison{{"first_name", Mismatch}, {"date_of_birth", NotRead}}; !reflect.DeepEqual(got, want) {
		t.Errorf("unread: got %v, want %v", got, want)
	}
	if m := Mismatches(got); !reflect.DeepEqual(m, []string{"first_name", "date_of_birth"}) {
		t.Errorf("mismatches: %v", m)
	}
	if err := (&Expected{DateOfBirth: "09.03.1985"}).Validate(); err == nil {
		t.Error("a date in another form was accepted")
	}
}
