package reference

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Request is one API call to decide.
type Request struct {
	Principal Principal
	Action    string
	Resource  string
	// ResourceAccount owns the resource; default: the account field of
	// Resource when it is an ARN.
	ResourceAccount string
	// Context holds condition keys; names are case-insensitive. Keys the
	// principal implies (aws:PrincipalArn, aws:PrincipalAccount,
	// aws:PrincipalType, aws:username) are derived when absent.
	Context map[string][]string
}

// Decision is the outcome of an evaluation.
type Decision string

// Decisions.
const (
	DecisionAllow        Decision = "Allow"
	DecisionImplicitDeny Decision = "ImplicitDeny"
	DecisionExplicitDeny Decision = "ExplicitDeny"
)

// Result is a decision with its explanation.
type Result struct {
	Decision Decision
	// Statements holds every statement of every policy evaluated, in order.
	Statements []StatementResult
	// Deciding holds the statements that decided: the Denies that applied,
	// or the Allows that granted.
	Deciding []StatementResult
	// MissingContextKeys are condition keys consulted but absent from the
	// request (sorted, canonical case): an answer that rests on them may
	// change once their real values are known.
	MissingContextKeys []string
	// IdentityAssumed is true when the decision is Allow only on the
	// assumption that the caller's identity-based policies allow the request
	// too: none was given, and IAM needs such an Allow because the request
	// is cross-account (or the resource's account is unknown), or because
	// the resource policy names the caller's account rather than the caller.
	// The summary then says which.
	IdentityAssumed bool
	Summary         string // a few plain sentences explaining the decision
}

// StatementResult says whether a statement applied and, if not, why.
type StatementResult struct {
	Policy string // "resource" or "identity[N]"
	Index  int
	Sid    string
	Effect Effect
	Path   string

	Applies bool
	// Every element is evaluated even after another failed, so a diagnosis
	// can say "principal and action matched, the resource did not".
	PrincipalMatch, ActionMatch, ResourceMatch, ConditionMatch bool
	// ViaAccount is true when the Principal names the caller only through
	// its account (arn:aws:iam::A:root or A) and the caller is not that
	// account's root: such a grant delegates to the account's identity-based
	// policies, so one of them must allow the request too, even within the
	// account.
	ViaAccount       bool
	FailedConditions []ConditionFailure
	Reason           string
	// DependsOnMissingKey is true when the outcome hinges on a condition key
	// absent from the request.
	DependsOnMissingKey bool
}

// ConditionFailure is one condition that did not hold.
type ConditionFailure struct {
	Condition  Condition
	Reason     string
	MissingKey bool // failed because its key (or a variable's key) is absent
}

// Evaluate decides req against a resource-based policy alone.
func Evaluate(p *Policy, req Request) Result {
	return EvaluateWithIdentity(p, nil, req)
}

// EvaluateWithIdentity decides req against a resource-based policy (nil for
// none) and the caller's identity-based policies. An explicit Deny in any of
// them wins. A cross-account request needs an Allow from both sides. Within
// one account, a resource policy that names the caller (its ARN, role,
// session) or "*" is enough on its own, and so is an identity policy; a
// resource policy that names only the caller's account delegates to the
// account's identity-based policies, so one of them must allow too.
//
// Without identity policies the resource policy decides and any Allow the
// identity side must add is assumed: Result.IdentityAssumed says so.
// Services and anonymous callers have no identity policies: the resource
// policy alone decides for them.
func EvaluateWithIdentity(resource *Policy, identity []*Policy, req Request) Result {
	e := newEvaluation(req)
	n := 0
	if resource != nil {
		n = len(resource.Statements)
	}
	given := false
	for _, ip := range identity {
		if ip != nil {
			n += len(ip.Statements)
			given = true
		}
	}
	res := Result{Statements: make([]StatementResult, 0, n)}
	// resAllows holds every resource Allow that applies; direct those that
	// name the caller itself rather than its account.
	var resAllows, direct, idAllows, denies []StatementResult
	if resource != nil {
		for _, sr := range e.evalPolicy("resource", resource, true) {
			res.Statements = append(res.Statements, sr)
			switch {
			case sr.Applies && sr.Effect == Deny:
				denies = append(denies, sr)
			case sr.Applies:
				resAllows = append(resAllows, sr)
				if !sr.ViaAccount {
					direct = append(direct, sr)
				}
			}
		}
	}
	f := identityFacts{hasIdentity: e.req.Principal.hasAccount()}
	f.given = given && f.hasIdentity
	f.known = e.req.ResourceAccount != ""
	f.cross = f.hasIdentity && f.known && e.req.Principal.Account != e.req.ResourceAccount
	for i, ip := range identity {
		if ip == nil {
			continue
		}
		for _, sr := range e.evalPolicy(fmt.Sprintf("identity[%d]", i), ip, false) {
			res.Statements = append(res.Statements, sr)
			if !f.hasIdentity {
				continue // services and anonymous callers have no identity policies
			}
			if sr.Applies && sr.Effect == Deny {
				denies = append(denies, sr)
			} else if sr.Applies {
				idAllows = append(idAllows, sr)
			}
		}
	}
	f.resAllowed, f.idAllowed = len(resAllows) > 0, len(idAllows) > 0
	switch {
	case len(denies) > 0:
		res.Decision, res.Deciding = DecisionExplicitDeny, denies
	case !f.hasIdentity || !f.given:
		if len(resAllows) > 0 {
			res.Decision, res.Deciding = DecisionAllow, resAllows
			// The identity side could not be evaluated; say when IAM needs it.
			res.IdentityAssumed = f.hasIdentity && (f.cross || !f.known || len(direct) == 0)
		} else {
			res.Decision = DecisionImplicitDeny
		}
	case f.cross:
		if len(resAllows) > 0 && len(idAllows) > 0 {
			res.Decision, res.Deciding = DecisionAllow, append(resAllows, idAllows...)
		} else {
			res.Decision = DecisionImplicitDeny
		}
	default:
		if len(direct)+len(idAllows) > 0 {
			res.Decision, res.Deciding = DecisionAllow, append(direct, idAllows...)
		} else {
			res.Decision = DecisionImplicitDeny
		}
	}
	if res.Statements == nil {
		res.Statements = []StatementResult{}
	}
	if res.Deciding == nil {
		res.Deciding = []StatementResult{}
	}
	res.MissingContextKeys = e.missingKeys()
	res.Summary = e.summarize(res, f, resAllows)
	return res
}

// identityFacts are what the decision between the two sides rests on.
type identityFacts struct {
	hasIdentity bool // the caller is an IAM principal, which has identity-based policies
	given       bool // and some were evaluated
	known       bool // the resource's account is known
	cross       bool // caller and resource are in different accounts

	resAllowed, idAllowed bool // some resource (identity) Allow applies
}

// evaluation carries one request through all policies.
type evaluation struct {
	req       Request
	ctx       map[string][]string // lower-cased keys
	variables bool                // policy variables on (the current policy is 2012-10-17)
	missing   map[string]string   // lower-cased -> canonical
}

func newEvaluation(req Request) *evaluation {
	req.Principal = req.Principal.normalized()
	e := &evaluation{req: req, ctx: make(map[string][]string, len(req.Context)+4), missing: map[string]string{}}
	for k, v := range req.Context {
		lk := strings.ToLower(k)
		e.ctx[lk] = append(e.ctx[lk], v...)
	}
	if e.req.ResourceAccount == "" {
		if _, _, account, _, ok := arnParts(req.Resource); ok {
			e.req.ResourceAccount = account
		}
	}
	p := req.Principal
	derive := func(key, val string) {
		lk := strings.ToLower(key)
		if _, ok := e.ctx[lk]; !ok && val != "" {
			e.ctx[lk] = []string{val}
		}
	}
	switch p.Type {
	case TypeAccount, TypeUser, TypeRole, TypeAssumedRole, TypeFederatedUser:
		derive("aws:PrincipalArn", p.principalARN())
		derive("aws:PrincipalAccount", p.Account)
		if p.Type != TypeRole {
			derive("aws:PrincipalType", p.Type)
		}
		if p.Type == TypeUser {
			derive("aws:username", p.Name)
		}
	case TypeAnonymous:
		derive("aws:PrincipalType", TypeAnonymous)
	}
	return e
}

// lookup returns a request key's values; a key with no values is absent.
func (e *evaluation) lookup(key string) ([]string, bool) {
	v, ok := e.ctx[strings.ToLower(key)]
	return v, ok && len(v) > 0
}

func (e *evaluation) noteMissing(keys ...string) {
	for _, k := range keys {
		e.missing[strings.ToLower(k)] = canonicalKey(k)
	}
}

func (e *evaluation) missingKeys() []string {
	out := make([]string, 0, len(e.missing))
	for _, k := range e.missing {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (e *evaluation) evalPolicy(name string, p *Policy, resourcePolicy bool) []StatementResult {
	e.variables = p.Version == Version2012
	out := make([]StatementResult, 0, len(p.Statements))
	for i := range p.Statements {
		out = append(out, e.evalStatement(name, &p.Statements[i], resourcePolicy))
	}
	return out
}

func (e *evaluation) evalStatement(name string, st *Statement, resourcePolicy bool) StatementResult {
	sr := StatementResult{Policy: name, Index: st.Index, Sid: st.Sid, Effect: st.Effect, Path: st.Path}
	var why []string
	// stmtMissing: a key absent from the request was consulted;
	// resourceUnknown: the resource failed only for want of such a key.
	stmtMissing, resourceUnknown := false, false

	switch {
	case st.Principal != nil:
		m := principalMatches(st.Principal, e.req.Principal)
		sr.PrincipalMatch, sr.ViaAccount = m != noMatch, m == accountMatch
		if !sr.PrincipalMatch {
			why = append(why, "principal "+e.req.Principal.String()+" is not named by Principal "+describePrincipals(st.Principal))
		}
	case st.NotPrincipal != nil:
		sr.PrincipalMatch = !notPrincipalExempts(st.NotPrincipal, e.req.Principal)
		if !sr.PrincipalMatch {
			why = append(why, fmt.Sprintf("principal %s is exempted by NotPrincipal %s", e.req.Principal, describePrincipals(st.NotPrincipal)))
		}
	case resourcePolicy:
		why = append(why, "the statement has no Principal, so in a resource-based policy it names no caller")
	default:
		sr.PrincipalMatch = true // identity policies apply to their own principal
	}

	if len(st.NotAction) > 0 || st.Action == nil {
		sr.ActionMatch = !anyWildcard(st.NotAction, e.req.Action)
		if !sr.ActionMatch {
			why = append(why, fmt.Sprintf("action %s is excluded by NotAction %s", e.req.Action, quoteList(st.NotAction)))
		}
	} else {
		sr.ActionMatch = anyWildcard(st.Action, e.req.Action)
		if !sr.ActionMatch {
			why = append(why, "action "+e.req.Action+" does not match Action "+quoteList(st.Action))
		}
	}

	switch {
	case !st.HasResource:
		sr.ResourceMatch = true // the resource the policy is attached to
	case st.NotResource != nil:
		m, unresolved, missing := e.anyResource(st.NotResource)
		// An unresolved variable makes its value fail to match, and failing
		// to match cannot be what NotResource is satisfied by: IAM documents
		// that "any attempt to match it fails and causes the statement to be
		// invalid", so the statement does not apply.
		sr.ResourceMatch = !m && !unresolved
		switch {
		case m:
			why = append(why, fmt.Sprintf("resource %s is excluded by NotResource %s", e.req.Resource, quoteList(st.NotResource)))
		case unresolved:
			why = append(why, fmt.Sprintf("NotResource %s holds a policy variable that cannot be resolved (its key is absent from the request or has several values), so the statement cannot apply", quoteList(st.NotResource)))
		}
		stmtMissing = stmtMissing || missing
		resourceUnknown = missing && !m
	default:
		m, _, missing := e.anyResource(st.Resource)
		sr.ResourceMatch = m
		if !m {
			r := "resource " + e.req.Resource + " does not match Resource " + quoteList(st.Resource)
			if missing {
				r += " (a policy variable in it names a key absent from the request)"
			}
			why = append(why, r)
		}
		stmtMissing = stmtMissing || missing
		resourceUnknown = missing && !m
	}

	sr.ConditionMatch = true
	otherFailure := false
	for i := range st.Conditions {
		ok, reason, missing := e.evalCondition(&st.Conditions[i])
		stmtMissing = stmtMissing || missing
		if !ok {
			sr.ConditionMatch = false
			sr.FailedConditions = append(sr.FailedConditions, ConditionFailure{Condition: st.Conditions[i], Reason: reason, MissingKey: missing})
			why = append(why, reason)
			otherFailure = otherFailure || !missing
		}
	}

	sr.Applies = sr.PrincipalMatch && sr.ActionMatch && sr.ResourceMatch && sr.ConditionMatch
	sr.DependsOnMissingKey = stmtMissing && sr.PrincipalMatch && sr.ActionMatch && !otherFailure &&
		(sr.ResourceMatch || resourceUnknown)
	if sr.Applies {
		sr.Reason = "applies: principal, action, resource and every condition match"
		if len(st.Conditions) == 0 {
			sr.Reason = "applies: principal, action and resource match"
		}
		if st.NotPrincipal != nil {
			sr.Reason = "applies: NotPrincipal " + describePrincipals(st.NotPrincipal) + " does not exempt " +
				e.req.Principal.String() + notPrincipalHint(e.req.Principal) + "; action, resource and every condition match"
		}
	} else {
		sr.Reason = strings.Join(why, "; ")
	}
	return sr
}

// notPrincipalHint says what NotPrincipal must name to exempt p.
func notPrincipalHint(p Principal) string {
	switch p.Type {
	case TypeAssumedRole:
		role := p.RoleARN
		if role == "" {
			role = "its role ARN"
		}
		return " (a role session is exempt only when both its session ARN and its role ARN " + role + " are named; naming the account exempts only the account's root user)"
	case TypeUser, TypeFederatedUser, TypeRole:
		return " (it is exempt only when its own ARN is named; naming the account exempts only the account's root user)"
	}
	return ""
}

func anyWildcard(patterns []string, s string) bool {
	for _, p := range patterns {
		if MatchWildcard(p, s, true) {
			return true
		}
	}
	return false
}

// anyResource reports whether the request resource matches one of the
// values (case-sensitive, after variable substitution), whether a variable
// left one of them unresolved (and so unmatchable), and whether that was for
// want of a key absent from the request.
func (e *evaluation) anyResource(values []string) (matched, unresolved, missing bool) {
	for _, v := range values {
		val, miss, ok := e.expandResource(v)
		if len(miss) > 0 {
			e.noteMissing(miss...)
			missing = true
		}
		if !ok {
			unresolved = true
			continue
		}
		if val.like(e.req.Resource) {
			return true, unresolved, missing
		}
	}
	return false, unresolved, missing
}

// evalCondition tests one key of a Condition block. missing reports that the
// outcome rests on a key absent from the request.
func (e *evaluation) evalCondition(c *Condition) (ok bool, reason string, missing bool) {
	op := c.op
	if !op.valid() {
		var err error
		if op, err = parseOperator(c.Operator); err != nil {
			return false, fmt.Sprintf("condition %s %s: %v", c.Operator, c.Key, err), false
		}
	}
	label := "condition " + c.Operator + " " + c.Key
	vals, present := e.lookup(c.Key)
	_, given := e.ctx[strings.ToLower(c.Key)]
	if present && op.set != noSet && allEmpty(vals) {
		present = false // an empty set, which the set qualifiers treat like a missing key
	}
	// A key the request gives as an empty set is known, not missing: the
	// answer cannot change for want of it.
	if !present && !given {
		e.noteMissing(c.Key)
		missing = true
	}

	if op.base.fam == famNull {
		for _, v := range c.Values {
			wantAbsent, err := parseBool(v)
			if err == nil && wantAbsent == !present {
				return true, "", missing
			}
		}
		if present {
			return false, fmt.Sprintf("%s: key is present in the request, the policy wants it absent", label), false
		}
		return false, fmt.Sprintf("%s: key is absent from the request, the policy wants it present", label), missing
	}

	if !present {
		switch {
		case op.ifExists, op.set == forAllValues, op.set == noSet && op.base.negated:
			return true, "", missing
		}
		if given {
			return false, fmt.Sprintf("%s: the request gives the key an empty value", label), false
		}
		return false, fmt.Sprintf("%s: key is absent from the request", label), true
	}

	wild := op.base.name == "StringLike" || op.base.name == "StringNotLike" || op.base.fam == famARN
	pats := make([]policyValue, 0, len(c.Values))
	unresolved := false
	for _, v := range c.Values {
		if !op.base.variables {
			pats = append(pats, policyValue{s: v})
			continue
		}
		p, miss, resolved := e.expand(v, wild)
		if len(miss) > 0 {
			e.noteMissing(miss...)
			missing = true
		}
		if resolved {
			pats = append(pats, p)
		} else {
			unresolved = true
		}
	}
	// A value whose variable cannot be resolved matches nothing. For a
	// negated operator that must not turn into "differs from every value":
	// IAM documents that "any attempt to match it fails and causes the
	// statement to be invalid", so the condition fails.
	if unresolved && op.base.negated {
		return false, fmt.Sprintf("%s: a policy variable in %s cannot be resolved (its key is absent from the request or has several values), so the condition cannot hold", label, quoteList(c.Values)), missing
	}
	var cmpErr error
	one := func(v string) bool {
		for _, p := range pats {
			m, err := op.base.cmp(v, p)
			if err != nil && cmpErr == nil {
				cmpErr = err
			}
			if m {
				return true
			}
		}
		return false
	}
	switch op.set {
	case noSet:
		pos := false
		for _, v := range vals {
			if one(v) {
				pos = true
				break
			}
		}
		ok = pos != op.base.negated
	case forAnyValue:
		for _, v := range vals {
			if one(v) != op.base.negated {
				ok = true
				break
			}
		}
	case forAllValues:
		ok = true
		for _, v := range vals {
			if one(v) == op.base.negated {
				ok = false
				break
			}
		}
	}
	if ok {
		return true, "", missing
	}
	reason = fmt.Sprintf("%s: request value %s does not satisfy it against %s", label, quoteList(vals), quoteList(c.Values))
	if cmpErr != nil {
		reason += " (" + cmpErr.Error() + ")"
	}
	return false, reason, missing
}

func allEmpty(vals []string) bool {
	for _, v := range vals {
		if v != "" {
			return false
		}
	}
	return true
}

// quoteList writes "a" for one value and ["a", "b"] for several. Every
// statement that does not apply gets a reason, so this is on the hot path.
func quoteList(vals []string) string {
	if len(vals) == 1 {
		return strconv.Quote(vals[0])
	}
	n := 2
	for _, v := range vals {
		n += len(v) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, v)
	}
	return string(append(b, ']'))
}

func describePrincipals(p *Principals) string {
	if p.Wildcard {
		return `"*"`
	}
	var parts []string
	add := func(k string, v []string) {
		if len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%q: %s", k, quoteList(v)))
		}
	}
	add("AWS", p.AWS)
	add("Service", p.Service)
	add("Federated", p.Federated)
	add("CanonicalUser", p.CanonicalUser)
	return "{" + strings.Join(parts, ", ") + "}"
}

// canonicalKeys spells global condition keys the way AWS documents them, so
// MissingContextKeys reads the same whatever case a policy used.
var canonicalKeys = map[string]string{}

func init() {
	for _, k := range []string{
		"aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime", "aws:EpochTime",
		"aws:FederatedProvider", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent",
		"aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalIsAWSService", "aws:PrincipalOrgID",
		"aws:PrincipalOrgPaths", "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList",
		"aws:PrincipalType", "aws:Referer", "aws:RequestedRegion", "aws:ResourceAccount",
		"aws:ResourceOrgID", "aws:ResourceOrgPaths", "aws:SecureTransport", "aws:SourceAccount",
		"aws:SourceArn", "aws:SourceIdentity", "aws:SourceIp", "aws:SourceOrgID", "aws:SourceOrgPaths",
		"aws:SourceVpc", "aws:SourceVpce", "aws:TagKeys", "aws:TokenIssueTime", "aws:UserAgent",
		"aws:userid", "aws:username", "aws:ViaAWSService", "aws:VpcSourceIp", "aws:Ec2InstanceSourceVpc",
		"aws:Ec2InstanceSourcePrivateIPv4", "aws:SourceVpcArn", "aws:VpceAccount", "aws:VpceOrgID",
		"aws:VpceOrgPaths", "aws:IsMcpServiceAction", "ecr:ResourceTag",
	} {
		canonicalKeys[strings.ToLower(k)] = k
	}
}

var canonicalPrefixes = []string{"aws:PrincipalTag/", "aws:RequestTag/", "aws:ResourceTag/", "ecr:ResourceTag/"}

func canonicalKey(k string) string {
	lk := strings.ToLower(k)
	if c, ok := canonicalKeys[lk]; ok {
		return c
	}
	for _, p := range canonicalPrefixes {
		if strings.HasPrefix(lk, strings.ToLower(p)) {
			return p + k[len(p):]
		}
	}
	return k
}
