package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// The aws_iam_policy_document data source renders its json the way the AWS
// provider does (internal/service/iam policy_document_data_source.go and
// policy_model.go): fields in the order Sid, Effect, Action, NotAction,
// Resource, NotResource, Principal, NotPrincipal, Condition; a set of one
// string as that string, of several as a list sorted in reverse order;
// condition values in the order given; "&{" written for "${"; indented by
// two spaces. lint needs the exact text only for display; the evaluator reads
// the document, not its layout.

type docJSON struct {
	Version   string     `json:",omitempty"`
	ID        string     `json:"Id,omitempty"`
	Statement []*stmJSON `json:",omitempty"`
}

type stmJSON struct {
	Sid          string          `json:",omitempty"`
	Effect       string          `json:",omitempty"`
	Action       any             `json:",omitempty"`
	NotAction    any             `json:",omitempty"`
	Resource     any             `json:",omitempty"`
	NotResource  any             `json:",omitempty"`
	Principal    json.RawMessage `json:",omitempty"`
	NotPrincipal json.RawMessage `json:",omitempty"`
	Condition    json.RawMessage `json:",omitempty"`
}

type renderedDoc struct{ indented, minified string }

var sidPattern = regexp.MustCompile(`^[a-zA-Z0-9]*$`)

// renderPolicyDocument returns nil when some input is not known before apply.
func renderPolicyDocument(obj map[string]cty.Value) (*renderedDoc, error) {
	for _, v := range obj {
		if !v.IsWhollyKnown() {
			return nil, nil
		}
	}
	version := "2012-10-17"
	if v, ok := str(obj["version"]); ok && v != "" {
		if v != "2012-10-17" && v != "2008-10-17" {
			return nil, fmt.Errorf("aws_iam_policy_document: version %q is not 2012-10-17 or 2008-10-17", v)
		}
		version = v
	}
	doc := &docJSON{Version: version}
	if v, ok := str(obj["policy_id"]); ok {
		doc.ID = v
	}
	for _, src := range stringList(obj["source_policy_documents"]) {
		if err := mergeDocJSON(doc, src, "source_policy_documents"); err != nil {
			return nil, err
		}
	}
	var own []*stmJSON
	seen := map[string]bool{}
	for _, st := range listOf(obj["statement"]) {
		s := &stmJSON{Effect: "Allow"}
		if e, ok := str(attr(st, "effect")); ok && e != "" {
			if e != "Allow" && e != "Deny" {
				return nil, fmt.Errorf("aws_iam_policy_document: effect %q is not Allow or Deny", e)
			}
			s.Effect = e
		}
		if sid, ok := str(attr(st, "sid")); ok {
			if !sidPattern.MatchString(sid) {
				return nil, fmt.Errorf("aws_iam_policy_document: sid %q must only include alphanumeric characters", sid)
			}
			if sid != "" && seen[sid] {
				return nil, fmt.Errorf("aws_iam_policy_document: duplicate Sid (%s)", sid)
			}
			seen[sid] = true
			s.Sid = sid
		}
		var err error
		s.Action = stringSet(attr(st, "actions"), false, version)
		s.NotAction = stringSet(attr(st, "not_actions"), false, version)
		s.Resource = stringSet(attr(st, "resources"), true, version)
		s.NotResource = stringSet(attr(st, "not_resources"), true, version)
		if s.Principal, err = principals(attr(st, "principals"), version); err != nil {
			return nil, err
		}
		if s.NotPrincipal, err = principals(attr(st, "not_principals"), version); err != nil {
			return nil, err
		}
		if s.Condition, err = conditions(attr(st, "condition"), version); err != nil {
			return nil, err
		}
		own = append(own, s)
	}
	mergeStatements(doc, own)
	for _, o := range stringList(obj["override_policy_documents"]) {
		if err := mergeDocJSON(doc, o, "override_policy_documents"); err != nil {
			return nil, err
		}
	}
	ind, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	min, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return &renderedDoc{indented: string(ind), minified: string(min)}, nil
}

// mergeStatements adds statements, replacing those with the same Sid.
func mergeStatements(doc *docJSON, sts []*stmJSON) {
	for _, s := range sts {
		replaced := false
		if s.Sid != "" {
			for i, old := range doc.Statement {
				if old.Sid == s.Sid {
					doc.Statement[i], replaced = s, true
					break
				}
			}
		}
		if !replaced {
			doc.Statement = append(doc.Statement, s)
		}
	}
}

// mergeDocJSON merges a source or override document given as JSON.
func mergeDocJSON(doc *docJSON, text, field string) error {
	var in struct {
		Version   string
		ID        string `json:"Id"`
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(text), &in); err != nil {
		return fmt.Errorf("aws_iam_policy_document: %s: not a JSON policy: %v", field, err)
	}
	if in.ID != "" {
		doc.ID = in.ID
	}
	if in.Version > doc.Version {
		doc.Version = in.Version
	}
	var raw []json.RawMessage
	if len(in.Statement) > 0 && in.Statement[0] == '{' {
		raw = []json.RawMessage{in.Statement}
	} else if len(in.Statement) > 0 {
		if err := json.Unmarshal(in.Statement, &raw); err != nil {
			return fmt.Errorf("aws_iam_policy_document: %s: Statement: %v", field, err)
		}
	}
	var sts []*stmJSON
	for _, r := range raw {
		var s struct {
			Sid, Effect                              string
			Action, NotAction, Resource, NotResource any
			Principal, NotPrincipal, Condition       json.RawMessage
		}
		if err := json.Unmarshal(r, &s); err != nil {
			return fmt.Errorf("aws_iam_policy_document: %s: statement: %v", field, err)
		}
		sts = append(sts, &stmJSON{Sid: s.Sid, Effect: s.Effect, Action: s.Action, NotAction: s.NotAction, Resource: s.Resource,
			NotResource: s.NotResource, Principal: s.Principal, NotPrincipal: s.NotPrincipal, Condition: s.Condition})
	}
	mergeStatements(doc, sts)
	return nil
}

func attr(obj cty.Value, name string) cty.Value {
	if obj == cty.NilVal || !obj.IsKnown() || obj.IsNull() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(name) {
		return cty.NilVal
	}
	return obj.GetAttr(name)
}

func listOf(v cty.Value) []cty.Value {
	if v == cty.NilVal || !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
		return nil
	}
	var out []cty.Value
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e)
	}
	return out
}

func stringList(v cty.Value) []string {
	var out []string
	for _, e := range listOf(v) {
		if s, ok := str(e); ok {
			out = append(out, s)
		}
	}
	return out
}

var varReplacer = strings.NewReplacer("&{", "${")

// stringSet renders a set of strings: nil when empty, the string when one,
// else distinct values in reverse sorted order.
func stringSet(v cty.Value, vars bool, version string) any {
	list := stringList(v)
	if len(list) == 0 {
		return nil
	}
	slices.Sort(list)
	list = slices.Compact(list)
	if vars && version != "2008-10-17" {
		for i := range list {
			list[i] = varReplacer.Replace(list[i])
		}
	}
	if len(list) == 1 {
		return list[0]
	}
	slices.Reverse(list)
	return list
}

func principals(v cty.Value, version string) (json.RawMessage, error) {
	blocks := listOf(v)
	if len(blocks) == 0 {
		return nil, nil
	}
	type entry struct {
		typ string
		ids any
	}
	var es []entry
	for _, b := range blocks {
		t, _ := str(attr(b, "type"))
		es = append(es, entry{t, stringSet(attr(b, "identifiers"), true, version)})
	}
	if len(es) == 1 && es[0].typ == "*" && es[0].ids == "*" {
		return json.RawMessage(`"*"`), nil
	}
	raw := map[string]any{}
	for _, e := range es {
		switch ids := e.ids.(type) {
		case string:
			switch prev := raw[e.typ].(type) {
			case nil:
				raw[e.typ] = ids
			case string:
				raw[e.typ] = []string{prev, ids}
			case []string:
				raw[e.typ] = append(prev, ids)
			}
		case []string:
			switch prev := raw[e.typ].(type) {
			case nil:
				raw[e.typ] = ids
			case string:
				raw[e.typ] = append([]string{prev}, ids...)
			case []string:
				raw[e.typ] = append(prev, ids...)
			}
		}
	}
	return marshalCompact(raw)
}

func conditions(v cty.Value, version string) (json.RawMessage, error) {
	blocks := listOf(v)
	if len(blocks) == 0 {
		return nil, nil
	}
	raw := map[string]map[string][]string{}
	for _, b := range blocks {
		test, _ := str(attr(b, "test"))
		variable, _ := str(attr(b, "variable"))
		vals := stringList(attr(b, "values"))
		if version != "2008-10-17" {
			for i := range vals {
				vals[i] = varReplacer.Replace(vals[i])
			}
		}
		if raw[test] == nil {
			raw[test] = map[string][]string{}
		}
		raw[test][variable] = append(raw[test][variable], vals...)
	}
	out := map[string]map[string]any{}
	for t, byVar := range raw {
		out[t] = map[string]any{}
		for k, vals := range byVar {
			if len(vals) == 1 {
				out[t][k] = vals[0]
			} else {
				out[t][k] = vals
			}
		}
	}
	return marshalCompact(out)
}

// marshalCompact marshals like json.Marshal (the provider's nested
// marshalling escapes HTML the same way; the outer MarshalIndent re-indents).
func marshalCompact(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(b.Bytes(), "\n")), nil
}
