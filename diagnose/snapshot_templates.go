package diagnose

// DescribeRepositoryCreationTemplatesOutput is `aws ecr
// describe-repository-creation-templates` in a destination registry: the
// settings ECR gives the repositories it creates there (replication among
// them, when a template's appliedFor names REPLICATION).
type DescribeRepositoryCreationTemplatesOutput struct {
	RegistryID string                       `json:"registryId,omitempty"`
	Templates  []RepositoryCreationTemplate `json:"repositoryCreationTemplates"`
	NextToken  string                       `json:"nextToken,omitempty"`
}

// RepositoryCreationTemplate is one template.
type RepositoryCreationTemplate struct {
	Prefix                             string                         `json:"prefix"`
	Description                        string                         `json:"description,omitempty"`
	EncryptionConfiguration            *EncryptionConfiguration       `json:"encryptionConfiguration,omitempty"`
	ResourceTags                       []ResourceTag                  `json:"resourceTags,omitempty"`
	ImageTagMutability                 string                         `json:"imageTagMutability,omitempty"`
	ImageTagMutabilityExclusionFilters []TagMutabilityExclusionFilter `json:"imageTagMutabilityExclusionFilters,omitempty"`
	RepositoryPolicy                   string                         `json:"repositoryPolicy,omitempty"`
	LifecyclePolicy                    string                         `json:"lifecyclePolicy,omitempty"`
	AppliedFor                         []string                       `json:"appliedFor,omitempty"`
	CustomRoleArn                      string                         `json:"customRoleArn,omitempty"`
	CreatedAt                          *CLITime                       `json:"createdAt,omitempty"`
	UpdatedAt                          *CLITime                       `json:"updatedAt,omitempty"`
}

// ResourceTag is a tag a template puts on the repositories it creates.
type ResourceTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// TagMutabilityExclusionFilter is a tag filter exempt from a template's
// tag mutability.
type TagMutabilityExclusionFilter struct {
	FilterType string `json:"filterType"`
	Filter     string `json:"filter"`
}
