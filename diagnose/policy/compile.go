package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Parse compiles every policy for evaluation: keys lower-cased, principals
// classified, patterns split, policy values parsed and operators resolved,
// so that Evaluate repeats none of it per request. A Policy is read-only
// once parsed; one built by hand is compiled anew at each evaluation.

// compiled is a policy ready to evaluate.
type compiled struct {
	stmts []cStatement
	keys  []string // condition and variable keys consulted, lower-cased; a slot each
	// slotOf is the slot of each key (lower-cased): an evaluation looks up
	// each key of the request in it once.
	slotOf map[string]int
	conds  int // conditions in all statements
	// sets counts the distinct Action and Resource lists: statements that
	// list the same actions (or the same resources, free of variables)
	// share a slot in which an evaluation keeps whether they matched.
	sets int
	// of is the statement list compiled, to notice a Policy built by hand or
	// whose Statements were replaced after Parse.
	of *Statement
}

type cStatement struct {
	st *Statement

	principal    *cPrincipals // Principal or NotPrincipal; nil when absent
	notPrincipal bool

	notAction  bool // NotAction given, or no Action at all
	actions    []glob
	actionSet  int // memo slot of the list
	actionDesc string

	resources    []cResource
	resourceSet  int // memo slot of the list; -1 when it holds a variable
	notResource  bool
	resourceDesc string

	notPrincipalDesc string

	conds []cCondition
}

type cPrincipals struct {
	p        *Principals
	wildcard bool // "*" or {"AWS": "*"}
	entries  []principalEntry
	desc     string
}

// cResource is a Resource or NotResource value: a glob, or the template of
// a value with policy variables in its resource part.
type cResource struct {
	glob glob
	tpl  *template
}

type cCondition struct {
	c          *Condition
	op         operator
	opErr      error // the operator of a hand-built Condition does not parse
	key        int   // slot of the condition key
	canon      string
	label      string
	valuesDesc string
	// vals holds the values parsed for the operator; tpls[i] is non-nil
	// where vals[i] holds a policy variable to substitute per request.
	vals []policyValue
	tpls []*template
	// nullWant holds the Null operator's parsed values (true: key absent).
	nullWant []bool
}

// template is a policy value with ${...} variables.
type template struct {
	parts []tplPart
}

type tplPart struct {
	text     string // literal text, its * and ? wildcards when wild
	wild     bool
	char     rune // a ${*}, ${?} or ${$}: that character, never a wildcard
	variable bool
	key      int // slot of the variable's key
	canon    string
	def      string
	hasDef   bool
}

type compiler struct {
	c          *compiled
	bySpelling map[string]int // key as written -> slot
	canon      map[string]string
	vars       bool
	// sets: the memo slot of each Action and Resource list seen, by
	// the list's key; actionSets and resourceSets: its compiled values,
	// shared.
	sets         map[string]int
	keyBuf       []byte
	actionSets   map[int][]glob
	resourceSets map[int][]cResource
}

func newCompiler(c *compiled, vars bool) *compiler {
	if c.slotOf == nil {
		c.slotOf = map[string]int{}
	}
	return &compiler{c: c, vars: vars, bySpelling: map[string]int{}, canon: map[string]string{},
		sets: map[string]int{}, actionSets: map[int][]glob{}, resourceSets: map[int][]cResource{}}
}

// set returns the memo slot of a list of kind 'A' (actions) or 'R'
// (resources), and whether the list is new.
func (k *compiler) set(kind byte, vals []string) (int, bool) {
	// The list's key: kind, then each value with its length.
	b := append(k.keyBuf[:0], kind)
	for _, v := range vals {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	k.keyBuf = b
	if i, ok := k.sets[string(b)]; ok {
		return i, false
	}
	i := k.c.sets
	k.c.sets++
	k.sets[string(b)] = i
	return i, true
}

// canonical is canonicalKey, once per spelling.
func (k *compiler) canonical(key string) string {
	c, ok := k.canon[key]
	if !ok {
		c = canonicalKey(key)
		k.canon[key] = c
	}
	return c
}

func (k *compiler) slot(key string) int {
	if i, ok := k.bySpelling[key]; ok {
		return i
	}
	lk := strings.ToLower(key)
	i, ok := k.c.slotOf[lk]
	if !ok {
		i = len(k.c.keys)
		k.c.slotOf[lk] = i
		k.c.keys = append(k.c.keys, lk)
	}
	k.bySpelling[key] = i
	return i
}

func compile(p *Policy) *compiled {
	k := newCompiler(&compiled{stmts: make([]cStatement, len(p.Statements))}, p.Version == Version2012)
	if len(p.Statements) > 0 {
		k.c.of = &p.Statements[0]
	}
	for i := range p.Statements {
		k.statement(&k.c.stmts[i], &p.Statements[i])
	}
	return k.c
}

// compiledOf returns p's compiled form, compiling a hand-built policy.
func compiledOf(p *Policy) *compiled {
	if c := p.compiled; c != nil && len(c.stmts) == len(p.Statements) && (len(p.Statements) == 0 || c.of == &p.Statements[0]) {
		return c
	}
	return compile(p)
}

func (k *compiler) statement(cs *cStatement, st *Statement) {
	cs.st = st
	switch {
	case st.Principal != nil:
		cs.principal = compilePrincipals(st.Principal)
	case st.NotPrincipal != nil:
		cs.principal, cs.notPrincipal = compilePrincipals(st.NotPrincipal), true
	}
	actions := st.Action
	if len(st.NotAction) > 0 || st.Action == nil {
		cs.notAction, actions = true, st.NotAction
	}
	id, fresh := k.set('A', actions)
	cs.actionSet = id
	if fresh {
		globs := make([]glob, len(actions))
		for i, a := range actions {
			globs[i] = stringGlob(a)
		}
		k.actionSets[id] = globs
	}
	cs.actions = k.actionSets[id]
	cs.actionDesc = quoteList(actions)
	if st.NotPrincipal != nil {
		cs.notPrincipalDesc = describePrincipals(st.NotPrincipal)
	}
	res := st.Resource
	if st.NotResource != nil {
		res, cs.notResource = st.NotResource, true
	}
	if st.HasResource {
		id, fresh := k.set('R', res)
		if fresh {
			rs := make([]cResource, len(res))
			for i, v := range res {
				rs[i] = k.resource(v)
			}
			k.resourceSets[id] = rs
		}
		cs.resources, cs.resourceSet = k.resourceSets[id], id
		for i := range cs.resources {
			if cs.resources[i].tpl != nil {
				cs.resourceSet = -1 // depends on the request's keys, and notes them missing
			}
		}
		cs.resourceDesc = quoteList(res)
	}
	cs.conds = make([]cCondition, len(st.Conditions))
	k.c.conds += len(st.Conditions)
	for i := range st.Conditions {
		k.condition(&cs.conds[i], &st.Conditions[i])
	}
}

func compilePrincipals(ps *Principals) *cPrincipals {
	cp := &cPrincipals{p: ps, wildcard: ps.Wildcard, desc: describePrincipals(ps)}
	for _, v := range ps.AWS {
		if v == "*" {
			cp.wildcard = true
			continue
		}
		if e := classifyAWSPrincipal(v); e.kind != "other" {
			cp.entries = append(cp.entries, e)
		}
	}
	return cp
}

// resource compiles a Resource value. IAM takes variables "only in the
// resource portion of the ARN", after the fifth colon; before it (service,
// region, account) and in a value that is not an ARN, ${...} is literal
// text, which no request resource carries.
func (k *compiler) resource(s string) cResource {
	if !k.vars || !strings.Contains(s, "${") {
		return cResource{glob: stringGlob(s)}
	}
	cut, colons := -1, 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			colons++
			if colons == 5 {
				cut = i + 1
				break
			}
		}
	}
	if cut < 0 || !strings.Contains(s[cut:], "${") {
		return cResource{glob: stringGlob(s)}
	}
	tail := k.template(s[cut:], true)
	tail.parts = append([]tplPart{{text: s[:cut], wild: true}}, tail.parts...)
	return cResource{tpl: tail}
}

// template splits a value holding ${...} into its parts: ${key} takes the
// request's single value for key (names case-insensitive), ${key, 'default'}
// falls back to default when the key is absent, and ${*}, ${?}, ${$} stand
// for literal *, ? and $.
func (k *compiler) template(s string, wild bool) *template {
	t := &template{}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tplPart{text: s[:i], wild: wild})
		}
		body := strings.TrimSpace(s[i+2 : i+j])
		s = s[i+j+1:]
		switch body {
		case "*", "?", "$":
			t.parts = append(t.parts, tplPart{char: rune(body[0])})
			continue
		}
		key, def, hasDef := body, "", false
		if kk, d, found := strings.Cut(body, ","); found {
			d = strings.TrimSpace(d)
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				key, def, hasDef = strings.TrimSpace(kk), strings.ReplaceAll(d[1:len(d)-1], "''", "'"), true
			}
		}
		t.parts = append(t.parts, tplPart{variable: true, key: k.slot(key), canon: k.canonical(key), def: def, hasDef: hasDef})
	}
	if s != "" {
		t.parts = append(t.parts, tplPart{text: s, wild: wild})
	}
	return t
}

func (k *compiler) condition(cc *cCondition, c *Condition) {
	cc.c = c
	cc.op = c.op
	if !cc.op.valid() {
		cc.op, cc.opErr = parseOperator(c.Operator)
	}
	cc.key = k.slot(c.Key)
	cc.canon = k.canonical(c.Key)
	cc.label = "condition " + c.Operator + " " + c.Key
	cc.valuesDesc = quoteList(c.Values)
	if cc.opErr != nil {
		return
	}
	base := cc.op.base
	if base.fam == famNull {
		for _, v := range c.Values {
			if b, err := parseBool(v); err == nil {
				cc.nullWant = append(cc.nullWant, b)
			}
		}
		return
	}
	wild := base.like()
	cc.vals = make([]policyValue, len(c.Values))
	for i, v := range c.Values {
		if base.variables && k.vars && strings.Contains(v, "${") {
			if cc.tpls == nil {
				cc.tpls = make([]*template, len(c.Values))
			}
			cc.tpls[i] = k.template(v, wild)
			continue
		}
		cc.vals[i] = base.value(v, nil)
	}
}

// Splice returns the policy that Parse reads from a document of version
// version listing p's statements, but those in drop, with add's statements
// inserted at index at of the statements kept: the statements are
// renumbered (Index, Path, and the Path of each condition) as that
// document numbers them. p's compiled statements are reused when version
// does not change how they read, so only add's are compiled again: a
// 10,000-statement policy with one grant more is not parsed again. The
// result has no source text (StatementSource gives "").
func Splice(p *Policy, drop map[int]bool, at int, add *Policy, version string) *Policy {
	q := &Policy{Version: version, ID: p.ID}
	type origin struct {
		st *Statement
		cs *cStatement // nil: compile it
	}
	pc := p.compiled
	if pc != nil && (len(pc.stmts) != len(p.Statements) || len(p.Statements) > 0 && pc.of != &p.Statements[0] || (p.Version == Version2012) != (version == Version2012)) {
		pc = nil // built by hand, or its values read differently under version
	}
	var from []origin
	for i := range p.Statements {
		if drop[i] {
			continue
		}
		o := origin{st: &p.Statements[i]}
		if pc != nil {
			o.cs = &pc.stmts[i]
		}
		from = append(from, o)
	}
	var added []origin
	for i := range add.Statements {
		added = append(added, origin{st: &add.Statements[i]})
	}
	at = min(max(at, 0), len(from))
	from = append(from[:at:at], append(added, from[at:]...)...)

	q.Statements = make([]Statement, len(from))
	for j, o := range from {
		st := *o.st
		path := fmt.Sprintf("Statement[%d]", j)
		if len(st.Conditions) > 0 {
			st.Conditions = slices.Clone(st.Conditions)
			for k := range st.Conditions {
				st.Conditions[k].Path = path + strings.TrimPrefix(st.Conditions[k].Path, o.st.Path)
			}
		}
		st.Index, st.Path = j, path
		q.Statements[j] = st
	}
	if pc == nil {
		q.compiled = compile(q)
		return q
	}
	// Reused statements keep their memo slots; the added ones take new
	// slots after them.
	k := newCompiler(&compiled{stmts: make([]cStatement, len(from)), keys: slices.Clone(pc.keys), sets: pc.sets}, version == Version2012)
	for i, key := range pc.keys {
		k.c.slotOf[key] = i
	}
	if len(q.Statements) > 0 {
		k.c.of = &q.Statements[0]
	}
	for j, o := range from {
		st, cs := &q.Statements[j], &k.c.stmts[j]
		if o.cs == nil {
			k.statement(cs, st)
			continue
		}
		*cs = *o.cs
		cs.st = st
		cs.conds = slices.Clone(cs.conds)
		for i := range cs.conds {
			cs.conds[i].c = &st.Conditions[i]
		}
		k.c.conds += len(cs.conds)
	}
	q.compiled = k.c
	return q
}
