package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// The credential providers of the SDK's default chain that fetch over HTTP
// without being AWS services: their clients carry no service name in the
// context they run with (they inherit the name of the AWS call that needed
// credentials), so the guard of the API clients cannot tell them apart and
// refuses them. They get a guard of their own that names them.
const (
	imdsService     = imds.ServiceID         // "ec2imds": EC2 instance metadata
	endpointService = "endpoint-credentials" // ECS, CodeBuild, EKS Pod Identity
)

// credentialOptions are the config options that give the credential
// providers' own clients their guard: the container endpoint client gets it
// through its options; the instance metadata client is built here, from the
// loaded config, the first time the provider needs it.
func credentialOptions(md *imdsClient) []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithEndpointCredentialOptions(func(o *endpointcreds.Options) {
			o.APIOptions = []func(*middleware.Stack) error{guardAs(endpointService)}
		}),
		config.WithEC2RoleCredentialOptions(func(o *ec2rolecreds.Options) {
			o.Client = md
		}),
	}
}

// imdsClient is the instance metadata client of the EC2 role provider. The
// SDK builds its own from the loaded config (endpoint, endpoint mode, IMDSv1
// fallback), with the config's API options, whose guard refuses it; this one
// is built the same way, once the config is known, with its own guard.
type imdsClient struct {
	once sync.Once
	cfg  aws.Config
	c    *imds.Client
}

func (m *imdsClient) GetMetadata(ctx context.Context, in *imds.GetMetadataInput, opts ...func(*imds.Options)) (*imds.GetMetadataOutput, error) {
	m.once.Do(func() {
		m.c = imds.NewFromConfig(m.cfg, func(o *imds.Options) {
			o.APIOptions = []func(*middleware.Stack) error{guardAs(imdsService)}
		})
	})
	return m.c.GetMetadata(ctx, in, opts...)
}

// CredentialsError says that no usable AWS credentials could be had. Its
// message is one line with the cause and what to do; it never holds a
// secret (a credential_process's output is reduced to what was wrong
// with it).
type CredentialsError struct {
	// Profile is the profile the credentials were to come from ("" for the
	// default chain without one); Flag is how the user named it ("--profile
	// prod", "--dest-profile 222222222222=prod"), "" when it came from the
	// environment.
	Profile, Flag string
	// Err is the cause, safe to print.
	Err error
}

func (e *CredentialsError) Error() string {
	what := "no usable AWS credentials"
	if e.Profile != "" {
		what += fmt.Sprintf(" for profile %q", e.Profile)
	}
	return what + ": " + e.Err.Error() + "; " + e.advice()
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// advice never asks for a flag the user already gave.
func (e *CredentialsError) advice() string {
	switch {
	case e.Profile == "":
		return "pass --profile PROFILE (or set AWS_PROFILE), or log in (aws sso login)"
	case e.Flag == "":
		return fmt.Sprintf("check profile %q (from AWS_PROFILE) or pass --profile PROFILE; for SSO log in (aws sso login --profile %s)", e.Profile, e.Profile)
	}
	return fmt.Sprintf("check profile %q (aws configure list --profile %s); for SSO log in (aws sso login --profile %s)", e.Profile, e.Profile, e.Profile)
}

// checkedCredentials wraps a config's credentials so that a failure to get
// them is a *CredentialsError, whatever AWS call needed them.
type checkedCredentials struct {
	aws.CredentialsProvider
	profile, flag string
}

func (c *checkedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	v, err := c.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return v, &CredentialsError{Profile: c.profile, Flag: c.flag, Err: credentialCause(err, c.lastResort())}
	}
	return v, nil
}

// lastResort reports whether the chain found nothing configured and fell
// back to the instance metadata service, as it does on any machine.
func (c *checkedCredentials) lastResort() bool {
	ps, ok := c.CredentialsProvider.(aws.CredentialProviderSource)
	if !ok {
		return false
	}
	src := ps.ProviderSources()
	return len(src) == 1 && src[0] == aws.CredentialSourceIMDS && os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT") == ""
}

// checkCredentials wraps cfg's credentials in place. The wrapper is itself
// cached, so the SDK does not wrap it again per client.
func checkCredentials(cfg *aws.Config, profile, flag string) {
	if cfg.Credentials == nil {
		return
	}
	cfg.Credentials = aws.NewCredentialsCache(&checkedCredentials{CredentialsProvider: cfg.Credentials, profile: profile, flag: flag})
}

// effectiveProfile is the profile the SDK reads when none is passed.
func effectiveProfile(profile string) string {
	if profile != "" {
		return profile
	}
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		return p
	}
	return os.Getenv("AWS_DEFAULT_PROFILE")
}

// credentialCause is the part of a credential provider's error that is safe
// and useful to print. A credential_process whose output is not the JSON the
// SDK expects makes the SDK quote that output whole (keys and token
// included): only the parse error is kept. Errors of the SDK's own credential
// clients (an AWS error, a timeout) stay typed for errors.As.
func credentialCause(err error, lastResort bool) error {
	var pe *processcreds.ProviderError
	if errors.As(err, &pe) {
		return processCause(pe)
	}
	var ro *ReadOnlyError
	if errors.As(err, &ro) {
		return ro
	}
	// The rest is the SDK's chain of wrappers around one failed call.
	var oe *smithy.OperationError
	if !errors.As(err, &oe) {
		return err
	}
	if oe.ServiceID == imdsService && lastResort {
		return &cause{msg: "none found in the environment or the shared config and credentials files, and none from EC2 instance metadata (" + oe.Err.Error() + ")", err: err}
	}
	return &cause{msg: oe.ServiceID + " " + oe.OperationName + ": " + describe(oe.Err), err: err}
}

// cause prints as msg and unwraps to the error it words, for errors.As.
type cause struct {
	msg string
	err error
}

func (c *cause) Error() string { return c.msg }
func (c *cause) Unwrap() error { return c.err }

// processCause words a credential_process failure without its output.
func processCause(pe *processcreds.ProviderError) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var exit *exec.ExitError
	switch {
	case errors.As(pe, &syn):
		return fmt.Errorf("credential_process printed something other than the credentials JSON alone (%s at byte %d); it must print only that JSON on stdout (anything else goes to stderr)", syntaxWhat(syn), syn.Offset)
	case errors.As(pe, &typ):
		return fmt.Errorf("credential_process printed JSON whose field %s is not a %s", typ.Field, typ.Type)
	case errors.Is(pe, context.DeadlineExceeded):
		return errors.New("credential_process did not finish in time")
	case errors.As(pe, &exit):
		return fmt.Errorf("credential_process failed (%v); what it printed on stderr says why", exit)
	}
	// The SDK's other process errors name the problem, not the output
	// ("missing AccessKeyId in process output", "exit status 1").
	msg := strings.TrimPrefix(pe.Error(), "process provider error: ")
	if strings.Contains(msg, "process output:") { // a new SDK message quoting the output
		return errors.New("credential_process printed output the SDK could not use")
	}
	return errors.New("credential_process: " + msg)
}

// syntaxWhat is a JSON syntax error without the character it quotes, which
// could be part of a secret.
func syntaxWhat(e *json.SyntaxError) string {
	if strings.HasPrefix(e.Error(), "unexpected end") {
		return "the JSON ends early"
	}
	return "invalid JSON"
}
