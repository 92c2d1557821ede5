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
// emits it (see checks.go), and add a fixture that shows it.
var Catalogue = []CodeInfo{
	{Code: CodeReplicationNotConfigured, Severity: SeverityError, Mode: "FM-10", Doc: docReplication,
		Title: "The source region has no replication rules.",
		Help: "Replication is configured per region on the source registry. describe-registry in the region images are pushed to returns no rules, so nothing is replicated. " +
			"Create the rules there (put-replication-configuration, Terraform aws_ecr_replication_configuration); several Terraform roots that each declare that resource overwrite one another."},
	{Code: CodeFilterDoesNotMatch, Severity: SeverityError, Mode: "FM-11", Doc: docReplication,
		Title: "Rules exist, but no filter prefix covers the repository (the nearest one is named).",
		Help: "Every replication rule has PREFIX_MATCH repository filters and none is a prefix of the repository name, so ECR never attempts to replicate it. " +
			"Filters are plain name prefixes without wildcards. Add the name (or a shorter prefix) to a rule's filters, then push the images again."},
	{Code: CodeDestinationIsSource, Severity: SeverityError, Mode: "FM-13", Doc: docReplication,
		Title: "A rule replicates the registry to itself.",
		Help: "A registry cannot replicate to itself: a destination with the source's own account and region replicates nothing. " +
			"The destination's registryId or region is probably wrong; correct it or remove that destination."},
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
	{Code: CodeReplicateImageDenied, Severity: SeverityError, Mode: "FM-23", Doc: docCloudTrail,
		Title: "CloudTrail or replication status shows denials, the destination state is unknown: the standard fix is proposed.",
		Help: "CloudTrail denials or FAILED replication statuses show that replication is denied, but the cause cannot be read from the destination's registry policy: " +
			"it was not readable, or another policy (an SCP, an RCP, a VPC endpoint policy) denies it. The message CloudTrail recorded names the kind of policy."},
	{Code: CodeDestinationUnreadable, Severity: SeverityWarning, Doc: docRegistryPolicy,
		Title: "The destination could not be read; the flags or permissions needed are named.",
		Help: "ecrdoctor needs ecr:GetRegistryPolicy, ecr:GetRepositoryPolicy, ecr:DescribeRepositories and ecr:GetAccountSetting in each destination account and region. " +
			"Give it a profile or a role for that account (--dest-profile, --assume-role), or collect those files into the snapshot."},
	{Code: CodeStaleFailures, Severity: SeverityInfo, Mode: "FM-12", Doc: docReplicationStatus,
		Title: "The policy allows replication now, but earlier pushes failed and are not retried: push them again.",
		Help:  "The current registry policy allows replication, so the recorded failures predate a policy change. ECR does not retry failed replications: push the affected images again."},
	{Code: CodeDeleteReplicationEnabled, Severity: SeverityInfo, Mode: "§10.2", Doc: docReplicationDelete,
		Title: "A rule covering the repository replicates deletions: an image missing in the destination may have been deleted in the source on purpose.",
		Help: "With deleteReplication enabled on a replication rule, ECR replicates tag removals, deletions by digest and lifecycle-policy expiries from the source to the destination. " +
			"Before treating a missing destination image as a replication failure, look for its deletion in the source (its lifecycle policy, BatchDeleteImage in CloudTrail)."},
}

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
