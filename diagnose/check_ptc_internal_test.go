package diagnose

import (
	"strings"
	"testing"
)

// TestPullThroughCacheUpstream: only an ECR-to-ECR rule whose upstream is
// the source registry itself, and whose upstream prefix covers the
// repository, is the source's cache; the name it caches under follows the
// rule's prefixes (ROOT is every name).
func TestPullThroughCacheUpstream(t *testing.T) {
	src := Location{Account: "111111111111", Region: "ap-northeast-1"}
	host := "111111111111.dkr.ecr.ap-northeast-1.amazonaws.com"
	cases := []struct {
		name string
		rule PullThroughCacheRule
		repo string
		want string // the cache name, "" for no finding
	}{
		{"root upstream", PullThroughCacheRule{EcrRepositoryPrefix: "shared", UpstreamRegistryURL: host, UpstreamRegistry: "ecr", UpstreamRepositoryPrefix: "ROOT"}, "my-repo", "shared/my-repo"},
		{"no upstream prefix, slash", PullThroughCacheRule{EcrRepositoryPrefix: "shared/", UpstreamRegistryURL: host}, "team/app", "shared/team/app"},
		{"upstream prefix covers", PullThroughCacheRule{EcrRepositoryPrefix: "cache", UpstreamRegistryURL: host, UpstreamRepositoryPrefix: "team"}, "team/app", "cache/app"},
		{"upstream prefix is a namespace", PullThroughCacheRule{EcrRepositoryPrefix: "cache", UpstreamRegistryURL: host, UpstreamRepositoryPrefix: "team"}, "team-app", ""},
		{"other region of the source account", PullThroughCacheRule{EcrRepositoryPrefix: "shared", UpstreamRegistryURL: "111111111111.dkr.ecr.us-east-1.amazonaws.com"}, "my-repo", ""},
		{"other account", PullThroughCacheRule{EcrRepositoryPrefix: "shared", UpstreamRegistryURL: "333333333333.dkr.ecr.ap-northeast-1.amazonaws.com"}, "my-repo", ""},
		{"ECR Public", PullThroughCacheRule{EcrRepositoryPrefix: "ecr-public", UpstreamRegistryURL: "public.ecr.aws", UpstreamRegistry: "ecr-public"}, "my-repo", ""},
		{"a look-alike host", PullThroughCacheRule{EcrRepositoryPrefix: "x", UpstreamRegistryURL: host + ".example.com"}, "my-repo", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &destination{path: pathDenied, DestinationFacts: &DestinationFacts{Repository: tc.repo, Source: src,
				Destination:      Location{Account: "222222222222", Region: "ap-northeast-1"},
				PullThroughCache: &PullThroughCacheFact{Rules: []PullThroughCacheRule{tc.rule}}}}
			f := pullThroughCacheNotReplication(d)
			switch {
			case tc.want == "" && f != nil:
				t.Errorf("finding for a rule that does not cache %s from the source: %s", tc.repo, f.Summary)
			case tc.want != "" && f == nil:
				t.Errorf("no finding, want the cache %s", tc.want)
			case tc.want != "" && !strings.Contains(f.Summary, "cached as "+tc.want+")"):
				t.Errorf("summary %q does not name the cache %s", f.Summary, tc.want)
			}
		})
	}
	// Where replication is allowed, the cache is no explanation.
	d := &destination{path: pathAllowed, DestinationFacts: &DestinationFacts{Repository: "my-repo", Source: src, Destination: Location{Account: "222222222222", Region: "ap-northeast-1"},
		PullThroughCache: &PullThroughCacheFact{Rules: []PullThroughCacheRule{cases[0].rule}}}}
	if f := pullThroughCacheNotReplication(d); f != nil {
		t.Errorf("finding while replication is allowed: %s", f.Summary)
	}
}
