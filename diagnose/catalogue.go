package diagnose

// CodeInfo describes one finding code: what every output says about it
// besides the finding's own summary and detail. The README's code table,
// the order of findings in a report and, later, SARIF rules and `lint` all
// read it from Catalogue.
type CodeInfo struct {
	Code string
	// Severity is the code's usual severity. A finding may be milder when
	// the evidence is incomplete (CONDITION_NOT_SATISFIED is a warning
	// while nothing has failed), never more severe.
	Severity Severity
	// Title is one line, as the README's code table prints it (Markdown).
	Title string
	// Help is a paragraph on the cause and the way out, for readers who
	// meet the code without a report around it (a SARIF rule, `lint`).
	Help string
	// Doc is the AWS documentation page that describes the cause.
	Doc string
	// Mode is the section of the failure-mode note behind the check
	// (shared/domain/ecr-replication-failure-modes.md), e.g. "FM-02".
	Mode string
}

// Rank is the code's place in root-cause order (0 first), or len(Catalogue)
// for a code that is not in it.
func (c CodeInfo) Rank() int { return codeRank(c.Code) }

const (
	docReplication       = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html"
	docReplicationPolicy = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions-create-replication.html"
	docRegistryPolicy    = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html"
	docReplicationStatus = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication-status.html"
	docRepositoryPolicy  = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html"
	docCloudTrail        = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html"
)

// Catalogue lists every finding code in root-cause order: problems of the
// source registry first, then, per destination, the specific explanation
// before the generic one it explains (GRANT_IN_REPOSITORY_POLICY before the
// REGISTRY_POLICY_MISSING it causes), then what evidence alone shows. Findings
// of a report are sorted by severity, then by this order; the first error is
// the root cause.
//
// Adding a code: add its entry here in root-cause order and its row to the
// README table (TestREADMECodeTable compares them), write the check that
// emits it (see checks.go), and add a fixture that shows it, and a pair of
// fixtures/organization that shows it to scan (see checks.go).
var Catalogue = []CodeInfo{
	{Code: CodeReplicationNotConfigured, Severity: SeverityError, Mode: "FM-10", Doc: docReplication,
		Title: "The source region has no replication rules.",
		Help: "Replication is configured per region on the source registry. describe-registry in the region images are pushed to returns no rules, so nothing is replicated. " +
			"Create the rules there (put-replication-configuration, Terraform aws_ecr_replication_configuration); several Terraform roots that each declare that resource overwrite one another."},
	{Code: CodeFilterDoesNotMatch, Severity: SeverityError, Mode: "FM-11", Doc: docReplication,
		Title: "Rules exist, but no filter prefix covers the repository (the nearest one is named).",
		Help: "Every replication rule has PREFIX_MATCH repository filters and none is a prefix of the repository name, so ECR never attempts to replicate it. " +
			"Filters are plain name prefixes without wildcards. Add the name (or a shorter prefix) to a rule's filters, then re-drive the images already pushed with a replication backfill (aws ecr start-replication-backfill)."},
	{Code: CodeDestinationIsSource, Severity: SeverityError, Mode: "FM-13", Doc: docReplication,
		Title: "A rule replicates the registry to itself.",
		Help: "A registry cannot replicate to itself: a destination with the source's own account and region replicates nothing. " +
			"The destination's registryId or region is probably wrong; correct it or remove that destination."},
	{Code: CodeReplicationTooManyDestinations, Severity: SeverityError, Mode: "FM-21", Doc: docReplication,
		Title: "The rules name more than 25 unique destinations (the quota AWS documents: `why` warns, `lint` reports the apply failure).",
		Help:  "ECR accepts at most 25 unique destinations across all rules of a registry (a quota that cannot be raised). Remove destinations or replicate in stages."},
	{Code: CodeCrossPartition, Severity: SeverityError, Mode: "FM-14", Doc: docReplication,
		Title: "A destination is in another AWS partition (aws-cn, aws-us-gov, ...): ECR does not replicate between partitions.",
		Help:  "Cross-region replication is not supported between AWS partitions (a repository in us-west-2 cannot replicate to cn-north-1), and no registry policy changes that. Remove the destination and copy the images with that partition's own credentials."},
	{Code: CodeRegionNotEnabled, Severity: SeverityError, Mode: "FM-15", Doc: docRegionOptIn,
		Title: "The destination's region is an opt-in region that the source or the destination account has not enabled (read with `account:GetRegionOptStatus`).",
		Help: "Both accounts must have enabled an opt-in region (one launched since March 2019) before any replication into it; no registry policy changes that. " +
			"Enable the region in each account (aws account enable-region), wait until it is ENABLED, then re-drive the images pushed meanwhile with a replication backfill."},
	{Code: CodeExplicitDeny, Severity: SeverityError, Mode: "FM-08", Doc: docRegistryPolicy,
		Title: "A `Deny` statement blocks replication (no grant can fix that; ecrdoctor says what to decide).",
		Help: "A Deny statement in the destination's registry policy matches the replication role's ecr:ReplicateImage request. An explicit Deny wins over every Allow, " +
			"so adding a grant does not help: narrow the Deny or exempt the source account, or decide that replication from it stays blocked."},
	{Code: CodeConditionNotSatisfied, Severity: SeverityError, Mode: "FM-09", Doc: docReplicationPolicy,
		Title: "A grant's condition never holds for the replication role (e.g. `aws:SourceAccount`), or depends on a key ecrdoctor cannot know (verdict `unknown`).",
		Help: "The statement that grants replication has a condition the replication role's request does not meet. Keys such as aws:SourceAccount and aws:SourceArn are set only when a service acts on someone's behalf, " +
			"so the replication role never carries them. Keys ecrdoctor cannot evaluate (aws:PrincipalOrgID) make the verdict unknown until a failure or a success settles it."},
	{Code: CodeResourceMismatch, Severity: SeverityError, Mode: "FM-06", Doc: docReplicationPolicy,
		Title: "The grant's `Resource` misses the repository ARN (wrong region, account or name; the nearest ARN is named).",
		Help: "The statement names the right principal and action, but its Resource does not match the destination repository's ARN. PutRegistryPolicy accepts ARNs that can never match, " +
			"such as one without the ecr service or with a region copied from the documentation. Use arn:aws:ecr:<destination region>:<destination account>:repository/<prefix>*."},
	{Code: CodePrincipalMismatch, Severity: SeverityError, Mode: "FM-05", Doc: docReplicationPolicy,
		Title: "A statement grants replication to another principal (a typo'd account, the destination itself, a role).",
		Help: "Replication is performed by the service-linked role AWSServiceRoleForECRReplication of the source account. The registry policy must grant the source account " +
			"(arn:aws:iam::<source>:root or the account id), not the destination account, another account or a specific user or role."},
	{Code: CodeActionNotGranted, Severity: SeverityError, Mode: "FM-03", Doc: docReplicationPolicy,
		Title: "Statements exist, but none allows `ecr:ReplicateImage`.",
		Help: "The destination's registry policy has statements for the source account (pull through cache, pull or push), but none allows ecr:ReplicateImage. " +
			"Add a statement that does; the registry policy is one document per region, so keep the existing statements."},
	{Code: CodeGrantInRepositoryPolicy, Severity: SeverityError, Mode: "FM-02", Doc: docReplicationPolicy,
		Title: "The grant is in the destination repository's policy, where replication never looks.",
		Help: "Cross-account replication is authorized only by the destination's registry policy (Terraform aws_ecr_registry_policy), never by a repository policy (aws_ecr_repository_policy). " +
			"Move the grant to the registry policy and remove it from the repository policy."},
	{Code: CodeRegistryPolicyInOtherRegion, Severity: SeverityError, Mode: "FM-04", Doc: docRegistryPolicy,
		Title: "The grant is in the destination account's registry policy of another region.",
		Help:  "Registry policies are set per region. The destination account grants replication in a region the rule does not replicate to; put the registry policy in the destination region too."},
	{Code: CodeRegistryPolicyMissing, Severity: SeverityError, Mode: "FM-01", Doc: docReplicationPolicy,
		Title: "The destination has no registry policy.",
		Help: "Cross-account replication needs a registry permissions policy in every destination account and region that allows the source account ecr:ReplicateImage " +
			"(and ecr:CreateRepository). get-registry-policy there returns RegistryPolicyNotFoundException."},
	{Code: CodeCreateRepositoryNotAllowed, Severity: SeverityError, Mode: "FM-07", Doc: docReplicationPolicy,
		Title: "The destination repository does not exist and `ecr:CreateRepository` is not granted.",
		Help: "Replication creates a missing destination repository only when the registry policy grants ecr:CreateRepository; otherwise a repository of the same name must exist first. " +
			"Grant ecr:CreateRepository or create the repository."},
	{Code: CodeKMSKeyNotUsable, Severity: SeverityError, Mode: "FM-17", Doc: docCreationTemplates,
		Title: "Replication must create the destination repository with a KMS template that names no `customRoleArn` (or a key of another region): the creation fails.",
		Help: "The replication role has no KMS permissions. A repository creation template that encrypts with KMS needs a customRoleArn (trusted by ecr.amazonaws.com, with kms:CreateGrant, kms:RetireGrant, kms:DescribeKey) and a key in the repository's region whose key policy lets that role use it. " +
			"Or create the destination repository with its key before the first push."},
	{Code: CodeCreationTemplateNotApplied, Severity: SeverityWarning, Mode: "FM-19", Doc: docCreationTemplates,
		Title: "A repository creation template meant for the replicated repository will not apply (no `REPLICATION` in appliedFor, or its prefix does not cover the name).",
		Help:  "Replication-created repositories get a template's settings only when its appliedFor includes REPLICATION and its prefix covers the name (prefix team matches team/..., ROOT everything); otherwise they get the defaults. Templates never change existing repositories."},
	{Code: CodeReplicateImageDenied, Severity: SeverityError, Mode: "FM-23", Doc: docCloudTrail,
		Title: "CloudTrail or replication status shows denials, the destination state is unknown: the standard fix is proposed.",
		Help: "CloudTrail denials or FAILED replication statuses show that replication is denied, but the cause cannot be read from the destination's registry policy: " +
			"it was not readable, or another policy (an SCP, an RCP, a VPC endpoint policy) denies it. The message CloudTrail recorded names the kind of policy."},
	// An error when the credentials the user gave for the destination
	// failed; a warning when none were given.
	{Code: CodeDestinationUnreadable, Severity: SeverityError, Doc: docRegistryPolicy,
		Title: "The destination could not be read; the flags or permissions needed are named (an error when the credentials given for it failed).",
		Help: "ecrdoctor needs ecr:GetRegistryPolicy, ecr:GetRepositoryPolicy, ecr:DescribeRepositories and ecr:GetAccountSetting in each destination account and region. " +
			"Give it a profile or a role for that account (--dest-profile, --assume-role), or collect those files into the snapshot. " +
			"When the profile or role given failed (denied, another account's credentials, no credentials at all), that is the error to fix first."},
	{Code: CodeBackfillFailed, Severity: SeverityWarning, Mode: "§10.1", Doc: docReplicationBackfill,
		Title: "The newest replication backfill to the destination failed (per-image failure codes, image index children included); the policy checks say whether its cause is still there.",
		Help: "A replication backfill re-drives a registry's existing images to one destination and fails itself once 50% or more of its replications have failed, counted after at least 100. " +
			"describe-replication-backfill-results --result-status-filter FAILED lists the failed images and their codes. Fix what the codes point at (the registry policy first), then start a new backfill."},
	{Code: CodeImagePushedBeforeRule, Severity: SeverityInfo, Mode: "FM-12", Doc: docReplicationBackfill,
		Title: "An image has no replication status for the destination: it was pushed before the rule covered it, and ECR never goes back for it: backfill.",
		Help:  "ECR replicates only what is pushed or restored after a rule covers the repository and names the destination. Older images stay where they are until a replication backfill (aws ecr start-replication-backfill) or a new push re-drives them."},
	{Code: CodeStaleFailures, Severity: SeverityError, Mode: "FM-12", Doc: docReplicationStatus,
		Title: "The policy allows replication now, but images that failed earlier are still missing until re-driven with a replication backfill (a warning when ecrdoctor cannot tell).",
		Help: "The current registry policy allows replication, so the recorded failures predate a policy change. ECR does not retry failed replications: an image whose status is still FAILED is missing in the destination " +
			"until it is re-driven: start a replication backfill to that destination (aws ecr start-replication-backfill, with the source credentials), or push the affected images again. " +
			"Without a replication status ecrdoctor cannot tell whether the denied images are still missing, and says so in a warning."},
	{Code: CodeIndexChildNotReplicated, Severity: SeverityError, Mode: "FM-28", Doc: docReplicationStatus,
		Title: "An image index replicated to the destination, but an image it lists (a platform, an attestation) did not: each such child is named with its status.",
		Help: "ECR replicates an image index and each image it lists separately; the index can be COMPLETE while a child FAILED or was never attempted, and a pull of that platform fails in the destination. " +
			"The child's failure code says why; fix that cause, then re-drive the images with a replication backfill (or push the index again)."},
	{Code: CodeBackfillInProgress, Severity: SeverityInfo, Mode: "§10.1", Doc: docReplicationBackfill,
		Title: "A replication backfill to the destination is still running; its progress is shown.",
		Help:  "Images missing in the destination may still arrive with the backfill. Only one backfill per destination region runs at a time: wait for it (describe-replication-backfill-results) before starting another."},
	{Code: CodeReplicationInProgressLong, Severity: SeverityInfo, Mode: "FM-26", Doc: docReplicationStatus,
		Title: "Replication has been IN_PROGRESS longer than the usual 30 minutes: a delay, not a denial.",
		Help:  "Most images replicate in less than 30 minutes and a few take longer. IN_PROGRESS is not a failure; look again later, and ask AWS support if it stays so for hours."},
	{Code: CodeTagImmutabilityConflict, Severity: SeverityWarning, Mode: "FM-18", Doc: docTagMutability,
		Title: "The destination repository's tags are immutable while the source's move: a re-pushed tag stays on the old image there, and the new one arrives untagged.",
		Help: "Tag immutability is evaluated in each registry. An image replicated under a tag that already exists in an immutable destination repository is replicated without that tag, and the status still says COMPLETE. " +
			"Make the destination mutable (or add exclusion filters), or stop re-pushing tags."},
	{Code: CodeDeleteReplicationEnabled, Severity: SeverityInfo, Mode: "§10.2", Doc: docReplicationDelete,
		Title: "A rule covering the repository replicates deletions: an image missing in the destination may have been deleted in the source on purpose.",
		Help: "With deleteReplication enabled on a replication rule, ECR replicates tag removals, deletions by digest and lifecycle-policy expiries from the source to the destination. " +
			"Before treating a missing destination image as a replication failure, look for its deletion in the source (its lifecycle policy, BatchDeleteImage in CloudTrail)."},
	{Code: CodePullThroughCacheNotReplication, Severity: SeverityInfo, Mode: "FM-20", Doc: docPullThroughCacheECR,
		Title: "The destination caches the repository from the source through an ECR-to-ECR pull-through cache rule: a different mechanism, with its grants the other way round.",
		Help: "A pull-through cache fills a repository under the rule's prefix when someone pulls it in the destination, as the rule's role, with the grant in the upstream (source) registry's registry or repository policy: there a repository policy is legitimate. " +
			"Replication pushes every new image as the source's AWSServiceRoleForECRReplication, and only the destination's registry policy can allow it. Choose one, and grant it where it is read."},

	// Codes only `lint` reports: mistakes in a configuration that AWS
	// rejects at apply, or that apply silently undoes.
	{Code: CodeRepositoryPolicyHasResource, Severity: SeverityError, Mode: "FM-02", Doc: docRepositoryPolicy,
		Title: "A repository policy has a `Resource` element: AWS rejects it at apply (\"Invalid repository policy provided\").",
		Help: "A repository policy applies to its own repository and may not name a Resource or NotResource; SetRepositoryPolicy fails with \"Invalid repository policy provided\". " +
			"A statement with a Resource that grants ecr:ReplicateImage is a registry policy statement: it belongs in aws_ecr_registry_policy."},
	{Code: CodeRegistryPolicyDuplicated, Severity: SeverityError, Mode: "FM-25", Doc: docRegistryPolicy,
		Title: "Two `aws_ecr_registry_policy` resources for one registry and region: the last apply wins.",
		Help: "ECR keeps one registry policy per account and region. Each aws_ecr_registry_policy replaces the whole policy, so two of them overwrite each other on every apply. " +
			"Merge their statements into one resource."},
	{Code: CodeReplicationConfigurationDuplicated, Severity: SeverityError, Mode: "FM-25", Doc: docReplication,
		Title: "Two `aws_ecr_replication_configuration` resources for one registry and region: the last apply wins.",
		Help: "ECR keeps one replication configuration per account and region. Each aws_ecr_replication_configuration replaces all rules, so two of them overwrite each other. " +
			"Put every rule in one resource."},
	{Code: CodeRegistryPolicyV1Action, Severity: SeverityError, Mode: "FM-24", Doc: docRegistryPolicy,
		Title: "The registry policy names an action that registry policy scope `V1` refuses.",
		Help: "Under REGISTRY_POLICY_SCOPE V1 a registry policy may name only ecr:ReplicateImage, ecr:CreateRepository and ecr:BatchImportUpstreamImage; PutRegistryPolicy refuses any other action " +
			"(\"Invalid registry policy provided\"). Keep replication statements to those actions, or switch the scope to V2."},
	{Code: CodeReplicationFilterInvalid, Severity: SeverityError, Mode: "FM-11", Doc: docReplication,
		Title: "A repository filter is not a `PREFIX_MATCH` name prefix (wrong type, or a `*`).",
		Help: "The only filter type is PREFIX_MATCH, and a filter is a plain repository-name prefix of 2 to 256 characters: a wildcard such as my-repo/* is rejected by PutReplicationConfiguration. " +
			"Write the prefix without the wildcard."},
	{Code: CodePolicyDuplicateSid, Severity: SeverityWarning, Doc: docRegistryPolicy,
		Title: "Two statements of one policy have the same `Sid`.",
		Help:  "A Sid names a statement and must be unique within its policy; statements merged by Sid (aws_iam_policy_document source and override documents) silently replace each other. Give each statement its own Sid."},
	{Code: CodeDestinationNotInConfiguration, Severity: SeverityInfo, Doc: docReplicationPolicy,
		Title: "A destination account is not in the files: lint its configuration too, or run `ecrdoctor why` after apply.",
		Help: "The replication rule names a registry whose account no provider of the files manages, so its registry policy cannot be checked here. " +
			"Lint that account's configuration together with this one (several paths are one configuration), or diagnose it with ecrdoctor why once applied."},
}

// Codes only lint reports (see the end of Catalogue).
const (
	CodeRepositoryPolicyHasResource        = "REPOSITORY_POLICY_HAS_RESOURCE"
	CodeRegistryPolicyDuplicated           = "REGISTRY_POLICY_DUPLICATED"
	CodeReplicationConfigurationDuplicated = "REPLICATION_CONFIGURATION_DUPLICATED"
	CodeRegistryPolicyV1Action             = "REGISTRY_POLICY_V1_ACTION"
	CodeReplicationFilterInvalid           = "REPLICATION_FILTER_INVALID"
	CodePolicyDuplicateSid                 = "POLICY_DUPLICATE_SID"
	CodeDestinationNotInConfiguration      = "DESTINATION_NOT_IN_CONFIGURATION"
)

// Lookup returns the catalogue entry of code.
func Lookup(code string) (CodeInfo, bool) {
	for _, c := range Catalogue {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}

func codeRank(code string) int {
	for i, c := range Catalogue {
		if c.Code == code {
			return i
		}
	}
	return len(Catalogue)
}
