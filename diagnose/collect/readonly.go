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
}

// allowedOperations is the allow-list of the read-only guard: every
// operation any SDK client of ecrdoctor may send. Everything else is refused
// inside the process, before a request is built. The README's least-privilege
// IAM policy lists exactly the IAM actions named here (a test checks it).
var allowedOperations = []operation{
	{"ECR", "DescribeRegistry", "ecr:DescribeRegistry"},
	{"ECR", "DescribeRepositories", "ecr:DescribeRepositories"},
	{"ECR", "DescribeImages", "ecr:DescribeImages"},
	{"ECR", "DescribeImageReplicationStatus", "ecr:DescribeImageReplicationStatus"},
	{"ECR", "GetRegistryPolicy", "ecr:GetRegistryPolicy"},
	{"ECR", "GetRepositoryPolicy", "ecr:GetRepositoryPolicy"},
	{"ECR", "GetAccountSetting", "ecr:GetAccountSetting"},
	{"CloudTrail", "LookupEvents", "cloudtrail:LookupEvents"},
	// Credential exchanges: they change nothing in an account.
	{"STS", "AssumeRole", "sts:AssumeRole"},
	{"STS", "GetCallerIdentity", ""},         // needs no permission, cannot be denied
	{"STS", "AssumeRoleWithWebIdentity", ""}, // the default chain's web identity provider
	{"SSO", "GetRoleCredentials", ""},        // the default chain's SSO provider
	{"SSO OIDC", "CreateToken", ""},          // SSO token refresh
	{"Signin", "CreateOAuth2Token", ""},      // `aws login` credentials
}

// IAMActions returns the sorted IAM actions ecrdoctor can ever need: the
// allow-list, as IAM spells it.
func IAMActions() []string {
	var out []string
	for _, op := range allowedOperations {
		if op.IAMAction != "" {
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
	return fmt.Sprintf("ecrdoctor is read-only: refused %s %s before sending it (not on the allow-list of reads)", e.Service, e.Operation)
}

// readOnlyGuard is the middleware that enforces the allow-list. It runs in
// the Initialize step, the first of the stack: nothing is serialized, signed
// or sent for a refused operation. It fails closed: an operation it cannot
// name is refused.
type readOnlyGuard struct {
	op string // the stack's operation name
}

func (*readOnlyGuard) ID() string { return "ecrdoctorReadOnlyGuard" }

func (g *readOnlyGuard) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	if op == "" {
		op = g.op
	}
	if !isAllowed(service, op) || op != g.op {
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

// serviceMetadataID is the ID of awsmiddleware.RegisterServiceMetadata.
var serviceMetadataID = (&awsmiddleware.RegisterServiceMetadata{}).ID()
