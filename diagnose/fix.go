package diagnose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// The fix is built by one step after the checks, for the destination's
// root cause: its first error in rank order.

// grantFixes is the rule that says whether the root cause is fixed by a
// grant in the destination's registry policy: yes, unless its check gave it
// steps of its own (a source-side cause, a failure in the source account, a
// denial by a policy ecrdoctor does not read, an explicit Deny CloudTrail
// names while the destination is unreadable). CONDITION_NOT_SATISFIED is the
// one code that has both: its steps are a caveat about the condition the
// grant makes moot, and come first.
func grantFixes(root Finding) bool {
	return root.Fix == nil || root.Code == CodeConditionNotSatisfied
}

// attachFix builds the destination's fix, verifies it with the evaluator
// and attaches it to the root cause.
func attachFix(d *destination, found []Finding) {
	target := slices.IndexFunc(found, func(f Finding) bool { return f.Severity == SeverityError })
	if target < 0 || !grantFixes(found[target]) {
		return
	}
	fix := buildFix(d, found)
	if prior := found[target].Fix; prior != nil {
		fix.Steps = append(slices.Clone(prior.Steps), fix.Steps...)
	}
	explicitDenyCaveat(d, fix, &found[target])
	found[target].Fix = fix
}

// explicitDenyCaveat warns, on the root cause and its fix, that the newest
// denial is an explicit Deny in a policy the grant cannot override.
func explicitDenyCaveat(d *destination, fix *Fix, root *Finding) {
	if den := d.denial; den != nil && den.Kind == trail.KindExplicit && den.PolicyType != trail.PolicyResource {
		// The evaluator reads only the registry policy: it cannot vouch
		// for a request an SCP (or another policy) denies outright.
		fix.Verified = false
		fix.Steps = append([]string{fmt.Sprintf("The newest recorded denial is an explicit Deny in %s, which no registry policy can override: the grant below is still needed, but replication keeps failing until that Deny is changed. %s",
			withArticle(den.PolicyType), denyStep(den, d.Source.Account))}, fix.Steps...)
		root.Detail += fmt.Sprintf(" CloudTrail's newest denial, however, names an explicit Deny in %s.", withArticle(den.PolicyType))
	}
}

// buildFix is the registry policy that grants what is missing, verified
// against every request that failed.
func buildFix(d *destination, found []Finding) *Fix {
	src, dst := d.Source.Account, d.Destination
	actions := []string{actionReplicate}
	if d.registry != nil && d.replicate.Decision == policy.DecisionAllow {
		actions = nil // already allowed: grant only what is missing
	}
	if d.RepositoryExists != TriYes {
		actions = append(actions, actionCreate)
	}
	replaced := d.mistakenGrants()
	replace := map[int]bool{}
	var replacedNames []string
	for _, st := range replaced {
		replace[st.Index] = true
		replacedNames = append(replacedNames, statementName(st))
		// The replacement grants what the mistaken statement meant to.
		if stmt := d.registry.statement(st.Index); stmt != nil && slices.ContainsFunc(stmt.Action, func(a string) bool { return strings.EqualFold(a, actionCreate) }) && !slices.Contains(actions, actionCreate) {
			actions = append(actions, actionCreate)
		}
	}
	merged, sid, p, err := mergeGrant(d.registry, src, dst, d.Prefixes, actions, replace)
	if err != nil {
		return &Fix{Steps: []string{fmt.Sprintf("Add a statement to the registry policy of %s that allows %s %s: %v", dst, awsid.AccountRootARN(dst.Region, src), strings.Join(actions, " and "), err)}}
	}

	// Verify: the proposed policy must allow every request that failed.
	fix := &Fix{Steps: []string{}}
	verified := p != nil
	var blockers []string
	createDenied := false // ecr:CreateRepository is denied outright, and nothing else
	otherBlocked := false
	if p != nil {
		for _, act := range actions {
			res := policy.Evaluate(p, d.request(act))
			if res.Decision != policy.DecisionAllow {
				verified = false
				if act == actionCreate && res.Decision == policy.DecisionExplicitDeny {
					createDenied = true
				} else {
					otherBlocked = true
				}
				for _, st := range res.Deciding {
					blockers = append(blockers, statementName(st))
				}
				if len(blockers) == 0 {
					blockers = append(blockers, res.Summary)
				}
			}
		}
		for _, e := range d.Denied {
			if e.RepositoryARN == "" || e.RepositoryARN == d.arn {
				continue
			}
			req := d.request("ecr:" + e.EventName)
			req.Resource = e.RepositoryARN
			if policy.Evaluate(p, req).Decision != policy.DecisionAllow {
				verified = false
				otherBlocked = true
			}
		}
	}
	if createDenied && !otherBlocked && d.RepositoryExists == TriNo && d.replicate.Decision == policy.DecisionAllow {
		return createRepositoryFirst(d, blockers)
	}
	if !verified {
		fix.Steps = append(fix.Steps,
			fmt.Sprintf("Adding a grant cannot fix this: %s in the registry policy of %s would still deny the replication role. Decide whether that statement should exempt account %s "+
				"(for example by excluding it in the statement's condition) or whether replication from %s should stay blocked; ecrdoctor does not change a Deny for you.",
				strings.Join(blockers, ", "), dst, src, src))
		return fix
	}
	compact := compactJSON(string(merged))
	if issues := policy.CheckRegistryPolicy(compact, p, d.Scope); len(issues) > 0 {
		var msgs []string
		for _, iss := range issues {
			msgs = append(msgs, iss.Message)
		}
		fix.Steps = append(fix.Steps, fmt.Sprintf("The merged registry policy would be rejected by AWS: %s. Correct the existing statements first; ecrdoctor adds only ecr:ReplicateImage and ecr:CreateRepository, which every registry policy scope accepts.",
			strings.Join(msgs, "; ")))
		return fix
	}

	fix.RegistryPolicy = json.RawMessage(merged)
	fix.AWSCLI = fmt.Sprintf("aws ecr put-registry-policy --region %s --policy-text %s", shellQuote(dst.Region), shellQuote(compact))
	fix.Terraform = terraformRegistryPolicy(dst, "replication_from_"+src, merged)
	fix.Verified = true

	switch {
	case d.RegistryPolicy.State == PolicyUnknown:
		fix.Verified = false
		fix.Steps = append(fix.Steps,
			fmt.Sprintf("ecrdoctor could not read the current registry policy of %s. put-registry-policy replaces the whole policy: first run `aws ecr get-registry-policy --region %s` with account %s's credentials; "+
				"if it returns RegistryPolicyNotFoundException, apply the policy below as it is, otherwise add statement %q to the existing policy.", dst, shellQuote(dst.Region), dst.Account, sid))
	case len(replaced) > 0:
		kept := ""
		if n := len(d.registry.doc.Statements) - len(replaced); n > 0 {
			kept = fmt.Sprintf(", and keeps the other %d statement(s) unchanged", n)
		}
		fix.Steps = append(fix.Steps, fmt.Sprintf("Put this registry policy in account %s, region %s: it replaces %s, the grant diagnosed above as wrong, with statement %q, which allows account %s %s%s.",
			dst.Account, dst.Region, strings.Join(replacedNames, " and "), sid, src, strings.Join(actions, " and "), kept))
	case d.registry != nil:
		fix.Steps = append(fix.Steps, fmt.Sprintf("Put this registry policy in account %s, region %s: it keeps the existing %d statement(s) unchanged and adds statement %q, which allows account %s %s.",
			dst.Account, dst.Region, len(d.registry.doc.Statements), sid, src, strings.Join(actions, " and ")))
	default:
		fix.Steps = append(fix.Steps, fmt.Sprintf("Create this registry policy in account %s, region %s: statement %q allows account %s %s.", dst.Account, dst.Region, sid, src, strings.Join(actions, " and ")))
	}
	fix.Steps = append(fix.Steps, fmt.Sprintf("Apply it with the aws command below, run with credentials of account %s (for example --profile <destination profile>), or with the Terraform resource below in a configuration for that account and region.", dst.Account))
	if slices.ContainsFunc(found, func(f Finding) bool { return f.Code == CodeGrantInRepositoryPolicy }) {
		fix.Steps = append(fix.Steps, misplacedRemovalSteps(d.repoPolicy.text, d.repoGrants, d.Repository, dst)...)
	}
	backfillTo(fix, d, true)
	return fix
}

// mergeGrant returns the registry policy to put: the existing policy's
// statements unchanged, plus a statement granting the source account the
// actions on the repositories the rule replicates. The statements in replace
// are left out, and the grant takes the place of the first of them. The
// document is the one encoding/json's MarshalIndent writes for the existing
// statements as written, built from the text Parse kept, and the policy
// returned is what Parse reads from it (nil if it does not), spliced from
// the existing one: a registry policy of 10,000 statements is neither
// decoded nor compiled again.
func mergeGrant(existing *parsedPolicy, src string, dst Location, prefixes, actions []string, replace map[int]bool) ([]byte, string, *policy.Policy, error) {
	version, id := policy.Version2012, ""
	var stmts []string
	sids := map[string]bool{}
	if existing != nil {
		if v := existing.doc.Version; v != "" {
			version = v
		}
		id = existing.doc.ElementSource("Id")
		for i, st := range existing.doc.Statements {
			if !replace[i] {
				stmts = append(stmts, existing.doc.StatementSource(i))
				sids[st.Sid] = true
			}
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
		return nil, "", nil, err
	}
	at := len(stmts)
	for i := range replace {
		if i < at {
			at = i // the statements before it are all kept
		}
	}
	stmts = slices.Insert(stmts, at, string(g))

	var doc bytes.Buffer
	doc.WriteString(`{"Version":"` + version + `"`)
	if id != "" {
		doc.WriteString(`,"Id":` + id)
	}
	doc.WriteString(`,"Statement":[`)
	for i, st := range stmts {
		if i > 0 {
			doc.WriteByte(',')
		}
		doc.WriteString(st)
	}
	doc.WriteString("]}")
	// MarshalIndent escapes <, > and & (and U+2028, U+2029) in what it
	// copies, and indents; the whitespace as written is dropped by Indent.
	var escaped, out bytes.Buffer
	json.HTMLEscape(&escaped, doc.Bytes())
	if err := json.Indent(&out, escaped.Bytes(), "", "  "); err != nil {
		return nil, "", nil, err
	}
	var p *policy.Policy
	if existing == nil {
		p, _ = policy.Parse(out.Bytes())
	} else if add, err := policy.Parse([]byte(`{"Version":"` + version + `","Statement":[` + string(g) + `]}`)); err == nil {
		p = policy.Splice(existing.doc, replace, at, add, version)
	}
	return out.Bytes(), sid, p, nil
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
func misplacedRemovalSteps(text string, grants []policy.StatementResult, repo string, dst Location) []string {
	top, stmts, _ := splitPolicy(text)
	drop := map[int]bool{}
	var names []string
	manual := false
	for _, sr := range grants {
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
			strings.Join(names, " and "), repo, shellQuote(dst.Region), shellQuote(repo)))
	}
	top["Statement"], _ = json.Marshal(keep)
	rest, _ := json.Marshal(top)
	return append(steps, fmt.Sprintf("Remove the misplaced grant (%s) from the repository policy of %s, keeping its other statements: `aws ecr set-repository-policy --region %s --repository-name %s --policy-text %s` (Terraform: delete that statement from the aws_ecr_repository_policy).",
		strings.Join(names, " and "), repo, shellQuote(dst.Region), shellQuote(repo), shellQuote(string(rest))))
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
	return onlyReplicationActionList(acts)
}

// onlyReplicationActionList reports whether a statement's Action names
// ecr:ReplicateImage or ecr:CreateRepository and nothing else.
func onlyReplicationActionList(acts []string) bool {
	for _, act := range acts {
		if !strings.EqualFold(act, actionReplicate) && !strings.EqualFold(act, actionCreate) {
			return false
		}
	}
	return len(acts) > 0
}

// mistakenGrants are the registry policy's statements the fix replaces: the
// grants the checks diagnosed as wrong, when they grant nothing but
// replication. A Resource that misses the repository is wrong; a principal
// is wrong when it is a typo of the source account, the destination account
// itself, or one identity in the source account. A grant to an unrelated
// account may be another source's, and is kept.
func (d *destination) mistakenGrants() []policy.StatementResult {
	if d.registry == nil || !d.deniedImplicitly() {
		return nil
	}
	var out []policy.StatementResult
	for _, st := range d.resources {
		if d.onlyReplication(st.Index) {
			out = append(out, st)
		}
	}
	for _, st := range d.principals {
		if d.onlyReplication(st.Index) && d.mistakenPrincipal(st.Index) {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

func (d *destination) onlyReplication(index int) bool {
	st := d.registry.statement(index)
	return st != nil && onlyReplicationActionList(st.Action)
}

// createRepositoryFirst is the fix when the registry policy allows
// ecr:ReplicateImage but an explicit Deny on ecr:CreateRepository keeps
// replication from creating the missing destination repository: no grant
// overrides a Deny, so the repository is created first (FM-07), then the
// images are re-driven.
func createRepositoryFirst(d *destination, denies []string) *Fix {
	dst := d.Destination
	fix := &Fix{Steps: []string{
		fmt.Sprintf("A grant cannot fix this: %s in the registry policy of %s explicitly denies ecr:CreateRepository, so replication cannot create %s there. "+
			"Create the repository in %s first, with the same name, using the aws command below run with credentials of account %s (or the Terraform resource below in a configuration for that account and region); "+
			"the registry policy already allows the replication role ecr:ReplicateImage into it.",
			strings.Join(denies, ", "), dst, d.Repository, dst, dst.Account),
	}}
	fix.AWSCLI = fmt.Sprintf("aws ecr create-repository --region %s --repository-name %s", shellQuote(dst.Region), shellQuote(d.Repository))
	fix.Terraform = terraformRepository(dst, d.Repository)
	backfill(fix, d.Source, d.Repository, []Location{dst}, true)
	return fix
}

// terraformRepository is the aws_ecr_repository resource that creates the
// destination repository.
func terraformRepository(dst Location, repo string) string {
	label := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, strings.ToLower(repo))
	name := strings.ReplaceAll(strings.ReplaceAll(fmt.Sprintf("%q", repo), "${", "$${"), "%{", "%%{")
	return fmt.Sprintf("# In account %s, region %s: the repository replication may not create.\nresource \"aws_ecr_repository\" %q {\n  name = %s\n}", dst.Account, dst.Region, label, name)
}
