package diagnose_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// TestScanFixtures checks every repository × destination of the shipped
// whole-registry fixtures as their expect.json states them: the verdict, the
// root cause and every finding's code; the sources; and that every code of
// the catalogue a scan can show is shown somewhere, except those the
// fixture excludes with a reason.
func TestScanFixtures(t *testing.T) {
	list, err := fixtures.Scans()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("no scan fixture (fixtures/organization)")
	}
	for _, x := range list {
		t.Run(x.Name, func(t *testing.T) {
			want := x.Scan
			snap, scope, err := collect.LoadScanDir(context.Background(), x.Dir, collect.ScanLoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := diagnose.Scan(snap, scope)
			if err != nil {
				t.Fatal(err)
			}
			if string(rep.Verdict) != want.Verdict {
				t.Errorf("verdict %s, want %s", rep.Verdict, want.Verdict)
			}
			if len(rep.Warnings) > 0 {
				t.Errorf("warnings: %q", rep.Warnings)
			}
			pair := func(src, repo, dst string) string { return src + " " + repo + " -> " + dst }
			got := map[string]diagnose.ScanPair{}
			seen := map[string]bool{}
			for _, p := range rep.Pairs {
				got[pair(p.Source.String(), p.Repository, p.Destination.String())] = p
				for _, c := range p.Codes {
					seen[c] = true
				}
			}
			for _, w := range want.Pairs {
				k := pair(w.Source, w.Repository, w.Destination)
				g, ok := got[k]
				if !ok {
					t.Errorf("%s (%s): no such pair in the scan", k, w.Why)
					continue
				}
				delete(got, k)
				if string(g.Verdict) != w.Verdict || g.RootCause != w.RootCause || !slices.Equal(g.Codes, w.Codes) {
					t.Errorf("%s (%s): %s %s %v, want %s %s %v\n  %s", k, w.Why, g.Verdict, g.RootCause, g.Codes, w.Verdict, w.RootCause, w.Codes, g.Summary)
				}
				if g.Verdict != diagnose.Healthy && g.Summary == "" {
					t.Errorf("%s: a %s pair without a summary", k, g.Verdict)
				}
			}
			for k, g := range got {
				t.Errorf("%s: a pair expect.json does not list (%s %s)", k, g.Verdict, g.RootCause)
			}
			for _, s := range rep.Sources {
				w, ok := want.Sources[s.String()]
				if !ok {
					t.Errorf("source %s is not in expect.json", s)
					continue
				}
				if string(s.Verdict) != w.Verdict || s.Repositories != w.Repositories || s.Covered != w.Covered || !slices.Equal(s.NotCovered, w.NotCovered) {
					t.Errorf("source %s: %s, %d repositories, %d covered, not covered %v; want %s, %d, %d, %v", s, s.Verdict, s.Repositories, s.Covered, s.NotCovered, w.Verdict, w.Repositories, w.Covered, w.NotCovered)
				}
			}
			if len(rep.Sources) != len(want.Sources) {
				t.Errorf("%d sources, want %d", len(rep.Sources), len(want.Sources))
			}
			var missing []string
			for _, c := range diagnose.Catalogue {
				if lintOnly(c.Code) {
					continue
				}
				_, excluded := want.ExcludedCodes[c.Code]
				switch {
				case !seen[c.Code] && !excluded:
					missing = append(missing, c.Code)
				case seen[c.Code] && excluded:
					t.Errorf("%s is excluded in expect.json (%s), but a pair shows it", c.Code, want.ExcludedCodes[c.Code])
				}
			}
			if len(missing) > 0 {
				t.Errorf("no pair shows %s: add it to the fixture, or exclude it with the reason", strings.Join(missing, ", "))
			}
			// Every failing pair whose root cause a registry-policy grant
			// fixes is healed by its destination's one fix, verified.
			fixes := map[diagnose.Location]diagnose.ScanFix{}
			for _, f := range rep.Fixes {
				fixes[f.Destination] = f
				// Where the destination could not be read, the standard
				// grant is proposed unverified, by design.
				if f.Fix.RegistryPolicy != nil && !f.Fix.Verified && !slices.Contains(f.Codes, diagnose.CodeReplicateImageDenied) {
					t.Errorf("the fix for %s is not verified: %v", f.Destination, f.Fix.Steps)
				}
			}
			for _, g := range rep.RootCauses {
				f, ok := fixes[g.Destination]
				if g.FixedBy != (ok && slices.Contains(f.Codes, g.Code)) {
					t.Errorf("%s at %s: fixed_by_destination_fix %v, fix %v", g.Code, g.Destination, g.FixedBy, fmt.Sprint(f.Codes))
				}
				// What the destination's fix heals, a grant heals: the fix
				// has a registry policy.
				if g.FixedBy && f.Fix.RegistryPolicy == nil {
					t.Errorf("%s at %s is healed by a fix without a registry policy: %q", g.Code, g.Destination, f.Fix.Steps)
				}
			}
		})
	}
}

// lintOnly reports the codes only `lint` reports (the end of the catalogue):
// a scan of what AWS holds never shows them.
func lintOnly(code string) bool {
	switch code {
	case diagnose.CodeRepositoryPolicyHasResource, diagnose.CodeRegistryPolicyDuplicated, diagnose.CodeReplicationConfigurationDuplicated,
		diagnose.CodeRegistryPolicyV1Action, diagnose.CodeReplicationFilterInvalid, diagnose.CodeReplicationTooManyDestinations,
		diagnose.CodePolicyDuplicateSid, diagnose.CodeDestinationNotInConfiguration:
		return true
	}
	return false
}
