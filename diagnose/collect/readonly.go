package collect

import (
	"context"
	"fmt"
	"sort"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// operation is one AWS API operation ecrdoctor may call, and the IAM action
// that authorizes it ("" when the call needs no IAM permission).
type operation struct {
	Service   string // the SDK's ServiceID
	Name      string // the SDK's operation name
	IAMAction string
	// Sides are the credentials that make the call: source (the ones
	// ecrdoctor runs with), destination (--assume-role, --dest-profile) or
	// both; "" for a call that needs no IAM permission.
	Sides string
}

const (
	sideSource = "source"
	sideDest   = "destination"
	sideBoth   = "both" // source and destination
	// sideEvents: the credentials events runs with to read a trail's
	// bucket, an Athena table or a CloudTrail Lake event data store.
	sideEvents = "events"
)

// allowedOperations is the allow-list of the read-only guard: every
// operation any SDK client of ecrdoctor may send. Everything else is refused
// inside the process, before a request is built. The README's least-privilege
// IAM policies list exactly the IAM actions named here, side by side, and its
// credentials section every call that needs no permission (tests check both).
var allowedOperations = []operation{
	{"ECR", "DescribeRegistry", "ecr:DescribeRegistry", sideSource},
	// The source reads a destination's repositories and repository policy
	// itself when no destination credentials are given.
	{"ECR", "DescribeRepositories", "ecr:DescribeRepositories", sideBoth},
	{"ECR", "DescribeImages", "ecr:DescribeImages", sideSource},
	{"ECR", "DescribeImageReplicationStatus", "ecr:DescribeImageReplicationStatus", sideSource},
	// Only for an image index that replicated, and only with
	// CaptureOptions.ReadImageManifests (--read-image-manifests): its
	// manifest names the children whose replication status is read. Opt-in
	// because ECR counts it as a pull and updates LastRecordedPullTime,
	// which lifecycle rules may read.
	{"ECR", "BatchGetImage", "ecr:BatchGetImage", sideSource},
	{"ECR", "GetRegistryPolicy", "ecr:GetRegistryPolicy", sideDest},
	{"ECR", "GetRepositoryPolicy", "ecr:GetRepositoryPolicy", sideBoth},
	{"ECR", "GetAccountSetting", "ecr:GetAccountSetting", sideDest},
	{"ECR", "DescribeRepositoryCreationTemplates", "ecr:DescribeRepositoryCreationTemplates", sideDest},
	// Only for the key of the creation template replication will apply.
	{"KMS", "GetKeyPolicy", "kms:GetKeyPolicy", sideDest},
	{"ECR", "DescribePullThroughCacheRules", "ecr:DescribePullThroughCacheRules", sideDest},
	// Only where a rule replicates deletions: what removes images in the source.
	{"ECR", "GetLifecyclePolicy", "ecr:GetLifecyclePolicy", sideSource},
	{"ECR", "ListReplicationBackfills", "ecr:ListReplicationBackfills", sideSource},
	{"ECR", "DescribeReplicationBackfillResults", "ecr:DescribeReplicationBackfillResults", sideSource},
	{"CloudTrail", "LookupEvents", "cloudtrail:LookupEvents", sideBoth},
	// Whether the caller's own account has enabled a destination's opt-in
	// region (only such regions are asked).
	{"Account", "GetRegionOptStatus", "account:GetRegionOptStatus", sideBoth},
	// scan --organization: the member accounts, from the management account
	// or a delegated administrator.
	{"Organizations", "ListAccounts", "organizations:ListAccounts", sideSource},
	// events at organization scale (the credentials events runs with): S3
	// reads, and the query engines. A query writes its results to Athena's
	// output location and costs what it scans; StopQueryExecution and
	// CancelQuery only end ecrdoctor's own query (an interrupt, --timeout)
	// and change nothing else.
	{"S3", "ListObjectsV2", "s3:ListBucket", sideEvents},
	{"S3", "GetObject", "s3:GetObject", sideEvents},
	{"Athena", "StartQueryExecution", "athena:StartQueryExecution", sideEvents},
	{"Athena", "GetQueryExecution", "athena:GetQueryExecution", sideEvents},
	{"Athena", "GetQueryResults", "athena:GetQueryResults", sideEvents},
	{"Athena", "StopQueryExecution", "athena:StopQueryExecution", sideEvents},
	{"CloudTrail", "StartQuery", "cloudtrail:StartQuery", sideEvents},
	{"CloudTrail", "GetQueryResults", "cloudtrail:GetQueryResults", sideEvents},
	{"CloudTrail", "CancelQuery", "cloudtrail:CancelQuery", sideEvents},
	// Credential exchanges: they change nothing in an account.
	{"STS", "AssumeRole", "sts:AssumeRole", sideSource},
	{"STS", "GetCallerIdentity", "", ""},         // needs no permission, cannot be denied
	{"STS", "AssumeRoleWithWebIdentity", "", ""}, // the default chain's web identity provider
	{"SSO", "GetRoleCredentials", "", ""},        // the default chain's SSO provider
	{"SSO OIDC", "CreateToken", "", ""},          // SSO token refresh
	{"Signin", "CreateOAuth2Token", "", ""},      // `aws login` credentials
	// Credential fetches of the default chain that are not AWS APIs
	// (nothing in an account changes).
	{imdsService, "getToken", "", ""},           // IMDSv2 session token (PUT /latest/api/token)
	{imdsService, "GetMetadata", "", ""},        // the instance role's name and credentials
	{endpointService, "GetCredentials", "", ""}, // ECS, CodeBuild and EKS Pod Identity endpoints
}

// sideActions returns the sorted IAM actions the credentials of side need.
func sideActions(side string) []string {
	var out []string
	for _, op := range allowedOperations {
		if op.IAMAction != "" && (op.Sides == side || op.Sides == sideBoth && side != sideEvents) {
			out = append(out, op.IAMAction)
		}
	}
	sort.Strings(out)
	return out
}

func isAllowed(service, name string) bool {
	for _, op := range allowedOperations {
		if op.Service == service && op.Name == name {
			return true
		}
	}
	return false
}

// ReadOnlyError is returned for an operation the read-only guard refused. No
// request was sent.
type ReadOnlyError struct {
	Service, Operation string
}

func (e *ReadOnlyError) Error() string {
	service := e.Service
	if service == "" {
		service = "(a client that names no AWS service)"
	}
	return fmt.Sprintf("ecrdoctor is read-only: refused %s %s before sending it (not on the allow-list of reads)", service, e.Operation)
}

// readOnlyGuard is the middleware that enforces the allow-list. It runs in
// the Initialize step, the first of the stack: nothing is serialized, signed
// or sent for a refused operation. It fails closed: an operation it cannot
// name is refused.
type readOnlyGuard struct {
	op string // the stack's operation name
	// service names the client when it is not an AWS service client
	// (guardAs); "" for the API clients, which name it in the context.
	service string
}

func (*readOnlyGuard) ID() string { return "ecrdoctorReadOnlyGuard" }

func (g *readOnlyGuard) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	// The stack's own ID is the operation being sent. The context may name
	// another: a credential fetch runs with the context of the AWS call that
	// needed the credentials. Then the context's service is not this
	// client's either, and the client is refused under its own name.
	service, op := g.service, g.op
	if service == "" {
		service = awsmiddleware.GetServiceID(ctx)
		if ctxOp := awsmiddleware.GetOperationName(ctx); ctxOp != "" && ctxOp != op {
			service = ""
		}
	}
	if service == "" || !isAllowed(service, op) {
		return middleware.InitializeOutput{}, middleware.Metadata{}, &ReadOnlyError{Service: service, Operation: op}
	}
	return next.HandleInitialize(ctx, in)
}

// addReadOnlyGuard installs the guard on a client's stack. It goes in through
// config.WithAPIOptions, so every client built from the config carries it,
// including the STS and SSO clients the credential providers make.
//
// Some clients name their service and operation in an Initialize middleware
// rather than in the context they start with: then the guard goes right
// after that one, still before input validation and anything else.
func addReadOnlyGuard(stack *middleware.Stack) error {
	g := &readOnlyGuard{op: stack.ID()}
	if _, ok := stack.Initialize.Get(serviceMetadataID); ok {
		return stack.Initialize.Insert(g, serviceMetadataID, middleware.After)
	}
	return stack.Initialize.Add(g, middleware.Before)
}

// guardAs returns the guard of a client that is not an AWS service client
// and so names no service in its context: it is checked as service.
func guardAs(service string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(&readOnlyGuard{op: stack.ID(), service: service}, middleware.Before)
	}
}

// serviceMetadataID is the ID of awsmiddleware.RegisterServiceMetadata.
var serviceMetadataID = (&awsmiddleware.RegisterServiceMetadata{}).ID()
