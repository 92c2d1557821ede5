package diagnose

import (
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// Facts is what the checks know about the replication of one repository,
// whatever it was read from: a snapshot (FactsFromSnapshot), and later a
// Terraform configuration or one pair of a registry scan. Diagnose turns it
// into a Report. Checks only read it.
type Facts struct {
	Repository string
	Source     Location
	// Rules are the source registry's replication rules.
	Rules RulesFact
	// Destinations are the registries the rules send the repository to
	// (inferred from evidence when Rules is unknown), in rule order.
	Destinations []DestinationFacts
	// Events says how much CloudTrail evidence was read.
	Events EventSummary
	// Warnings are reads that failed or input that was skipped, worded
	// "{what}: {why}"; Diagnose adds its own.
	Warnings []string
	// APICalls counts live AWS calls per service (nil otherwise).
	APICalls map[string]int
}

// RulesFact is the source registry's replication configuration.
type RulesFact struct {
	// Known is false when it could not be read; Why says why.
	Known bool
	Why   string
	// Source names where it was read, for evidence.
	Source Source
	Rules  []ReplicationRule
}

// Tri is a fact that may be unknown.
type Tri int

const (
	TriUnknown Tri = iota
	TriYes
	TriNo
)

// PolicyState says whether a policy is known, and whether it exists.
type PolicyState int

const (
	PolicyUnknown PolicyState = iota // not read, or the read failed
	PolicyAbsent                     // known not to exist (RegistryPolicyNotFoundException)
	PolicyPresent
)

// PolicyFact is one policy document as the checks see it.
type PolicyFact struct {
	State PolicyState
	// Text is the document as its author wrote it (PolicyPresent).
	Text string
	// Source names where it was read: a file, an API call, a Terraform
	// address.
	Source Source
	// Err is the error text of a read that failed (PolicyUnknown) or that
	// said the policy does not exist (PolicyAbsent); "" otherwise.
	Err string
	// Why says why an unknown policy is unknown ("not collected", Err).
	Why string
}

// RegionPolicy is a registry policy of the destination account in another
// region than the destination's.
type RegionPolicy struct {
	Region string
	Policy PolicyFact
}

// ImageStatus is one replication status of one image of the repository.
type ImageStatus struct {
	Image  string // tag or digest
	Source Source
	Status ImageReplicationStatus
}

// DestinationFacts is what is known about one destination of the
// repository. Only Destination, Source and Repository are required; an
// empty field means "nothing known" (no events, policy unknown).
type DestinationFacts struct {
	Repository  string
	Source      Location
	Destination Location
	// Prefixes are the filter prefixes of the rules that replicate to this
	// destination ("" for a rule without filters): the fix's grant is
	// scoped to them.
	Prefixes []string
	// RulesSource names where the rule that names this destination was
	// read, for evidence.
	RulesSource Source
	// DeleteReplicationRules name the rules ("rules[0]") that send the
	// repository here and replicate deletions too.
	DeleteReplicationRules []string
	// Backfill is the newest replication backfill to this destination
	// (nil when there is none, or the backfills were not read).
	Backfill *BackfillFact
	// TagMutability is the destination repository's imageTagMutability;
	// SourceTagMutability the source repository's ("" when unknown).
	TagMutability, SourceTagMutability string
	// Images are the source images' replication here with their push
	// times (nil when no replication status was read).
	Images *ImagesFact
	// Templates are the destination's repository creation templates (nil
	// when not read).
	Templates *TemplatesFact
	// PullThroughCache are the destination's pull-through-cache rules (nil
	// when not read: capture reads them only where replication looks
	// denied).
	PullThroughCache *PullThroughCacheFact
	// RegionOptIn are the source's and the destination account's opt-in
	// status of the destination's region, where read (opt-in regions only).
	RegionOptIn []RegionOptIn
	// SourceDeletions is what removes images from the source repository,
	// where deletions are replicated here and it was read (else nil).
	SourceDeletions *DeletionsFact
	// KeyPolicy is the policy of the KMS key of the creation template
	// replication applies here, where it was read (else nil).
	KeyPolicy *KeyPolicyFact
	// IndexChildren are the children of the source's image indexes that
	// replicated here, with their own status here (where read).
	IndexChildren []IndexChildStatus

	RegistryPolicy PolicyFact
	// Credentials, when set, are the destination account's credentials the
	// user gave that did not work: the reason its policies are unknown.
	Credentials *CredentialFailure
	// Scope is the destination's REGISTRY_POLICY_SCOPE (V1, V2), "" when
	// unknown.
	Scope string
	// RepositoryPolicy is the destination repository's own policy.
	RepositoryPolicy PolicyFact
	// RepositoryExists tells whether the destination repository exists;
	// RepositoriesSource names where that was read.
	RepositoryExists   Tri
	RepositoriesSource Source
	// OtherRegions are the destination account's registry policies in
	// other regions, sorted by region.
	OtherRegions []RegionPolicy

	// Denied are the replication calls to this destination that ECR
	// denied, newest first; Succeeded those that succeeded.
	Denied    []trail.Event
	Succeeded []trail.Event
	// NewestFailedOtherwise is true when the newest call failed for a
	// reason that is no ECR access denial (a KMS key, a quota), which the
	// checks do not judge.
	NewestFailedOtherwise bool
	// Failed are the FAILED replication statuses; Completed the images
	// whose replication here is COMPLETE.
	Failed    []ImageStatus
	Completed []string

	// Warnings are about this destination's facts ("{what}: {why}"); the
	// report lists them in destination order.
	Warnings []string
}

// CrossAccount reports whether the destination is in another account.
func (d *DestinationFacts) CrossAccount() bool { return d.Destination.Account != d.Source.Account }
