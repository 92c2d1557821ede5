package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

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

func simulateCommand(s *streams) *cli.Command {
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

  # The policy on stdin.
  aws ecr get-registry-policy --query policyText --output text |
      ecrdoctor simulate --policy - --replication-from 111111111111 \
      --resource arn:aws:ecr:us-west-2:222222222222:repository/app`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "resource policy JSON `FILE` ('-' reads stdin)"},
			&cli.GenericFlag{Name: "identity-policy", Value: identity, Usage: "caller-side (identity) policy JSON `FILE`; repeatable"},
			&cli.StringFlag{Name: "principal", Usage: "the caller `P`: an ARN, a 12-digit account id, a service principal or anonymous"},
			&cli.StringFlag{Name: "replication-from", Usage: "the caller is ECR replication from source `ACCOUNT`"},
			&cli.StringFlag{Name: "action", Usage: "the API `ACTION`, e.g. ecr:ReplicateImage (default with --replication-from)"},
			&cli.StringFlag{Name: "resource", Usage: "the resource `ARN`"},
			&cli.StringFlag{Name: "resource-account", Usage: "account `ID` owning the resource (default: the account in --resource)"},
			&cli.GenericFlag{Name: "context", Value: context, Usage: "condition key `KEY=VALUE`; repeatable, a repeated key gets several values"},
			&cli.StringFlag{Name: "context-file", Usage: "JSON `FILE` of condition keys: {\"key\": \"value\" or [\"v1\", \"v2\"]}"},
			&cli.StringFlag{Name: "output", Value: "text", Usage: "output `FORMAT`: text or json"},
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

var accountRe = regexp.MustCompile(`^[0-9]{12}$`)

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
		if !accountRe.MatchString(o.ReplicationFrom) {
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
	if o.Resource == "" {
		return req, usageErrorf("simulate: --resource ARN is required")
	}
	if o.ResourceAccount != "" && !accountRe.MatchString(o.ResourceAccount) {
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

func runSimulate(s *streams, o SimulateOptions) error {
	req, err := o.request()
	if err != nil {
		return err
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
		err = writeSimulateJSON(s.out, res)
	} else {
		err = writeSimulateText(s.out, res)
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

func readInput(s *streams, name string) ([]byte, string, error) {
	if name == "-" {
		data, err := io.ReadAll(s.in)
		return data, "stdin", err
	}
	data, err := os.ReadFile(name)
	return data, name, err
}

func readPolicy(s *streams, flag, name string) (*policy.Policy, error) {
	data, shown, err := readInput(s, name)
	if err != nil {
		return nil, inputErrorf("simulate: %s: reading %s: %w", flag, shown, err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		var pe *policy.ParseError
		if errors.As(err, &pe) && pe.Path != "" {
			return nil, inputErrorf("simulate: %s %s: invalid policy at %s", flag, shown, err)
		}
		return nil, inputErrorf("simulate: %s %s: %v", flag, shown, err)
	}
	return p, nil
}

func readContextFile(s *streams, name string) (map[string][]string, error) {
	data, shown, err := readInput(s, name)
	if err != nil {
		return nil, inputErrorf("simulate: --context-file: reading %s: %w", shown, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, inputErrorf("simulate: --context-file %s: want a JSON object of key -> string or list of strings: %v", shown, err)
	}
	out := make(map[string][]string, len(raw))
	for k, v := range raw {
		var one any
		if err := json.Unmarshal(v, &one); err != nil {
			return nil, inputErrorf("simulate: --context-file %s: %s: %v", shown, k, err)
		}
		vals, ok := contextValues(one)
		if !ok {
			return nil, inputErrorf("simulate: --context-file %s: key %q: want a string or a list of strings", shown, k)
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
		case float64:
			return fmt.Sprint(t), true
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
	Summary            string          `json:"summary"`
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
// deciding or closest statement and why) and the keys it could not know.
func writeSimulateText(w io.Writer, res policy.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Decision: %s\n%s\n", res.Decision, res.Summary)
	if len(res.MissingContextKeys) > 0 {
		keys := append([]string(nil), res.MissingContextKeys...)
		sort.Strings(keys)
		fmt.Fprintf(&b, "Condition keys consulted but absent from the request: %s (pass them with --context to be sure).\n", strings.Join(keys, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
