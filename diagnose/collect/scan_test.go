package collect_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/scangen"
)

var (
	genSources = []diagnose.Location{{Account: "111111111111", Region: "ap-northeast-1"}, {Account: "333333333333", Region: "ap-northeast-1"}}
	genDests   = []diagnose.Location{
		{Account: "111111111111", Region: "us-west-2"},
		{Account: "222222222222", Region: "ap-northeast-1"},
		{Account: "222222222222", Region: "eu-west-1"},
		{Account: "444444444444", Region: "us-east-1"},
		{Account: "555555555555", Region: "us-east-1"},
	}
)

// Every pair of a generated organization gets the verdict and root cause
// its scenario was built for, and one fix per failing cross-account
// destination heals all its pairs.
func TestScanGenerated(t *testing.T) {
	sp := scangen.Spec{Sources: genSources, Repos: 12, Dests: genDests}
	dir := t.TempDir()
	if err := scangen.Write(dir, sp); err != nil {
		t.Fatal(err)
	}
	snap, scope, err := collect.LoadScanDir(context.Background(), dir, collect.ScanLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diagnose.Scan(snap, scope)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rep.Pairs), len(genSources)*12*len(genDests); got != want {
		t.Fatalf("%d pairs, want %d", got, want)
	}
	for _, p := range rep.Pairs {
		i := 0
		for ; i < sp.Repos && scangen.RepoName(i) != p.Repository; i++ {
		}
		v, code := sp.Expected(p.Source, i, p.Destination)
		if p.Verdict != v || p.RootCause != code {
			t.Errorf("%s %s → %s: %s %s, want %s %s (%s)", p.Source, p.Repository, p.Destination, p.Verdict, p.RootCause, v, code, p.Summary)
		}
		if code == diagnose.CodeGrantInRepositoryPolicy {
			// The pair keeps what is its own: the misplaced grant to remove.
			fix := p.Findings[0].Fix
			if fix == nil || len(fix.RegistryPolicy) != 0 || !strings.Contains(strings.Join(fix.Steps, " "), "delete-repository-policy") {
				t.Errorf("%s → %s: pair fix %+v, want the repository-policy removal and no registry policy of its own", p.Repository, p.Destination, fix)
			}
		}
	}
	// 111111111111/us-west-2 is another region of the first source and
	// another account of the second: the column says both.
	kinds := map[diagnose.Location]string{}
	for _, d := range rep.Destinations {
		kinds[d.Location] = d.Kind
	}
	if got := kinds[genDests[0]]; got != diagnose.DestinationMixed {
		t.Errorf("%s: kind %q, want %q", genDests[0], got, diagnose.DestinationMixed)
	}
	if got := kinds[genDests[1]]; got != diagnose.DestinationCrossAccount {
		t.Errorf("%s: kind %q, want %q", genDests[1], got, diagnose.DestinationCrossAccount)
	}
	if rep.Verdict != diagnose.Failing {
		t.Errorf("verdict %s, want failing", rep.Verdict)
	}
	// Both sources have a team-0000: each is judged on its own
	// account's replication calls, and neither is told the other's are
	// foreign.
	for _, w := range rep.Warnings {
		if strings.Contains(w, "made by the replication role of account") {
			t.Errorf("warning about the other scanned source's events: %s", w)
		}
	}
	fixed := map[diagnose.Location]diagnose.ScanFix{}
	for _, f := range rep.Fixes {
		fixed[f.Destination] = f
	}
	for _, d := range genDests[1:] {
		v, _ := sp.Expected(genSources[0], 0, d)
		f, ok := fixed[d]
		if v == diagnose.Failing != ok {
			t.Errorf("%s: fix %v, want one only if failing (%s)", d, ok, v)
			continue
		}
		if ok && (!f.Fix.Verified || f.Pairs != 2*12) {
			t.Errorf("%s: fix verified %v for %d pairs, want verified for 24: %v", d, f.Fix.Verified, f.Pairs, f.Fix.Steps)
		}
		// Two source accounts behind it: one policy, said once, with a
		// statement for each.
		if ok && (!strings.Contains(f.Fix.Steps[0], "one statement for each source account that replicates here (111111111111, 333333333333: \"AllowReplicationFrom111111111111\", \"AllowReplicationFrom333333333333\")") ||
			strings.Contains(strings.Join(f.Fix.Steps[1:], " "), "this registry policy in account") || !strings.Contains(f.Fix.Terraform, `resource "aws_ecr_registry_policy" "replication" {`)) {
			t.Errorf("%s: merged fix steps %q, Terraform %s", d, f.Fix.Steps, f.Fix.Terraform)
		}
	}
}

// benchScan measures a scan of one source of n repositories × the five
// generated destinations: loading the folder, and the checks alone.
func benchScan(b *testing.B, n int) {
	dir := b.TempDir()
	if err := scangen.Write(dir, scangen.Spec{Sources: genSources[:1], Repos: n, Dests: genDests}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("load", func(b *testing.B) {
		for range b.N {
			if _, _, err := collect.LoadScanDir(ctx, dir, collect.ScanLoadOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	snap, scope, err := collect.LoadScanDir(ctx, dir, collect.ScanLoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("checks", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			rep, err := diagnose.Scan(snap, scope)
			if err != nil {
				b.Fatal(err)
			}
			if len(rep.Pairs) != n*len(genDests) {
				b.Fatalf("%d pairs", len(rep.Pairs))
			}
		}
	})
}

func BenchmarkScan100(b *testing.B)  { benchScan(b, 100) }
func BenchmarkScan1000(b *testing.B) { benchScan(b, 1000) }

// why on a whole-registry snapshot: the source is the one that has the
// repository, or the one the flags name; otherwise the error says what the
// folder holds, not that it has no snapshot.json.
func TestLoadDirOfWholeRegistries(t *testing.T) {
	dir := "../../fixtures/organization"
	ctx := context.Background()
	snap, err := collect.LoadDir(ctx, dir, collect.LoadOptions{Repository: "pay/kyc"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (diagnose.Location{Account: "222222222222", Region: "eu-west-1"}); snap.Source != want {
		t.Errorf("source %s, want %s (the one with pay/kyc)", snap.Source, want)
	}
	snap, err = collect.LoadDir(ctx, dir, collect.LoadOptions{Repository: "nothere", SourceAccount: "111111111111"})
	if err != nil || snap.Source.Account != "111111111111" {
		t.Errorf("--source-account 111111111111: %v, source %v", err, snap)
	}
	_, err = collect.LoadDir(ctx, dir, collect.LoadOptions{Repository: "nothere"})
	if !errors.Is(err, collect.ErrSourceUnknown) || !strings.Contains(err.Error(), `none of them has a repository named "nothere"`) || strings.Contains(err.Error(), "no snapshot.json") {
		t.Errorf("unknown repository: %v", err)
	}
}
