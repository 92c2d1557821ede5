package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
)

// SimulateOptions is everything `ecrdoctor simulate` needs; runSimulate can be
// called without flags.
type SimulateOptions struct {
	PolicyFile      string   // resource policy; "-" reads stdin
	IdentityFiles   []string // caller-side policies
	Principal       string   // caller, as policy.ParsePrincipal reads it
	ReplicationFrom string   // source account of a replication; exclusive with Principal
	Action          string
	Resource        string
	ResourceAccount string
	Context         []string // KEY=VALUE, single values; repeated keys add values
	ContextFile     string
	Output          string // "text" or "json"
}

// repeatable is a flag that collects every occurrence verbatim: unlike
// cli.StringSliceFlag it does not split values on commas, which ARNs and
// condition values may contain.
type repeatable struct{ vals []string }

func (r *repeatable) Set(v string) error { r.vals = append(r.vals, v); return nil }
func (r *repeatable) String() string     { return strings.Join(r.vals, ", ") }

func simulateCommand(s IO) *cli.Command {
	identity, context := &repeatable{}, &repeatable{}
	return &cli.Command{
		Name:  "simulate",
		Usage: "decide whether a policy allows one request, the way IAM would, and say why",
		UsageText: `ecrdoctor simulate --policy FILE (--principal P | --replication-from ACCOUNT)
                   --action ACTION --resource ARN [--identity-policy FILE]...
                   [--resource-account ID] [--context KEY=VALUE]... [--context-file FILE]
                   [--output text|json]`,
		Description: `simulate evaluates a resource policy (a registry or repository policy) and,
optionally, the caller's identity policies for one request, and prints the
decision (Allow, ImplicitDeny or ExplicitDeny) with the statement that decided
it and, for statements that did not apply, the element that failed.

P is an ARN (arn:aws:iam::A:root, :user/NAME, :role/NAME,
arn:aws:sts::A:assumed-role/ROLE/SESSION), a 12-digit account id (its root),
a service principal such as replication.ecr.amazonaws.com, or "anonymous".
--replication-from A stands for ECR's replication role session in account A
(arn:aws:sts::A:assumed-role/AWSServiceRoleForECRReplication/ECRReplication)
and makes --action default to ecr:ReplicateImage.

ACTION is SERVICE:NAME, such as ecr:BatchGetImage. ARN is the resource's
ARN, or "*" for actions that take no resource.

A policy FILE holds a policy document, or the output of
aws ecr get-registry-policy / get-repository-policy (the policy is then read
from its policyText), as the files of an ecrdoctor snapshot folder do.

A cross-account request needs an Allow from the caller's identity policies
too, and so does one whose resource policy names only the caller's account
(arn:aws:iam::A:root or A): that delegates to the account's identity
policies. Without --identity-policy that Allow is assumed, and the output says
so ("identity_assumed": true in JSON).

Condition keys the caller implies (aws:PrincipalArn, aws:PrincipalAccount,
aws:PrincipalType, aws:username) are derived unless given. Keys a condition
consults but the request lacks are listed: the answer may change once their
real values are known.

Exit status: 0 allowed, 1 denied, 2 usage error, 3 unreadable or invalid input.

Examples:
  # Does the destination registry policy let account 111111111111 replicate here?
  ecrdoctor simulate --policy registry-policy.json --replication-from 111111111111 \
      --resource arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo

  # A role in another account pulling, with its identity policy and org id.
  ecrdoctor simulate --policy repo-policy.json --identity-policy role-policy.json \
      --principal arn:aws:iam::333333333333:role/ci --action ecr:BatchGetImage \
      --resource arn:aws:ecr:us-east-1:222222222222:repository/app \
      --context aws:PrincipalOrgID=o-abc123 --output json

  # The policy on stdin, straight from the AWS CLI.
  aws ecr get-registry-policy |
      ecrdoctor simulate --policy - --replication-from 111111111111 \
      --resource arn:aws:ecr:us-west-2:222222222222:repository/app`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "resource policy JSON `FILE`, or what aws ecr get-registry-policy or get-repository-policy prints ('-' reads stdin)"},
			&cli.GenericFlag{Name: "identity-policy", Value: identity, Usage: "caller-side (identity) policy JSON `FILE`; repeatable"},
			&cli.StringFlag{Name: "principal", Usage: "the caller `P`: an ARN, a 12-digit account id, a service principal or anonymous"},
			&cli.StringFlag{Name: "replication-from", Usage: "the caller is ECR replication from source `ACCOUNT`"},
			&cli.StringFlag{Name: "action", Usage: "the API `ACTION` as SERVICE:NAME, e.g. ecr:ReplicateImage (default with --replication-from)"},
			&cli.StringFlag{Name: "resource", Usage: "the resource `ARN`, or * for actions without a resource"},
			&cli.StringFlag{Name: "resource-account", Usage: "account `ID` owning the resource (default: the account in --resource)"},
			&cli.GenericFlag{Name: "context", Value: context, Usage: "condition key `KEY=VALUE`; repeatable, a repeated key gets several values"},
			&cli.StringFlag{Name: "context-file", Usage: "JSON `FILE` of condition keys: {\"key\": \"value\" or [\"v1\", \"v2\"]}"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text or json"},
		},
		Action: action(func(c *cli.Context) error {
			opts := SimulateOptions{
				PolicyFile:      c.String("policy"),
				IdentityFiles:   identity.vals,
				Principal:       c.String("principal"),
				ReplicationFrom: c.String("replication-from"),
				Action:          c.String("action"),
				Resource:        c.String("resource"),
				ResourceAccount: c.String("resource-account"),
				Context:         context.vals,
				ContextFile:     c.String("context-file"),
				Output:          c.String("output"),
			}
			return runSimulate(s, opts)
		}),
	}
}

var (
	// actionRe is one IAM action: a service prefix, a colon and the action's
	// name (IAM User Guide, "IAM JSON policy elements: Action"); both parts
	// are case-insensitive. A request names one action, so unlike a policy's
	// Action element it has no wildcards: IAM's own simulator
	// (SimulateCustomPolicy ActionNames) refuses them too.
	actionRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*:[A-Za-z0-9]+$`)
)

// request validates the options and builds the request (usage errors only).
func (o *SimulateOptions) request() (policy.Request, error) {
	var req policy.Request
	if o.PolicyFile == "" {
		return req, usageErrorf("simulate: --policy FILE is required")
	}
	switch o.Output {
	case "text", "json":
	default:
		return req, usageErrorf("simulate: --output %q: want text or json", o.Output)
	}
	switch {
	case o.Principal != "" && o.ReplicationFrom != "":
		return req, usageErrorf("simulate: --principal and --replication-from are exclusive: give one")
	case o.Principal == "" && o.ReplicationFrom == "":
		return req, usageErrorf("simulate: give the caller with --principal P or --replication-from ACCOUNT")
	case o.ReplicationFrom != "":
		if !awsid.IsAccountID(o.ReplicationFrom) {
			return req, usageErrorf("simulate: --replication-from %q: want a 12-digit account id", o.ReplicationFrom)
		}
		req.Principal = policy.ReplicationPrincipal(o.ReplicationFrom)
		if o.Action == "" {
			o.Action = "ecr:ReplicateImage"
		}
	default:
		p, err := policy.ParsePrincipal(o.Principal)
		if err != nil {
			return req, usageErrorf("simulate: --principal: %v", err)
		}
		req.Principal = p
	}
	if o.Action == "" {
		return req, usageErrorf("simulate: --action ACTION is required (it defaults to ecr:ReplicateImage only with --replication-from)")
	}
	if err := checkAction(o.Action); err != nil {
		return req, err
	}
	if o.Resource == "" {
		return req, usageErrorf("simulate: --resource ARN is required")
	}
	if err := checkResource(o.Resource); err != nil {
		return req, err
	}
	if o.ResourceAccount != "" && !awsid.IsAccountID(o.ResourceAccount) {
		return req, usageErrorf("simulate: --resource-account %q: want a 12-digit account id", o.ResourceAccount)
	}
	stdin := 0
	for _, f := range append([]string{o.PolicyFile}, o.IdentityFiles...) {
		if f == "" {
			return req, usageErrorf("simulate: empty file name")
		}
		if f == "-" {
			stdin++
		}
	}
	if o.ContextFile == "-" {
		stdin++
	}
	if stdin > 1 {
		return req, usageErrorf("simulate: only one input can be read from stdin ('-')")
	}
	flagContext := map[string][]string{}
	var order []string
	for _, kv := range o.Context {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return req, usageErrorf("simulate: --context %q: want KEY=VALUE, e.g. aws:PrincipalOrgID=o-abc123", kv)
		}
		lk := strings.ToLower(k)
		if _, seen := flagContext[lk]; !seen {
			order = append(order, k)
		}
		flagContext[lk] = append(flagContext[lk], v)
	}
	req.Context = map[string][]string{}
	for _, k := range order {
		req.Context[k] = flagContext[strings.ToLower(k)]
	}
	req.Action, req.Resource, req.ResourceAccount = o.Action, o.Resource, o.ResourceAccount
	return req, nil
}

// checkAction rejects an --action that is not one action: one without its
// service prefix, with a wildcard, or with characters no action name has.
func checkAction(a string) error {
	switch {
	case actionRe.MatchString(a):
		return nil
	case !strings.Contains(a, ":"):
		return usageErrorf("simulate: --action %q has no service prefix: want SERVICE:NAME, e.g. ecr:%s", a, a)
	case strings.ContainsAny(a, "*?"):
		return usageErrorf("simulate: --action %q: a request is one action, so it cannot hold a wildcard (* and ? belong in a policy's Action); give the action's full name, e.g. ecr:BatchGetImage", a)
	}
	return usageErrorf("simulate: --action %q: want SERVICE:NAME, e.g. ecr:BatchGetImage (letters, digits and hyphens in SERVICE, letters and digits in NAME)", a)
}

// checkResource rejects a --resource that is neither "*" nor an ARN, which
// no Resource element other than "*" could match.
func checkResource(r string) error {
	if r == "*" {
		return nil
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" && parts[5] != "" {
		return nil
	}
	if !strings.Contains(r, ":") {
		return usageErrorf(`simulate: --resource %q is not an ARN: want the resource's ARN, e.g. arn:aws:ecr:REGION:ACCOUNT:repository/%s for a repository, or "*"`, r, r)
	}
	return usageErrorf(`simulate: --resource %q is not an ARN: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, e.g. arn:aws:ecr:us-east-1:222222222222:repository/my-repo, or "*"`, r)
}

// ecrActions are the Amazon ECR actions ecrdoctor knows, to catch a typo in
// --action. The list may lag behind AWS, so a miss is only a warning.
var ecrActions = []string{
	"BatchCheckLayerAvailability", "BatchDeleteImage", "BatchGetImage", "BatchGetRepositoryScanningConfiguration",
	"BatchImportUpstreamImage", "CompleteLayerUpload", "CreatePullThroughCacheRule", "CreateRepository",
	"CreateRepositoryCreationTemplate", "DeleteLifecyclePolicy", "DeletePullThroughCacheRule", "DeleteRegistryPolicy",
	"DeleteRepository", "DeleteRepositoryCreationTemplate", "DeleteRepositoryPolicy", "DescribeImageReplicationStatus",
	"DescribeImageScanFindings", "DescribeImages", "DescribePullThroughCacheRules", "DescribeRegistry",
	"DescribeRepositories", "DescribeRepositoryCreationTemplates", "GetAccountSetting", "GetAuthorizationToken",
	"GetDownloadUrlForLayer", "GetLifecyclePolicy", "GetLifecyclePolicyPreview", "GetRegistryPolicy",
	"GetRegistryScanningConfiguration", "GetRepositoryPolicy", "InitiateLayerUpload", "ListImages",
	"ListTagsForResource", "PutAccountSetting", "PutImage", "PutImageScanningConfiguration", "PutImageTagMutability",
	"PutLifecyclePolicy", "PutRegistryPolicy", "PutRegistryScanningConfiguration", "PutReplicationConfiguration",
	"ReplicateImage", "SetRepositoryPolicy", "StartImageScan", "StartLifecyclePolicyPreview", "TagResource",
	"UntagResource", "UpdatePullThroughCacheRule", "UpdateRepositoryCreationTemplate", "UploadLayerPart",
	"ValidatePullThroughCacheRule",
}

// actionTypo returns the known ECR action an ecr: --action is most likely a
// typo of, or "" when the action is known or not close to any: a name far
// from every known one may well be an action newer than the list.
func actionTypo(action string) string {
	service, name, _ := strings.Cut(action, ":")
	if !strings.EqualFold(service, "ecr") {
		return ""
	}
	best, bestDist := "", 3
	for _, known := range ecrActions {
		if strings.EqualFold(name, known) {
			return ""
		}
		if d := diagnose.EditDistance(strings.ToLower(name), strings.ToLower(known)); d < bestDist {
			best, bestDist = known, d
		}
	}
	if best == "" {
		return ""
	}
	return "ecr:" + best
}

func runSimulate(s IO, o SimulateOptions) error {
	req, err := o.request()
	if err != nil {
		return err
	}
	if typo := actionTypo(o.Action); typo != "" {
		fmt.Fprintf(s.Err, "ecrdoctor: warning: simulate: --action %s is not an ECR action ecrdoctor knows; did you mean %s? It is evaluated as given.\n", o.Action, typo)
	}
	resource, err := readPolicy(s, "--policy", o.PolicyFile)
	if err != nil {
		return err
	}
	var identity []*policy.Policy
	for _, f := range o.IdentityFiles {
		p, err := readPolicy(s, "--identity-policy", f)
		if err != nil {
			return err
		}
		identity = append(identity, p)
	}
	if o.ContextFile != "" {
		fileCtx, err := readContextFile(s, o.ContextFile)
		if err != nil {
			return err
		}
		// --context flags override the file's value for the same key.
		for k, v := range fileCtx {
			if !hasKeyFold(req.Context, k) {
				req.Context[k] = v
			}
		}
	}

	res := policy.EvaluateWithIdentity(resource, identity, req)
	if o.Output == "json" {
		err = writeSimulateJSON(s.Out, res)
	} else {
		err = writeSimulateText(s.Out, res, o.ReplicationFrom == "")
	}
	if err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	if res.Decision != policy.DecisionAllow {
		return findingsExit()
	}
	return nil
}

func hasKeyFold(m map[string][]string, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

func readInput(s IO, name string) ([]byte, string, error) {
	if name == "-" {
		data, err := io.ReadAll(s.In)
		return data, "stdin", err
	}
	data, err := os.ReadFile(name)
	return data, name, err
}

func readPolicy(s IO, flag, name string) (*policy.Policy, error) {
	data, shown, err := readInput(s, name)
	if err != nil {
		return nil, inputErrorf("simulate: %s: reading %s: %w", flag, shown, err)
	}
	data, wrapped, err := unwrapPolicyText(data)
	if err != nil {
		return nil, inputErrorf("simulate: %s %s: %v", flag, shown, err)
	}
	p, err := policy.Parse(data)
	if err == nil {
		return p, nil
	}
	var pe *policy.ParseError
	switch {
	case errors.As(err, &pe) && pe.Path != "" && wrapped:
		return nil, inputErrorf("simulate: %s %s: invalid policy in policyText at %s", flag, shown, err)
	case errors.As(err, &pe) && pe.Path != "":
		return nil, inputErrorf("simulate: %s %s: invalid policy at %s", flag, shown, err)
	case wrapped:
		return nil, inputErrorf("simulate: %s %s: in policyText: %v", flag, shown, err)
	}
	return nil, inputErrorf("simulate: %s %s: %v", flag, shown, err)
}

// unwrapPolicyText returns the policy held in the output of
// aws ecr get-registry-policy or get-repository-policy, the form snapshot
// folders store it in: an object whose policyText is the policy as a JSON
// string. Anything else is returned as is, for policy.Parse to judge.
func unwrapPolicyText(data []byte) (doc []byte, wrapped bool, err error) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return data, false, nil
	}
	if e, isErr := fields["Error"]; isErr && fields["Statement"] == nil {
		// A snapshot's <call>.error.json: there is no policy to evaluate.
		var apiErr struct{ Code, Message string }
		_ = json.Unmarshal(e, &apiErr)
		return nil, false, fmt.Errorf("the file holds an AWS error (%s: %s), not a policy: the call that should have returned the policy failed", apiErr.Code, apiErr.Message)
	}
	raw, ok := fields["policyText"]
	if _, statement := fields["Statement"]; !ok || statement {
		return data, false, nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return nil, true, fmt.Errorf("policyText is %s, want the policy document as a JSON string, as aws ecr get-registry-policy prints it", jsonKind(raw))
	}
	return []byte(text), true, nil
}

// jsonKind names the kind of a JSON value the way a user thinks of it.
func jsonKind(raw json.RawMessage) string {
	switch t := bytes.TrimSpace(raw); {
	case len(t) == 0:
		return "empty"
	case t[0] == '{':
		return "an object"
	case t[0] == '[':
		return "a list"
	case t[0] == '"':
		return "a string"
	case bytes.Equal(t, []byte("null")):
		return "null"
	case bytes.Equal(t, []byte("true")) || bytes.Equal(t, []byte("false")):
		return "a boolean"
	}
	return "a number"
}

func readContextFile(s IO, name string) (map[string][]string, error) {
	data, shown, err := readInput(s, name)
	if err != nil {
		return nil, inputErrorf("simulate: --context-file: reading %s: %w", shown, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, inputErrorf("simulate: --context-file %s: not JSON: %s", shown, policy.SyntaxMessage(data, err))
		}
		return nil, inputErrorf("simulate: --context-file %s: want a JSON object of key -> string or list of strings: %v", shown, err)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string][]string, len(raw))
	for _, k := range keys {
		// Numbers keep their text: an account id such as 111111111111 must
		// not turn into 1.11111111111e+11.
		dec := json.NewDecoder(bytes.NewReader(raw[k]))
		dec.UseNumber()
		var one any
		if err := dec.Decode(&one); err != nil {
			return nil, inputErrorf("simulate: --context-file %s: key %q: %v", shown, k, err)
		}
		vals, ok := contextValues(one)
		if !ok {
			return nil, inputErrorf("simulate: --context-file %s: key %q is %s: want a string or a list of strings (numbers and booleans are read as their text)", shown, k, jsonKind(raw[k]))
		}
		out[k] = append(out[k], vals...)
	}
	return out, nil
}

func contextValues(v any) ([]string, bool) {
	scalar := func(v any) (string, bool) {
		switch t := v.(type) {
		case string:
			return t, true
		case bool:
			return fmt.Sprint(t), true
		case json.Number:
			return t.String(), true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, ok := scalar(item)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// simulateJSON is the stable JSON shape: ticket bots parse it.
type simulateJSON struct {
	FormatVersion      string          `json:"format_version"`
	Decision           string          `json:"decision"`
	Statements         []statementJSON `json:"statements"`
	MissingContextKeys []string        `json:"missing_context_keys"`
	// IdentityAssumed: the Allow assumes the caller's identity policies
	// allow the request too, since none was given and IAM needs it.
	IdentityAssumed bool   `json:"identity_assumed"`
	Summary         string `json:"summary"`
}

type statementJSON struct {
	Policy  string `json:"policy"`
	Index   int    `json:"index"`
	Sid     string `json:"sid"`
	Effect  string `json:"effect"`
	Applies bool   `json:"applies"`
	Reason  string `json:"reason"`
}

func writeSimulateJSON(w io.Writer, res policy.Result) error {
	out := simulateJSON{
		FormatVersion:      "1",
		Decision:           string(res.Decision),
		Statements:         make([]statementJSON, 0, len(res.Statements)),
		MissingContextKeys: append([]string{}, res.MissingContextKeys...),
		IdentityAssumed:    res.IdentityAssumed,
		Summary:            res.Summary,
	}
	for _, sr := range res.Statements {
		out.Statements = append(out.Statements, statementJSON{
			Policy: sr.Policy, Index: sr.Index, Sid: sr.Sid, Effect: string(sr.Effect),
			Applies: sr.Applies, Reason: sr.Reason,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeSimulateText prints the decision, the summary (which names the
// deciding or closest statement and why, and any identity-side Allow it
// assumed) and the keys it could not know. identityHint adds how to check an
// assumed identity side; the replication role's is AWS-managed.
func writeSimulateText(w io.Writer, res policy.Result, identityHint bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Decision: %s\n%s\n", res.Decision, res.Summary)
	if res.IdentityAssumed && identityHint {
		b.WriteString("Give the caller's identity policies with --identity-policy to evaluate that side too.\n")
	}
	if len(res.MissingContextKeys) > 0 {
		keys := append([]string(nil), res.MissingContextKeys...)
		sort.Strings(keys)
		fmt.Fprintf(&b, "Condition keys consulted but absent from the request: %s (pass them with --context to be sure).\n", strings.Join(keys, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
