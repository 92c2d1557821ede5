package diagnose

import (
	"fmt"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
)

// RegistryGrant is a destination's registry policy, parsed once, as a
// whole-registry capture asks it which repositories' own policies it must
// read: a repository policy only matters to the checks when the registry
// policy does not settle the replication of that repository (see
// placement: the misplaced-grant check looks at it only when the registry
// policy denies, or allows under a condition ecrdoctor cannot know).
type RegistryGrant struct {
	p *parsedPolicy
}

// ParseRegistryGrant parses a registry policy's text; an empty text is a
// registry without a policy, which allows nothing.
func ParseRegistryGrant(text string) (*RegistryGrant, error) {
	if text == "" {
		return &RegistryGrant{}, nil
	}
	doc, err := policy.Parse([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("policyText is not a valid policy: %w", err)
	}
	return &RegistryGrant{p: &parsedPolicy{text: text, doc: doc}}, nil
}

// Settles reports whether the policy allows the replication role of
// sourceAccount to replicate repo into dst, with no condition on a key the
// request may or may not carry: the same request and the same reading of
// absent keys as the checks (derive), so a repository it settles is one
// whose own policy no check reads.
func (g *RegistryGrant) Settles(sourceAccount string, dst Location, repo string) bool {
	if g == nil || g.p == nil {
		return false
	}
	df := &DestinationFacts{Source: Location{Account: sourceAccount}, Destination: dst, Repository: repo}
	d := &destination{DestinationFacts: df, arn: awsid.RepositoryARN(dst, repo)}
	res := d.evaluate(g.p, d.request(actionReplicate))
	return res.Decision == policy.DecisionAllow && len(uncertainKeys(res)) == 0
}

// ScopeMatters reports whether the destination's REGISTRY_POLICY_SCOPE can
// change what the checks of this policy (and of the fix built on it) find
// (policy.ScopeMatters): the ScopeMatters of its text, without parsing it
// again. An empty text says nothing, so the scope is worth reading.
func (g *RegistryGrant) ScopeMatters() bool {
	return g.p == nil || policy.ScopeMatters(g.p.doc)
}
