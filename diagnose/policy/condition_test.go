package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// condPolicy builds a policy whose only statement matches any principal,
// action and resource, so whether it applies is decided by cond alone.
func condPolicy(t *testing.T, version, cond string) *Policy {
	t.Helper()
	v := ""
	if version != "" {
		v = fmt.Sprintf(`"Version": %q,`, version)
	}
	p, err := Parse([]byte(fmt.Sprintf(`{%s "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": %s}}`, v, cond)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

var anyone = Principal{ARN: "arn:aws:iam::111111111111:user/alice", Account: "111111111111", Type: TypeUser, Name: "alice"}

// Cases follow the IAM condition-operator reference; each states the rule.
func TestConditionOperators(t *testing.T) {
	cases := []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		// String operators.
		{"StringEquals exact", `{"StringEquals": {"aws:SourceAccount": "111111111111"}}`, ctx("aws:SourceAccount", "111111111111"), true},
		{"StringEquals is case-sensitive", `{"StringEquals": {"s:k": "Prod"}}`, ctx("s:k", "prod"), false},
		{"StringEquals does not expand wildcards", `{"StringEquals": {"s:k": "pro*"}}`, ctx("s:k", "prod"), false},
		{"StringEquals several values are OR", `{"StringEquals": {"s:k": ["a", "b"]}}`, ctx("s:k", "b"), true},
		{"StringEquals missing key is false", `{"StringEquals": {"s:k": "a"}}`, nil, false},
		{"StringNotEquals differs", `{"StringNotEquals": {"s:k": "a"}}`, ctx("s:k", "b"), true},
		{"StringNotEquals equal", `{"StringNotEquals": {"s:k": "a"}}`, ctx("s:k", "a"), false},
		{"StringNotEquals must differ from every value", `{"StringNotEquals": {"s:k": ["a", "b"]}}`, ctx("s:k", "b"), false},
		{"StringNotEquals missing key is true", `{"StringNotEquals": {"s:k": "a"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase": {"s:k": "PROD"}}`, ctx("s:k", "prod"), true},
		{"StringNotEqualsIgnoreCase same but case", `{"StringNotEqualsIgnoreCase": {"s:k": "PROD"}}`, ctx("s:k", "prod"), false},
		{"StringLike star", `{"StringLike": {"s:k": "team-*"}}`, ctx("s:k", "team-a"), true},
		{"StringLike question mark is one char", `{"StringLike": {"s:k": "v?"}}`, ctx("s:k", "v10"), false},
		{"StringLike question mark", `{"StringLike": {"s:k": "v?"}}`, ctx("s:k", "v1"), true},
		{"StringLike is case-sensitive", `{"StringLike": {"s:k": "Team-*"}}`, ctx("s:k", "team-a"), false},
		{"StringNotLike no match", `{"StringNotLike": {"s:k": "team-*"}}`, ctx("s:k", "ops"), true},
		{"StringNotLike match", `{"StringNotLike": {"s:k": "team-*"}}`, ctx("s:k", "team-a"), false},
		{"StringNotLike missing key is true", `{"StringNotLike": {"s:k": "team-*"}}`, nil, true},
		{"condition key names are case-insensitive", `{"StringEquals": {"AWS:SOURCEACCOUNT": "111111111111"}}`, ctx("aws:SourceAccount", "111111111111"), true},
		// The Kelvin sign lower-cases to k: one spelling is longer than the other.
		{"condition key names compare lower-cased, the request's non-ASCII", `{"StringEquals": {"s:k": "a"}}`, ctx("s:\u212a", "a"), true},
		{"condition key names compare lower-cased, the policy's non-ASCII", `{"StringEquals": {"s:\u212a": "a"}}`, ctx("s:K", "a"), true},
		{"a non-ASCII key name differs from another key", `{"StringEquals": {"s:k": "a"}}`, ctx("s:\u212aa", "a"), false},
		{"two spellings of a request key: the values of both count", `{"StringEquals": {"s:k": "b"}}`, ctx("s:K", "a", "S:k", "b"), true},
		{"two spellings of a request key: ForAllValues sees both", `{"ForAllValues:StringEquals": {"s:k": "a"}}`, ctx("s:K", "a", "S:k", "b"), false},
		{"two spellings of a request key, one empty", `{"StringEquals": {"s:k": "a"}}`, map[string][]string{"s:k": nil, "S:K": {"a"}}, true},
		{"several keys in a block are AND", `{"StringEquals": {"s:a": "1", "s:b": "2"}}`, ctx("s:a", "1", "s:b", "3"), false},
		{"several operators are AND", `{"StringEquals": {"s:a": "1"}, "StringLike": {"s:b": "2*"}}`, ctx("s:a", "1", "s:b", "22"), true},
		{"multi-valued request key without qualifier, any value matches", `{"StringEquals": {"s:k": "b"}}`, ctx("s:k", "a", "s:k", "b"), true},
		{"negated operator with multi-valued key: one equal value fails it", `{"StringNotEquals": {"s:k": "b"}}`, ctx("s:k", "a", "s:k", "b"), false},

		// Numeric.
		{"NumericEquals", `{"NumericEquals": {"s:n": "10"}}`, ctx("s:n", "10.0"), true},
		{"NumericEquals JSON number", `{"NumericEquals": {"s:n": 10}}`, ctx("s:n", "10"), true},
		{"NumericNotEquals", `{"NumericNotEquals": {"s:n": "10"}}`, ctx("s:n", "11"), true},
		{"NumericNotEquals missing key is true", `{"NumericNotEquals": {"s:n": "10"}}`, nil, true},
		{"NumericLessThan", `{"NumericLessThan": {"s:n": "10"}}`, ctx("s:n", "9"), true},
		{"NumericLessThan equal", `{"NumericLessThan": {"s:n": "10"}}`, ctx("s:n", "10"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals": {"s:n": "10"}}`, ctx("s:n", "10"), true},
		{"NumericGreaterThan", `{"NumericGreaterThan": {"s:n": "10"}}`, ctx("s:n", "10.5"), true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals": {"s:n": "10"}}`, ctx("s:n", "9"), false},
		{"Numeric request value not a number", `{"NumericLessThan": {"s:n": "10"}}`, ctx("s:n", "ten"), false},

		// Date.
		{"DateLessThan ISO 8601", `{"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2026-06-01T12:00:00Z"), true},
		{"DateGreaterThan ISO 8601", `{"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2026-06-01T12:00:00Z"), false},
		{"DateEquals epoch against ISO", `{"DateEquals": {"aws:EpochTime": "1700000000"}}`, ctx("aws:EpochTime", "2023-11-14T22:13:20Z"), true},
		{"DateLessThanEquals same instant, other zone", `{"DateLessThanEquals": {"aws:CurrentTime": "2026-01-01T09:00:00+09:00"}}`, ctx("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{"DateGreaterThanEquals date only", `{"DateGreaterThanEquals": {"aws:CurrentTime": "2026-01-01"}}`, ctx("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{"DateNotEquals", `{"DateNotEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2026-01-02T00:00:00Z"), true},
		{"Date missing key is false", `{"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}`, nil, false},

		// Bool.
		{"Bool true", `{"Bool": {"aws:SecureTransport": "true"}}`, ctx("aws:SecureTransport", "true"), true},
		{"Bool JSON boolean", `{"Bool": {"aws:SecureTransport": false}}`, ctx("aws:SecureTransport", "false"), true},
		{"Bool mismatch", `{"Bool": {"aws:SecureTransport": "true"}}`, ctx("aws:SecureTransport", "false"), false},
		{"Bool missing key is false", `{"Bool": {"aws:SecureTransport": "false"}}`, nil, false},
		{"BoolIfExists missing key is true", `{"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}`, nil, true},

		// Binary.
		{"BinaryEquals base64", `{"BinaryEquals": {"s:b": "QmluYXJ5VmFsdWU="}}`, ctx("s:b", "QmluYXJ5VmFsdWU="), true},
		{"BinaryEquals raw request bytes", `{"BinaryEquals": {"s:b": "QmluYXJ5VmFsdWU="}}`, ctx("s:b", "BinaryValue"), true},
		{"BinaryEquals mismatch", `{"BinaryEquals": {"s:b": "QmluYXJ5VmFsdWU="}}`, ctx("s:b", "b3RoZXI="), false},

		// IP address.
		{"IpAddress v4 CIDR", `{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress v4 outside", `{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.114.7"), false},
		{"IpAddress single address", `{"IpAddress": {"aws:SourceIp": "203.0.113.7"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress v6 CIDR", `{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}`, ctx("aws:SourceIp", "2001:db8:1234:5678::1"), true},
		{"IpAddress v6 outside", `{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}`, ctx("aws:SourceIp", "2001:db8:1234:5679::1"), false},
		{"IpAddress list is OR", `{"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}}`, ctx("aws:SourceIp", "203.0.113.9"), true},
		{"NotIpAddress outside", `{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, ctx("aws:SourceIp", "198.51.100.1"), true},
		{"NotIpAddress inside", `{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.1"), false},
		{"NotIpAddress missing key is true", `{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, nil, true},
		{"IpAddress request value not an IP", `{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, ctx("aws:SourceIp", "vpce-1"), false},

		// ARN operators: component-wise, case-sensitive.
		{"ArnEquals exact", `{"ArnEquals": {"aws:SourceArn": "arn:aws:ecr:us-east-1:111111111111:repository/app"}}`, ctx("aws:SourceArn", "arn:aws:ecr:us-east-1:111111111111:repository/app"), true},
		{"ArnEquals allows wildcards per component", `{"ArnEquals": {"aws:SourceArn": "arn:aws:ecr:*:111111111111:repository/*"}}`, ctx("aws:SourceArn", "arn:aws:ecr:eu-west-1:111111111111:repository/app"), true},
		{"ArnLike region wildcard does not span components", `{"ArnLike": {"aws:SourceArn": "arn:aws:ecr:*:repository/app"}}`, ctx("aws:SourceArn", "arn:aws:ecr:us-east-1:111111111111:repository/app"), false},
		{"ArnLike resource part may hold colons", `{"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:111111111111:log-group:*"}}`, ctx("aws:SourceArn", "arn:aws:logs:us-east-1:111111111111:log-group:/a:b"), true},
		{"ArnLike is case-sensitive", `{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/Admin*"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::111111111111:role/admin"), false},
		{"ArnLike request value not an ARN", `{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}`, ctx("aws:SourceArn", "bucket"), false},
		{"ArnNotLike", `{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci-*"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::111111111111:role/dev"), true},
		{"ArnNotEquals missing key is true", `{"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::b"}}`, nil, true},

		// Null.
		{"Null true and key absent", `{"Null": {"aws:TokenIssueTime": "true"}}`, nil, true},
		{"Null true and key present", `{"Null": {"aws:TokenIssueTime": "true"}}`, ctx("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), false},
		{"Null false and key present", `{"Null": {"aws:TokenIssueTime": "false"}}`, ctx("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), true},
		{"Null false and key absent", `{"Null": {"aws:TokenIssueTime": false}}`, nil, false},

		// ...IfExists.
		{"StringEqualsIfExists absent", `{"StringEqualsIfExists": {"s:k": "a"}}`, nil, true},
		{"StringEqualsIfExists present and different", `{"StringEqualsIfExists": {"s:k": "a"}}`, ctx("s:k", "b"), false},
		{"StringNotEqualsIfExists present and equal", `{"StringNotEqualsIfExists": {"s:k": "a"}}`, ctx("s:k", "a"), false},
		{"NumericLessThanIfExists absent", `{"NumericLessThanIfExists": {"s:n": "3"}}`, nil, true},
		{"ArnLikeIfExists present", `{"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::b*"}}`, ctx("aws:SourceArn", "arn:aws:s3:::bucket"), true},
		{"IpAddressIfExists absent", `{"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}`, nil, true},
		{"DateGreaterThanIfExists present", `{"DateGreaterThanIfExists": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}}`, ctx("aws:TokenIssueTime", "2025-01-01T00:00:00Z"), false},

		// Set qualifiers.
		{"ForAllValues every value in set", `{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}`, ctx("aws:TagKeys", "env", "aws:TagKeys", "team"), true},
		{"ForAllValues one value outside", `{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}`, ctx("aws:TagKeys", "env", "aws:TagKeys", "owner"), false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}`, nil, true},
		{"ForAllValues empty value is true", `{"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}`, ctx("aws:TagKeys", ""), true},
		{"ForAnyValue one value in set", `{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}`, ctx("aws:TagKeys", "owner", "aws:TagKeys", "env"), true},
		{"ForAnyValue none in set", `{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}`, ctx("aws:TagKeys", "owner"), false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}`, nil, false},
		{"ForAnyValue:StringLike", `{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a/r-ab12/ou-ab12-11111111/*"}}`, ctx("aws:PrincipalOrgPaths", "o-a/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"), true},
		{"ForAllValues:StringNotEquals no value in set", `{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}`, ctx("aws:TagKeys", "env", "aws:TagKeys", "team"), true},
		{"ForAllValues:StringNotEquals one value in set", `{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}`, ctx("aws:TagKeys", "env", "aws:TagKeys", "secret"), false},
		{"ForAnyValue:StringNotEquals one value outside", `{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}`, ctx("aws:TagKeys", "env", "aws:TagKeys", "team"), true},
		{"ForAnyValue:StringNotEquals all inside", `{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}`, ctx("aws:TagKeys", "env"), false},
		{"ForAnyValue:StringNotEquals missing key is false", `{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}`, nil, false},
		{"ForAnyValue:StringEqualsIfExists missing key is true", `{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["env"]}}`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := condPolicy(t, Version2012, tc.cond)
			r := Evaluate(p, Request{Principal: anyone, Action: "s:Do", Resource: "arn:aws:s:::r", Context: tc.ctx})
			if got := r.Statements[0].Applies; got != tc.want {
				t.Fatalf("applies = %v, want %v (reason: %s)", got, tc.want, r.Statements[0].Reason)
			}
		})
	}
}

func TestPolicyVariables(t *testing.T) {
	cases := []struct {
		name    string
		version string
		cond    string
		ctx     map[string][]string
		want    bool
	}{
		{"aws:username from the principal", Version2012, `{"StringEquals": {"s:owner": "${aws:username}"}}`, ctx("s:owner", "alice"), true},
		{"variable key names are case-insensitive", Version2012, `{"StringEquals": {"s:owner": "${AWS:UserName}"}}`, ctx("s:owner", "alice"), true},
		{"aws:PrincipalAccount", Version2012, `{"StringEquals": {"s:acct": "${aws:PrincipalAccount}"}}`, ctx("s:acct", "111111111111"), true},
		{"no variables in 2008-10-17", Version2008, `{"StringEquals": {"s:owner": "${aws:username}"}}`, ctx("s:owner", "alice"), false},
		{"no variables without Version", "", `{"StringEquals": {"s:owner": "${aws:username}"}}`, ctx("s:owner", "${aws:username}"), true},
		{"${*} is a literal asterisk", Version2012, `{"StringLike": {"s:k": "a${*}b"}}`, ctx("s:k", "axxb"), false},
		{"${*} matches an asterisk", Version2012, `{"StringLike": {"s:k": "a${*}b"}}`, ctx("s:k", "a*b"), true},
		{"${?} is a literal question mark", Version2012, `{"StringLike": {"s:k": "a${?}"}}`, ctx("s:k", "a?"), true},
		{"${$} is a literal dollar", Version2012, `{"StringEquals": {"s:k": "${$}5"}}`, ctx("s:k", "$5"), true},
		{"default when the key is absent", Version2012, `{"StringEquals": {"s:k": "${aws:PrincipalTag/team, 'none'}"}}`, ctx("s:k", "none"), true},
		{"default ignored when the key is present", Version2012, `{"StringEquals": {"s:k": "${aws:PrincipalTag/team, 'none'}"}}`, ctx("s:k", "none", "aws:PrincipalTag/team", "red"), false},
		{"default stands in for a multi-valued key", Version2012, `{"StringEquals": {"s:k": "${aws:TagKeys, 'many'}"}}`, ctx("s:k", "many", "aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"'' in a default is a quote", Version2012, `{"StringEquals": {"s:k": "${s:none, 'it''s'}"}}`, ctx("s:k", "it's"), true},
		{"unresolved variable matches nothing", Version2012, `{"StringLike": {"s:k": "${aws:PrincipalTag/team}*"}}`, ctx("s:k", "x"), false},
		{"a substituted value is not a wildcard", Version2012, `{"StringLike": {"s:k": "${s:v}"}}`, ctx("s:k", "abc", "s:v", "a*"), false},
		// "not present ... any attempt to match it fails and causes the
		// statement to be invalid" (Variables and tags, principal key values):
		// a negated operator cannot be satisfied by a value that fails to resolve.
		{"unresolved variable fails StringNotEquals", Version2012, `{"StringNotEquals": {"s:k": "${aws:PrincipalTag/team}"}}`, ctx("s:k", "x"), false},
		{"unresolved variable fails StringNotLike", Version2012, `{"StringNotLike": {"s:k": ["a*", "${aws:PrincipalTag/team}"]}}`, ctx("s:k", "x"), false},
		{"unresolved variable fails ForAllValues:StringNotEquals", Version2012, `{"ForAllValues:StringNotEquals": {"s:k": "${aws:PrincipalTag/team}"}}`, ctx("s:k", "x"), false},
		{"resolved variable in StringNotEquals", Version2012, `{"StringNotEquals": {"s:k": "${aws:PrincipalTag/team}"}}`, ctx("s:k", "x", "aws:PrincipalTag/team", "y"), true},
		{"variables in ArnLike", Version2012, `{"ArnLike": {"aws:SourceArn": "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"}}`, ctx("aws:SourceArn", "arn:aws:ecr:us-east-1:111111111111:repository/x"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := condPolicy(t, tc.version, tc.cond)
			r := Evaluate(p, Request{Principal: anyone, Action: "s:Do", Resource: "arn:aws:s:::r", Context: tc.ctx})
			if got := r.Statements[0].Applies; got != tc.want {
				t.Fatalf("applies = %v, want %v (reason: %s)", got, tc.want, r.Statements[0].Reason)
			}
		})
	}
}

func TestResourceVariables(t *testing.T) {
	p, err := Parse([]byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*",
		"Resource": "arn:aws:ecr:us-east-1:222222222222:repository/${aws:username}/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	own := Request{Principal: anyone, Action: "ecr:BatchGetImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/alice/app"}
	if r := Evaluate(p, own); r.Decision != DecisionAllow {
		t.Errorf("own prefix: %s: %s", r.Decision, r.Summary)
	}
	other := own
	other.Resource = "arn:aws:ecr:us-east-1:222222222222:repository/bob/app"
	if r := Evaluate(p, other); r.Decision != DecisionImplicitDeny {
		t.Errorf("other prefix: %s", r.Decision)
	}
	role := own
	role.Principal = ReplicationPrincipal("111111111111") // sessions have no aws:username
	r := Evaluate(p, role)
	if r.Decision != DecisionImplicitDeny || len(r.MissingContextKeys) != 1 || r.MissingContextKeys[0] != "aws:username" {
		t.Errorf("session: %s, missing %v", r.Decision, r.MissingContextKeys)
	}
	if !r.Statements[0].DependsOnMissingKey {
		t.Errorf("a resource unmatched for want of aws:username should depend on it: %+v", r.Statements[0])
	}
}

// "You can use a policy variable in the Resource element, but only in the
// resource portion of the ARN. This portion of the ARN appears after the fifth
// colon (:). You can't use a variable to replace parts of the ARN before the
// fifth colon, such as the service or account." (Variables and tags.) And an
// unresolved variable "causes the statement to be invalid", so NotResource
// cannot be satisfied by it.
func TestResourceVariablePlacement(t *testing.T) {
	dave := Principal{ARN: "arn:aws:iam::222222222222:user/dave", Account: "222222222222", Type: TypeUser, Name: "dave"}
	session := Principal{ARN: "arn:aws:sts::222222222222:assumed-role/ci/build"}
	repo := "arn:aws:ecr:us-east-1:222222222222:repository/"
	cases := []struct {
		name, element, value string
		caller               Principal
		resource             string
		want                 Decision
	}{
		{"variable in the account is literal text", "Resource", "arn:aws:ecr:us-east-1:${aws:PrincipalAccount}:repository/app", dave, repo + "app", DecisionImplicitDeny},
		{"variable in the region is literal text", "Resource", "arn:aws:ecr:${aws:RequestedRegion}:222222222222:repository/app", dave, repo + "app", DecisionImplicitDeny},
		{"variable in the resource part is substituted", "Resource", "arn:aws:ecr:us-east-1:222222222222:repository/${aws:PrincipalAccount}-app", dave, repo + "222222222222-app", DecisionAllow},
		{"the resource part may hold colons", "Resource", "arn:aws:logs:us-east-1:222222222222:log-group:${aws:username}:*", dave, "arn:aws:logs:us-east-1:222222222222:log-group:dave:log-stream:x", DecisionAllow},
		{"a value that is not an ARN takes no variables", "Resource", "${aws:username}", dave, "dave", DecisionImplicitDeny},
		{"NotResource with a resolved variable excludes", "NotResource", "arn:aws:ecr:us-east-1:222222222222:repository/${aws:username}", dave, repo + "dave", DecisionImplicitDeny},
		{"NotResource with a resolved variable covers the rest", "NotResource", "arn:aws:ecr:us-east-1:222222222222:repository/${aws:username}", dave, repo + "app", DecisionAllow},
		{"NotResource with an unresolved variable cannot apply", "NotResource", "arn:aws:ecr:us-east-1:222222222222:repository/${aws:username}", session, repo + "app", DecisionImplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", %q: %q}]}`, tc.element, tc.value))
			r := Evaluate(p, Request{Principal: tc.caller, Action: "ecr:BatchGetImage", Resource: tc.resource})
			if r.Decision != tc.want {
				t.Errorf("decision = %s, want %s (%s)", r.Decision, tc.want, r.Summary)
			}
		})
	}
}

// "If the key values in the request resolve to an empty data set (for example,
// an empty string), a condition operator modified by ForAllValues returns
// true, and a condition operator modified by ForAnyValue returns false." A
// request that gives a key as an empty set has said what it is: the key is
// not missing, and the answer does not depend on it.
func TestEmptySetIsNotMissing(t *testing.T) {
	empty := map[string][]string{"aws:TagKeys": {}}
	for _, tc := range []struct {
		name, cond string
		want       bool
	}{
		{"ForAllValues with an empty set", `{"ForAllValues:StringEquals": {"aws:TagKeys": "team"}}`, true},
		{"ForAnyValue with an empty set", `{"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Evaluate(condPolicy(t, Version2012, tc.cond), Request{Principal: anyone, Action: "s:Do", Resource: "r", Context: empty})
			if got := r.Statements[0].Applies; got != tc.want {
				t.Fatalf("applies = %v, want %v (%s)", got, tc.want, r.Statements[0].Reason)
			}
			if len(r.MissingContextKeys) != 0 || r.Statements[0].DependsOnMissingKey {
				t.Errorf("an empty set is not a missing key: missing %v, depends %v", r.MissingContextKeys, r.Statements[0].DependsOnMissingKey)
			}
		})
	}
}

func TestDependsOnMissingKeyOnlyWhenItCouldChange(t *testing.T) {
	// The resource fails for a real reason; the absent key cannot help.
	p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
		"Resource": "arn:aws:ecr:us-east-1:222222222222:repository/other", "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}}]}`)
	r := Evaluate(p, Request{Principal: anyone, Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/app"})
	if r.Statements[0].DependsOnMissingKey {
		t.Errorf("%+v", r.Statements[0])
	}
	if fmt.Sprint(r.MissingContextKeys) != "[aws:PrincipalOrgID]" || strings.Contains(r.Summary, "depends on") {
		t.Errorf("consulted key %v should be listed, but the summary should not say the answer depends on it: %q", r.MissingContextKeys, r.Summary)
	}
}

func TestMissingContextKeys(t *testing.T) {
	p := condPolicy(t, Version2012, `{"StringEquals": {"AWS:principalorgid": "o-abc", "aws:SourceAccount": "1"}, "StringEqualsIfExists": {"aws:principaltag/Team": "x"}}`)
	r := Evaluate(p, Request{Principal: anyone, Action: "s:Do", Resource: "r"})
	want := []string{"aws:PrincipalOrgID", "aws:PrincipalTag/Team", "aws:SourceAccount"}
	if fmt.Sprint(r.MissingContextKeys) != fmt.Sprint(want) {
		t.Errorf("MissingContextKeys = %v, want %v", r.MissingContextKeys, want)
	}
	st := r.Statements[0]
	if st.Applies || !st.DependsOnMissingKey || len(st.FailedConditions) != 2 || !st.FailedConditions[0].MissingKey {
		t.Errorf("statement = %+v", st)
	}
	if r.Statements[0].FailedConditions[0].Condition.Path != "Statement.Condition.StringEquals.AWS:principalorgid" {
		t.Errorf("condition path = %q", r.Statements[0].FailedConditions[0].Condition.Path)
	}

	// A condition that fails on a key the request does carry is certain.
	r = Evaluate(p, Request{Principal: anyone, Action: "s:Do", Resource: "r", Context: ctx("aws:SourceAccount", "2")})
	if r.Statements[0].DependsOnMissingKey {
		t.Errorf("DependsOnMissingKey with a present key failing: %+v", r.Statements[0])
	}

	// Derived keys are never missing.
	p = condPolicy(t, Version2012, `{"StringEquals": {"aws:PrincipalAccount": "111111111111", "aws:PrincipalType": "User", "aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"}}`)
	r = Evaluate(p, Request{Principal: anyone, Action: "s:Do", Resource: "r"})
	if r.Decision != DecisionAllow || len(r.MissingContextKeys) != 0 {
		t.Errorf("derived keys: %s %v: %s", r.Decision, r.MissingContextKeys, r.Summary)
	}
}

func TestDerivedKeysForReplication(t *testing.T) {
	p := condPolicy(t, Version2012, `{"StringEquals": {"aws:PrincipalType": "AssumedRole", "aws:PrincipalAccount": "111111111111"},
		"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/aws-service-role/replication.ecr.amazonaws.com/AWSServiceRoleForECRReplication"}}`)
	r := Evaluate(p, Request{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage", Resource: "r"})
	if r.Decision != DecisionAllow {
		t.Fatalf("%s: %s", r.Decision, r.Summary)
	}
	// The request can override a derived key.
	r = Evaluate(p, Request{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage", Resource: "r", Context: ctx("aws:principalaccount", "9")})
	if r.Decision != DecisionImplicitDeny {
		t.Fatalf("override ignored: %s", r.Decision)
	}
}

// AWS stores ForAllValues:Null and ForAnyValue:Null, so a policy holding
// them must be evaluated, not refused (issue 9 item 19). IAM's policy check
// reference, "Access Analyzer policy check reference"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html),
// lists the set qualifiers with Null among its warnings, not its errors, as
// holding always (ForAllValues:Null) and never (ForAnyValue:Null); the set
// operator page agrees for the empty case: "The ForAllValues set operator
// also returns true if there are no context keys in the request"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html).
// Its Null with if exists check is an error, and the condition operator
// page says "You can add IfExists to the end of any condition operator name
// except the Null condition", so NullIfExists stays refused.
func TestNullWithSetQualifiers(t *testing.T) {
	present := ctx("aws:TagKeys", "team")
	cases := []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		{"ForAllValues:Null true, key absent", `{"ForAllValues:Null": {"aws:TagKeys": "true"}}`, nil, true},
		{"ForAllValues:Null true, key present", `{"ForAllValues:Null": {"aws:TagKeys": "true"}}`, present, true},
		{"ForAllValues:Null false, key absent", `{"ForAllValues:Null": {"aws:TagKeys": "false"}}`, nil, true},
		{"ForAllValues:Null false, key present", `{"ForAllValues:Null": {"aws:TagKeys": "false"}}`, present, true},
		{"ForAnyValue:Null true, key absent", `{"ForAnyValue:Null": {"aws:TagKeys": "true"}}`, nil, false},
		{"ForAnyValue:Null true, key present", `{"ForAnyValue:Null": {"aws:TagKeys": "true"}}`, present, false},
		{"ForAnyValue:Null false, key absent", `{"ForAnyValue:Null": {"aws:TagKeys": "false"}}`, nil, false},
		{"ForAnyValue:Null false, key present", `{"ForAnyValue:Null": {"aws:TagKeys": "false"}}`, present, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": ` + tc.cond + `}}`))
			if err != nil {
				t.Fatalf("a policy AWS stores is refused: %v", err)
			}
			r := Evaluate(p, Request{Principal: anyone, Action: "ecr:TagResource", Resource: "*", Context: tc.ctx})
			if got := r.Decision == DecisionAllow; got != tc.want {
				t.Fatalf("applies = %v, want %v: %s", got, tc.want, r.Summary)
			}
			// The answer rests on no key, so none is reported missing.
			if len(r.MissingContextKeys) != 0 || r.Statements[0].DependsOnMissingKey {
				t.Errorf("missing keys %v, depends on a missing key %v; want none", r.MissingContextKeys, r.Statements[0].DependsOnMissingKey)
			}
			if !tc.want && !strings.Contains(r.Statements[0].Reason, "ForAnyValue:Null as false whatever the request holds") {
				t.Errorf("reason %q does not say why", r.Statements[0].Reason)
			}
		})
	}
	for _, op := range []string{"NullIfExists", "ForAllValues:NullIfExists", "ForAnyValue:NullIfExists"} {
		_, err := Parse([]byte(`{"Statement": {"Effect": "Allow", "Action": "a", "Condition": {"` + op + `": {"k": "true"}}}}`))
		if err == nil || !strings.Contains(err.Error(), "Null takes no IfExists") {
			t.Errorf("%s: error %v, want it refused as Null with IfExists", op, err)
		}
	}
	// The values are still booleans, as for Null.
	if _, err := Parse([]byte(`{"Statement": {"Effect": "Allow", "Action": "a", "Condition": {"ForAnyValue:Null": {"k": "maybe"}}}}`)); err == nil {
		t.Error("ForAnyValue:Null with value maybe parses")
	}
}

// TestParseDateForms: the YYYY-MM-DD forms skip the epoch readings, which
// could not read them; the epoch forms are still read as seconds.
func TestParseDateForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"2026-06-01T00:00:00Z", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
		{" 2026-06-01T09:00:00+09:00 ", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-06-01", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"20260601T000000Z", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"1780272000", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"123e-00001", time.Unix(12, 300000000).UTC()},
	} {
		got, err := parseDate(c.in)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if _, err := parseDate("2026-13-01"); err == nil {
		t.Errorf("parseDate(2026-13-01) succeeds; want an error")
	}
}
