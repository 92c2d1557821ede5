package terraform

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func flagBool(name, usage string) *bool { return flag.Bool(name, false, usage) }

// golden compares res, as JSON, with testdata/golden/NAME.json; the test
// runs in fixtures/terraform.
func golden(t *testing.T, res *Result, name string) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "diagnose", "terraform", "testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./diagnose/terraform -update)", err)
	}
	if string(old) != b.String() {
		t.Errorf("lint result differs from %s (review, then go test ./diagnose/terraform -update):\n%s", path, diffLines(string(old), b.String()))
	}
}

// lintFixtures maps each folder of fixtures/terraform to the codes lint must
// report there, in order. Every folder is listed: a new fixture without its
// expectation fails the test.
var lintFixtures = map[string][]string{
	"seed-published":                              {},
	"clean-policy-document":                       {},
	"seed-grant-in-repository-policy":             {"REPOSITORY_POLICY_HAS_RESOURCE", "GRANT_IN_REPOSITORY_POLICY", "REGISTRY_POLICY_MISSING"},
	"seed-grant-in-repository-policy-no-resource": {"GRANT_IN_REPOSITORY_POLICY", "REGISTRY_POLICY_MISSING"},
	"registry-policy-missing":                     {"REGISTRY_POLICY_MISSING"},
	"registry-policy-in-other-region":             {"REGISTRY_POLICY_IN_OTHER_REGION", "REGISTRY_POLICY_MISSING"},
	"principal-mismatch":                          {"PRINCIPAL_MISMATCH"},
	"resource-mismatch":                           {"RESOURCE_MISMATCH"},
	"action-not-granted":                          {"ACTION_NOT_GRANTED"},
	"create-repository-not-allowed":               {"CREATE_REPOSITORY_NOT_ALLOWED"},
	"explicit-deny":                               {"EXPLICIT_DENY"},
	"condition-not-satisfied":                     {"CONDITION_NOT_SATISFIED"},
	"filter-does-not-match":                       {"FILTER_DOES_NOT_MATCH"},
	"destination-is-source":                       {"DESTINATION_IS_SOURCE"},
	"registry-policy-duplicated":                  {"ACTION_NOT_GRANTED", "REGISTRY_POLICY_DUPLICATED"},
	"replication-configuration-duplicated":        {"FILTER_DOES_NOT_MATCH", "REPLICATION_CONFIGURATION_DUPLICATED"},
	"registry-policy-v1-action":                   {"REGISTRY_POLICY_V1_ACTION"},
	"replication-filter-invalid":                  {"REPLICATION_FILTER_INVALID", "FILTER_DOES_NOT_MATCH"},
	"replication-too-many-destinations":           {"REPLICATION_TOO_MANY_DESTINATIONS", "DESTINATION_NOT_IN_CONFIGURATION"},
	"policy-duplicate-sid":                        {"POLICY_DUPLICATE_SID"},
	"destination-not-in-configuration":            {"DESTINATION_NOT_IN_CONFIGURATION"},
}

// TestLintFixtures lints every configuration in fixtures/terraform, checks
// its codes and compares the whole result with its golden JSON.
func TestLintFixtures(t *testing.T) {
	root := filepath.Join("..", "..", "fixtures", "terraform")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		want, ok := lintFixtures[name]
		if !ok {
			t.Errorf("fixtures/terraform/%s has no expected codes in lintFixtures", name)
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			// Run from the fixtures folder, as a user would, so paths in the
			// output are relative and the golden files portable.
			t.Chdir(root)
			cfg, err := Load([]string{name}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			res := Lint(cfg)
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Code)
				if _, ok := diagnose.Lookup(f.Code); !ok {
					t.Errorf("%s is not in the catalogue", f.Code)
				}
				if f.Location.File == "" || f.Location.Line == 0 || f.Location.Address == "" {
					t.Errorf("%s has no location: %+v", f.Code, f.Location)
				}
			}
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("codes = %v, want %v", got, want)
			}
			if len(res.Warnings) != 0 {
				t.Errorf("warnings = %q, want none (every value of the fixtures is known)", res.Warnings)
			}
			golden(t, res, name)
		})
	}
	if seen != len(lintFixtures) {
		t.Errorf("ran %d fixtures, lintFixtures lists %d", seen, len(lintFixtures))
	}
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "first difference at line " + strconv.Itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "one is a prefix of the other"
}
