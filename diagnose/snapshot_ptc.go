package diagnose

// DescribePullThroughCacheRulesOutput is `aws ecr
// describe-pull-through-cache-rules` in a destination registry: the
// upstream registries it caches images from when they are pulled there.
type DescribePullThroughCacheRulesOutput struct {
	Rules     []PullThroughCacheRule `json:"pullThroughCacheRules"`
	NextToken string                 `json:"nextToken,omitempty"`
}

// PullThroughCacheRule is one rule: repositories under EcrRepositoryPrefix
// are filled, on pull, from UpstreamRegistryURL (for an ECR upstream,
// <account>.dkr.ecr.<region>.amazonaws.com).
type PullThroughCacheRule struct {
	EcrRepositoryPrefix      string   `json:"ecrRepositoryPrefix"`
	UpstreamRegistryURL      string   `json:"upstreamRegistryUrl"`
	UpstreamRegistry         string   `json:"upstreamRegistry,omitempty"`
	UpstreamRepositoryPrefix string   `json:"upstreamRepositoryPrefix,omitempty"`
	RegistryID               string   `json:"registryId,omitempty"`
	CredentialArn            string   `json:"credentialArn,omitempty"`
	CustomRoleArn            string   `json:"customRoleArn,omitempty"`
	CreatedAt                *CLITime `json:"createdAt,omitempty"`
	UpdatedAt                *CLITime `json:"updatedAt,omitempty"`
}
