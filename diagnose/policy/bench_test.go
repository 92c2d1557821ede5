package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/internal/benchcpu"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy/internal/reference"
)

// benchStatements returns n statements of a realistic registry policy:
// per-account replication grants, org-scoped pulls with conditions, and
// guard-rail Denies, in the proportions of benchPolicy.
func benchStatements(n int) []string {
	var stmts []string
	for i := 0; len(stmts) < n; i++ {
		switch i % 5 {
		case 0, 1:
			stmts = append(stmts, fmt.Sprintf(`{"Sid": "Replication%d", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%012d:root"},
			"Action": ["ecr:CreateRepository", "ecr:ReplicateImage"], "Resource": "arn:aws:ecr:ap-northeast-1:222222222222:repository/team%d-*"}`, i, 300000000000+i, i))
		case 2, 3:
			stmts = append(stmts, fmt.Sprintf(`{"Sid": "OrgPull%d", "Effect": "Allow", "Principal": "*",
			"Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "arn:aws:ecr:*:222222222222:repository/shared/*",
			"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdef%d"}, "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abcdef/r-1/ou-%d/*"},
			"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.%d.0/24"]}}}`, i, i, i, i%256))
		default:
			stmts = append(stmts, fmt.Sprintf(`{"Sid": "DenyDelete%d", "Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::222222222222:role/admin%d", "arn:aws:iam::222222222222:root"]}, "Action": ["ecr:Delete*", "ecr:BatchDeleteImage"], "Resource": "*"}`, i, i))
		}
	}
	return stmts
}

// benchPolicy is a realistic 20-statement registry policy: per-account
// replication grants, org-scoped pulls with conditions, and guard-rail Denies.
func benchPolicy() string {
	var stmts []string
	for i := 0; i < 8; i++ {
		stmts = append(stmts, fmt.Sprintf(`{"Sid": "Replication%d", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%012d:root"},
			"Action": ["ecr:CreateRepository", "ecr:ReplicateImage"], "Resource": "arn:aws:ecr:ap-northeast-1:222222222222:repository/team%d-*"}`, i, 300000000000+i, i))
	}
	for i := 0; i < 8; i++ {
		stmts = append(stmts, fmt.Sprintf(`{"Sid": "OrgPull%d", "Effect": "Allow", "Principal": "*",
			"Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "arn:aws:ecr:*:222222222222:repository/shared/*",
			"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdef%d"}, "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abcdef/r-1/ou-%d/*"},
			"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.%d.0/24"]}}}`, i, i, i, i))
	}
	stmts = append(stmts,
		`{"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "ecr:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}`,
		`{"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*", "Action": "ecr:*", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ["o-abcdef0", "o-abcdef1"]}, "Null": {"aws:PrincipalOrgID": "false"}}}`,
		`{"Sid": "DenyDelete", "Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::222222222222:role/admin", "arn:aws:iam::222222222222:root"]}, "Action": ["ecr:Delete*", "ecr:BatchDeleteImage"], "Resource": "*"}`,
		`{"Sid": "Replication8", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
			"Resource": "arn:aws:ecr:ap-northeast-1:222222222222:repository/*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}`)
	return policyOf(stmts)
}

func policyOf(stmts []string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(stmts, ",\n") + `]}`
}

// benchDoc is the policy a benchmark of n statements reads: benchPolicy for
// 20, otherwise n generated statements followed by the grant that allows
// benchRequest, so every statement is evaluated before the deciding one.
func benchDoc(n int) string {
	if n == 20 {
		return benchPolicy()
	}
	return policyOf(append(benchStatements(n-1),
		`{"Sid": "Replication", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
			"Resource": "arn:aws:ecr:ap-northeast-1:222222222222:repository/*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}`))
}

var benchRequest = Request{
	Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage",
	Resource: "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo",
	Context:  map[string][]string{"aws:SecureTransport": {"true"}, "aws:SourceIp": {"10.1.2.3"}, "aws:CurrentTime": {"2026-06-01T00:00:00Z"}},
}

var benchSizes = []int{20, 2000, 10000}

// BenchmarkEvaluate decides one replication request, with the explanation
// (every statement's reason and the summary) that diagnose prints.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range benchSizes {
		p := mustParse(b, benchDoc(n))
		if len(p.Statements) != n {
			b.Fatalf("%d statements, want %d", len(p.Statements), n)
		}
		if r := Evaluate(p, benchRequest); r.Decision != DecisionAllow {
			b.Fatalf("%s: %s", r.Decision, r.Summary)
		}
		b.Run(fmt.Sprintf("statements=%d/explain", n), func(b *testing.B) {
			b.ReportAllocs()
			defer benchcpu.PerOp(b)()
			for b.Loop() {
				Evaluate(p, benchRequest)
			}
		})
		// The same decision without the prose, as a scan of many requests
		// evaluates them.
		b.Run(fmt.Sprintf("statements=%d/decide", n), func(b *testing.B) {
			b.ReportAllocs()
			defer benchcpu.PerOp(b)()
			for b.Loop() {
				Decide(p, nil, benchRequest)
			}
		})
	}
}

// BenchmarkParse reads a policy document of 20, 2,000 and 10,000
// statements: a registry policy is parsed once per analysis, so this is the
// cost a large policy adds to every run.
func BenchmarkParse(b *testing.B) {
	for _, n := range benchSizes {
		doc := []byte(benchDoc(n))
		b.Run(fmt.Sprintf("statements=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := Parse(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvaluateReference runs the evaluator as it was before policies
// were compiled (internal/reference) on the 20-statement policy, beside
// BenchmarkEvaluate, so that a busy machine slows both alike.
func BenchmarkEvaluateReference(b *testing.B) {
	p, err := reference.Parse([]byte(benchPolicy()))
	if err != nil {
		b.Fatal(err)
	}
	req := toReference(benchRequest)
	b.ReportAllocs()
	defer benchcpu.PerOp(b)()
	for b.Loop() {
		reference.Evaluate(p, req)
	}
}

// BenchmarkHostileWildcard matches the patterns that make a backtracking
// glob slow (a*a*...b, *aaa...b, *a?a?...b) against 100,000 characters.
func BenchmarkHostileWildcard(b *testing.B) {
	for _, tc := range wildcardCases() {
		b.Run(strings.ReplaceAll(tc.name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				MatchWildcard(tc.pattern, tc.s, false)
			}
		})
	}
}

// BenchmarkHostileMissingKeys evaluates a policy whose every statement
// consults its own absent key: noting them must stay linear.
func BenchmarkHostileMissingKeys(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		stmts := make([]string, n)
		for i := range stmts {
			stmts[i] = fmt.Sprintf(`{"Effect": "Allow", "Principal": "*", "Action": "ecr:ReplicateImage", "Condition": {"StringEquals": {"s:k%d": "v"}}}`, i)
		}
		p := mustParse(b, policyOf(stmts))
		b.Run(fmt.Sprintf("statements=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Decide(p, nil, benchRequest)
			}
		})
	}
}
