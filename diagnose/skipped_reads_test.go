package diagnose_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// TestSkippedReadsChangeNoDiagnosis: a live capture leaves out reads whose
// answer the reads it made show no check could use (snapshot.json's
// not_read says which and why):
//   - a destination's policy scope where its registry policy is missing or
//     names V1 actions only (diagnose.ScopeMatters);
//   - its creation templates where the repository exists;
//   - its repository policy where the repository is known not to exist, or
//     where its registry policy settles replication (RegistryGrant.Settles),
//     and there its pull-through-cache rules;
//   - the source's describe-repositories where the repository is known to
//     exist and no destination repository keeps its tags immutable (the
//     source's tag mutability is read only against one that does);
//   - the source's images, their replication status and the backfills
//     where the rules, read, send the repository nowhere.
//
// Every fixture, with those files taken out, must be diagnosed exactly as
// with them: same report, same warnings.
func TestSkippedReadsChangeNoDiagnosis(t *testing.T) {
	list, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	pruned := 0
	for _, fx := range list {
		t.Run(fx.Name, func(t *testing.T) {
			full := loadDir(t, fx.Dir, fx.Repository)
			skip := leftOut(fx.Dir, full) // files a capture would not have written
			dir := filepath.Join(t.TempDir(), fx.Name)
			if err := os.CopyFS(dir, os.DirFS(fx.Dir)); err != nil {
				t.Fatal(err)
			}
			removed := 0
			var gone []string
			for _, f := range skip {
				rel, _ := filepath.Rel(fx.Dir, f)
				if err := os.RemoveAll(filepath.Join(dir, rel)); err == nil && exists(f) {
					removed++
					gone = append(gone, filepath.ToSlash(rel))
				}
			}
			t.Logf("left out: %s", strings.Join(gone, " "))
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

// leftOut are the files of the snapshot dir (loaded as full) that a live
// capture would not have written, by the rules of
// TestSkippedReadsChangeNoDiagnosis.
func leftOut(dir string, full *diagnose.Snapshot) []string {
	repo := full.Repository
	both := func(loc diagnose.Location, name string) []string {
		return []string{collect.CallFile(dir, loc.Account, loc.Region, name), collect.ErrorFile(dir, loc.Account, loc.Region, name)}
	}
	lists := func(r diagnose.Read[diagnose.DescribeRepositoriesOutput], ok func(diagnose.Repository) bool) bool {
		return r.OK() && slices.ContainsFunc(r.Value.Repositories, func(x diagnose.Repository) bool { return x.RepositoryName == repo && ok(x) })
	}
	anyRepo := func(diagnose.Repository) bool { return true }
	var skip []string
	immutable := false
	for loc, reg := range full.Registries {
		if loc == full.Source {
			continue
		}
		if lists(reg.Repositories, func(x diagnose.Repository) bool { return strings.HasPrefix(x.ImageTagMutability, "IMMUTABLE") }) {
			immutable = true
		}
		if loc.Account == full.Source.Account {
			continue
		}
		rp := reg.RegistryPolicy
		if rp.ErrCode() == "RegistryPolicyNotFoundException" || rp.OK() && !diagnose.ScopeMatters(rp.Value.PolicyText) {
			skip = append(skip, both(loc, collect.GetAccountSettingFile)...)
		}
		if lists(reg.Repositories, anyRepo) {
			skip = append(skip, both(loc, collect.TemplatesFile)...)
		}
		r := reg.Repositories
		settled := false
		if rp.OK() {
			g, err := diagnose.ParseRegistryGrant(rp.Value.PolicyText)
			settled = err == nil && g.Settles(full.Source.Account, loc, repo)
		}
		if settled {
			skip = append(skip, both(loc, collect.PullThroughCacheFile)...)
		}
		if settled || r.ErrCode() == "RepositoryNotFoundException" || r.OK() && r.Value.NextToken == "" && !lists(r, anyRepo) {
			skip = append(skip, both(loc, collect.RepositoryPolicyName(repo))...)
		}
	}
	src := full.Registry(full.Source)
	if src == nil {
		return skip
	}
	covered := !src.DescribeRegistry.OK() || coversRepo(src.DescribeRegistry.Value.ReplicationConfiguration, repo)
	img, listed := src.Images[repo]
	if covered && (listed && img.OK() || lists(src.Repositories, anyRepo)) && !immutable {
		skip = append(skip, both(full.Source, collect.DescribeRepositoriesFile)...)
	}
	if !covered {
		regDir := collect.RegistryDir(dir, full.Source.Account, full.Source.Region)
		for _, sub := range []string{collect.DescribeImagesDir, collect.ReplicationStatusDir, collect.BackfillResultsDir, collect.IndexManifestDir, collect.IndexChildrenDir} {
			skip = append(skip, filepath.Join(regDir, sub))
		}
		skip = append(skip, both(full.Source, collect.ListBackfillsFile)...)
		skip = append(skip, both(full.Source, collect.RulePutsName)...)
	}
	return skip
}

// coversRepo reports whether a rule sends repo to some destination.
func coversRepo(rc *diagnose.ReplicationConfiguration, repo string) bool {
	if rc == nil {
		return false
	}
	for _, r := range rc.Rules {
		if _, ok := awsid.Covers(r.RepositoryFilters, repo); ok && len(r.Destinations) > 0 {
			return true
		}
	}
	return false
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

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
