package diagnose

import (
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

const (
	actionReplicate = "ecr:ReplicateImage"
	actionCreate    = "ecr:CreateRepository"
)

// knownAbsentKeys are condition keys that the replication role's requests do
// not carry: conditions on them can never hold (the aws:Source* keys are set
// only when a service principal acts on someone's behalf). Absent keys not in
// this list make an answer uncertain instead.
var knownAbsentKeys = map[string]bool{
	"aws:sourceaccount":  true,
	"aws:sourcearn":      true,
	"aws:sourceorgid":    true,
	"aws:sourceorgpaths": true,
}

// path is the branch of the diagnosis a destination is on: which question
// its registry policy answers, if any.
type path int

const (
	pathSource         path = iota // the destination is the source registry itself
	pathOtherPartition             // another partition: no policy can make it work (CROSS_PARTITION)
	pathSameAccount                // another region of the source account: no policy needed
	pathUnreadable                 // cross-account, and the registry policy is unknown
	pathAllowed                    // the registry policy allows replication
	pathHeld                       // it allows it under a condition the evidence shows holding
	pathUncertain                  // it allows it under a condition ecrdoctor cannot know
	pathDenied                     // it does not allow it
)

// destination is one destination as the checks see it: its facts and what
// the evaluator made of them. derive computes it once; checks and the fix
// only read it.
type destination struct {
	*DestinationFacts
	arn  string // the destination repository's ARN
	path path
	// registry is the parsed registry policy (nil unless present).
	registry *parsedPolicy
	// replicate is the registry policy's answer to the replication role's
	// ecr:ReplicateImage request; create to ecr:CreateRepository, asked
	// only when needCreate.
	replicate  policy.Result
	needCreate bool
	create     policy.Result
	createOK   bool
	// uncertain are the absent condition keys that could change replicate.
	uncertain []string
	// held says how the evidence shows an uncertain condition holding.
	held string
	// The Allow statements for the replication request that fail in one
	// element (pathDenied), and those that hinge on an absent key
	// (pathUncertain).
	conds, resources, principals, actions, uncertainStatements []policy.StatementResult
	// repoPolicy and repoGrants: the repository policy's statements that
	// would allow replication, were it read there.
	repoPolicy *parsedPolicy
	repoGrants []policy.StatementResult
	// otherRegion is the first other region whose registry policy allows
	// the replication of the repository there.
	otherRegion *RegionPolicy
	// denial is the newest parsed CloudTrail denial, or nil.
	denial *trail.Denial
}

// parsedPolicy is a policy parsed once; doc keeps its statements as
// written too.
type parsedPolicy struct {
	text string
	doc  *policy.Policy
}

// statementJSON returns the compact text of statement index.
func (p *parsedPolicy) statementJSON(index int) string {
	if index < 0 || index >= len(p.doc.Statements) {
		return compactJSON(p.text)
	}
	return compactJSON(p.doc.StatementSource(index))
}

func (p *parsedPolicy) statement(index int) *policy.Statement {
	if p == nil || index < 0 || index >= len(p.doc.Statements) {
		return nil
	}
	return &p.doc.Statements[index]
}

// derive evaluates a destination's facts: each policy is parsed and
// evaluated once, here.
func (r *run) derive(df *DestinationFacts) (*destination, error) {
	d := &destination{DestinationFacts: df, arn: awsid.RepositoryARN(df.Destination, df.Repository), denial: firstDenial(df.Denied)}
	switch {
	case df.Destination == df.Source:
		d.path = pathSource
		return d, nil
	case awsid.Partition(df.Source.Region) != awsid.Partition(df.Destination.Region):
		// CROSS_PARTITION is the whole answer: the destination's policies,
		// readable or not, cannot change it.
		d.path = pathOtherPartition
		return d, nil
	case !df.CrossAccount():
		d.path = pathSameAccount
		return d, nil
	case df.RegistryPolicy.State == PolicyUnknown:
		d.path = pathUnreadable
		return d, nil
	}
	if df.RegistryPolicy.State == PolicyPresent {
		p, err := r.parse(df.RegistryPolicy)
		if err != nil {
			return nil, err
		}
		d.registry = p
		for _, iss := range policy.CheckRegistryPolicy(p.text, p.doc, df.Scope) {
			r.warn("%s registry policy (%s): %s", df.Destination, locate(iss.Path), iss.Message)
		}
	}
	d.replicate = d.evaluate(d.registry, d.request(actionReplicate))
	d.needCreate = df.RepositoryExists == TriNo || hasEvent(df.Denied, "CreateRepository")
	d.createOK = true
	if d.needCreate {
		d.create = d.evaluate(d.registry, d.request(actionCreate))
		d.createOK = d.create.Decision == policy.DecisionAllow
	}
	d.uncertain = uncertainKeys(d.replicate)
	r.placement(d)

	switch {
	case d.replicate.Decision == policy.DecisionAllow && len(d.uncertain) == 0:
		d.path = pathAllowed
	case len(d.uncertain) > 0 && d.replicate.Decision != policy.DecisionExplicitDeny:
		if held, ok := conditionHeld(d); ok {
			d.path, d.held = pathHeld, held
			break
		}
		for _, st := range d.replicate.Statements {
			if st.Policy == "resource" && st.PrincipalMatch && st.ActionMatch && st.ResourceMatch && st.DependsOnMissingKey {
				d.uncertainStatements = append(d.uncertainStatements, st)
			}
		}
		d.path = pathUncertain
		if len(d.uncertainStatements) == 0 {
			d.path = pathDenied
		}
	default:
		d.path = pathDenied
	}
	if d.path == pathDenied {
		for _, st := range d.replicate.Statements {
			if st.Policy != "resource" || st.Effect != policy.Allow {
				continue
			}
			switch {
			case st.PrincipalMatch && st.ActionMatch && st.ResourceMatch && !st.ConditionMatch:
				d.conds = append(d.conds, st)
			case st.PrincipalMatch && st.ActionMatch && !st.ResourceMatch:
				d.resources = append(d.resources, st)
			case !st.PrincipalMatch && st.ActionMatch:
				d.principals = append(d.principals, st)
			case st.PrincipalMatch && !st.ActionMatch:
				d.actions = append(d.actions, st)
			}
		}
	}
	return d, nil
}

// placement evaluates the places a replication grant is put by mistake:
// the repository's own policy, and the account's other regions.
func (r *run) placement(d *destination) {
	if rp := d.RepositoryPolicy; rp.State == PolicyPresent {
		if p, err := r.parse(rp); err != nil {
			r.warn("%v", err)
		} else {
			d.repoPolicy = p
			for _, st := range d.evaluate(p, d.request(actionReplicate)).Statements {
				if st.Effect == policy.Allow && st.PrincipalMatch && st.ActionMatch && st.ResourceMatch {
					d.repoGrants = append(d.repoGrants, st)
				}
			}
		}
	}
	for i, o := range d.OtherRegions {
		p, err := r.parse(o.Policy)
		if err != nil {
			r.warn("%v", err)
			continue
		}
		loc := Location{Account: d.Destination.Account, Region: o.Region}
		req := d.request(actionReplicate)
		req.Resource = awsid.RepositoryARN(loc, d.Repository)
		if d.evaluate(p, req).Decision == policy.DecisionAllow {
			d.otherRegion = &d.OtherRegions[i]
			return
		}
	}
}

// parse parses a policy once per text.
func (r *run) parse(pf PolicyFact) (*parsedPolicy, error) {
	if p, ok := r.parsed[pf.Text]; ok {
		return p, nil
	}
	doc, err := policy.Parse([]byte(pf.Text))
	if err != nil {
		return nil, fmt.Errorf("%s: policyText is not a valid policy: %w", pf.Source, err)
	}
	p := &parsedPolicy{text: pf.Text, doc: doc}
	r.parsed[pf.Text] = p
	return p, nil
}

// request builds the replication role's request against the destination.
func (d *destination) request(action string) policy.Request {
	return policy.Request{
		Principal:       policy.ReplicationPrincipal(d.Source.Account),
		Action:          action,
		Resource:        d.arn,
		ResourceAccount: d.Destination.Account,
		Context: map[string][]string{
			"aws:RequestedRegion":       {d.Destination.Region},
			"aws:SecureTransport":       {"true"},
			"aws:PrincipalIsAWSService": {"false"},
		},
	}
}

func (d *destination) evaluate(p *parsedPolicy, req policy.Request) policy.Result {
	if p == nil {
		return policy.Result{Decision: policy.DecisionImplicitDeny, Summary: "There is no registry policy, so nothing allows the request."}
	}
	return policy.Evaluate(p.doc, req)
}

// uncertainKeys returns the absent condition keys that could change res.
func uncertainKeys(res policy.Result) []string {
	var out []string
	for _, st := range res.Statements {
		if !st.DependsOnMissingKey || !st.PrincipalMatch || !st.ActionMatch || !st.ResourceMatch {
			continue
		}
		// A missing key matters only where it could flip the decision.
		if res.Decision == policy.DecisionAllow && st.Effect == policy.Allow {
			continue
		}
		for _, fc := range st.FailedConditions {
			if fc.MissingKey && !knownAbsentKeys[strings.ToLower(fc.Condition.Key)] {
				out = appendUnique(out, fc.Condition.Key)
			}
		}
		if len(st.FailedConditions) == 0 && st.Effect == policy.Deny {
			for _, k := range res.MissingContextKeys {
				if !knownAbsentKeys[strings.ToLower(k)] {
					out = appendUnique(out, k)
				}
			}
		}
	}
	return out
}

// conditionHeld reports whether the facts show the replication role's
// requests to this destination succeeding after its last recorded failure,
// and says how: then a condition ecrdoctor cannot evaluate holds.
func conditionHeld(d *destination) (string, bool) {
	if len(d.Succeeded) > 0 {
		if len(d.Denied) > 0 && !d.Succeeded[0].Time.After(d.Denied[0].Time) {
			return "", false // the newest call failed
		}
		return fmt.Sprintf("CloudTrail records %d successful replication call(s) since the last failure", len(d.Succeeded)), true
	}
	if len(d.Denied) > 0 || len(d.Failed) > 0 {
		return "", false
	}
	if len(d.Completed) == 0 {
		return "", false
	}
	return fmt.Sprintf("the replication status of %s is COMPLETE", strings.Join(d.Completed, ", ")), true
}

// failed reports whether any failure was recorded for the destination.
func (d *destination) failed() bool { return len(d.Denied) > 0 || len(d.Failed) > 0 }

func hasEvent(events []trail.Event, name string) bool {
	for _, e := range events {
		if e.EventName == name {
			return true
		}
	}
	return false
}

func firstDenial(events []trail.Event) *trail.Denial {
	for _, e := range events {
		if e.Denial != nil {
			return e.Denial
		}
	}
	return nil
}

func locate(path string) string {
	if path == "" {
		return "whole policy"
	}
	return path
}

// ScopeMatters reports whether a destination's REGISTRY_POLICY_SCOPE can
// change the diagnosis, given its registry policy text: the scope is only
// read by the policy checks, of this policy and of the fix that adds a
// replication grant to it (policy.ScopeMatters). Text that is not a policy
// says nothing, so the scope is worth reading. Capture asks it to read the
// scope only then.
func ScopeMatters(text string) bool {
	p, err := policy.Parse([]byte(text))
	return err != nil || policy.ScopeMatters(p)
}
