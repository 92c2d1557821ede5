package policy

import (
	"fmt"
	"strings"
	"testing"
)

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
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(stmts, ",\n") + `]}`
}

func BenchmarkEvaluate20Statements(b *testing.B) {
	p := mustParse(b, benchPolicy())
	if len(p.Statements) != 20 {
		b.Fatalf("%d statements", len(p.Statements))
	}
	req := Request{
		Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage",
		Resource: "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo",
		Context:  map[string][]string{"aws:SecureTransport": {"true"}, "aws:SourceIp": {"10.1.2.3"}, "aws:CurrentTime": {"2026-06-01T00:00:00Z"}},
	}
	if r := Evaluate(p, req); r.Decision != DecisionAllow {
		b.Fatalf("%s: %s", r.Decision, r.Summary)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(p, req)
	}
}

func BenchmarkParse20Statements(b *testing.B) {
	doc := []byte(benchPolicy())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
