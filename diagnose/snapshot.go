// Package diagnose holds the model every part of ecrdoctor shares (Snapshot,
// Finding, Report) and the checks that turn a snapshot into a diagnosis.
package diagnose

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// Location is one registry: an account in a region.
type Location = awsid.Location

// Snapshot is everything ecrdoctor knows about the source registry, its
// destinations and the CloudTrail evidence, whether read live from AWS or from
// a snapshot folder. It is the only input of Analyze.
type Snapshot struct {
	Source     Location
	Repository string
	// CapturedAt is "now" for every time judgement.
	CapturedAt time.Time
	// Registries holds what was collected per (account, region). A location
	// absent from the map was not collected at all.
	Registries map[Location]*Registry
	// Events are the CloudTrail records found for replication.
	Events []trail.Event
	// EventsScanned says how much CloudTrail data was read (zero when none).
	EventsScanned trail.Scanned
	// EventsCollected is false when no CloudTrail source was read at all,
	// so "no events" means "unknown", not "none happened".
	EventsCollected bool
	// EventsFrom names the engine the events came from when it was not
	// LookupEvents or the snapshot's files ("Athena table security.trail");
	// "" otherwise.
	EventsFrom string
	// Warnings are reads that failed or input that was skipped, worded
	// "{what}: {why}".
	Warnings []string
	// APICalls counts live AWS calls per service (nil for a snapshot folder).
	APICalls map[string]int
	// CredentialFailures are the destination accounts whose credentials,
	// given for a live run (--dest-profile, --assume-role), did not work, by
	// account: what they were to read is unknown because of it.
	CredentialFailures map[string]CredentialFailure
}

// CredentialFailure is credentials given for an account that did not work.
type CredentialFailure struct {
	// Given names them as the user did: "--assume-role
	// arn:aws:iam::222222222222:role/EcrdoctorRead", "--dest-profile
	// 222222222222=prod".
	Given string
	// Reason is why they did not work: AWS's refusal, or the account they
	// belong to instead.
	Reason string
}

// Registry returns the collected registry at loc, or nil.
func (s *Snapshot) Registry(loc Location) *Registry {
	if s == nil || s.Registries == nil {
		return nil
	}
	return s.Registries[loc]
}

// ReadState tells whether a read was made and how it ended. "Not collected"
// (unknown) is not the same as "not found" (an AWS error saying so).
type ReadState int

const (
	NotCollected ReadState = iota // no data: we do not know
	Collected                     // the call succeeded; Value holds its output
	Failed                        // the call returned an AWS error; Err holds it
)

// APIError is an AWS error as the CLI stores it in <name>.error.json:
// {"Error":{"Code":"RegistryPolicyNotFoundException","Message":"..."}}.
type APIError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// IsAccessDenied reports whether the error is an authorization failure.
func (e *APIError) IsAccessDenied() bool {
	if e == nil {
		return false
	}
	switch e.Code {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnrecognizedClientException", "ExpiredTokenException", "InvalidClientTokenId":
		return true
	}
	return false
}

// Read is the outcome of one AWS read.
type Read[T any] struct {
	State ReadState
	Value T
	Err   *APIError
	// Source names where it came from: a file or an API call.
	Source Source
}

// OK reports whether the read succeeded.
func (r Read[T]) OK() bool { return r.State == Collected }

// ErrCode returns the AWS error code of a failed read, or "".
func (r Read[T]) ErrCode() string {
	if r.State != Failed || r.Err == nil {
		return ""
	}
	return r.Err.Code
}

// Registry is what was read from one (account, region).
type Registry struct {
	Location Location
	// DescribeRegistry is `aws ecr describe-registry`.
	DescribeRegistry Read[DescribeRegistryOutput]
	// RegistryPolicy is `aws ecr get-registry-policy`.
	RegistryPolicy Read[PolicyOutput]
	// Repositories is `aws ecr describe-repositories`.
	Repositories Read[DescribeRepositoriesOutput]
	// RepositoryPolicies is `aws ecr get-repository-policy`, by repository name.
	RepositoryPolicies map[string]Read[PolicyOutput]
	// PolicyScope is `aws ecr get-account-setting --name REGISTRY_POLICY_SCOPE`.
	PolicyScope Read[AccountSettingOutput]
	// ReplicationStatus is `aws ecr describe-image-replication-status`, by
	// repository name, then by tag or digest.
	ReplicationStatus map[string]map[string]Read[ReplicationStatusOutput]
	// Backfills is `aws ecr list-replication-backfills` (source registry).
	Backfills Read[ListReplicationBackfillsOutput]
	// BackfillResults is `aws ecr describe-replication-backfill-results
	// --result-status-filter FAILED`, by backfill id.
	BackfillResults map[string]Read[DescribeReplicationBackfillResultsOutput]
	// Images is `aws ecr describe-images`, by repository name.
	Images map[string]Read[DescribeImagesOutput]
	// Templates is `aws ecr describe-repository-creation-templates`.
	Templates Read[DescribeRepositoryCreationTemplatesOutput]
	// PullThroughCache is `aws ecr describe-pull-through-cache-rules`
	// (destination registry, read only when replication there looks denied).
	PullThroughCache Read[DescribePullThroughCacheRulesOutput]
	// RegionOptStatus is `aws account get-region-opt-status --region-name
	// <this region>` with this account's credentials (opt-in regions only).
	RegionOptStatus Read[RegionOptStatusOutput]
	// LifecyclePolicies is `aws ecr get-lifecycle-policy`, by repository
	// name (source registry, read only where deletions are replicated).
	LifecyclePolicies map[string]Read[LifecyclePolicyOutput]
	// Deletes are the BatchDeleteImage calls of the snapshot's repository
	// in CloudTrail (source registry, read where deletions are replicated).
	Deletes Read[TrailCalls]
	// RulePuts are the PutReplicationConfiguration calls in CloudTrail
	// (source registry, read where an image was never attempted).
	RulePuts Read[TrailCalls]
	// KeyPolicies is `aws kms get-key-policy --policy-name default`, by key
	// id (destination registry: the key of a KMS creation template).
	KeyPolicies map[string]Read[KeyPolicyOutput]
	// IndexManifests is `aws ecr batch-get-image` of the source's image
	// indexes, and IndexChildren the replication status of their children,
	// by repository name, then by tag or digest (source registry).
	IndexManifests map[string]map[string]Read[BatchGetImageOutput]
	IndexChildren  map[string]map[string]Read[ReplicationStatusOutput]
}

// NewRegistry returns an empty registry record for loc.
func NewRegistry(loc Location) *Registry {
	return &Registry{
		Location:           loc,
		RepositoryPolicies: map[string]Read[PolicyOutput]{},
		LifecyclePolicies:  map[string]Read[LifecyclePolicyOutput]{},
		KeyPolicies:        map[string]Read[KeyPolicyOutput]{},
		IndexManifests:     map[string]map[string]Read[BatchGetImageOutput]{},
		IndexChildren:      map[string]map[string]Read[ReplicationStatusOutput]{},
		ReplicationStatus:  map[string]map[string]Read[ReplicationStatusOutput]{},
		BackfillResults:    map[string]Read[DescribeReplicationBackfillResultsOutput]{},
		Images:             map[string]Read[DescribeImagesOutput]{},
	}
}

// The types below mirror what the AWS CLI prints with --output json, field
// for field, so a snapshot folder round-trips through them.

// DescribeRegistryOutput is the output of `aws ecr describe-registry`.
type DescribeRegistryOutput struct {
	RegistryID               string                    `json:"registryId"`
	ReplicationConfiguration *ReplicationConfiguration `json:"replicationConfiguration,omitempty"`
}

// ReplicationConfiguration is the source registry's replication setup.
type ReplicationConfiguration struct {
	Rules []ReplicationRule `json:"rules"`
}

// ReplicationRule is one rule: where to replicate, and which repositories.
type ReplicationRule struct {
	Destinations      []ReplicationDestination `json:"destinations"`
	RepositoryFilters []RepositoryFilter       `json:"repositoryFilters,omitempty"`
	// DeleteReplication is the rule's delete replication setting (ECR,
	// 2026-11): when enabled, deletions and tag removals in the source are
	// replicated too. Absent means disabled.
	DeleteReplication *DeleteReplication `json:"deleteReplication,omitempty"`
}

// DeleteReplication is a rule's deleteReplication object.
type DeleteReplication struct {
	Enabled bool `json:"enabled"`
}

// ReplicationDestination is a destination registry.
type ReplicationDestination struct {
	Region     string `json:"region"`
	RegistryID string `json:"registryId"`
}

// RepositoryFilter limits a rule to repositories whose names start with Filter.
type RepositoryFilter = awsid.RepositoryFilter

// PolicyOutput is the output of get-registry-policy and get-repository-policy.
type PolicyOutput struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName,omitempty"`
	PolicyText     string `json:"policyText"`
}

// DescribeRepositoriesOutput is the output of `aws ecr describe-repositories`.
type DescribeRepositoriesOutput struct {
	Repositories []Repository `json:"repositories"`
	// NextToken is set when the output is one page of several: then a
	// repository missing from it may be on another page.
	NextToken string `json:"nextToken,omitempty"`
}

// Repository is one ECR repository.
type Repository struct {
	RepositoryArn              string                      `json:"repositoryArn"`
	RegistryID                 string                      `json:"registryId"`
	RepositoryName             string                      `json:"repositoryName"`
	RepositoryURI              string                      `json:"repositoryUri,omitempty"`
	CreatedAt                  *CLITime                    `json:"createdAt,omitempty"`
	ImageTagMutability         string                      `json:"imageTagMutability,omitempty"`
	ImageScanningConfiguration *ImageScanningConfiguration `json:"imageScanningConfiguration,omitempty"`
	EncryptionConfiguration    *EncryptionConfiguration    `json:"encryptionConfiguration,omitempty"`
}

// ImageScanningConfiguration is a repository's scan-on-push setting.
type ImageScanningConfiguration struct {
	ScanOnPush bool `json:"scanOnPush"`
}

// EncryptionConfiguration is a repository's encryption at rest.
type EncryptionConfiguration struct {
	EncryptionType string `json:"encryptionType"`
	KmsKey         string `json:"kmsKey,omitempty"`
}

// AccountSettingOutput is the output of `aws ecr get-account-setting`.
type AccountSettingOutput struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ReplicationStatusOutput is the output of describe-image-replication-status.
type ReplicationStatusOutput struct {
	RepositoryName      string                   `json:"repositoryName"`
	ImageID             ImageID                  `json:"imageId"`
	ReplicationStatuses []ImageReplicationStatus `json:"replicationStatuses"`
}

// ImageID names an image by digest and/or tag.
type ImageID struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

// ImageReplicationStatus is the replication state of an image in one destination.
type ImageReplicationStatus struct {
	Region      string `json:"region"`
	RegistryID  string `json:"registryId"`
	Status      string `json:"status"`
	FailureCode string `json:"failureCode,omitempty"`
}

// CLITime is a timestamp as the AWS CLI prints it: epoch seconds (CLI v1,
// possibly fractional) or ISO 8601 (CLI v2). It marshals as RFC 3339.
type CLITime struct{ time.Time }

// UnmarshalJSON accepts a JSON number of epoch seconds or an ISO 8601 string.
func (t *CLITime) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999-07:00", "2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05"} {
			if v, err := time.Parse(layout, str); err == nil {
				t.Time = v.UTC()
				return nil
			}
		}
		// The CLI may also print epoch seconds as a string.
		if f, err := strconv.ParseFloat(str, 64); err == nil {
			t.Time = epoch(f)
			return nil
		}
		return fmt.Errorf("time %q is neither ISO 8601 nor epoch seconds", str)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("time %s is neither ISO 8601 nor epoch seconds", s)
	}
	t.Time = epoch(f)
	return nil
}

// MarshalJSON writes RFC 3339 (what AWS CLI v2 prints).
func (t CLITime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.Time.UTC().Format(time.RFC3339Nano))
}

func epoch(f float64) time.Time {
	sec := int64(f)
	nsec := int64((f - float64(sec)) * 1e9)
	return time.Unix(sec, nsec).UTC()
}
