package diagnose

import (
	"fmt"
	"regexp"
	"strings"
)

// CodePullThroughCacheNotReplication: the destination caches the
// repository from the source through an ECR-to-ECR pull-through-cache rule,
// a different mechanism with its grants the other way round (failure-mode
// note FM-20, §10.3).
const CodePullThroughCacheNotReplication = "PULL_THROUGH_CACHE_NOT_REPLICATION"

const docPullThroughCacheECR = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-private.html"

// EvidencePullThroughCache is a pull-through-cache rule.
const EvidencePullThroughCache = "pull_through_cache_rule"

// PullThroughCacheFact is the destination's pull-through-cache rules.
type PullThroughCacheFact struct {
	Source Source
	Rules  []PullThroughCacheRule
}

// ecrRegistryHost is an ECR private registry's host name, the
// upstreamRegistryUrl of an ECR-to-ECR rule.
var ecrRegistryHost = regexp.MustCompile(`^(?:https://)?([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/?$`)

// cachedAs is the name under which rule caches the upstream repository
// repo ("" when the rule does not cover it): the rule's prefix, then the
// name below the upstream prefix (ROOT, the default, is every name).
func cachedAs(rule PullThroughCacheRule, repo string) string {
	rest := repo
	if up := strings.TrimSuffix(rule.UpstreamRepositoryPrefix, "/"); up != "" && up != "ROOT" {
		var ok bool
		if rest, ok = strings.CutPrefix(repo, up+"/"); !ok {
			return ""
		}
	}
	prefix := strings.TrimSuffix(rule.EcrRepositoryPrefix, "/")
	if prefix == "ROOT" {
		return rest
	}
	return prefix + "/" + rest
}

// pullThroughCacheNotReplication: replication into the destination is
// denied, and a pull-through-cache rule there has the source registry as
// its upstream and covers the repository. A cache is filled when someone pulls from it, with the
// destination's role and a grant in the source's registry or repository
// policy; replication pushes every new image, as the source's replication
// role, and only the destination's registry policy can allow it.
func pullThroughCacheNotReplication(d *destination) *Finding {
	if d.PullThroughCache == nil || d.path != pathDenied {
		return nil // where replication is allowed, a cache beside it changes nothing
	}
	var rule *PullThroughCacheRule
	cache := ""
	for i := range d.PullThroughCache.Rules {
		r := &d.PullThroughCache.Rules[i]
		m := ecrRegistryHost.FindStringSubmatch(r.UpstreamRegistryURL)
		if m == nil || m[1] != d.Source.Account || m[2] != d.Source.Region || r.UpstreamRegistry != "" && r.UpstreamRegistry != "ecr" {
			continue
		}
		if name := cachedAs(*r, d.Repository); name != "" {
			rule, cache = r, name
			break
		}
	}
	if rule == nil {
		return nil
	}
	role := "the role the rule names (customRoleArn)"
	if rule.CustomRoleArn != "" {
		role = rule.CustomRoleArn
	}
	host := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", d.Destination.Account, d.Destination.Region)
	return &Finding{
		Summary: fmt.Sprintf("%s also pulls %s from the source through its pull-through cache rule %q (cached as %s): that is not replication, and its grants do nothing for replication.",
			d.Destination, d.Repository, rule.EcrRepositoryPrefix, cache),
		Detail: fmt.Sprintf("An ECR-to-ECR pull-through cache copies an image into %s only when someone pulls it from %s/%s, as %s, and the upstream owner (the source, %s) grants the destination account in its registry policy or in the repository's own policy: "+
			"for a pull-through cache a repository policy is the right place. Replication works the other way round: the source's AWSServiceRoleForECRReplication pushes every new image into %s in %s, "+
			"and only the destination's registry policy can allow that (ecr:ReplicateImage); no repository policy is read for it. The two can be used together, but a grant made for one does nothing for the other.",
			cache, host, cache, role, d.Source, d.Repository, d.Destination),
		Evidence: []Evidence{{Kind: EvidencePullThroughCache, Source: d.PullThroughCache.Source,
			Text: fmt.Sprintf("ecrRepositoryPrefix %q: upstreamRegistryUrl %q, upstreamRepositoryPrefix %q, customRoleArn %q", rule.EcrRepositoryPrefix, rule.UpstreamRegistryURL, rule.UpstreamRepositoryPrefix, rule.CustomRoleArn)}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Choose one. For the cache, pull %s/%s:TAG and remove %s from the replication rule. For replication (each push copied to %s without a pull), grant it in %s's registry policy as the root cause says.",
				host, cache, d.Destination, d.Repository, d.Destination),
		}},
	}
}
