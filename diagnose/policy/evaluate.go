package policy

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
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
	// Condition is the policy's own (it points into the Policy evaluated:
	// read it, do not change it).
	Condition  *Condition
	Reason     string
	MissingKey bool // failed because its key (or a variable's key) is absent
}

// Evaluate decides req against a resource-based policy alone.
func Evaluate(p *Policy, req Request) Result {
	return evaluate(p, nil, req, true)
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
	return evaluate(resource, identity, req, true)
}

// Decide is EvaluateWithIdentity without the prose: its Result is the same
// in every field but Summary and the Reason of each statement and failed
// condition, which it leaves empty. It is for callers that evaluate many
// requests and explain few of them.
func Decide(resource *Policy, identity []*Policy, req Request) Result {
	return evaluate(resource, identity, req, false)
}

// Statement roles in the decision.
const (
	roleNone = iota
	roleDeny
	roleResourceDirect // a resource Allow that names the caller itself
	roleResourceVia    // a resource Allow that names only the caller's account
	roleIdentity       // an identity Allow
)

// stmtSpan is what an evaluation keeps per statement until the Result is
// assembled: its role, its failed conditions in the evaluation's list, and
// its reason as a span of the evaluation's text (or a fixed text).
type stmtSpan struct {
	role             int
	failFrom, failTo int
	from, to         int
	fixed            string
}

type span struct{ from, to int }

func evaluate(resource *Policy, identity []*Policy, req Request, explain bool) Result {
	e := newEvaluation(req, explain)
	defer e.release()
	var rc *compiled
	n, nRes := 0, 0
	if resource != nil {
		rc = compiledOf(resource)
		n, nRes = len(rc.stmts), len(rc.stmts)
	}
	given := false
	for _, ip := range identity {
		if ip != nil {
			n += len(ip.Statements)
			given = true
		}
	}
	res := Result{Statements: make([]StatementResult, n)}
	e.spans = slices.Grow(e.spans, n)[:n]
	clear(e.spans)
	if explain {
		e.buf = slices.Grow(e.buf, 320*n+64)
	}
	at := 0
	if rc != nil {
		e.evalPolicy("resource", rc, true, res.Statements[:nRes], e.spans[:nRes])
		at = nRes
	}
	for i, ip := range identity {
		if ip == nil {
			continue
		}
		c := compiledOf(ip)
		to := at + len(c.stmts)
		e.evalPolicy("identity["+strconv.Itoa(i)+"]", c, false, res.Statements[at:to], e.spans[at:to])
		at = to
	}
	e.assemble(res.Statements)

	f := identityFacts{hasIdentity: e.req.Principal.hasAccount()}
	f.given = given && f.hasIdentity
	f.known = e.req.ResourceAccount != ""
	f.cross = f.hasIdentity && f.known && e.req.Principal.Account != e.req.ResourceAccount
	var count [roleIdentity + 1]int
	firstResAllow := -1
	for i := range res.Statements {
		sr, sp := &res.Statements[i], &e.spans[i]
		switch {
		case !sr.Applies:
		case i < nRes && sr.Effect == Deny:
			sp.role = roleDeny
		case i < nRes:
			sp.role = roleResourceDirect
			if sr.ViaAccount {
				sp.role = roleResourceVia
			}
			if firstResAllow < 0 {
				firstResAllow = i
			}
		case !f.hasIdentity:
			// services and anonymous callers have no identity policies
		case sr.Effect == Deny:
			sp.role = roleDeny
		default:
			sp.role = roleIdentity
		}
		count[sp.role]++
	}
	resAllows := count[roleResourceDirect] + count[roleResourceVia]
	f.resAllowed, f.idAllowed = resAllows > 0, count[roleIdentity] > 0
	var deciding [roleIdentity + 1]bool
	switch {
	case count[roleDeny] > 0:
		res.Decision, deciding[roleDeny] = DecisionExplicitDeny, true
	case !f.hasIdentity || !f.given:
		if resAllows > 0 {
			res.Decision = DecisionAllow
			deciding[roleResourceDirect], deciding[roleResourceVia] = true, true
			// The identity side could not be evaluated; say when IAM needs it.
			res.IdentityAssumed = f.hasIdentity && (f.cross || !f.known || count[roleResourceDirect] == 0)
		} else {
			res.Decision = DecisionImplicitDeny
		}
	case f.cross:
		if resAllows > 0 && f.idAllowed {
			res.Decision = DecisionAllow
			deciding[roleResourceDirect], deciding[roleResourceVia], deciding[roleIdentity] = true, true, true
		} else {
			res.Decision = DecisionImplicitDeny
		}
	default:
		if count[roleResourceDirect]+count[roleIdentity] > 0 {
			res.Decision = DecisionAllow
			deciding[roleResourceDirect], deciding[roleIdentity] = true, true
		} else {
			res.Decision = DecisionImplicitDeny
		}
	}
	m := 0
	for r, on := range deciding {
		if on {
			m += count[r]
		}
	}
	res.Deciding = make([]StatementResult, 0, m)
	for i := range res.Statements {
		if r := e.spans[i].role; r != roleNone && deciding[r] {
			res.Deciding = append(res.Deciding, res.Statements[i])
		}
	}
	res.MissingContextKeys = e.missingKeys()
	if explain {
		first := &StatementResult{}
		if firstResAllow >= 0 {
			first = &res.Statements[firstResAllow]
		}
		res.Summary = e.summarize(&res, f, first)
	}
	return res
}

// assemble gives each statement its failed conditions and reasons, which
// the evaluation wrote into one list and one text to allocate them once.
func (e *evaluation) assemble(srs []StatementResult) {
	// The evaluation's lists are reused by the next one: the Result gets
	// its own copy, of the size used.
	var fails []ConditionFailure
	if len(e.fails) > 0 {
		fails = make([]ConditionFailure, len(e.fails))
		for i, f := range e.fails {
			fails[i] = ConditionFailure{Condition: f.c, MissingKey: f.missing}
		}
	}
	var text string
	if e.explain {
		text = string(e.buf)
		for i := range fails {
			fails[i].Reason = text[e.failSpans[i].from:e.failSpans[i].to]
		}
	}
	for i := range srs {
		sp := &e.spans[i]
		if sp.failTo > sp.failFrom {
			srs[i].FailedConditions = fails[sp.failFrom:sp.failTo:sp.failTo]
		}
		if e.explain {
			if sp.fixed != "" {
				srs[i].Reason = sp.fixed
			} else {
				srs[i].Reason = text[sp.from:sp.to]
			}
		}
	}
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
	req     Request
	explain bool
	// ctx holds the request's condition keys as given, then those derived
	// from the principal, their names lower-cased in lower.
	ctx     []ctxEntry
	lower   []byte
	derived [4]string
	// keys and slots are the current policy's condition keys and what the
	// request holds for each.
	keys      []string
	slots     []slot
	memo      []uint8 // the current policy's memo slots (compiled.sets)
	missing   []missingKey
	missingAt map[string]int // index of missing, once it is long

	buf       []byte // explain: every reason, one after another
	spans     []stmtSpan
	fails     []failRef
	failSpans []span
}

// failRef is a condition that failed, until the Result copies it.
type failRef struct {
	c       *Condition
	missing bool
}

type ctxEntry struct {
	lo, hi int // the name lower-cased: lower[lo:hi]
	vals   []string
}

type slot struct {
	given bool
	vals  []string
	// missing is 1 + the index in missing of the slot's key once it has
	// been noted absent.
	missing int
}

type missingKey struct{ lower, canonical string }

// evaluations holds the scratch space of finished evaluations (their
// lists and text buffer), so that deciding many requests does not make
// garbage of it each time.
var evaluations = sync.Pool{New: func() any { return new(evaluation) }}

// maxPooled bounds the scratch an evaluation keeps for the next one (bytes
// of text buffer, or statements): a 10,000-statement policy's is not worth
// holding on to.
const maxPooled = 1 << 16

func newEvaluation(req Request, explain bool) *evaluation {
	req.Principal = req.Principal.normalized()
	e := evaluations.Get().(*evaluation)
	*e = evaluation{req: req, explain: explain, ctx: e.ctx[:0], lower: e.lower[:0], slots: e.slots[:0], memo: e.memo[:0], missing: e.missing[:0],
		buf: e.buf[:0], spans: e.spans[:0], fails: e.fails[:0], failSpans: e.failSpans[:0]}
	for k, v := range req.Context {
		lo := len(e.lower)
		e.lower = appendLower(e.lower, k)
		e.ctx = append(e.ctx, ctxEntry{lo: lo, hi: len(e.lower), vals: v})
	}
	if e.req.ResourceAccount == "" {
		if _, _, account, _, ok := arnParts(req.Resource); ok {
			e.req.ResourceAccount = account
		}
	}
	p := req.Principal
	nd := 0
	given := len(e.ctx)
	derive := func(lower, val string) {
		if val == "" {
			return
		}
		for _, c := range e.ctx[:given] {
			if string(e.lower[c.lo:c.hi]) == lower {
				return
			}
		}
		e.derived[nd] = val
		lo := len(e.lower)
		e.lower = append(e.lower, lower...)
		e.ctx = append(e.ctx, ctxEntry{lo: lo, hi: len(e.lower), vals: e.derived[nd : nd+1 : nd+1]})
		nd++
	}
	switch p.Type {
	case TypeAccount, TypeUser, TypeRole, TypeAssumedRole, TypeFederatedUser:
		derive("aws:principalarn", p.principalARN())
		derive("aws:principalaccount", p.Account)
		if p.Type != TypeRole {
			derive("aws:principaltype", p.Type)
		}
		if p.Type == TypeUser {
			derive("aws:username", p.Name)
		}
	case TypeAnonymous:
		derive("aws:principaltype", TypeAnonymous)
	}
	return e
}

// release returns e's scratch space to the pool, holding no reference to
// the request or the policy.
func (e *evaluation) release() {
	if cap(e.buf) > maxPooled || cap(e.spans) > maxPooled || cap(e.slots) > maxPooled || cap(e.memo) > maxPooled || cap(e.lower) > maxPooled {
		return
	}
	clear(e.ctx)
	clear(e.slots)
	clear(e.missing)
	clear(e.spans)
	clear(e.fails)
	*e = evaluation{ctx: e.ctx[:0], lower: e.lower[:0], slots: e.slots[:0], memo: e.memo[:0], missing: e.missing[:0],
		buf: e.buf[:0], spans: e.spans[:0], fails: e.fails[:0], failSpans: e.failSpans[:0]}
	evaluations.Put(e)
}

// appendLower appends strings.ToLower(s), without allocating when s is
// ASCII.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(b, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// resolve fills the current policy's slots from the request: each key the
// request gives (under any spelling: names are case-insensitive, and the
// values of several spellings are joined) is looked up once.
func (e *evaluation) resolve(c *compiled) {
	if len(c.keys) == 0 {
		return
	}
	for i := range e.ctx {
		en := &e.ctx[i]
		k, ok := c.slotOf[string(e.lower[en.lo:en.hi])]
		if !ok {
			continue
		}
		s := &e.slots[k]
		switch {
		case !s.given:
			s.given, s.vals = true, en.vals
		case len(s.vals) == 0:
			s.vals = en.vals
		case len(en.vals) > 0:
			s.vals = append(slices.Clip(s.vals), en.vals...)
		}
	}
}

// lookup returns what the request holds for the current policy's key slot:
// its values, whether it has any (a key with no values is absent), and
// whether it is given at all.
func (e *evaluation) lookup(i int) (vals []string, present, given bool) {
	s := &e.slots[i]
	return s.vals, len(s.vals) > 0, s.given
}

// noteSlotMissing notes the key of slot i absent, spelled canonical.
func (e *evaluation) noteSlotMissing(i int, canonical string) {
	s := &e.slots[i]
	if s.missing > 0 {
		e.missing[s.missing-1].canonical = canonical
		return
	}
	s.missing = 1 + e.noteMissing(e.keys[i], canonical)
}

// noteMissing notes a key absent from the request (lower-cased, spelled
// canonical: the last spelling noted wins) and returns its index in
// missing. A key has one slot per policy; evaluating several policies, it
// is noted in each.
func (e *evaluation) noteMissing(lower, canonical string) int {
	if e.missingAt != nil {
		if i, ok := e.missingAt[lower]; ok {
			e.missing[i].canonical = canonical
			return i
		}
	} else {
		for i := range e.missing {
			if e.missing[i].lower == lower {
				e.missing[i].canonical = canonical
				return i
			}
		}
	}
	e.missing = append(e.missing, missingKey{lower, canonical})
	// A policy may consult thousands of absent keys; past a few, index
	// them so that noting one stays constant time.
	switch n := len(e.missing); {
	case n == 16:
		e.missingAt = make(map[string]int, 64)
		for i, k := range e.missing {
			e.missingAt[k.lower] = i
		}
	case n > 16:
		e.missingAt[lower] = n - 1
	}
	return len(e.missing) - 1
}

func (e *evaluation) missingKeys() []string {
	out := make([]string, 0, len(e.missing))
	for _, k := range e.missing {
		out = append(out, k.canonical)
	}
	sort.Strings(out)
	return out
}

func (e *evaluation) evalPolicy(name string, c *compiled, resourcePolicy bool, out []StatementResult, spans []stmtSpan) {
	e.keys = c.keys
	if cap(e.slots) < len(c.keys) {
		e.slots = make([]slot, len(c.keys))
	} else {
		e.slots = e.slots[:len(c.keys)]
		clear(e.slots)
	}
	e.resolve(c)
	e.memo = slices.Grow(e.memo[:0], c.sets)[:c.sets]
	clear(e.memo)
	for i := range c.stmts {
		e.evalStatement(name, &c.stmts[i], resourcePolicy, &out[i], &spans[i])
	}
}

// sep starts another part of the reason that began at from.
func (e *evaluation) sep(from int) {
	if len(e.buf) > from {
		e.buf = append(e.buf, "; "...)
	}
}

func (e *evaluation) say(parts ...string) {
	for _, p := range parts {
		e.buf = append(e.buf, p...)
	}
}

func (e *evaluation) evalStatement(name string, cs *cStatement, resourcePolicy bool, sr *StatementResult, sp *stmtSpan) {
	st := cs.st
	// sr is fresh, zero: set its fields one by one rather than copy a
	// whole struct over it.
	sr.Policy, sr.Index, sr.Sid, sr.Effect, sr.Path = name, st.Index, st.Sid, st.Effect, st.Path
	from := len(e.buf)
	sp.failFrom = len(e.fails)
	// stmtMissing: a key absent from the request was consulted;
	// resourceUnknown: the resource failed only for want of such a key.
	stmtMissing, resourceUnknown := false, false
	caller := &e.req.Principal

	switch {
	case cs.principal != nil && !cs.notPrincipal:
		m := principalMatches(cs.principal, caller)
		sr.PrincipalMatch, sr.ViaAccount = m != noMatch, m == accountMatch
		if !sr.PrincipalMatch && e.explain {
			e.sep(from)
			e.say("principal ", caller.String(), " is not named by Principal ", cs.principal.desc)
		}
	case cs.principal != nil:
		sr.PrincipalMatch = !notPrincipalExempts(cs.principal, caller)
		if !sr.PrincipalMatch && e.explain {
			e.sep(from)
			e.say("principal ", caller.String(), " is exempted by NotPrincipal ", cs.principal.desc)
		}
	case resourcePolicy:
		if e.explain {
			e.sep(from)
			e.say("the statement has no Principal, so in a resource-based policy it names no caller")
		}
	default:
		sr.PrincipalMatch = true // identity policies apply to their own principal
	}

	matched := e.anyAction(cs)
	if cs.notAction {
		sr.ActionMatch = !matched
		if !sr.ActionMatch && e.explain {
			e.sep(from)
			e.say("action ", e.req.Action, " is excluded by NotAction ", cs.actionDesc)
		}
	} else {
		sr.ActionMatch = matched
		if !sr.ActionMatch && e.explain {
			e.sep(from)
			e.say("action ", e.req.Action, " does not match Action ", cs.actionDesc)
		}
	}

	switch {
	case !st.HasResource:
		sr.ResourceMatch = true // the resource the policy is attached to
	case cs.notResource:
		m, unresolved, missing := e.anyResourceOf(cs)
		// An unresolved variable makes its value fail to match, and failing
		// to match cannot be what NotResource is satisfied by: IAM documents
		// that "any attempt to match it fails and causes the statement to be
		// invalid", so the statement does not apply.
		sr.ResourceMatch = !m && !unresolved
		if e.explain {
			switch {
			case m:
				e.sep(from)
				e.say("resource ", e.req.Resource, " is excluded by NotResource ", cs.resourceDesc)
			case unresolved:
				e.sep(from)
				e.say("NotResource ", cs.resourceDesc, " holds a policy variable that cannot be resolved (its key is absent from the request or has several values), so the statement cannot apply")
			}
		}
		stmtMissing = stmtMissing || missing
		resourceUnknown = missing && !m
	default:
		m, _, missing := e.anyResourceOf(cs)
		sr.ResourceMatch = m
		if !m && e.explain {
			e.sep(from)
			e.say("resource ", e.req.Resource, " does not match Resource ", cs.resourceDesc)
			if missing {
				e.say(" (a policy variable in it names a key absent from the request)")
			}
		}
		stmtMissing = stmtMissing || missing
		resourceUnknown = missing && !m
	}

	sr.ConditionMatch = true
	otherFailure := false
	for i := range cs.conds {
		mark := len(e.buf)
		if e.explain {
			e.sep(from)
		}
		at := len(e.buf)
		ok, missing := e.evalCondition(&cs.conds[i])
		stmtMissing = stmtMissing || missing
		if ok {
			e.buf = e.buf[:mark]
			continue
		}
		sr.ConditionMatch = false
		e.fails = append(e.fails, failRef{cs.conds[i].c, missing})
		e.failSpans = append(e.failSpans, span{at, len(e.buf)})
		otherFailure = otherFailure || !missing
	}
	sp.failTo = len(e.fails)

	sr.Applies = sr.PrincipalMatch && sr.ActionMatch && sr.ResourceMatch && sr.ConditionMatch
	sr.DependsOnMissingKey = stmtMissing && sr.PrincipalMatch && sr.ActionMatch && !otherFailure &&
		(sr.ResourceMatch || resourceUnknown)
	if !e.explain {
		return
	}
	if sr.Applies {
		e.buf = e.buf[:from]
		switch {
		case st.NotPrincipal != nil:
			e.say("applies: NotPrincipal ", cs.notPrincipalDesc, " does not exempt ", caller.String(),
				notPrincipalHint(*caller), "; action, resource and every condition match")
		case len(st.Conditions) == 0:
			sp.fixed = "applies: principal, action and resource match"
		default:
			sp.fixed = "applies: principal, action, resource and every condition match"
		}
	}
	sp.from, sp.to = from, len(e.buf)
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

// Memo values: whether a statement's Action (Resource) list matched the
// request, once the first statement with that list has been evaluated.
const (
	memoUnknown uint8 = iota
	memoNo
	memoYes
)

// anyAction reports whether one of the statement's Action (or NotAction)
// values matches the request's action, case-insensitively.
func (e *evaluation) anyAction(cs *cStatement) bool {
	memo := &e.memo[cs.actionSet]
	if *memo != memoUnknown {
		return *memo == memoYes
	}
	matched := false
	for i := range cs.actions {
		if cs.actions[i].match(e.req.Action, true) {
			matched = true
			break
		}
	}
	*memo = memoNo
	if matched {
		*memo = memoYes
	}
	return matched
}

// anyResourceOf is anyResource on the statement's list, remembered for the
// statements that share it when it holds no variable.
func (e *evaluation) anyResourceOf(cs *cStatement) (matched, unresolved, missing bool) {
	if cs.resourceSet < 0 {
		return e.anyResource(cs.resources)
	}
	memo := &e.memo[cs.resourceSet]
	if *memo == memoUnknown {
		*memo = memoNo
		if m, _, _ := e.anyResource(cs.resources); m {
			*memo = memoYes
		}
	}
	return *memo == memoYes, false, false
}

// anyResource reports whether the request resource matches one of the
// values (case-sensitive, after variable substitution), whether a variable
// left one of them unresolved (and so unmatchable), and whether that was for
// want of a key absent from the request.
func (e *evaluation) anyResource(rs []cResource) (matched, unresolved, missing bool) {
	for i := range rs {
		r := &rs[i]
		if r.tpl == nil {
			if r.glob.match(e.req.Resource, false) {
				return true, unresolved, missing
			}
			continue
		}
		pat, miss, ok := e.expand(r.tpl)
		missing = missing || miss
		if !ok {
			unresolved = true
			continue
		}
		if g := patternGlob(pat); g.match(e.req.Resource, false) {
			return true, unresolved, missing
		}
	}
	return false, unresolved, missing
}

// expand substitutes policy variables: ${key} takes the request's single
// value for key, ${key, 'default'} falls back to default when the key is
// absent, ${*}, ${?} and ${$} are literal. A variable whose key is absent
// (or multi-valued) and has no default leaves the value unresolved (!ok):
// it then matches nothing; an absent key is noted as missing.
func (e *evaluation) expand(t *template) (pat pattern, missing, ok bool) {
	pat = make(pattern, 0, 64)
	ok = true
	for i := range t.parts {
		part := &t.parts[i]
		switch {
		case part.variable:
			vals, present, _ := e.lookup(part.key)
			switch {
			case present && len(vals) == 1:
				pat = appendLiteral(pat, vals[0], false)
			case part.hasDef:
				// The default also stands in for a multi-valued key, which
				// cannot be substituted.
				pat = appendLiteral(pat, part.def, false)
			default:
				if !present {
					e.noteSlotMissing(part.key, part.canon)
					missing = true
				}
				ok = false
			}
		case part.char != 0:
			pat = append(pat, patChar{r: part.char})
		default:
			pat = appendLiteral(pat, part.text, part.wild)
		}
	}
	return pat, missing, ok
}

func appendLiteral(p pattern, s string, wild bool) pattern {
	for _, r := range s {
		p = append(p, patChar{r: r, wild: wild && (r == '*' || r == '?')})
	}
	return p
}

// evalCondition tests one key of a Condition block; explaining, it writes
// why it failed. missing reports that the outcome rests on a key absent
// from the request.
func (e *evaluation) evalCondition(cc *cCondition) (ok, missing bool) {
	c := cc.c
	if cc.opErr != nil {
		if e.explain {
			e.say("condition ", c.Operator, " ", c.Key, ": ", cc.opErr.Error())
		}
		return false, false
	}
	op := cc.op
	vals, present, given := e.lookup(cc.key)
	if present && op.set != noSet && allEmpty(vals) {
		present = false // an empty set, which the set qualifiers treat like a missing key
	}
	// A key the request gives as an empty set is known, not missing: the
	// answer cannot change for want of it.
	if !present && !given && (op.base.fam != famNull || op.set == noSet) {
		e.noteSlotMissing(cc.key, cc.canon)
		missing = true
	}

	if op.base.fam == famNull {
		// IAM's policy checks document ForAllValues:Null as always true and
		// ForAnyValue:Null as always false, whatever the request holds, so
		// neither rests on the key.
		switch op.set {
		case forAllValues:
			return true, false
		case forAnyValue:
			e.fail(cc, ": IAM evaluates ForAnyValue:Null as false whatever the request holds (to test whether the key is present, use Null without a set qualifier)")
			return false, false
		}
		for _, wantAbsent := range cc.nullWant {
			if wantAbsent == !present {
				return true, missing
			}
		}
		if present {
			e.fail(cc, ": key is present in the request, the policy wants it absent")
			return false, false
		}
		e.fail(cc, ": key is absent from the request, the policy wants it present")
		return false, missing
	}

	if !present {
		switch {
		case op.ifExists, op.set == forAllValues, op.set == noSet && op.base.negated:
			return true, missing
		}
		if given {
			e.fail(cc, ": the request gives the key an empty value")
			return false, false
		}
		e.fail(cc, ": key is absent from the request")
		return false, true
	}

	pats := cc.vals
	unresolved := false
	if cc.tpls != nil {
		pats = make([]policyValue, 0, len(cc.vals))
		for i, t := range cc.tpls {
			if t == nil {
				pats = append(pats, cc.vals[i])
				continue
			}
			pat, miss, resolved := e.expand(t)
			missing = missing || miss
			if resolved {
				pats = append(pats, op.base.value(pat.String(), pat))
			} else {
				unresolved = true
			}
		}
	}
	// A value whose variable cannot be resolved matches nothing. For a
	// negated operator that must not turn into "differs from every value":
	// IAM documents that "any attempt to match it fails and causes the
	// statement to be invalid", so the condition fails.
	if unresolved && op.base.negated {
		e.fail(cc, ": a policy variable in ", cc.valuesDesc, " cannot be resolved (its key is absent from the request or has several values), so the condition cannot hold")
		return false, missing
	}
	var cmpErr error
	switch op.set {
	case noSet:
		pos := false
		for _, v := range vals {
			if anyValue(op.base, v, pats, &cmpErr) {
				pos = true
				break
			}
		}
		ok = pos != op.base.negated
	case forAnyValue:
		for _, v := range vals {
			if anyValue(op.base, v, pats, &cmpErr) != op.base.negated {
				ok = true
				break
			}
		}
	case forAllValues:
		ok = true
		for _, v := range vals {
			if anyValue(op.base, v, pats, &cmpErr) == op.base.negated {
				ok = false
				break
			}
		}
	}
	if ok {
		return true, missing
	}
	if e.explain {
		e.say(cc.label, ": request value ")
		e.buf = appendQuoteList(e.buf, vals)
		e.say(" does not satisfy it against ", cc.valuesDesc)
		if cmpErr != nil {
			e.say(" (", cmpErr.Error(), ")")
		}
	}
	return false, missing
}

// fail writes why a condition failed.
func (e *evaluation) fail(cc *cCondition, why ...string) {
	if e.explain {
		e.say(cc.label)
		e.say(why...)
	}
}

// anyValue reports whether request value v satisfies the operator's
// positive test against one of the policy values, noting the first error.
func anyValue(b *baseOp, v string, pats []policyValue, cmpErr *error) bool {
	for i := range pats {
		m, err := b.cmp(v, &pats[i])
		if err != nil && *cmpErr == nil {
			*cmpErr = err
		}
		if m {
			return true
		}
	}
	return false
}

func allEmpty(vals []string) bool {
	for _, v := range vals {
		if v != "" {
			return false
		}
	}
	return true
}

// quoteList writes "a" for one value and ["a", "b"] for several.
func quoteList(vals []string) string {
	if len(vals) == 1 {
		return strconv.Quote(vals[0])
	}
	return string(appendQuoteList(nil, vals))
}

func appendQuoteList(b []byte, vals []string) []byte {
	if len(vals) == 1 {
		return strconv.AppendQuote(b, vals[0])
	}
	b = append(b, '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, v)
	}
	return append(b, ']')
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
