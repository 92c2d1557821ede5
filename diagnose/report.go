package diagnose

import "encoding/json"

// FormatVersion is the version of the JSON report. Field names are an
// interface: ticket bots parse them.
const FormatVersion = "1"

// Verdict is the overall answer for a repository or one destination.
type Verdict string

const (
	Healthy Verdict = "healthy"
	Failing Verdict = "failing"
	Unknown Verdict = "unknown"
)

// Severity orders findings.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding codes (names are an interface).
const (
	CodeReplicationNotConfigured    = "REPLICATION_NOT_CONFIGURED"
	CodeFilterDoesNotMatch          = "FILTER_DOES_NOT_MATCH"
	CodeDestinationIsSource         = "DESTINATION_IS_SOURCE"
	CodeRegistryPolicyMissing       = "REGISTRY_POLICY_MISSING"
	CodeGrantInRepositoryPolicy     = "GRANT_IN_REPOSITORY_POLICY"
	CodeRegistryPolicyInOtherRegion = "REGISTRY_POLICY_IN_OTHER_REGION"
	CodePrincipalMismatch           = "PRINCIPAL_MISMATCH"
	CodeResourceMismatch            = "RESOURCE_MISMATCH"
	CodeActionNotGranted            = "ACTION_NOT_GRANTED"
	CodeCreateRepositoryNotAllowed  = "CREATE_REPOSITORY_NOT_ALLOWED"
	CodeExplicitDeny                = "EXPLICIT_DENY"
	CodeConditionNotSatisfied       = "CONDITION_NOT_SATISFIED"
	CodeDestinationUnreadable       = "DESTINATION_UNREADABLE"
	CodeReplicateImageDenied        = "REPLICATE_IMAGE_DENIED"
	CodeStaleFailures               = "STALE_FAILURES"
)

// Report is the one result every renderer draws from.
type Report struct {
	FormatVersion string              `json:"format_version"`
	Repository    string              `json:"repository"`
	Source        Location            `json:"source"`
	Verdict       Verdict             `json:"verdict"`
	Destinations  []DestinationReport `json:"destinations"`
	Findings      []Finding           `json:"findings"`
	Events        EventSummary        `json:"events"`
	Warnings      []string            `json:"warnings"`
	// APICalls counts live AWS calls per service; absent for snapshots.
	APICalls map[string]int `json:"api_calls,omitempty"`
}

// DestinationReport is the verdict for one replication destination.
type DestinationReport struct {
	Account      string  `json:"account"`
	Region       string  `json:"region"`
	CrossAccount bool    `json:"cross_account"`
	Verdict      Verdict `json:"verdict"`
	// Note says why a destination without findings is judged healthy.
	Note string `json:"note,omitempty"`
}

// Location returns the destination's registry location.
func (d DestinationReport) Location() Location { return Location{Account: d.Account, Region: d.Region} }

// Finding is one diagnosed cause, with its evidence and fix.
type Finding struct {
	Code        string     `json:"code"`
	Severity    Severity   `json:"severity"`
	Destination *Location  `json:"destination"` // null for source-level findings
	Summary     string     `json:"summary"`
	Detail      string     `json:"detail"`
	Evidence    []Evidence `json:"evidence"`
	Fix         *Fix       `json:"fix,omitempty"`
}

// Evidence kinds.
const (
	EvidenceCloudTrailEvent          = "cloudtrail_event"
	EvidenceRegistryPolicy           = "registry_policy"
	EvidenceRepositoryPolicy         = "repository_policy"
	EvidenceReplicationConfiguration = "replication_configuration"
	EvidenceReplicationStatus        = "replication_status"
	EvidenceRepository               = "repository"
	EvidenceAPIError                 = "api_error"
)

// Evidence is one decisive excerpt and where it came from.
type Evidence struct {
	Kind   string `json:"kind"`
	Source Source `json:"source"`
	Text   string `json:"text"`
	Time   string `json:"time,omitempty"` // RFC 3339
}

// Fix is the change that resolves a finding.
type Fix struct {
	// RegistryPolicy is the complete registry policy to put in the
	// destination: existing statements kept, the grant added.
	RegistryPolicy json.RawMessage `json:"registry_policy,omitempty"`
	AWSCLI         string          `json:"aws_cli,omitempty"`
	Terraform      string          `json:"terraform,omitempty"`
	// Backfill holds the aws ecr start-replication-backfill commands
	// (one a line) that re-drive images already pushed, to run with the
	// source credentials after the rest of the fix.
	Backfill string   `json:"backfill,omitempty"`
	Steps    []string `json:"steps"`
	// Verified is true when the evaluator confirmed that RegistryPolicy
	// allows every request that failed.
	Verified bool `json:"verified"`
}

// EventSummary says how much CloudTrail evidence was read.
type EventSummary struct {
	// Collected is false when no CloudTrail source was read at all: then
	// "no events" means unknown, not "none happened".
	Collected bool `json:"collected"`
	// From names the engine that answered (S3, Athena, CloudTrail Lake)
	// when it was neither LookupEvents nor the snapshot's files.
	From    string `json:"from,omitempty"`
	Scanned int    `json:"scanned"`
	Matched int    `json:"matched"`
	First   string `json:"first,omitempty"`
	Last    string `json:"last,omitempty"`
}

// HasErrors reports whether any finding has severity error (exit code 1).
func (r *Report) HasErrors() bool {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
