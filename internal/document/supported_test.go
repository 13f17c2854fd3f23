package document

import (
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/documents.md's table")

// TestSupportedDocs: docs/documents.md lists what the classifier's own
// tables recognise.
func TestSupportedDocs(t *testing.T) {
	const path = "../../docs/documents.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	begin, end := "<!-- supported:begin -->\n", "<!-- supported:end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no supported:begin/end markers", path)
	}
	want := doc[:i+len(begin)] + SupportedTable() + doc[j:]
	if want == doc {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's table differs from document.SupportedTable(); run go test ./internal/document -run TestSupportedDocs -update", path)
}

// TestTypesEnum: the API's enum of document types is Types.
func TestTypesEnum(t *testing.T) {
	f, _ := reflect.TypeFor[Analysis]().FieldByName("DocumentType")
	var names []string
	for _, ty := range Types {
		names = append(names, string(ty))
	}
	if got := strings.Split(f.Tag.Get("enum"), ","); !slices.Equal(got, names) {
		t.Errorf("enum %v, Types %v", got, names)
	}
}
