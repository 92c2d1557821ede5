package diagnose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// attachFix computes the destination's fix, verifies it with the evaluator
// and attaches it to the root-cause finding.
func (a *analysis) attachFix(c *destCheck) error {
	target := -1
	for i, f := range c.findings {
		if f.Severity == SeverityError {
			target = i
			break
		}
	}
	if target < 0 {
		return nil
	}
	fix := a.buildFix(c)
	if prior := c.findings[target].Fix; prior != nil {
		if c.findings[target].Code == CodeConditionNotSatisfied {
			// The caveat about bypassing a condition comes before the
			// policy that bypasses it.
			fix.Steps = append(slices.Clone(prior.Steps), fix.Steps...)
		} else {
			fix.Steps = append(fix.Steps, prior.Steps...)
		}
	}
	if d := firstDenial(c.denied); d != nil && d.Kind == trail.KindExplicit && d.PolicyType != trail.PolicyResource {
		// The evaluator reads only the registry policy: it cannot vouch
		// for a request an SCP (or another policy) denies outright.
		fix.Verified = false
		fix.Steps = append([]string{fmt.Sprintf("The newest recorded denial is an explicit Deny in %s, which no registry policy can override: the grant below is still needed, but replication keeps failing until that Deny is changed. %s",
			withArticle(d.PolicyType), denyStep(d, a.snap.Source.Account))}, fix.Steps...)
		c.findings[target].Detail += fmt.Sprintf(" CloudTrail's newest denial, however, names an explicit Deny in %s.", withArticle(d.PolicyType))
	}
	c.findings[target].Fix = fix
	return nil
}

// withArticle puts "a" or "an" before a policy type.
func withArticle(policyType string) string {
	policyType = orPolicy(policyType)
	if strings.ContainsRune("aeiouAEIOU", rune(policyType[0])) {
		return "an " + policyType
	}
	return "a " + policyType
}

// denyStep says where to look for an explicit Deny of the replication role.
func denyStep(d *trail.Denial, source string) string {
	where := map[string]string{
		trail.PolicySCP:         " (attached in AWS Organizations to the source account " + source + " or an organizational unit above it)",
		trail.PolicyRCP:         " (attached in AWS Organizations to the destination account or an organizational unit above it)",
		trail.PolicyVPCEndpoint: " (of the VPC endpoint the request went through)",
		trail.PolicyResource:    " (the destination's registry policy)",
	}[d.PolicyType]
	arn := ""
	if d.PolicyARN != "" {
		arn = " " + d.PolicyARN
	}
	return fmt.Sprintf("Find the Deny statement matching ecr:ReplicateImage in the %s%s%s, and narrow it or exempt the replication role of account %s: an explicit Deny cannot be overridden by any Allow.",
		orPolicy(d.PolicyType), arn, where, source)
}

func (a *analysis) buildFix(c *destCheck) *Fix {
	s := a.snap
	src, dst := s.Source.Account, c.d.loc
	actions := []string{actionReplicate}
	if c.policy != nil && a.evaluate(c.policy, a.request(c, actionReplicate)).Decision == policy.DecisionAllow {
		actions = nil // already allowed: grant only what is missing
	}
	if c.repo != triYes {
		actions = append(actions, actionCreate)
	}
	existing := ""
	if c.known && c.policy != nil {
		existing = c.text
	}
	merged, sid, err := mergeGrant(existing, src, dst, c.d.prefixes, actions)
	if err != nil {
		return &Fix{Steps: []string{fmt.Sprintf("Add a statement to the registry policy of %s that allows %s %s: %v", dst, awsid.AccountRootARN(dst.Region, src), strings.Join(actions, " and "), err)}}
	}

	// Verify: the proposed policy must allow every request that failed.
	fix := &Fix{Steps: []string{}}
	p, perr := policy.Parse(merged)
	verified := perr == nil
	var blockers []string
	if perr == nil {
		for _, act := range actions {
			res := policy.Evaluate(p, a.request(c, act))
			if res.Decision != policy.DecisionAllow {
				verified = false
				for _, st := range res.Deciding {
					blockers = append(blockers, statementName(st))
				}
				if len(blockers) == 0 {
					blockers = append(blockers, res.Summary)
				}
			}
		}
		for _, e := range c.denied {
			if e.RepositoryARN == "" || e.RepositoryARN == c.arn {
				continue
			}
			req := a.request(c, "ecr:"+e.EventName)
			req.Resource = e.RepositoryARN
			if policy.Evaluate(p, req).Decision != policy.DecisionAllow {
				verified = false
			}
		}
	}
	if !verified {
		fix.Steps = append(fix.Steps,
			fmt.Sprintf("Adding a grant cannot fix this: %s in the registry policy of %s would still deny the replication role. Decide whether that statement should exempt account %s "+
				"(for example by excluding it in the statement's condition) or whether replication from %s should stay blocked; ecrdoctor does not change a Deny for you.",
				strings.Join(blockers, ", "), dst, src, src))
		return fix
	}
	if issues := policy.CheckRegistryPolicy(compactJSON(string(merged)), p, a.scope(c.reg)); len(issues) > 0 {
		var msgs []string
		for _, iss := range issues {
			msgs = append(msgs, iss.Message)
		}
		fix.Steps = append(fix.Steps, fmt.Sprintf("The merged registry policy would be rejected by AWS: %s. Correct the existing statements first; ecrdoctor adds only ecr:ReplicateImage and ecr:CreateRepository, which every registry policy scope accepts.",
			strings.Join(msgs, "; ")))
		return fix
	}

	fix.RegistryPolicy = json.RawMessage(merged)
	fix.AWSCLI = fmt.Sprintf("aws ecr put-registry-policy --region %s --policy-text %s", dst.Region, shellQuote(compactJSON(string(merged))))
	fix.Terraform = terraformRegistryPolicy(dst, src, merged)
	fix.Verified = true

	switch {
	case !c.known:
		fix.Verified = false
		fix.Steps = append(fix.Steps,
			fmt.Sprintf("ecrdoctor could not read the current registry policy of %s. put-registry-policy replaces the whole policy: first run `aws ecr get-registry-policy --region %s` with account %s's credentials; "+
				"if it returns RegistryPolicyNotFoundException, apply the policy below as it is, otherwise add statement %q to the existing policy.", dst, dst.Region, dst.Account, sid))
	case existing != "":
		fix.Steps = append(fix.Steps, fmt.Sprintf("Put this registry policy in account %s, region %s: it keeps the existing %d statement(s) unchanged and adds statement %q, which allows account %s %s.",
			dst.Account, dst.Region, len(c.policy.Statements), sid, src, strings.Join(actions, " and ")))
	default:
		fix.Steps = append(fix.Steps, fmt.Sprintf("Create this registry policy in account %s, region %s: statement %q allows account %s %s.", dst.Account, dst.Region, sid, src, strings.Join(actions, " and ")))
	}
	fix.Steps = append(fix.Steps, fmt.Sprintf("Apply it with the aws command below, run with credentials of account %s (for example --profile <destination profile>), or with the Terraform resource below in a configuration for that account and region.", dst.Account))
	if c.misplaced != nil {
		fix.Steps = append(fix.Steps, misplacedRemovalSteps(c.misplaced, s.Repository, dst)...)
	}
	fix.Steps = append(fix.Steps, "ECR does not retry failed replications: once the policy is in place, push the affected images again so they replicate.")
	return fix
}

// mergeGrant returns the registry policy to put: the existing policy's
// statements unchanged, plus a statement granting the source account the
// actions on the repositories the rule replicates.
func mergeGrant(existing, src string, dst Location, prefixes, actions []string) ([]byte, string, error) {
	doc := struct {
		Version   string            `json:"Version"`
		ID        json.RawMessage   `json:"Id,omitempty"`
		Statement []json.RawMessage `json:"Statement"`
	}{Version: "2012-10-17"}
	sids := map[string]bool{}
	if existing != "" {
		top, stmts, err := splitPolicy(existing)
		if err != nil {
			return nil, "", fmt.Errorf("the existing policy: %w", err)
		}
		if v, ok := top["Version"]; ok {
			_ = json.Unmarshal(v, &doc.Version)
		}
		doc.ID = top["Id"]
		doc.Statement = stmts
		for _, st := range doc.Statement {
			var x struct{ Sid string }
			_ = json.Unmarshal(st, &x)
			sids[x.Sid] = true
		}
	}
	sid := "AllowReplicationFrom" + src
	for i := 2; sids[sid]; i++ {
		sid = fmt.Sprintf("AllowReplicationFrom%sNo%d", src, i) // not %s%d: that reads as a 13-digit account
	}
	resources := grantResources(dst, prefixes)
	grant := struct {
		Sid       string `json:"Sid"`
		Effect    string `json:"Effect"`
		Principal struct {
			AWS string `json:"AWS"`
		} `json:"Principal"`
		Action   []string `json:"Action"`
		Resource any      `json:"Resource"`
	}{Sid: sid, Effect: "Allow", Action: actions}
	grant.Principal.AWS = awsid.AccountRootARN(dst.Region, src)
	if len(resources) == 1 {
		grant.Resource = resources[0]
	} else {
		grant.Resource = resources
	}
	g, err := json.Marshal(grant)
	if err != nil {
		return nil, "", err
	}
	doc.Statement = append(doc.Statement, g)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, "", err
	}
	return out, sid, nil
}

// grantResources scopes the grant to the rule's filter prefixes in the
// destination registry.
func grantResources(dst Location, prefixes []string) []string {
	base := awsid.RepositoryARN(dst, "")
	var out []string
	for _, p := range prefixes {
		if p == "" {
			return []string{base + "*"}
		}
		out = appendUnique(out, base+p+"*")
	}
	if len(out) == 0 {
		return []string{base + "*"}
	}
	return out
}

// misplacedRemovalSteps say how to take the replication grant out of the
// repository policy.
func misplacedRemovalSteps(m *misplaced, repo string, dst Location) []string {
	top, stmts, _ := splitPolicy(m.text)
	drop := map[int]bool{}
	var names []string
	manual := false
	for _, sr := range m.statements {
		names = append(names, statementName(sr))
		if sr.Index < len(stmts) && onlyReplicationActions(stmts[sr.Index]) {
			drop[sr.Index] = true
		} else {
			manual = true
		}
	}
	steps := []string{}
	if manual {
		return append(steps, fmt.Sprintf("Remove ecr:ReplicateImage and ecr:CreateRepository from %s of the repository policy of %s in %s (Terraform: the aws_ecr_repository_policy of that repository): it has no effect there and hides the real problem.",
			strings.Join(names, " and "), repo, dst))
	}
	var keep []json.RawMessage
	for i, st := range stmts {
		if !drop[i] {
			keep = append(keep, st)
		}
	}
	if len(keep) == 0 {
		return append(steps, fmt.Sprintf("Remove the misplaced grant: %s is the only content of the repository policy of %s, so delete that policy with `aws ecr delete-repository-policy --region %s --repository-name %s` (Terraform: remove the aws_ecr_repository_policy resource).",
			strings.Join(names, " and "), repo, dst.Region, shellQuote(repo)))
	}
	top["Statement"], _ = json.Marshal(keep)
	rest, _ := json.Marshal(top)
	return append(steps, fmt.Sprintf("Remove the misplaced grant (%s) from the repository policy of %s, keeping its other statements: `aws ecr set-repository-policy --region %s --repository-name %s --policy-text %s` (Terraform: delete that statement from the aws_ecr_repository_policy).",
		strings.Join(names, " and "), repo, dst.Region, shellQuote(repo), shellQuote(string(rest))))
}

func onlyReplicationActions(stmt json.RawMessage) bool {
	var x struct{ Action any }
	if json.Unmarshal(stmt, &x) != nil {
		return false
	}
	var acts []string
	switch v := x.Action.(type) {
	case string:
		acts = []string{v}
	case []any:
		for _, a := range v {
			s, ok := a.(string)
			if !ok {
				return false
			}
			acts = append(acts, s)
		}
	default:
		return false
	}
	for _, act := range acts {
		if !strings.EqualFold(act, actionReplicate) && !strings.EqualFold(act, actionCreate) {
			return false
		}
	}
	return len(acts) > 0
}

// terraformRegistryPolicy is the aws_ecr_registry_policy resource that puts
// the merged policy.
func terraformRegistryPolicy(dst Location, src string, merged []byte) string {
	body := strings.ReplaceAll(string(merged), "${", "$${")
	body = strings.ReplaceAll(body, "%{", "%%{")
	var b strings.Builder
	fmt.Fprintf(&b, "# In account %s, region %s: a registry has one registry policy per region,\n", dst.Account, dst.Region)
	fmt.Fprintf(&b, "# so this replaces any other aws_ecr_registry_policy there.\n")
	fmt.Fprintf(&b, "resource \"aws_ecr_registry_policy\" \"replication_from_%s\" {\n", src)
	b.WriteString("  policy = <<-EOT\n")
	for _, line := range strings.Split(body, "\n") {
		b.WriteString("    " + line + "\n")
	}
	b.WriteString("  EOT\n}")
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// compactJSON returns text without insignificant whitespace (or text itself
// when it is not JSON).
func compactJSON(text string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return text
	}
	return b.String()
}

// statementJSON returns the compact text of statement index of a policy.
func statementJSON(text string, index int) string {
	_, stmts, err := splitPolicy(text)
	if err != nil || index < 0 || index >= len(stmts) {
		return compactJSON(text)
	}
	return compactJSON(string(stmts[index]))
}

// splitPolicy returns a policy's top-level elements and its statements as
// written, whether Statement is one object or a list.
func splitPolicy(text string) (map[string]json.RawMessage, []json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	st := bytes.TrimSpace(top["Statement"])
	switch {
	case len(st) == 0:
		return top, nil, nil
	case st[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(st, &list); err != nil {
			return nil, nil, fmt.Errorf("Statement: %w", err)
		}
		return top, list, nil
	}
	return top, []json.RawMessage{st}, nil
}

// nearestARN returns the pattern in candidates closest to arn.
func nearestARN(candidates []string, arn string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := EditDistance(c, arn)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// describeARNDifference says which ARN field differs between the pattern a
// statement names and the repository ARN.
func describeARNDifference(pattern, arn string) string {
	p := strings.SplitN(pattern, ":", 6)
	r := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return fmt.Sprintf("%q is not an ECR repository ARN of the form arn:aws:ecr:REGION:ACCOUNT:repository/NAME.", pattern)
	}
	names := []string{"prefix", "partition", "service", "region", "account", "resource"}
	var diffs []string
	for i := 1; i < 6; i++ {
		if !policy.MatchWildcard(p[i], r[i], false) {
			switch names[i] {
			case "service":
				diffs = append(diffs, fmt.Sprintf("the service is %q instead of \"ecr\"", p[i]))
			case "resource":
				diffs = append(diffs, fmt.Sprintf("the repository part is %q instead of %q", p[i], r[i]))
			default:
				diffs = append(diffs, fmt.Sprintf("the %s is %q instead of %q", names[i], p[i], r[i]))
			}
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("The nearest one, %s, was probably meant for %s: %s.", pattern, arn, strings.Join(diffs, "; "))
}
