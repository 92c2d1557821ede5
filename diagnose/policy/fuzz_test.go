package policy

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	seedPolicy("arn:aws:ecr:ap-northeast-1:222222222222:repository/*"),
	`{"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": ["111111111111"]}, "NotAction": "ecr:Get*", "NotResource": "x"}}`,
	`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/${aws:username, 'x'}${*}",
	  "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "${?}"]}, "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1"]},
	  "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, "Null": {"aws:SourceAccount": "true"}, "ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"},
	  "NumericLessThan": {"s:n": 3}, "Bool": {"aws:SecureTransport": true}, "BinaryEquals": {"k": "QQ=="}}}]}`,
	`[]`, `{`, `{"Statement": []}`,
}

// FuzzParse checks that Parse never panics, that its errors are
// *ParseError, and that whatever parses can be evaluated without a panic.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	reqs := []Request{
		{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo"},
		{Principal: Principal{Type: TypeAnonymous}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
			Context: map[string][]string{"aws:SourceIp": {"10.1.2.3"}, "aws:TagKeys": {"a", ""}, "aws:CurrentTime": {"2026-01-01T00:00:00Z"}, "k": {"A"}}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			return
		}
		for _, req := range reqs {
			r := Evaluate(p, req)
			if len(r.Statements) != len(p.Statements) || r.Summary == "" {
				t.Fatalf("result %+v for %d statements", r, len(p.Statements))
			}
			EvaluateWithIdentity(p, []*Policy{p}, req)
		}
		CheckRegistryPolicy(string(data), p, "V1")
		CheckRepositoryPolicy(p)
	})
}

// FuzzEvaluateContext fuzzes request values against a policy that uses every
// operator family.
func FuzzEvaluateContext(f *testing.F) {
	p, err := Parse([]byte(fuzzSeeds[2]))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("arn:aws:sts::111111111111:assumed-role/r/s", "arn:aws:ecr:us-east-1:111111111111:repository/x*", "10.0.0.1", "2026-01-01", "a*")
	f.Add("anonymous", "", "::ffff:10.0.0.1", "1700000000", "")
	f.Fuzz(func(t *testing.T, principal, resource, ip, date, tag string) {
		prin, err := ParsePrincipal(principal)
		if err != nil {
			return
		}
		Evaluate(p, Request{Principal: prin, Action: "ecr:GetAuthorizationToken", Resource: resource,
			Context: map[string][]string{"aws:SourceIp": {ip}, "aws:CurrentTime": {date}, "aws:TagKeys": {tag}, "s:n": {date}, "aws:SourceArn": {resource}, "k": {tag}}})
		MatchWildcard(tag, resource, true)
	})
}

// FuzzMatchWildcard checks the string glob against a regular expression
// built from the same pattern, and against the pattern type used after
// policy-variable substitution.
func FuzzMatchWildcard(f *testing.F) {
	f.Add("arn:aws:ecr:*:1111:repository/my-*", "arn:aws:ecr:us-east-1:1111:repository/my-repo", false)
	f.Add("*a?b*", "xxaZbyy", true)
	f.Add("é*?", "ÉÉ", true)
	f.Fuzz(func(t *testing.T, pat, s string, ci bool) {
		if !utf8.ValidString(pat) || !utf8.ValidString(s) || len(pat) > 64 || len(s) > 256 {
			return
		}
		var re strings.Builder
		re.WriteString("^")
		if ci {
			re.WriteString("(?i)")
		}
		for _, r := range pat {
			switch r {
			case '*':
				re.WriteString("(?s:.*)")
			case '?':
				re.WriteString("(?s:.)")
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(s)
		// Unicode case folding differs between regexp (?i) and
		// unicode.ToLower for a few runes (the Kelvin sign), so compare
		// case-insensitive results on ASCII only.
		if got := MatchWildcard(pat, s, ci); got != want && (!ci || isASCII(pat+s)) {
			t.Fatalf("MatchWildcard(%q, %q, %v) = %v, regexp says %v", pat, s, ci, got, want)
		}
		if !ci {
			if got := literalPattern(pat, true).match(s, false); got != want {
				t.Fatalf("pattern.match(%q, %q) = %v, regexp says %v", pat, s, got, want)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
