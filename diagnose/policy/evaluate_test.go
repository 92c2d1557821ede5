package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func mustPrincipal(t testing.TB, s string) Principal {
	t.Helper()
	p, err := ParsePrincipal(s)
	if err != nil {
		t.Fatalf("ParsePrincipal(%q): %v", s, err)
	}
	return p
}

func TestParsePrincipal(t *testing.T) {
	cases := []struct {
		in   string
		want Principal
	}{
		{"111111111111", Principal{ARN: "arn:aws:iam::111111111111:root", Account: "111111111111", Type: TypeAccount}},
		{"arn:aws:iam::111111111111:root", Principal{ARN: "arn:aws:iam::111111111111:root", Account: "111111111111", Type: TypeAccount}},
		{"arn:aws:iam::111111111111:user/dev/alice", Principal{ARN: "arn:aws:iam::111111111111:user/dev/alice", Account: "111111111111", Type: TypeUser, Name: "alice"}},
		{"arn:aws:iam::111111111111:role/ci", Principal{ARN: "arn:aws:iam::111111111111:role/ci", Account: "111111111111", Type: TypeRole, Name: "ci"}},
		{"arn:aws:sts::111111111111:assumed-role/ci/run-1", Principal{ARN: "arn:aws:sts::111111111111:assumed-role/ci/run-1", Account: "111111111111", Type: TypeAssumedRole, Name: "ci", RoleARN: "arn:aws:iam::111111111111:role/ci", Session: "run-1"}},
		{"arn:aws:sts::111111111111:federated-user/bob", Principal{ARN: "arn:aws:sts::111111111111:federated-user/bob", Account: "111111111111", Type: TypeFederatedUser, Name: "bob"}},
		{"replication.ecr.amazonaws.com", Principal{Type: TypeService, Service: "replication.ecr.amazonaws.com"}},
		{"anonymous", Principal{Type: TypeAnonymous}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := mustPrincipal(t, tc.in); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "1111", "arn:aws:iam::111111111111:group/devs", "arn:aws:sts::111111111111:assumed-role/ci", "arn:aws:iam::abc:root", "alice", "arn:aws:iam:us-east-1:111111111111:root"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			if _, err := ParsePrincipal(bad); err == nil {
				t.Errorf("ParsePrincipal(%q) succeeded", bad)
			}
		})
	}
}

// principal element semantics, from the IAM Principal element page.
func TestPrincipalElement(t *testing.T) {
	session := "arn:aws:sts::111111111111:assumed-role/ci/run-1"
	cases := []struct {
		name, principal, caller string
		want                    bool
	}{
		{"account id names its root", `{"AWS": "111111111111"}`, "111111111111", true},
		{"account id names its users", `{"AWS": "111111111111"}`, "arn:aws:iam::111111111111:user/alice", true},
		{"account root ARN names its role sessions", `{"AWS": "arn:aws:iam::111111111111:root"}`, session, true},
		{"account names nobody elsewhere", `{"AWS": "arn:aws:iam::111111111111:root"}`, "arn:aws:sts::333333333333:assumed-role/ci/run-1", false},
		{"role ARN names its sessions", `{"AWS": "arn:aws:iam::111111111111:role/ci"}`, session, true},
		{"role ARN with a path names its sessions", `{"AWS": "arn:aws:iam::111111111111:role/build/ci"}`, session, true},
		{"role ARN names the role", `{"AWS": "arn:aws:iam::111111111111:role/ci"}`, "arn:aws:iam::111111111111:role/ci", true},
		{"other role", `{"AWS": "arn:aws:iam::111111111111:role/deploy"}`, session, false},
		{"session ARN names that session", `{"AWS": "` + session + `"}`, session, true},
		{"session ARN names no other session", `{"AWS": "arn:aws:sts::111111111111:assumed-role/ci/run-2"}`, session, false},
		{"user ARN", `{"AWS": "arn:aws:iam::111111111111:user/alice"}`, "arn:aws:iam::111111111111:user/alice", true},
		{"user ARN is not the account", `{"AWS": "arn:aws:iam::111111111111:user/alice"}`, "111111111111", false},
		{"partial wildcard is not supported in Principal", `{"AWS": "arn:aws:iam::111111111111:role/c*"}`, session, false},
		{"star names everyone", `"*"`, session, true},
		{"star names anonymous", `"*"`, "anonymous", true},
		{`{"AWS": "*"} names anonymous too (documented as equivalent to "*")`, `{"AWS": "*"}`, "anonymous", true},
		{"account does not name anonymous", `{"AWS": "111111111111"}`, "anonymous", false},
		{"service principal", `{"Service": "replication.ecr.amazonaws.com"}`, "replication.ecr.amazonaws.com", true},
		{"service principal is not an account principal", `{"AWS": "111111111111"}`, "replication.ecr.amazonaws.com", false},
		{"other service", `{"Service": "ec2.amazonaws.com"}`, "replication.ecr.amazonaws.com", false},
		{"federated user by account", `{"AWS": "111111111111"}`, "arn:aws:sts::111111111111:federated-user/bob", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": `+tc.principal+`, "Action": "ecr:*"}]}`)
			r := Evaluate(p, Request{Principal: mustPrincipal(t, tc.caller), Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/app"})
			if got := r.Statements[0].PrincipalMatch; got != tc.want {
				t.Errorf("PrincipalMatch = %v, want %v (%s)", got, tc.want, r.Statements[0].Reason)
			}
		})
	}
}

func TestHandBuiltPrincipal(t *testing.T) {
	// A diagnosis may build the caller from a CloudTrail record's ARN alone.
	p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/ci"}, "Action": "ecr:*"}]}`)
	for _, prin := range []Principal{
		{ARN: "arn:aws:sts::111111111111:assumed-role/ci/run-1"},
		{ARN: "arn:aws:sts::111111111111:assumed-role/ci/run-1", Account: "111111111111", Type: TypeAssumedRole},
	} {
		r := Evaluate(p, Request{Principal: prin, Action: "ecr:BatchGetImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/app"})
		if r.Decision != DecisionAllow {
			t.Errorf("%+v: %s: %s", prin, r.Decision, r.Summary)
		}
	}
}

func TestReplicationRoleWithPath(t *testing.T) {
	// The service-linked role's ARN carries a path the session ARN lacks;
	// IAM role names are unique per account, so the name decides.
	p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
		"Principal": {"AWS": "arn:aws:iam::111111111111:role/aws-service-role/replication.ecr.amazonaws.com/AWSServiceRoleForECRReplication"},
		"Action": "ecr:ReplicateImage", "Resource": "*"}]}`)
	req := Request{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/app"}
	if r := Evaluate(p, req); r.Decision != DecisionAllow {
		t.Errorf("SLR role with path: %s: %s", r.Decision, r.Summary)
	}
	req.Principal = ReplicationPrincipal("333333333333")
	if r := Evaluate(p, req); r.Decision != DecisionImplicitDeny {
		t.Errorf("other account's SLR: %s", r.Decision)
	}
	if got := ReplicationPrincipal("111111111111").ARN; got != "arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication" {
		t.Errorf("ReplicationPrincipal ARN = %s", got)
	}
	// The session ARN written out is the same caller, role path included.
	if got, want := mustPrincipal(t, "arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication"), ReplicationPrincipal("111111111111"); got != want {
		t.Errorf("ParsePrincipal(session ARN) = %+v, want %+v", got, want)
	}
}

// NotPrincipal with Deny, from the IAM NotPrincipal element page: only the
// identities named exactly are exempt.
func TestNotPrincipal(t *testing.T) {
	const (
		session = "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"
		role    = "arn:aws:iam::444455556666:role/cross-account-read-only-role"
		root    = "arn:aws:iam::444455556666:root"
		bob     = "arn:aws:iam::444455556666:user/Bob"
	)
	cases := []struct {
		name, notPrincipal, caller string
		denied                     bool
	}{
		{"account named: its root is exempt", `"` + root + `"`, root, false},
		{"account id named: its root is exempt", `"444455556666"`, "444455556666", false},
		{"account named: its user is still denied", `"` + root + `"`, bob, true},
		{"account named: its role session is still denied", `"` + root + `"`, session, true},
		{"user and account named: user exempt", `["` + bob + `", "` + root + `"]`, bob, false},
		{"user named: user exempt", `"` + bob + `"`, bob, false},
		{"user named: other user denied", `"` + bob + `"`, "arn:aws:iam::444455556666:user/Eve", true},
		{"session, role and account named: session exempt", `["` + session + `", "` + role + `", "` + root + `"]`, session, false},
		{"session and role named: session exempt", `["` + session + `", "` + role + `"]`, session, false},
		{"session named without its role: denied", `["` + session + `", "` + root + `"]`, session, true},
		{"role named without the session: denied", `["` + role + `", "` + root + `"]`, session, true},
		{"session and role named: other session of the role denied", `["` + session + `", "` + role + `"]`, "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/other", true},
		{"anonymous is never exempt by an account", `"` + root + `"`, "anonymous", true},
		{"service exempt when named", `{"Service": "replication.ecr.amazonaws.com"}`, "replication.ecr.amazonaws.com", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			np := tc.notPrincipal
			if !strings.HasPrefix(np, "{") {
				np = `{"AWS": ` + np + `}`
			}
			p := mustParse(t, `{"Version": "2012-10-17", "Statement": [
				{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
				{"Effect": "Deny", "NotPrincipal": `+np+`, "Action": "s3:*", "Resource": "*"}]}`)
			r := Evaluate(p, Request{Principal: mustPrincipal(t, tc.caller), Action: "s3:GetObject", Resource: "arn:aws:s3:::Bucket_AccountAudit/x"})
			if got := r.Decision == DecisionExplicitDeny; got != tc.denied {
				t.Errorf("denied = %v, want %v (%s)", got, tc.denied, r.Summary)
			}
		})
	}
}

func TestActionAndResourceMatching(t *testing.T) {
	repo := "arn:aws:ecr:us-east-1:222222222222:repository/my-repo"
	cases := []struct {
		name, stmt, action, resource string
		want                         bool
	}{
		{"actions are case-insensitive", `"Action": "ECR:replicateimage", "Resource": "*"`, "ecr:ReplicateImage", repo, true},
		{"action wildcard", `"Action": "ecr:Replicate*", "Resource": "*"`, "ecr:ReplicateImage", repo, true},
		{"action ? wildcard", `"Action": "ecr:?eplicateImage", "Resource": "*"`, "ecr:ReplicateImage", repo, true},
		{"action star", `"Action": "*", "Resource": "*"`, "ecr:ReplicateImage", repo, true},
		{"other action", `"Action": "ecr:CreateRepository", "Resource": "*"`, "ecr:ReplicateImage", repo, false},
		{"NotAction excludes", `"NotAction": "ecr:Replicate*", "Resource": "*"`, "ecr:ReplicateImage", repo, false},
		{"NotAction covers the rest", `"NotAction": "ecr:Delete*", "Resource": "*"`, "ecr:ReplicateImage", repo, true},
		{"resources are case-sensitive", `"Action": "ecr:*", "Resource": "arn:aws:ecr:us-east-1:222222222222:repository/My-Repo"`, "ecr:ReplicateImage", repo, false},
		{"resource wildcard", `"Action": "ecr:*", "Resource": "arn:aws:ecr:us-east-1:222222222222:repository/*"`, "ecr:ReplicateImage", repo, true},
		{"resource prefix wildcard", `"Action": "ecr:*", "Resource": "arn:aws:ecr:*:222222222222:repository/my-*"`, "ecr:ReplicateImage", repo, true},
		{"resource typo", `"Action": "ecr:*", "Resource": "arn:aws:ecr:us-east-1:222222222222:repository/my-reo"`, "ecr:ReplicateImage", repo, false},
		{"resource list is OR", `"Action": "ecr:*", "Resource": ["arn:aws:ecr:us-east-1:222222222222:repository/x", "` + repo + `"]`, "ecr:ReplicateImage", repo, true},
		{"NotResource excludes", `"Action": "ecr:*", "NotResource": "` + repo + `"`, "ecr:ReplicateImage", repo, false},
		{"NotResource covers the rest", `"Action": "ecr:*", "NotResource": "arn:aws:ecr:us-east-1:222222222222:repository/x"`, "ecr:ReplicateImage", repo, true},
		{"no Resource: the attached resource", `"Action": "ecr:*"`, "ecr:ReplicateImage", repo, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", `+tc.stmt+`}]}`)
			r := Evaluate(p, Request{Principal: anyone, Action: tc.action, Resource: tc.resource})
			if got := r.Decision == DecisionAllow; got != tc.want {
				t.Errorf("allowed = %v, want %v (%s)", got, tc.want, r.Summary)
			}
		})
	}
}

// Statements that list the same actions or resources share what an
// evaluation found for the list; each must still answer as it would alone,
// whatever the statements before it and whichever element (Action or
// NotAction, Resource or NotResource) lists them.
func TestStatementsSharingListsAnswerAsAlone(t *testing.T) {
	acts := []string{`"Action": ["ecr:CreateRepository", "ecr:ReplicateImage"]`, `"NotAction": ["ecr:CreateRepository", "ecr:ReplicateImage"]`,
		`"Action": ["ECR:CreateRepository", "ecr:replicateimage"]`, `"Action": "ecr:ReplicateImage"`, `"NotAction": "ecr:ReplicateImage"`, `"Action": ["ecr:ReplicateImage"]`,
		`"Action": ["ecr:CreateRepository", "ecr:BatchGetImage"]`}
	ress := []string{`"Resource": "arn:aws:ecr:*:222222222222:repository/my-*"`, `"NotResource": "arn:aws:ecr:*:222222222222:repository/my-*"`,
		`"Resource": "arn:aws:ecr:*:222222222222:repository/${aws:username}"`, `"NotResource": "arn:aws:ecr:*:222222222222:repository/${aws:username}"`,
		`"Resource": ["arn:aws:ecr:*:222222222222:repository/my-*"]`, ``}
	var stmts []string
	for _, res := range ress {
		if res != "" {
			res = ", " + res
		}
		for _, act := range acts {
			stmts = append(stmts, fmt.Sprintf(`{"Sid": "S%d", "Effect": "Allow", "Principal": "*", %s%s}`, len(stmts), act, res))
		}
	}
	p := mustParse(t, policyOf(stmts))
	for _, req := range []Request{
		{Principal: anyone, Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/my-repo"},
		{Principal: anyone, Action: "ecr:CreateRepository", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/alice"},
		{Principal: anyone, Action: "ecr:BatchGetImage", Resource: "arn:aws:ecr:us-east-1:333333333333:repository/my-repo"},
		// no aws:username: the variable's key is missing
		{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/x"},
	} {
		r := Evaluate(p, req)
		for i, s := range stmts {
			alone := Evaluate(mustParse(t, policyOf([]string{s})), req).Statements[0]
			got := r.Statements[i]
			got.Index, got.Path, alone.Index, alone.Path = 0, "", 0, ""
			if g, w := fmt.Sprintf("%#v", got), fmt.Sprintf("%#v", alone); g != w {
				t.Errorf("%s %s: statement %d\n in the policy %s\n alone        %s", req.Action, req.Resource, i, g, w)
			}
		}
	}
}

// seedPolicy is the AWS documentation's cross-account replication registry
// policy; resource is its Resource value.
func seedPolicy(resource string) string {
	return fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [{"Sid": "ReplicationAccessCrossAccount", "Effect": "Allow",
		"Principal": {"AWS": "arn:aws:iam::111111111111:root"},
		"Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
		"Resource": [%q]}]}`, resource)
}

func TestSeedCase(t *testing.T) {
	req := Request{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo"}
	r := Evaluate(mustParse(t, seedPolicy("arn:aws:ecr:ap-northeast-1:222222222222:repository/*")), req)
	if r.Decision != DecisionAllow || len(r.Deciding) != 1 || r.Deciding[0].Sid != "ReplicationAccessCrossAccount" {
		t.Fatalf("docs policy: %s %+v", r.Decision, r.Deciding)
	}
	r = Evaluate(mustParse(t, seedPolicy("arn:aws:ecr:ap-northeast-1:222222222222:repository/my-reo")), req)
	st := r.Statements[0]
	if r.Decision != DecisionImplicitDeny || !st.PrincipalMatch || !st.ActionMatch || st.ResourceMatch || !st.ConditionMatch {
		t.Fatalf("typo policy: %s %+v", r.Decision, st)
	}
	if !strings.Contains(st.Reason, `does not match Resource "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-reo"`) || !strings.Contains(r.Summary, "does not match Resource") {
		t.Errorf("reason %q / summary %q do not say the resource did not match", st.Reason, r.Summary)
	}
}

func TestEveryElementEvaluated(t *testing.T) {
	p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "999999999999"},
		"Action": "s3:*", "Resource": "arn:aws:s3:::b", "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}]}`)
	r := Evaluate(p, Request{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/app"})
	st := r.Statements[0]
	if st.PrincipalMatch || st.ActionMatch || st.ResourceMatch || st.ConditionMatch || len(st.FailedConditions) != 1 {
		t.Fatalf("%+v", st)
	}
	for _, want := range []string{"principal", "action", "resource", "aws:SourceAccount"} {
		if !strings.Contains(st.Reason, want) {
			t.Errorf("reason %q does not mention %s", st.Reason, want)
		}
	}
}

func TestExplicitDenyWins(t *testing.T) {
	p := mustParse(t, `{"Version": "2012-10-17", "Statement": [
		{"Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "ecr:*", "Resource": "*"},
		{"Sid": "Block", "Effect": "Deny", "Principal": "*", "Action": "ecr:ReplicateImage", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}}]}`)
	req := Request{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:ReplicateImage", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/app"}
	r := Evaluate(p, req)
	// aws:PrincipalOrgID is absent, so StringNotEquals holds and the Deny applies.
	if r.Decision != DecisionExplicitDeny || len(r.Deciding) != 1 || r.Deciding[0].Sid != "Block" {
		t.Fatalf("%s %+v", r.Decision, r.Deciding)
	}
	if !r.Deciding[0].DependsOnMissingKey || fmt.Sprint(r.MissingContextKeys) != "[aws:PrincipalOrgID]" || !strings.Contains(r.Summary, "aws:PrincipalOrgID") {
		t.Errorf("missing-key explanation: %+v %v %q", r.Deciding[0], r.MissingContextKeys, r.Summary)
	}
	req.Context = ctx("aws:PrincipalOrgID", "o-abc")
	if r := Evaluate(p, req); r.Decision != DecisionAllow || len(r.MissingContextKeys) != 0 {
		t.Errorf("with org id: %s %v", r.Decision, r.MissingContextKeys)
	}
}

func TestResourcePolicyStatementWithoutPrincipal(t *testing.T) {
	p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}`)
	r := Evaluate(p, Request{Principal: anyone, Action: "ecr:ReplicateImage", Resource: "r"})
	if r.Decision != DecisionImplicitDeny || !strings.Contains(r.Statements[0].Reason, "no Principal") {
		t.Errorf("%s: %s", r.Decision, r.Statements[0].Reason)
	}
}

func TestEvaluateWithIdentity(t *testing.T) {
	resAllow := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "ecr:*", "Resource": "*"}]}`)
	resNone := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "999999999999"}, "Action": "ecr:*", "Resource": "*"}]}`)
	resRole := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/ci"}, "Action": "ecr:*", "Resource": "*"}]}`)
	idAllow := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}`)
	idNone := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}`)
	idDeny := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ecr:ReplicateImage", "Resource": "*"}]}`)
	caller := mustPrincipal(t, "arn:aws:sts::111111111111:assumed-role/ci/run")
	cross := "arn:aws:ecr:us-east-1:222222222222:repository/app"
	same := "arn:aws:ecr:us-east-1:111111111111:repository/app"
	cases := []struct {
		name     string
		resource *Policy
		identity []*Policy
		arn      string
		want     Decision
	}{
		{"cross-account, both allow", resAllow, []*Policy{idAllow}, cross, DecisionAllow},
		{"cross-account, only the resource policy allows", resAllow, []*Policy{idNone}, cross, DecisionImplicitDeny},
		{"cross-account, only the identity policy allows", resNone, []*Policy{idAllow}, cross, DecisionImplicitDeny},
		{"cross-account, second identity policy allows", resAllow, []*Policy{idNone, idAllow}, cross, DecisionAllow},
		{"same account, identity alone", resNone, []*Policy{idAllow}, same, DecisionAllow},
		{"same account, resource policy naming the caller's role alone", resRole, []*Policy{idNone}, same, DecisionAllow},
		{"same account, resource policy naming the account needs the identity side", resAllow, []*Policy{idNone}, same, DecisionImplicitDeny},
		{"same account, resource policy naming the account and identity allow", resAllow, []*Policy{idAllow}, same, DecisionAllow},
		{"same account, no resource policy", nil, []*Policy{idAllow}, same, DecisionAllow},
		{"identity deny wins", resAllow, []*Policy{idAllow, idDeny}, cross, DecisionExplicitDeny},
		{"without identity policies the resource policy decides", resAllow, nil, cross, DecisionAllow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := EvaluateWithIdentity(tc.resource, tc.identity, Request{Principal: caller, Action: "ecr:ReplicateImage", Resource: tc.arn})
			if r.Decision != tc.want {
				t.Errorf("decision = %s, want %s (%s)", r.Decision, tc.want, r.Summary)
			}
		})
	}
	r := EvaluateWithIdentity(resAllow, []*Policy{idNone}, Request{Principal: caller, Action: "ecr:ReplicateImage", Resource: cross})
	if !strings.Contains(r.Summary, "cross-account") || r.Statements[1].Policy != "identity[0]" {
		t.Errorf("summary %q, statements %+v", r.Summary, r.Statements)
	}
	// --resource-account overrides the ARN's account.
	r = EvaluateWithIdentity(resNone, []*Policy{idAllow}, Request{Principal: caller, Action: "ecr:ReplicateImage", Resource: cross, ResourceAccount: "111111111111"})
	if r.Decision != DecisionAllow {
		t.Errorf("ResourceAccount ignored: %s", r.Decision)
	}
}

// A resource policy that names the caller's own account, rather than the
// caller, does not grant the caller anything by itself: it delegates to the
// account, whose identity-based policies must then allow the request.
//
// IAM User Guide, "AWS JSON policy elements: Principal", AWS account
// principals: "You can specify AWS account identifiers in the Principal
// element of a resource-based policy [...]. This delegates authority to the
// account." and "The account ARN and the shortened account ID behave the
// same way. Both delegate permissions to the account."
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts)
//
// IAM User Guide, "Policy evaluation logic", resource-based policies: "When
// resource-based policies are evaluated, the principal ARN that is specified
// in the policy determines whether implicit denies in other policy types are
// applicable to the final decision."
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
//
// IAM User Guide, "How AWS enforcement code logic evaluates requests to
// allow or deny access", for requests within one account: "If a
// resource-based policy grants permission directly to the IAM user or the
// session principal that is making the request, then an implicit deny in an
// identity-based policy, a permissions boundary, or a session policy does
// not impact the final decision." The principals it then lists (IAM role,
// IAM role session, IAM user, federated user) do not include the account.
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html)
//
// cloud-copilot/iam-simulate decides the same ("Denied when resource policy
// allows for account root arn but no identity policy",
// src/core_engine/coreEngineTests/basicResourcePolicies-SameAccount.json).
func TestSameAccountAccountPrincipalDelegates(t *testing.T) {
	repo := "arn:aws:ecr:us-east-1:222222222222:repository/app"
	idNone := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}`)
	idAllow := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"}]}`)
	cases := []struct {
		name, principal, caller string
		identity                []*Policy
		want                    Decision
		viaAccount              bool
	}{
		{"root ARN, role without identity Allow", `{"AWS": "arn:aws:iam::222222222222:root"}`, "arn:aws:iam::222222222222:role/ci", []*Policy{idNone}, DecisionImplicitDeny, true},
		{"account id, user without identity Allow", `{"AWS": "222222222222"}`, "arn:aws:iam::222222222222:user/dave", []*Policy{idNone}, DecisionImplicitDeny, true},
		{"root ARN, role session without identity Allow", `{"AWS": "arn:aws:iam::222222222222:root"}`, "arn:aws:sts::222222222222:assumed-role/ci/build", []*Policy{idNone}, DecisionImplicitDeny, true},
		{"root ARN, role with identity Allow", `{"AWS": "arn:aws:iam::222222222222:root"}`, "arn:aws:iam::222222222222:role/ci", []*Policy{idAllow}, DecisionAllow, true},
		{"root ARN names the root itself", `{"AWS": "arn:aws:iam::222222222222:root"}`, "222222222222", []*Policy{idNone}, DecisionAllow, false},
		{"role ARN grants the role directly", `{"AWS": "arn:aws:iam::222222222222:role/ci"}`, "arn:aws:sts::222222222222:assumed-role/ci/build", []*Policy{idNone}, DecisionAllow, false},
		{"user ARN grants the user directly", `{"AWS": "arn:aws:iam::222222222222:user/dave"}`, "arn:aws:iam::222222222222:user/dave", []*Policy{idNone}, DecisionAllow, false},
		{"account and role: the role is named directly", `{"AWS": ["222222222222", "arn:aws:iam::222222222222:role/ci"]}`, "arn:aws:iam::222222222222:role/ci", []*Policy{idNone}, DecisionAllow, false},
		{"star grants directly", `"*"`, "arn:aws:iam::222222222222:role/ci", []*Policy{idNone}, DecisionAllow, false},
		{"without identity policies the Allow is assumed", `{"AWS": "222222222222"}`, "arn:aws:iam::222222222222:role/ci", nil, DecisionAllow, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow", "Principal": `+tc.principal+`, "Action": "ecr:BatchGetImage"}]}`)
			r := EvaluateWithIdentity(p, tc.identity, Request{Principal: mustPrincipal(t, tc.caller), Action: "ecr:BatchGetImage", Resource: repo})
			if r.Decision != tc.want {
				t.Errorf("decision = %s, want %s (%s)", r.Decision, tc.want, r.Summary)
			}
			if got := r.Statements[0].ViaAccount; got != tc.viaAccount {
				t.Errorf("ViaAccount = %v, want %v", got, tc.viaAccount)
			}
		})
	}
	p := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "ecr:BatchGetImage"}]}`)
	r := EvaluateWithIdentity(p, []*Policy{idNone}, Request{Principal: mustPrincipal(t, "arn:aws:iam::222222222222:role/ci"), Action: "ecr:BatchGetImage", Resource: repo})
	if !strings.Contains(r.Summary, `Statement[0] (Sid "Pull") of the resource policy names the caller's account 222222222222, not the caller`) {
		t.Errorf("summary does not explain the delegation: %s", r.Summary)
	}
}

// Without identity policies the resource policy decides, and an Allow that
// IAM would only grant with the identity side's Allow too says it assumed it.
func TestIdentityAssumed(t *testing.T) {
	repo := "arn:aws:ecr:us-east-1:222222222222:repository/app"
	byRole := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::333333333333:role/ci", "arn:aws:iam::222222222222:role/ci"]}, "Action": "ecr:BatchGetImage"}]}`)
	byAccount := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "ecr:BatchGetImage"}]}`)
	star := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}`)
	idAllow := mustParse(t, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}`)
	cases := []struct {
		name     string
		p        *Policy
		identity []*Policy
		caller   string
		resource string
		decision Decision
		assumed  bool
		summary  string // substring of the summary
	}{
		{"cross-account", byRole, nil, "arn:aws:iam::333333333333:role/ci", repo, DecisionAllow, true,
			"The request is cross-account (caller in 333333333333, resource in 222222222222), so IAM also needs an Allow from the caller's identity-based policies; none was given, so this assumes they allow it."},
		{"cross-account with identity policies evaluated", byRole, []*Policy{idAllow}, "arn:aws:iam::333333333333:role/ci", repo, DecisionAllow, false, "both allow"},
		{"same account, the role named directly", byRole, nil, "arn:aws:iam::222222222222:role/ci", repo, DecisionAllow, false, "allows ecr:BatchGetImage"},
		{"same account, only the account named", byAccount, nil, "arn:aws:iam::222222222222:role/ci", repo, DecisionAllow, true,
			"names the caller's account 222222222222, not the caller, which delegates to the account's identity-based policies, so IAM also needs one of them to allow the request; none was given"},
		{"resource account unknown", byRole, nil, "arn:aws:iam::222222222222:role/ci", "*", DecisionAllow, true, "The resource's account is unknown"},
		{"replication role", star, nil, "arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication", repo, DecisionAllow, true, "ECRReplicationServiceRolePolicy"},
		{"services have no identity side", star, nil, "replication.ecr.amazonaws.com", repo, DecisionAllow, false, "allows"},
		{"anonymous has no identity side", star, nil, "anonymous", repo, DecisionAllow, false, "allows"},
		{"a deny assumes nothing", byAccount, nil, "arn:aws:iam::333333333333:role/ci", repo, DecisionImplicitDeny, false, "no statement allows"},
		{"same account, nothing granted: an identity policy could", byRole, nil, "arn:aws:iam::222222222222:role/deploy", repo, DecisionImplicitDeny, false,
			"No identity-based policy was given: within one account, one that allows the request would be enough."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := EvaluateWithIdentity(tc.p, tc.identity, Request{Principal: mustPrincipal(t, tc.caller), Action: "ecr:BatchGetImage", Resource: tc.resource})
			if r.Decision != tc.decision || r.IdentityAssumed != tc.assumed {
				t.Errorf("decision %s, IdentityAssumed %v; want %s, %v (%s)", r.Decision, r.IdentityAssumed, tc.decision, tc.assumed, r.Summary)
			}
			if !strings.Contains(r.Summary, tc.summary) {
				t.Errorf("summary %q does not contain %q", r.Summary, tc.summary)
			}
		})
	}
}

func TestResultListsAreNeverNil(t *testing.T) {
	r := Evaluate(&Policy{}, Request{Principal: anyone, Action: "a", Resource: "r"})
	if r.Statements == nil || r.Deciding == nil || r.MissingContextKeys == nil || r.Summary == "" {
		t.Errorf("%+v", r)
	}
}

func TestMatchWildcard(t *testing.T) {
	cases := []struct {
		pattern, s string
		ci, want   bool
	}{
		{"*", "", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"*a*a*a*", "aaa", false, true},
		{"é?", "éé", false, true},
		{"ECR:*", "ecr:Get", true, true},
		{"ECR:*", "ecr:Get", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.pattern+" "+tc.s, func(t *testing.T) {
			if got := MatchWildcard(tc.pattern, tc.s, tc.ci); got != tc.want {
				t.Errorf("MatchWildcard(%q, %q, %v) = %v", tc.pattern, tc.s, tc.ci, got)
			}
		})
	}
}

// Evaluations reuse their scratch space: a Result must not share it with
// the evaluations that come after, which write other requests' failures
// and reasons into it, nor carry state from the ones before.
func TestEvaluationsShareNothing(t *testing.T) {
	p := mustParse(t, benchPolicy())
	other := benchRequest
	other.Action = "ecr:BatchGetImage"
	other.Context = map[string][]string{"aws:PrincipalOrgID": {"o-abcdef3"}, "aws:SourceIp": {"192.168.3.7"}}
	first := Evaluate(p, benchRequest)
	want := fmt.Sprintf("%#v", first)
	if len(first.MissingContextKeys) == 0 || !slices.ContainsFunc(first.Statements, func(sr StatementResult) bool { return len(sr.FailedConditions) > 0 }) {
		t.Fatalf("the request should consult absent keys and fail conditions: %#v", first)
	}
	for range 3 {
		Evaluate(p, other)
		Decide(p, nil, other)
	}
	if got := fmt.Sprintf("%#v", first); got != want {
		t.Errorf("a later evaluation changed an earlier Result:\n got %s\nwant %s", got, want)
	}
	if again := fmt.Sprintf("%#v", Evaluate(p, benchRequest)); again != want {
		t.Errorf("the same request evaluated after others:\n got %s\nwant %s", again, want)
	}
}
