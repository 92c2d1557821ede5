package policy

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckRegistryPolicy(t *testing.T) {
	cases := []struct {
		name   string
		action string
		scope  string
		paths  []string
	}{
		{"V1 replication actions", `["ecr:ReplicateImage", "ecr:CreateRepository", "ecr:BatchImportUpstreamImage"]`, "V1", nil},
		{"V1 action names are case-insensitive", `"ECR:replicateimage"`, "V1", nil},
		{"V1 other action", `["ecr:ReplicateImage", "ecr:BatchGetImage"]`, "V1", []string{"Statement[0].Action[1]"}},
		{"V1 ecr:* is a violation", `"ecr:*"`, "V1", []string{"Statement[0].Action"}},
		{"V1 * is a violation", `"*"`, "V1", []string{"Statement[0].Action"}},
		{"V1 partial wildcard is a violation", `"ecr:Replicate*"`, "V1", []string{"Statement[0].Action"}},
		{"V2 allows every action", `"ecr:*"`, "V2", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": ` + tc.action + `, "Resource": "*"}]}`
			issues := CheckRegistryPolicy(text, mustParse(t, text), tc.scope)
			var paths []string
			for _, is := range issues {
				paths = append(paths, is.Path)
				if is.Code != IssueRegistryV1Action || is.Statement != 0 || !strings.Contains(is.Message, "V1") {
					t.Errorf("issue = %+v", is)
				}
			}
			if strings.Join(paths, ",") != strings.Join(tc.paths, ",") {
				t.Errorf("issue paths = %v, want %v", paths, tc.paths)
			}
		})
	}
	t.Run("V1 NotAction is a violation", func(t *testing.T) {
		text := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "ecr:Delete*"}]}`
		if issues := CheckRegistryPolicy(text, mustParse(t, text), "V1"); len(issues) != 1 || issues[0].Path != "Statement[0].NotAction" {
			t.Errorf("issues = %+v", issues)
		}
	})
	t.Run("too long", func(t *testing.T) {
		text := `{"Version": "2012-10-17", "Id": "` + strings.Repeat("x", MaxRegistryPolicyLength) + `", "Statement": []}`
		issues := CheckRegistryPolicy(text, nil, "V2")
		if len(issues) != 1 || issues[0].Code != IssueRegistryPolicyTooLong || issues[0].Statement != -1 {
			t.Errorf("issues = %+v", issues)
		}
	})
	t.Run("exactly the limit", func(t *testing.T) {
		if issues := CheckRegistryPolicy(strings.Repeat("x", MaxRegistryPolicyLength), nil, "V1"); len(issues) != 0 {
			t.Errorf("issues = %+v", issues)
		}
	})
}

func TestCheckRepositoryPolicy(t *testing.T) {
	p := mustParse(t, `{"Version": "2012-10-17", "Statement": [
		{"Sid": "Ok", "Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "ecr:BatchGetImage"},
		{"Sid": "Bad", "Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "ecr:ReplicateImage", "Resource": "arn:aws:ecr:us-east-1:222222222222:repository/app"},
		{"Sid": "AlsoBad", "Effect": "Deny", "Principal": "*", "Action": "ecr:*", "NotResource": "*"}]}`)
	issues := CheckRepositoryPolicy(p)
	if len(issues) != 2 {
		t.Fatalf("issues = %+v", issues)
	}
	if issues[0].Statement != 1 || issues[0].Path != "Statement[1].Resource" || !strings.Contains(issues[0].Message, "Invalid repository policy provided") {
		t.Errorf("issue 0 = %+v", issues[0])
	}
	if issues[1].Statement != 2 || issues[1].Path != "Statement[2].NotResource" {
		t.Errorf("issue 1 = %+v", issues[1])
	}
}

// ScopeMatters is false only where the scope changes nothing
// CheckRegistryPolicy says, for the policy and for the policy with a
// replication grant added: Capture leaves the scope unread then.
func TestScopeMatters(t *testing.T) {
	grant := `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"], "Resource": "*"}`
	for _, tc := range []struct {
		name  string
		stmts []string
		want  bool
	}{
		{"replication grants", []string{grant, `{"Effect": "Allow", "Principal": "*", "Action": "ECR:replicateimage", "Resource": "*"}`}, false},
		{"pull-through cache", []string{`{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["ecr:BatchImportUpstreamImage"], "Resource": "*"}`}, false},
		{"a pull grant", []string{grant, `{"Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"], "Resource": "*"}`}, true},
		{"a wildcard", []string{`{"Effect": "Deny", "Principal": "*", "Action": "ecr:Replicate*", "Resource": "*"}`}, true},
		{"NotAction", []string{`{"Effect": "Deny", "Principal": "*", "NotAction": "ecr:ReplicateImage", "Resource": "*"}`}, true},
		{"generated", benchStatements(10), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, doc := range []string{policyOf(tc.stmts), policyOf(append(tc.stmts, grant))} {
				p := mustParse(t, doc)
				if got := ScopeMatters(p); got != tc.want {
					t.Fatalf("ScopeMatters = %v, want %v", got, tc.want)
				}
				v1, v2 := CheckRegistryPolicy(doc, p, "V1"), CheckRegistryPolicy(doc, p, "V2")
				if differ := fmt.Sprint(v1) != fmt.Sprint(v2); differ != tc.want {
					t.Errorf("the V1 and V2 checks differ: %v, but ScopeMatters says %v (V1 %v)", differ, tc.want, v1)
				}
			}
		})
	}
}
