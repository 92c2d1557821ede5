package diagnose

import "time"

// LifecyclePolicyOutput is `aws ecr get-lifecycle-policy --repository-name
// R`: the rules by which ECR expires the repository's images.
type LifecyclePolicyOutput struct {
	RegistryID          string   `json:"registryId,omitempty"`
	RepositoryName      string   `json:"repositoryName"`
	LifecyclePolicyText string   `json:"lifecyclePolicyText"`
	LastEvaluatedAt     *CLITime `json:"lastEvaluatedAt,omitempty"`
}

// TrailCalls are the calls of one API that CloudTrail holds in the source
// registry (lookup-events-<EventName>.json): BatchDeleteImage,
// PutReplicationConfiguration.
type TrailCalls struct {
	Events []TrailCall `json:"-"` // decoded from the records, not the file's fields
}

// TrailCall is one call.
type TrailCall struct {
	EventID    string
	Time       time.Time
	Caller     string   // userIdentity.arn, else the event's user name
	Repository string   // requestParameters.repositoryName
	Images     []string // requestParameters.imageIds: tags, else digests
	// Rules are requestParameters.replicationConfiguration.rules, and
	// RulesKnown says the record held them (PutReplicationConfiguration).
	Rules      []ReplicationRule
	RulesKnown bool
	ErrorCode  string // "" when the call succeeded
	Source     Source
}
