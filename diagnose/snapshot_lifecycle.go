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

// DeleteEvents are the BatchDeleteImage calls CloudTrail holds for the
// source repository (lookup-events-BatchDeleteImage.json), newest first.
type DeleteEvents struct {
	Events []DeleteEvent `json:"-"` // decoded from the records, not the file's fields
}

// DeleteEvent is one BatchDeleteImage call.
type DeleteEvent struct {
	EventID    string
	Time       time.Time
	Caller     string   // userIdentity.arn, else the event's user name
	Repository string   // requestParameters.repositoryName
	Images     []string // requestParameters.imageIds: tags, else digests
	ErrorCode  string   // "" when the call succeeded
	Source     Source
}
