package policy

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Hostile shapes (issue 9 item 10): a policy is text a user or an attacker
// wrote, so its size must cost linear work. No test asserts a time (the
// benchmarks measure it); each checks that the answer is right at a size
// where quadratic work would not finish.

func TestHostileDeepNesting(t *testing.T) {
	for _, depth := range []int{65, 20000, 200000} {
		doc := `{"Statement": ` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		_, err := Parse([]byte(doc))
		if err == nil {
			t.Fatalf("depth %d: parsed", depth)
		}
		if !strings.Contains(err.Error(), "nested more than 64 levels deep") && !strings.Contains(err.Error(), "exceeded max depth") {
			t.Errorf("depth %d: error %q does not say the document nests too deep", depth, err)
		}
	}
	// Nesting inside a condition value is named at its element.
	_, err := Parse([]byte(`{"Statement": {"Effect": "Allow", "Action": "a", "Condition": {"StringEquals": {"k": [[["v"]]]}}}}`))
	if err == nil || !strings.Contains(err.Error(), "Statement.Condition.StringEquals.k[0]") {
		t.Errorf("error %v, want it to name Statement.Condition.StringEquals.k[0]", err)
	}
}

func TestHostileHugeLists(t *testing.T) {
	const n = 50000
	list := func(f func(i int) string) string {
		var b strings.Builder
		b.WriteByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q", f(i))
		}
		return b.String() + "]"
	}
	actions := list(func(i int) string { return fmt.Sprintf("ecr:Action%d", i) })
	resources := list(func(i int) string { return fmt.Sprintf("arn:aws:ecr:*:222222222222:repository/r%d-*", i) })
	values := list(func(i int) string { return fmt.Sprintf("o-%d", i) })
	doc := `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": ` + actions +
		`, "Resource": ` + resources + `, "Condition": {"StringEquals": {"aws:PrincipalOrgID": ` + values + `}}}}`
	p := mustParse(t, doc)
	req := Request{Principal: ReplicationPrincipal("111111111111"), Action: fmt.Sprintf("ecr:Action%d", n-1),
		Resource: fmt.Sprintf("arn:aws:ecr:us-east-1:222222222222:repository/r%d-x", n-1),
		Context:  map[string][]string{"aws:PrincipalOrgID": {fmt.Sprintf("o-%d", n-1)}}}
	if r := Evaluate(p, req); r.Decision != DecisionAllow {
		t.Fatalf("the last action, resource and value of %d each: %s: %s", n, r.Decision, r.Summary[:min(len(r.Summary), 300)])
	}
	req.Context["aws:PrincipalOrgID"] = []string{"o-x"}
	if r := Evaluate(p, req); r.Decision != DecisionImplicitDeny {
		t.Fatalf("a value outside the list: %s", r.Decision)
	}
}

// wildcardCases are patterns that make a backtracking glob take time
// proportional to the product of the lengths (or worse); each is matched
// against strings of 100,000 characters.
func wildcardCases() []struct {
	name, pattern, s string
	want             bool
} {
	long := strings.Repeat("a", 100000)
	stars := strings.Repeat("a*", 2000) + "b"
	run := "*" + strings.Repeat("a", 5000) + "b"
	qs := "*" + strings.Repeat("a?", 500) + "b"
	return []struct {
		name, pattern, s string
		want             bool
	}{
		{"a*a*...b, no b", stars, long, false},
		{"a*a*...b, b at the end", stars, long + "b", true},
		{"a*a*...b, b in the middle", stars, long[:50000] + "b" + long[:50000], false},
		{"*aaa...b, no b", run, long, false},
		{"*aaa...b, b at the end", run, long + "b", true},
		{"*a?a?...b, no b", qs, long, false},
		{"*a?a?...b, b at the end", qs, long + "b", true},
		{"*a*a*...*c* in the middle", "*" + strings.Repeat("a*", 2000) + "c*", long + "c" + long, true},
		{"*a*a*...*c* absent", "*" + strings.Repeat("a*", 2000) + "c*", long + long, false},
	}
}

func TestHostileWildcardPatterns(t *testing.T) {
	for _, tc := range wildcardCases() {
		t.Run(tc.name, func(t *testing.T) {
			if got := MatchWildcard(tc.pattern, tc.s, false); got != tc.want {
				t.Errorf("MatchWildcard = %v, want %v", got, tc.want)
			}
			if got := MatchWildcard(strings.ToUpper(tc.pattern), tc.s, true); got != tc.want {
				t.Errorf("MatchWildcard case-insensitive = %v, want %v", got, tc.want)
			}
			if got := literalPattern(tc.pattern, true).match(tc.s, false); got != tc.want {
				t.Errorf("pattern.match = %v, want %v", got, tc.want)
			}
			// The same pattern as a StringLike value, and behind a policy
			// variable's prefix (the substituted-pattern path).
			p := condPolicy(t, "2012-10-17", fmt.Sprintf(`{"StringLike": {"s:k": [%q, "${s:none, ''}%s"]}}`, tc.pattern, tc.pattern))
			r := Evaluate(p, Request{Principal: anyone, Action: "s3:GetObject", Resource: "*", Context: ctx("s:k", tc.s)})
			if got := r.Decision == DecisionAllow; got != tc.want {
				t.Errorf("StringLike applies = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHostileManyMissingKeys(t *testing.T) {
	const n = 20000
	stmts := make([]string, n)
	want := make([]string, n)
	for i := range stmts {
		stmts[i] = fmt.Sprintf(`{"Effect": "Allow", "Principal": "*", "Action": "ecr:ReplicateImage", "Condition": {"StringEquals": {"s:K%d": "v"}, "StringLike": {"S:k%d": "v*"}}}`, i, i)
		want[i] = fmt.Sprintf("S:k%d", i) // the last spelling consulted
	}
	sort.Strings(want)
	r := Evaluate(mustParse(t, policyOf(stmts)), benchRequest)
	if r.Decision != DecisionImplicitDeny {
		t.Fatalf("decision %s", r.Decision)
	}
	if len(r.MissingContextKeys) != n {
		t.Fatalf("%d missing keys, want %d", len(r.MissingContextKeys), n)
	}
	for i := range want {
		if r.MissingContextKeys[i] != want[i] {
			t.Fatalf("missing key %d is %q, want %q", i, r.MissingContextKeys[i], want[i])
		}
	}
}
