package diagnose_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// TestREADMECodeTable checks that the README's code table lists exactly the
// catalogue, in root-cause order, with the catalogue's titles: users read
// the one, reports are ordered by the other.
func TestREADMECodeTable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ code, title string }
	var rows []row
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case line == "| Code | Meaning |":
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "| `"):
			cells := strings.Split(strings.Trim(line, "|"), " | ")
			if len(cells) != 2 {
				t.Fatalf("README code table row %q: want two cells", line)
			}
			rows = append(rows, row{strings.Trim(strings.TrimSpace(cells[0]), "`"), strings.TrimSpace(cells[1])})
		case in:
			in = false
		}
	}
	if len(rows) == 0 {
		t.Fatal("README.md has no code table (| Code | Meaning |)")
	}
	for i, c := range diagnose.Catalogue {
		if i >= len(rows) {
			t.Errorf("README code table lacks %s (and the codes after it)", c.Code)
			break
		}
		if rows[i].code != c.Code {
			t.Errorf("README code table row %d is %s, the catalogue has %s there (root-cause order)", i+1, rows[i].code, c.Code)
			continue
		}
		if rows[i].title != c.Title {
			t.Errorf("README meaning of %s = %q, catalogue title = %q", c.Code, rows[i].title, c.Title)
		}
	}
	for _, r := range rows[min(len(rows), len(diagnose.Catalogue)):] {
		t.Errorf("README code table lists %s, which is not in the catalogue", r.code)
	}
}

// TestCatalogueEntries checks that every code is described once and fully.
func TestCatalogueEntries(t *testing.T) {
	seen := map[string]bool{}
	for i, c := range diagnose.Catalogue {
		if seen[c.Code] {
			t.Errorf("%s is in the catalogue twice", c.Code)
		}
		seen[c.Code] = true
		if c.Title == "" || c.Help == "" || !strings.HasPrefix(c.Doc, "https://docs.aws.amazon.com/") {
			t.Errorf("%s: title, help or documentation link missing: %+v", c.Code, c)
		}
		switch c.Severity {
		case diagnose.SeverityError, diagnose.SeverityWarning, diagnose.SeverityInfo:
		default:
			t.Errorf("%s: severity %q", c.Code, c.Severity)
		}
		if c.Rank() != i {
			t.Errorf("%s: rank %d, want its place %d", c.Code, c.Rank(), i)
		}
		if got, ok := diagnose.Lookup(c.Code); !ok || got.Code != c.Code {
			t.Errorf("Lookup(%s) = %v, %v", c.Code, got, ok)
		}
	}
	if _, ok := diagnose.Lookup("NO_SUCH_CODE"); ok {
		t.Error("Lookup found a code that is not in the catalogue")
	}
}
