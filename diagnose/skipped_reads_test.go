package diagnose_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// TestSkippedReadsChangeNoDiagnosis: a live capture leaves out a
// destination's policy scope where its registry policy is missing or
// names V1 actions only (diagnose.ScopeMatters), and its creation
// templates where the repository exists. Every fixture, with those files
// taken out, must be diagnosed exactly as with them: same report, same
// warnings.
func TestSkippedReadsChangeNoDiagnosis(t *testing.T) {
	list, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	pruned := 0
	for _, fx := range list {
		t.Run(fx.Name, func(t *testing.T) {
			full := loadDir(t, fx.Dir, fx.Repository)
			var skip []string // files a capture would not have written
			for loc, reg := range full.Registries {
				if loc.Account == full.Source.Account {
					continue
				}
				rp := reg.RegistryPolicy
				if rp.ErrCode() == "RegistryPolicyNotFoundException" || rp.OK() && !diagnose.ScopeMatters(rp.Value.PolicyText) {
					skip = append(skip, collect.CallFile(fx.Dir, loc.Account, loc.Region, collect.GetAccountSettingFile), collect.ErrorFile(fx.Dir, loc.Account, loc.Region, collect.GetAccountSettingFile))
				}
				if reg.Repositories.OK() && slices.ContainsFunc(reg.Repositories.Value.Repositories, func(r diagnose.Repository) bool { return r.RepositoryName == fx.Repository }) {
					skip = append(skip, collect.CallFile(fx.Dir, loc.Account, loc.Region, collect.TemplatesFile), collect.ErrorFile(fx.Dir, loc.Account, loc.Region, collect.TemplatesFile))
				}
			}
			dir := filepath.Join(t.TempDir(), fx.Name)
			if err := os.CopyFS(dir, os.DirFS(fx.Dir)); err != nil {
				t.Fatal(err)
			}
			removed := 0
			for _, f := range skip {
				rel, _ := filepath.Rel(fx.Dir, f)
				if err := os.Remove(filepath.Join(dir, rel)); err == nil {
					removed++
				}
			}
			if removed == 0 {
				t.Skip("the capture would have read every file of this fixture")
			}
			pruned++
			want, got := report(t, full, fx.Dir), report(t, loadDir(t, dir, fx.Repository), dir)
			if got != want {
				t.Errorf("without the %d reads a capture leaves out, the report changes:\n got %s\nwant %s", removed, got, want)
			}
			// Nor does the scope matter whatever it is: V1, the strict one,
			// says the same.
			v1 := 0
			for _, f := range skip {
				if strings.HasSuffix(f, collect.GetAccountSettingFile+".json") {
					rel, _ := filepath.Rel(fx.Dir, f)
					if err := os.WriteFile(filepath.Join(dir, rel), []byte(`{"name": "REGISTRY_POLICY_SCOPE", "value": "V1"}`), 0o644); err != nil {
						t.Fatal(err)
					}
					v1++
				}
			}
			if v1 > 0 {
				if got := report(t, loadDir(t, dir, fx.Repository), dir); got != want {
					t.Errorf("with policy scope V1, the report changes:\n got %s\nwant %s", got, want)
				}
			}
		})
	}
	if pruned < 5 {
		t.Errorf("only %d fixtures had a read to leave out; the test proves little", pruned)
	}
}

// report is a snapshot's diagnosis as JSON, with the folder's path made
// neutral.
func report(t *testing.T, snap *diagnose.Snapshot, dir string) string {
	t.Helper()
	r, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct {
		R *diagnose.Report
		W []string
	}{r, snap.Warnings})
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), dir, "DIR")
}
