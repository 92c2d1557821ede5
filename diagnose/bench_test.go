package diagnose_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/internal/benchcpu"
)

// largePolicy is a registry policy of n statements, each granting another
// account replication into its own team prefix: what a registry shared by
// a whole organization grows into. None of them is for the source account,
// so a diagnosis cites every one of them (PRINCIPAL_MISMATCH).
func largePolicy(n int) string {
	stmts := make([]string, n)
	for i := range stmts {
		stmts[i] = fmt.Sprintf(`{"Sid":"Team%05d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::3%011d:root"},"Action":["ecr:ReplicateImage","ecr:CreateRepository"],"Resource":"arn:aws:ecr:ap-northeast-1:222222222222:repository/team-%05d/*"}`, i, i, i)
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func BenchmarkAnalyzeLargePolicy(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			snap := load(b, "principal-mismatch")
			loc := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
			snap.Registries[loc].RegistryPolicy.Value.PolicyText = largePolicy(n)
			b.ReportAllocs()
			defer benchcpu.PerOp(b)()
			for b.Loop() {
				r, err := diagnose.Analyze(snap)
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Findings) == 0 || r.Findings[0].Code != diagnose.CodePrincipalMismatch {
					b.Fatalf("findings %v, want PRINCIPAL_MISMATCH first", r.Findings)
				}
			}
		})
	}
}

func BenchmarkAnalyzeSeed(b *testing.B) {
	snap := load(b, "seed-grant-in-repository-policy")
	b.ReportAllocs()
	defer benchcpu.PerOp(b)()
	for b.Loop() {
		if _, err := diagnose.Analyze(snap); err != nil {
			b.Fatal(err)
		}
	}
}
