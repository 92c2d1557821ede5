package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const seedRegistryPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "ReplicationAccessCrossAccount",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
    "Resource": ["arn:aws:ecr:ap-northeast-1:222222222222:repository/*"]
  }]
}`

const seedRepo = "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo"

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSimulateExitCodes(t *testing.T) {
	good := writeFile(t, "registry.json", seedRegistryPolicy)
	typo := writeFile(t, "typo.json", strings.Replace(seedRegistryPolicy, "repository/*", "repository/my-reo", 1))
	deny := writeFile(t, "deny.json", `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Resource": "*"},
		{"Effect": "Deny", "Principal": "*", "Action": "ecr:ReplicateImage", "Resource": "*"}]}`)
	notJSON := writeFile(t, "not.json", `Version: 2012-10-17`)
	notPolicy := writeFile(t, "list.json", `[1, 2]`)
	wrongType := writeFile(t, "type.json", `{"Statement": [{"Effect": "Allow", "Action": 7}]}`)
	unknownElem := writeFile(t, "elem.json", `{"Statement": [{"Effect": "Allow", "Action": "a", "Principals": "*"}]}`)
	unknownOp := writeFile(t, "op.json", `{"Statement": [{"Effect": "Allow", "Action": "a"}, {"Effect": "Allow", "Action": "a"}, {"Effect": "Allow", "Action": "a", "Condition": {"StringEqual": {"k": "v"}}}]}`)
	identity := writeFile(t, "identity.json", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}`)
	ctxFile := writeFile(t, "ctx.json", `{"aws:PrincipalOrgID": "o-abc", "aws:TagKeys": ["a", "b"]}`)
	badCtxFile := writeFile(t, "badctx.json", `{"aws:PrincipalOrgID": {"x": 1}}`)
	numCtxFile := writeFile(t, "numctx.json", `{"aws:SourceAccount": 111111111111}`)
	sourceAccount := writeFile(t, "source-account.json", strings.Replace(seedRegistryPolicy, `"Resource"`, `"Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}}, "Resource"`, 1))
	cliOutput := writeFile(t, "get-registry-policy.json", `{"registryId": "222222222222", "policyText": `+jsonString(seedRegistryPolicy)+`}`)
	cliOutputObject := writeFile(t, "object-text.json", `{"registryId": "222222222222", "policyText": `+seedRegistryPolicy+`}`)
	accountOnly := writeFile(t, "account-only.json", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "ecr:BatchGetImage"}]}`)
	s3Only := writeFile(t, "s3-only.json", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}`)
	repl := []string{"--replication-from", "111111111111", "--resource", seedRepo}

	cases := []struct {
		name   string
		stdin  string
		args   []string
		want   int
		stderr string // substring expected on stderr
	}{
		{"seed policy allows replication", "", append([]string{"--policy", good}, repl...), exitOK, ""},
		{"typo in Resource denies", "", append([]string{"--policy", typo}, repl...), exitFindings, ""},
		{"explicit deny", "", append([]string{"--policy", deny}, repl...), exitFindings, ""},
		{"policy on stdin", seedRegistryPolicy, append([]string{"--policy", "-"}, repl...), exitOK, ""},
		{"explicit principal and action", "", []string{"simulate", "--policy", good, "--principal", "arn:aws:iam::111111111111:role/ci", "--action", "ecr:CreateRepository", "--resource", seedRepo}, exitOK, ""},
		{"action outside the grant", "", []string{"simulate", "--policy", good, "--principal", "111111111111", "--action", "ecr:BatchGetImage", "--resource", seedRepo}, exitFindings, ""},
		{"cross-account needs the identity side too", "", []string{"simulate", "--policy", good, "--identity-policy", typo, "--principal", "arn:aws:iam::111111111111:role/ci", "--action", "ecr:ReplicateImage", "--resource", seedRepo}, exitFindings, ""},
		{"both sides allow", "", []string{"simulate", "--policy", good, "--identity-policy", identity, "--principal", "arn:aws:iam::111111111111:role/ci", "--action", "ecr:ReplicateImage", "--resource", seedRepo}, exitOK, ""},
		{"context file", "", append([]string{"--policy", good, "--context-file", ctxFile}, repl...), exitOK, ""},
		{"json output", "", append([]string{"--policy", good, "--output", "json"}, repl...), exitOK, ""},
		{"-o is --output", "", append([]string{"--policy", good, "-o", "json"}, repl...), exitOK, ""},
		{"number in the context file keeps its text", "", append([]string{"--policy", sourceAccount, "--context-file", numCtxFile}, repl...), exitOK, ""},
		{"get-registry-policy output", "", append([]string{"--policy", cliOutput}, repl...), exitOK, ""},
		{"get-registry-policy output on stdin", `{"policyText": ` + jsonString(seedRegistryPolicy) + `}`, append([]string{"--policy", "-"}, repl...), exitOK, ""},
		{"resource * is well-formed", "", []string{"simulate", "--policy", deny, "--principal", "111111111111", "--action", "ecr:GetAuthorizationToken", "--resource", "*"}, exitOK, ""},
		{"unknown ECR action is evaluated, with a hint", "", append([]string{"--policy", good, "--action", "ecr:ReplicateImagee"}, repl...), exitFindings, "did you mean ecr:ReplicateImage?"},
		{"cross-account Allow with the identity side assumed", "", []string{"simulate", "--policy", good, "--principal", "arn:aws:iam::111111111111:role/ci", "--action", "ecr:ReplicateImage", "--resource", seedRepo}, exitOK, ""},
		{"same account: an account grant needs the identity side", "", []string{"simulate", "--policy", accountOnly, "--identity-policy", s3Only, "--principal", "arn:aws:iam::222222222222:role/ci", "--action", "ecr:BatchGetImage", "--resource", seedRepo}, exitFindings, ""},

		{"no --policy", "", repl, exitUsage, "--policy"},
		{"no caller", "", []string{"simulate", "--policy", good, "--action", "a", "--resource", seedRepo}, exitUsage, "--principal"},
		{"both callers", "", append([]string{"--policy", good, "--principal", "111111111111"}, repl...), exitUsage, "exclusive"},
		{"no --action without replication", "", []string{"simulate", "--policy", good, "--principal", "111111111111", "--resource", seedRepo}, exitUsage, "--action"},
		{"no --resource", "", []string{"simulate", "--policy", good, "--replication-from", "111111111111"}, exitUsage, "--resource"},
		{"bad --replication-from", "", []string{"simulate", "--policy", good, "--replication-from", "1111", "--resource", seedRepo}, exitUsage, "12-digit"},
		{"bad --principal", "", []string{"simulate", "--policy", good, "--principal", "bob", "--action", "a", "--resource", seedRepo}, exitUsage, "--principal"},
		{"bad --context syntax", "", append([]string{"--policy", good, "--context", "aws:SourceAccount"}, repl...), exitUsage, "KEY=VALUE"},
		{"empty --context key", "", append([]string{"--policy", good, "--context", "=v"}, repl...), exitUsage, "KEY=VALUE"},
		{"bad --output", "", append([]string{"--policy", good, "--output", "yaml"}, repl...), exitUsage, "--output"},
		{"bad --resource-account", "", append([]string{"--policy", good, "--resource-account", "x"}, repl...), exitUsage, "--resource-account"},
		{"unknown flag", "", append([]string{"--policy", good, "--bogus"}, repl...), exitUsage, "bogus"},
		{"stray argument", "", append(append([]string{}, repl...), "--policy", good, "extra"), exitUsage, "unexpected argument"},
		{"--resource not an ARN", "", []string{"simulate", "--policy", good, "--replication-from", "111111111111", "--resource", "my-repo"}, exitUsage, `--resource "my-repo" is not an ARN`},
		{"--resource with too few parts", "", []string{"simulate", "--policy", good, "--replication-from", "111111111111", "--resource", "arn:aws:ecr:my-repo"}, exitUsage, `--resource "arn:aws:ecr:my-repo" is not an ARN`},
		{"--action without a service prefix", "", append([]string{"--policy", good, "--action", "ReplicateImage"}, repl...), exitUsage, `--action "ReplicateImage" has no service prefix`},
		{"--action with a wildcard", "", append([]string{"--policy", good, "--action", "ecr:*"}, repl...), exitUsage, `--action "ecr:*": a request is one action`},
		{"two stdin inputs", "", append([]string{"--policy", "-", "--identity-policy", "-"}, repl...), exitUsage, "stdin"},

		{"policy file missing", "", append([]string{"--policy", filepath.Join(t.TempDir(), "nope.json")}, repl...), exitInput, "nope.json"},
		{"policy not JSON", "", append([]string{"--policy", notJSON}, repl...), exitInput, "not JSON"},
		{"policy not an object", "", append([]string{"--policy", notPolicy}, repl...), exitInput, "not a policy"},
		{"element of wrong type", "", append([]string{"--policy", wrongType}, repl...), exitInput, "Statement[0].Action"},
		{"unknown element", "", append([]string{"--policy", unknownElem}, repl...), exitInput, `Statement[0].Principals: unknown element "Principals"`},
		{"unknown condition operator", "", append([]string{"--policy", unknownOp}, repl...), exitInput, `Statement[2].Condition.StringEqual: unknown condition operator`},
		{"bad identity policy", "", append([]string{"--policy", good, "--identity-policy", unknownOp}, repl...), exitInput, "--identity-policy"},
		{"bad context file", "", append([]string{"--policy", good, "--context-file", badCtxFile}, repl...), exitInput, "aws:PrincipalOrgID"},
		{"policyText that is not a string", "", append([]string{"--policy", cliOutputObject}, repl...), exitInput, "policyText is an object, want the policy document as a JSON string"},
		{"JSON syntax error names line and column", "", append([]string{"--policy", writeFile(t, "comma.json", "{\"Version\": \"2012-10-17\",\n}")}, repl...), exitInput, "(line 2, column 1)"},
		{"empty stdin", "", append([]string{"--policy", "-"}, repl...), exitInput, "stdin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] != "simulate" {
				args = append([]string{"simulate"}, args...)
			}
			code, stdout, stderr := run(t, tc.stdin, args...)
			if code != tc.want {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, stdout, stderr)
			}
			if tc.stderr != "" && !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.stderr)
			}
			if tc.want >= exitUsage && stdout != "" {
				t.Errorf("errors must not print a result on stdout: %q", stdout)
			}
			if strings.Contains(stderr, "panic") {
				t.Errorf("panic: %s", stderr)
			}
		})
	}
	t.Run("bad input names the file", func(t *testing.T) {
		_, _, stderr := run(t, "", append([]string{"simulate", "--policy", unknownOp}, repl...)...)
		if !strings.Contains(stderr, unknownOp) {
			t.Errorf("stderr %q does not name %s", stderr, unknownOp)
		}
	})
}

func TestSimulateJSONShape(t *testing.T) {
	typo := writeFile(t, "typo.json", strings.Replace(seedRegistryPolicy, "repository/*", "repository/my-reo", 1))
	code, stdout, stderr := run(t, "", "simulate", "--policy", typo, "--replication-from", "111111111111", "--resource", seedRepo, "--output", "json")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	for _, k := range []string{"format_version", "decision", "statements", "missing_context_keys", "identity_assumed", "summary"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %q in %s", k, stdout)
		}
	}
	if got["format_version"] != "1" || got["decision"] != "ImplicitDeny" {
		t.Errorf("format_version/decision = %v/%v", got["format_version"], got["decision"])
	}
	if keys, ok := got["missing_context_keys"].([]any); !ok || len(keys) != 0 {
		t.Errorf("missing_context_keys = %#v, want []", got["missing_context_keys"])
	}
	stmts, _ := got["statements"].([]any)
	if len(stmts) != 1 {
		t.Fatalf("statements = %v", got["statements"])
	}
	st := stmts[0].(map[string]any)
	want := map[string]any{"policy": "resource", "index": 0.0, "sid": "ReplicationAccessCrossAccount", "effect": "Allow", "applies": false}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("statement %s = %#v, want %#v", k, st[k], v)
		}
	}
	if r, _ := st["reason"].(string); !strings.Contains(r, "does not match Resource") {
		t.Errorf("reason %q", st["reason"])
	}
}

func TestSimulateContextFlags(t *testing.T) {
	p := writeFile(t, "org.json", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Resource": "*",
		"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}, "ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}}]}`)
	base := []string{"simulate", "--policy", p, "--replication-from", "111111111111", "--resource", seedRepo}
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"key absent: denied and listed", nil, exitFindings},
		{"--context supplies the key (names case-insensitive)", []string{"--context", "AWS:PrincipalOrgId=o-abc"}, exitOK},
		{"--context value with commas stays one value", []string{"--context", "aws:PrincipalOrgID=o-abc,o-def"}, exitFindings},
		{"repeated --context key is multi-valued", []string{"--context", "aws:PrincipalOrgID=o-abc", "--context", "aws:TagKeys=a", "--context", "aws:TagKeys=c"}, exitFindings},
		{"--context overrides --context-file", []string{"--context-file", writeFile(t, "c.json", `{"aws:PrincipalOrgID": "o-zzz"}`), "--context", "aws:principalorgid=o-abc"}, exitOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", append(append([]string{}, base...), tc.args...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.want, stdout, stderr)
			}
		})
	}
	_, stdout, _ := run(t, "", base...)
	if !strings.Contains(stdout, "aws:PrincipalOrgID") {
		t.Errorf("text output does not list the missing key: %s", stdout)
	}
}

func TestSimulateHelp(t *testing.T) {
	code, stdout, _ := run(t, "", "simulate", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--replication-from", "--identity-policy", "Examples:", "Exit status"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
