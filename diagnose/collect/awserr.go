package collect

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// Every error of an AWS call is sorted here, by type (errors.As on the
// SDK's and smithy's error types, the AWS error code), never by its text.

// retried is how many times the SDK retried a call before giving up, or 0.
func retried(err error) int {
	var max *retry.MaxAttemptsError
	if errors.As(err, &max) && max.Attempt > 1 {
		return max.Attempt - 1
	}
	return 0
}

func retriedText(err error) string {
	switch n := retried(err); n {
	case 0:
		return ""
	case 1:
		return ", retried once"
	default:
		return fmt.Sprintf(", retried %d times", n)
	}
}

// isThrottle reports an AWS answer that asks to slow down.
func isThrottle(err error) bool {
	ae, ok := apiError(err)
	if !ok {
		return false
	}
	_, throttle := retry.DefaultThrottleErrorCodes[ae.ErrorCode()]
	return throttle || httpStatus(err) == 429
}

// isServerFault reports an AWS failure on its own side (HTTP 5xx).
func isServerFault(err error) bool {
	if ae, ok := apiError(err); ok && ae.ErrorFault() == smithy.FaultServer {
		return true
	}
	return httpStatus(err) >= 500
}

// isTransient reports a failure that says nothing of the request or the
// credentials: AWS was busy, failed, did not answer in time or could not be
// reached. Running again may well succeed.
func isTransient(err error) bool {
	return isThrottle(err) || isServerFault(err) || errors.Is(err, context.DeadlineExceeded) || isUnreachable(err)
}

func isUnreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.As(err, &dns) || errors.As(err, &op)
}

// describe is what went wrong, in one line: the AWS answer when there is
// one, else the cause without the SDK's chain of wrappers.
func describe(err error) string {
	var ce *CredentialsError
	var ro *ReadOnlyError
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &ce):
		return ce.Error()
	case errors.As(err, &ro):
		return ro.Error()
	case isThrottle(err):
		return fmt.Sprintf("AWS was busy (%s%s)", apiCode(err), retriedText(err))
	case isServerFault(err):
		return fmt.Sprintf("AWS failed (HTTP %d%s%s)", httpStatus(err), prefixed(apiCode(err)), retriedText(err))
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.As(err, &dns):
		return fmt.Sprintf("AWS could not be reached (%s: %s)", dns.Name, dns.Err)
	case errors.As(err, &op):
		return fmt.Sprintf("AWS could not be reached (%s %v: %v)", op.Op, op.Addr, op.Err)
	}
	if ae, ok := apiError(err); ok {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

func apiCode(err error) string {
	if ae, ok := apiError(err); ok {
		return ae.ErrorCode()
	}
	return ""
}

func prefixed(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// explain is a failed read for a warning: "{what went wrong}; {what to do}".
func explain(err error, iamAction, profile string) string {
	var ce *CredentialsError
	if errors.As(err, &ce) {
		return ce.Error() // says what to do itself
	}
	return describe(err) + "; " + advice(err, iamAction, profile)
}

// advice says what to do about a failed read.
func advice(err error, iamAction, profile string) string {
	var ce *CredentialsError
	var ro *ReadOnlyError
	switch {
	case errors.As(err, &ce):
		return ce.advice()
	case errors.As(err, &ro):
		return "this is a defect of ecrdoctor: please report it"
	case isThrottle(err), isServerFault(err):
		return "run again in a moment"
	case errors.Is(err, context.DeadlineExceeded):
		return "run again; if it keeps happening, raise --timeout"
	case isUnreachable(err):
		return "check the network, the proxy or AWS_ENDPOINT_URL"
	}
	if ae, ok := apiError(err); ok {
		switch ae.ErrorCode() {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
			return "the credentials have expired: refresh them (for SSO: aws sso login" + profileFlag(profile) + ") and run again"
		case "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidSignatureException":
			if profile != "" {
				return fmt.Sprintf("the credentials are not valid: check the access keys of profile %q", profile)
			}
			return "the credentials are not valid: check the access keys in use (aws configure list)"
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
			if iamAction != "" {
				return "allow " + iamAction + " to the principal (see the least-privilege policy in the README)"
			}
			return "allow the read (see the least-privilege policy in the README)"
		case "OperationNotPermittedException", "UnsupportedOperationException":
			return "CloudTrail event history is not available here; use a trail's log files (why --events)"
		}
		if iamAction != "" {
			return "AWS refused " + iamAction
		}
		return "AWS refused the request"
	}
	return "run again; if it keeps failing, the same call with the AWS CLI and --debug shows AWS's full answer"
}

func profileFlag(p string) string {
	if p == "" {
		return ""
	}
	return " --profile " + p
}

// readError is a read the capture cannot go on without.
type readError struct {
	what, iamAction, profile string
	err                      error
}

func (e *readError) Error() string { return e.what + ": " + explain(e.err, e.iamAction, e.profile) }
func (e *readError) Unwrap() error { return e.err }

func isDeadline(err error) bool { return errors.Is(err, context.DeadlineExceeded) }
