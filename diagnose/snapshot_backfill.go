package diagnose

// The replication backfill reads (ECR, 2026-10): what the AWS CLI prints for
// list-replication-backfills and describe-replication-backfill-results.

// ListReplicationBackfillsOutput is `aws ecr list-replication-backfills`.
type ListReplicationBackfillsOutput struct {
	RegistryID string                       `json:"registryId,omitempty"`
	Backfills  []ReplicationBackfillSummary `json:"backfills"`
	// NextToken is set when the output is one page of several.
	NextToken string `json:"nextToken,omitempty"`
}

// ReplicationBackfillSummary is one backfill of the source registry.
type ReplicationBackfillSummary struct {
	ReplicationBackfillID string                       `json:"replicationBackfillId"`
	Destination           ReplicationDestination       `json:"destination"`
	Status                string                       `json:"status"`
	FailureCode           string                       `json:"failureCode,omitempty"`
	Progress              *ReplicationBackfillProgress `json:"progress,omitempty"`
	StartedAt             *CLITime                     `json:"startedAt,omitempty"`
	EndedAt               *CLITime                     `json:"endedAt,omitempty"`
}

// ReplicationBackfillProgress counts a backfill's replications (one per
// image and tag). It is absent while the backfill is PREPARING.
type ReplicationBackfillProgress struct {
	TotalReplicationCount     int      `json:"totalReplicationCount"`
	CompletedReplicationCount int      `json:"completedReplicationCount"`
	FailedReplicationCount    int      `json:"failedReplicationCount"`
	FailureCodes              []string `json:"failureCodes"`
}

// DescribeReplicationBackfillResultsOutput is `aws ecr
// describe-replication-backfill-results --replication-backfill-id ID
// --result-status-filter FAILED`: the backfill and its failed images.
type DescribeReplicationBackfillResultsOutput struct {
	RegistryID            string                       `json:"registryId,omitempty"`
	ReplicationBackfillID string                       `json:"replicationBackfillId"`
	Destination           ReplicationDestination       `json:"destination"`
	Status                string                       `json:"status"`
	FailureCode           string                       `json:"failureCode,omitempty"`
	Progress              *ReplicationBackfillProgress `json:"progress,omitempty"`
	Results               []ReplicationBackfillResult  `json:"results"`
	StartedAt             *CLITime                     `json:"startedAt,omitempty"`
	EndedAt               *CLITime                     `json:"endedAt,omitempty"`
	NextToken             string                       `json:"nextToken,omitempty"`
}

// ReplicationBackfillResult is one image's outcome in a backfill.
type ReplicationBackfillResult struct {
	RepositoryName string  `json:"repositoryName"`
	ImageID        ImageID `json:"imageId"`
	Status         string  `json:"status"`
	FailureCode    string  `json:"failureCode,omitempty"`
	// SubImageFailureCodes are the distinct failure codes of the images an
	// image index references (present only for an index).
	SubImageFailureCodes []string `json:"subImageFailureCodes,omitempty"`
}

// Location returns the backfill's destination registry.
func (b ReplicationBackfillSummary) Location() Location {
	return Location{Account: b.Destination.RegistryID, Region: b.Destination.Region}
}
