package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Issue is a problem ECR would have with a policy.
type Issue struct {
	Code      string
	Message   string
	Path      string // JSON path of the element at fault; "" for the whole policy
	Statement int    // index of the statement concerned; -1 for the whole policy
}

// Issue codes.
const (
	IssueRegistryPolicyTooLong    = "REGISTRY_POLICY_TOO_LONG"
	IssueRegistryV1Action         = "REGISTRY_POLICY_V1_ACTION"
	IssueRepositoryPolicyResource = "REPOSITORY_POLICY_HAS_RESOURCE"
)

// MaxRegistryPolicyLength is the longest registry policy ECR stores.
const MaxRegistryPolicyLength = 10240

// registryV1Actions are the only actions a registry policy may name under
// REGISTRY_POLICY_SCOPE V1.
var registryV1Actions = []string{"ecr:ReplicateImage", "ecr:CreateRepository", "ecr:BatchImportUpstreamImage"}

// CheckRegistryPolicy reports what ECR would refuse in a registry policy:
// text longer than 10,240 characters and, under scope "V1", any action other
// than ecr:ReplicateImage, ecr:CreateRepository and ecr:BatchImportUpstreamImage
// (a wildcard such as ecr:* or * names other actions too, and so does
// NotAction). p may be nil when the text did not parse.
func CheckRegistryPolicy(text string, p *Policy, scope string) []Issue {
	var out []Issue
	if n := utf8.RuneCountInString(text); n > MaxRegistryPolicyLength {
		out = append(out, Issue{
			Code:      IssueRegistryPolicyTooLong,
			Message:   fmt.Sprintf("the registry policy is %d characters long; ECR accepts at most %d", n, MaxRegistryPolicyLength),
			Statement: -1,
		})
	}
	if p == nil || !strings.EqualFold(scope, "V1") {
		return out
	}
	for _, st := range p.Statements {
		if len(st.NotAction) > 0 {
			out = append(out, Issue{
				Code:      IssueRegistryV1Action,
				Message:   fmt.Sprintf("%s uses NotAction, which names every action but %s; under registry policy scope V1 only %s are allowed (PutRegistryPolicy fails with \"Invalid registry policy provided\")", st.Path, quoteList(st.NotAction), strings.Join(registryV1Actions, ", ")),
				Path:      st.Path + ".NotAction",
				Statement: st.Index,
			})
		}
		for i, a := range st.Action {
			if isV1Action(a) {
				continue
			}
			path := st.Path + ".Action"
			if len(st.Action) > 1 {
				path = fmt.Sprintf("%s[%d]", path, i)
			}
			what := fmt.Sprintf("action %q", a)
			if strings.ContainsAny(a, "*?") {
				what = fmt.Sprintf("wildcard action %q, which covers more than the allowed actions,", a)
			}
			out = append(out, Issue{
				Code:      IssueRegistryV1Action,
				Message:   fmt.Sprintf("%s names %s; under registry policy scope V1 only %s are allowed (PutRegistryPolicy fails with \"Invalid registry policy provided\")", st.Path, what, strings.Join(registryV1Actions, ", ")),
				Path:      path,
				Statement: st.Index,
			})
		}
	}
	return out
}

// ScopeMatters reports whether REGISTRY_POLICY_SCOPE can change what
// CheckRegistryPolicy reports for p, or for p with statements added that
// name V1 actions only (a replication grant): only where a statement uses
// NotAction or names another action. Capture reads the scope only then.
func ScopeMatters(p *Policy) bool {
	for _, st := range p.Statements {
		if len(st.NotAction) > 0 {
			return true
		}
		for _, a := range st.Action {
			if !isV1Action(a) {
				return true
			}
		}
	}
	return false
}

func isV1Action(a string) bool {
	for _, ok := range registryV1Actions {
		if strings.EqualFold(a, ok) {
			return true
		}
	}
	return false
}

// CheckRepositoryPolicy reports what ECR would refuse in a repository
// policy: a statement carrying Resource or NotResource (the repository is the
// resource; SetRepositoryPolicy fails with "Invalid repository policy provided").
func CheckRepositoryPolicy(p *Policy) []Issue {
	var out []Issue
	if p == nil {
		return out
	}
	for _, st := range p.Statements {
		elem := ""
		switch {
		case st.Resource != nil:
			elem = "Resource"
		case st.NotResource != nil:
			elem = "NotResource"
		default:
			continue
		}
		out = append(out, Issue{
			Code:      IssueRepositoryPolicyResource,
			Message:   fmt.Sprintf("%s carries a %s element; a repository policy applies to its repository and may not name one, so AWS rejects it: Invalid repository policy provided", st.Path, elem),
			Path:      st.Path + "." + elem,
			Statement: st.Index,
		})
	}
	return out
}
