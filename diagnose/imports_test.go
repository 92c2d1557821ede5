package diagnose_test

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLeavesImportNoModel keeps the import arrows pointing one way (STYLE.md
// "The house"): the leaves diagnose builds on import nothing of ecrdoctor but
// awsid, so no arrow runs back up to the model or the checks.
func TestLeavesImportNoModel(t *testing.T) {
	const module = "github.com/ecrdoctor/ecrdoctor/"
	allowed := map[string][]string{
		"awsid":  nil,
		"policy": {module + "diagnose/awsid"},
		"trail":  {module + "diagnose/awsid"},
	}
	for leaf, ok := range allowed {
		pkg, err := build.ImportDir(filepath.Join(".", leaf), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) && !slices.Contains(ok, imp) {
				t.Errorf("diagnose/%s imports %s: a leaf may import only %v", leaf, imp, ok)
			}
		}
	}
}
