package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Policy versions. A document without Version is read as 2008-10-17, which
// has no policy variables: "${aws:username}" is then literal text.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// ParseError says where a policy document is wrong. Path is a JSON path such
// as "Statement[2].Condition.StringEquals", or "" when the whole document is
// at fault (not JSON, not an object).
type ParseError struct {
	Path string
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Policy is a parsed policy document.
type Policy struct {
	Version    string // as written; "" when absent (evaluated as 2008-10-17)
	ID         string
	Statements []Statement

	compiled *compiled // by Parse, for Evaluate

	// source is the document Parse read, and spans the places in it of
	// each statement and of the top-level elements.
	source    string
	stmtSpans []span
	elemSpans []jsonSpan
}

type jsonSpan struct {
	key      string
	from, to int
}

// StatementSource returns statement i as written in the document Parse
// read, or "" for a Policy built by hand.
func (p *Policy) StatementSource(i int) string {
	if i < 0 || i >= len(p.stmtSpans) || len(p.stmtSpans) != len(p.Statements) {
		return ""
	}
	return p.source[p.stmtSpans[i].from:p.stmtSpans[i].to]
}

// ElementSource returns the value of the document's top-level element key
// (Version, Id, Statement) as written, or "" when it is absent or the
// Policy was built by hand.
func (p *Policy) ElementSource(key string) string {
	for _, e := range p.elemSpans {
		if e.key == key {
			return p.source[e.from:e.to]
		}
	}
	return ""
}

// Effect is a statement's effect.
type Effect string

// Statement effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Statement is one statement of a policy, with every element as written.
type Statement struct {
	Index  int
	Sid    string
	Effect Effect
	// Path is "Statement[1]", or "Statement" when the document's Statement
	// is a single object rather than a list.
	Path string

	Principal, NotPrincipal *Principals // nil when absent

	Action, NotAction     []string
	Resource, NotResource []string
	// HasResource is false when neither Resource nor NotResource is present:
	// the statement then concerns the resource the policy is attached to.
	HasResource bool

	Conditions []Condition // in document order
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	Wildcard      bool // "*"
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one key test of a Condition block: operator, key, values.
type Condition struct {
	Operator string   // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string   // as written
	Values   []string // numbers and booleans are kept as their JSON text
	// Path is e.g. "Statement[0].Condition.StringEquals.aws:SourceAccount".
	Path string

	op operator // parsed Operator; zero when the Condition was built by hand
}

// Parse reads a policy document. The error, if any, is a *ParseError.
func Parse(data []byte) (*Policy, error) {
	root, err := decodeJSON(data)
	if err != nil {
		return nil, &ParseError{Msg: "not JSON: " + SyntaxMessage(data, err)}
	}
	if root.kind != jsonObject {
		return nil, &ParseError{Msg: fmt.Sprintf("not a policy: the document is %s, want an object with Version and Statement", root.kind)}
	}
	p := &Policy{}
	var stmts *jsonNode
	seen := map[string]bool{}
	spans := root.to > 0 // read by validJSON, which notes where each value is
	for _, f := range root.fields {
		if spans {
			p.elemSpans = append(p.elemSpans, jsonSpan{f.key, f.val.from, f.val.to})
		}
		if seen[f.key] {
			return nil, &ParseError{Path: f.key, Msg: "element appears twice"}
		}
		seen[f.key] = true
		switch f.key {
		case "Version":
			if f.val.kind != jsonString {
				return nil, typeError(f.key, f.val, "a string")
			}
			if f.val.text != Version2012 && f.val.text != Version2008 {
				return nil, &ParseError{Path: f.key, Msg: fmt.Sprintf("unsupported version %q, want %q or %q", f.val.text, Version2012, Version2008)}
			}
			p.Version = f.val.text
		case "Id":
			if f.val.kind != jsonString {
				return nil, typeError(f.key, f.val, "a string")
			}
			p.ID = f.val.text
		case "Statement":
			stmts = f.val
		default:
			return nil, unknownElement(f.key, f.key, []string{"Version", "Id", "Statement"})
		}
	}
	if stmts == nil {
		return nil, &ParseError{Msg: "not a policy: no Statement element"}
	}
	switch stmts.kind {
	case jsonObject:
		s, err := parseStatement(stmts, 0, "Statement")
		if err != nil {
			return nil, err
		}
		p.Statements = []Statement{s}
		p.stmtSpans = []span{{stmts.from, stmts.to}}
	case jsonArray:
		p.stmtSpans = make([]span, 0, len(stmts.items))
		for i, item := range stmts.items {
			path := fmt.Sprintf("Statement[%d]", i)
			if item.kind != jsonObject {
				return nil, typeError(path, item, "an object")
			}
			s, err := parseStatement(item, i, path)
			if err != nil {
				return nil, err
			}
			p.Statements = append(p.Statements, s)
			p.stmtSpans = append(p.stmtSpans, span{item.from, item.to})
		}
	default:
		return nil, typeError("Statement", stmts, "an object or a list of objects")
	}
	if spans {
		p.source = string(data)
	} else {
		p.stmtSpans, p.elemSpans = nil, nil
	}
	p.compiled = compile(p)
	return p, nil
}

var statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

func parseStatement(n *jsonNode, index int, path string) (Statement, error) {
	s := Statement{Index: index, Path: path}
	seen := map[string]bool{}
	for _, f := range n.fields {
		fp := path + "." + f.key
		if seen[f.key] {
			return s, &ParseError{Path: fp, Msg: "element appears twice"}
		}
		seen[f.key] = true
		var err error
		switch f.key {
		case "Sid":
			if f.val.kind != jsonString {
				return s, typeError(fp, f.val, "a string")
			}
			s.Sid = f.val.text
		case "Effect":
			if f.val.kind != jsonString {
				return s, typeError(fp, f.val, `"Allow" or "Deny"`)
			}
			switch Effect(f.val.text) {
			case Allow, Deny:
				s.Effect = Effect(f.val.text)
			default:
				return s, &ParseError{Path: fp, Msg: fmt.Sprintf(`effect %q is neither "Allow" nor "Deny"`, f.val.text)}
			}
		case "Principal":
			s.Principal, err = parsePrincipals(f.val, fp)
		case "NotPrincipal":
			s.NotPrincipal, err = parsePrincipals(f.val, fp)
		case "Action":
			s.Action, err = stringList(f.val, fp)
		case "NotAction":
			s.NotAction, err = stringList(f.val, fp)
		case "Resource":
			s.Resource, err = stringList(f.val, fp)
			s.HasResource = true
		case "NotResource":
			s.NotResource, err = stringList(f.val, fp)
			s.HasResource = true
		case "Condition":
			s.Conditions, err = parseConditions(f.val, fp)
		default:
			return s, unknownElement(fp, f.key, statementElements)
		}
		if err != nil {
			return s, err
		}
	}
	switch {
	case s.Effect == "":
		return s, &ParseError{Path: path, Msg: "statement has no Effect"}
	case seen["Principal"] && seen["NotPrincipal"]:
		return s, &ParseError{Path: path, Msg: "statement has both Principal and NotPrincipal; use one"}
	case seen["Action"] && seen["NotAction"]:
		return s, &ParseError{Path: path, Msg: "statement has both Action and NotAction; use one"}
	case !seen["Action"] && !seen["NotAction"]:
		return s, &ParseError{Path: path, Msg: "statement has neither Action nor NotAction"}
	case seen["Resource"] && seen["NotResource"]:
		return s, &ParseError{Path: path, Msg: "statement has both Resource and NotResource; use one"}
	}
	return s, nil
}

func parsePrincipals(n *jsonNode, path string) (*Principals, error) {
	p := &Principals{}
	switch n.kind {
	case jsonString:
		if n.text != "*" {
			return nil, &ParseError{Path: path, Msg: fmt.Sprintf(`principal %q must be "*" or an object such as {"AWS": %q}`, n.text, n.text)}
		}
		p.Wildcard = true
		return p, nil
	case jsonObject:
	default:
		return nil, typeError(path, n, `"*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}`)
	}
	seen := map[string]bool{}
	for _, f := range n.fields {
		fp := path + "." + f.key
		if seen[f.key] {
			return nil, &ParseError{Path: fp, Msg: "principal type appears twice"}
		}
		seen[f.key] = true
		vals, err := stringList(f.val, fp)
		if err != nil {
			return nil, err
		}
		switch f.key {
		case "AWS":
			p.AWS = vals
		case "Service":
			p.Service = vals
		case "Federated":
			p.Federated = vals
		case "CanonicalUser":
			p.CanonicalUser = vals
		default:
			return nil, unknownElement(fp, f.key, []string{"AWS", "Service", "Federated", "CanonicalUser"})
		}
	}
	if len(n.fields) == 0 {
		return nil, &ParseError{Path: path, Msg: "principal object is empty"}
	}
	return p, nil
}

// stringList reads an element that may be a string or a list of strings.
func stringList(n *jsonNode, path string) ([]string, error) {
	switch n.kind {
	case jsonString:
		return []string{n.text}, nil
	case jsonArray:
		out := make([]string, 0, len(n.items))
		for i, item := range n.items {
			if item.kind != jsonString {
				return nil, typeError(fmt.Sprintf("%s[%d]", path, i), item, "a string")
			}
			out = append(out, item.text)
		}
		return out, nil
	}
	return nil, typeError(path, n, "a string or a list of strings")
}

func parseConditions(n *jsonNode, path string) ([]Condition, error) {
	if n.kind != jsonObject {
		return nil, typeError(path, n, `an object such as {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}`)
	}
	var out []Condition
	seenOp := map[string]bool{}
	for _, opf := range n.fields {
		opPath := path + "." + opf.key
		if seenOp[opf.key] {
			return nil, &ParseError{Path: opPath, Msg: "condition operator appears twice in the block; merge its keys into one"}
		}
		seenOp[opf.key] = true
		op, err := parseOperator(opf.key)
		if err != nil {
			return nil, &ParseError{Path: opPath, Msg: err.Error()}
		}
		if opf.val.kind != jsonObject {
			return nil, typeError(opPath, opf.val, `an object of condition keys, such as {"aws:SourceAccount": "111122223333"}`)
		}
		seenKey := map[string]bool{}
		for _, kf := range opf.val.fields {
			kp := opPath + "." + kf.key
			lk := strings.ToLower(kf.key)
			if seenKey[lk] {
				return nil, &ParseError{Path: kp, Msg: "condition key appears twice under the same operator"}
			}
			seenKey[lk] = true
			if kf.key == "" {
				return nil, &ParseError{Path: kp, Msg: "empty condition key"}
			}
			vals, err := conditionValues(kf.val, kp)
			if err != nil {
				return nil, err
			}
			c := Condition{Operator: opf.key, Key: kf.key, Values: vals, Path: kp, op: op}
			if err := op.validate(vals); err != nil {
				return nil, &ParseError{Path: kp, Msg: err.Error()}
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func conditionValues(n *jsonNode, path string) ([]string, error) {
	scalar := func(n *jsonNode) bool {
		return n.kind == jsonString || n.kind == jsonNumber || n.kind == jsonBool
	}
	if scalar(n) {
		return []string{n.text}, nil
	}
	if n.kind == jsonArray {
		out := make([]string, 0, len(n.items))
		for i, item := range n.items {
			if !scalar(item) {
				return nil, typeError(fmt.Sprintf("%s[%d]", path, i), item, "a string, number or boolean")
			}
			out = append(out, item.text)
		}
		if len(out) == 0 {
			return nil, &ParseError{Path: path, Msg: "empty list of condition values"}
		}
		return out, nil
	}
	return nil, typeError(path, n, "a string, number, boolean or a list of them")
}

func typeError(path string, n *jsonNode, want string) *ParseError {
	return &ParseError{Path: path, Msg: fmt.Sprintf("is %s, want %s", n.kind, want)}
}

func unknownElement(path, key string, known []string) *ParseError {
	msg := fmt.Sprintf("unknown element %q", key)
	for _, k := range known {
		if strings.EqualFold(k, key) {
			msg += fmt.Sprintf(" (element names are case-sensitive: did you mean %q?)", k)
			return &ParseError{Path: path, Msg: msg}
		}
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	msg += "; known elements: " + strings.Join(sorted, ", ")
	return &ParseError{Path: path, Msg: msg}
}
