package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// record adds one evaluated resource instance to the model (last pass only).
func (m *moduleInst) record(r *resourceDecl, addr string, obj map[string]cty.Value, ctx *hcl.EvalContext, p *Provider) {
	l := m.l
	src := l.source(r.block.TypeRange, addr)
	if r.mode == "data" {
		if r.typ == "aws_caller_identity" && m.addr == "" && !strings.HasSuffix(addr, "]") && p.Account.Ref == "" {
			p.Account.Ref = "data.aws_caller_identity." + r.name + ".account_id"
		}
		return
	}
	switch r.typ {
	case "aws_ecr_repository", "aws_ecr_registry_policy", "aws_ecr_repository_policy", "aws_ecr_replication_configuration", "aws_ecr_account_setting":
	default:
		return
	}
	reg := l.cfg.registry(p.Account, p.Region)
	if !containsProvider(reg.Providers, p) {
		reg.Providers = append(reg.Providers, p)
	}
	switch r.typ {
	case "aws_ecr_repository":
		name, ok := str(obj["name"])
		if !ok {
			l.warn("%s: the repository name is not known before apply: policies and filters are not checked against it", src)
		}
		reg.Repositories = append(reg.Repositories, &Repository{Name: name, Known: ok, Source: src})
	case "aws_ecr_registry_policy":
		reg.RegistryPolicies = append(reg.RegistryPolicies, m.policy(r, obj, ctx, src))
	case "aws_ecr_repository_policy":
		pol := m.policy(r, obj, ctx, src)
		name, ok := str(obj["repository"])
		if !ok {
			l.warn("%s: the repository of this policy is not known before apply", src)
			name = "<unknown repository>"
		}
		pol.Repository = name
		reg.RepositoryPolicies = append(reg.RepositoryPolicies, pol)
	case "aws_ecr_account_setting":
		if name, _ := str(obj["name"]); name == "REGISTRY_POLICY_SCOPE" {
			reg.PolicyScope, _ = str(obj["value"])
		}
	case "aws_ecr_replication_configuration":
		reg.Replication = append(reg.Replication, m.replication(r, obj, src))
	}
}

func containsProvider(list []*Provider, p *Provider) bool {
	for _, x := range list {
		if x == p {
			return true
		}
	}
	return false
}

func (m *moduleInst) policy(r *resourceDecl, obj map[string]cty.Value, ctx *hcl.EvalContext, src Source) *Policy {
	pol := &Policy{Source: src, Unknown: []string{}}
	a, ok := r.block.Body.Attributes["policy"]
	if !ok {
		m.l.warn("%s: no policy argument", src)
		return pol
	}
	pol.Expr = m.l.text(a.Expr.Range())
	if t, ok := a.Expr.(*hclsyntax.ScopeTraversalExpr); ok && len(t.Traversal) >= 3 && t.Traversal.RootName() == "data" {
		if step, ok := t.Traversal[1].(hcl.TraverseAttr); ok && step.Name == "aws_iam_policy_document" {
			if name, ok := t.Traversal[2].(hcl.TraverseAttr); ok {
				if s, found := m.sources["data.aws_iam_policy_document."+name.Name]; found {
					pol.PolicySource = &s
				}
			}
		}
	}
	text, known := str(obj["policy"])
	if known {
		pol.Text, pol.Known = text, true
		return pol
	}
	for _, t := range a.Expr.Variables() {
		v, diags := t.TraverseAbs(ctx)
		if diags.HasErrors() || !v.IsWhollyKnown() {
			pol.Unknown = append(pol.Unknown, traversalString(t))
		}
	}
	why := "it depends on values known only after apply"
	if len(pol.Unknown) > 0 {
		why = "it depends on " + strings.Join(pol.Unknown, ", ") + ", known only after apply or not evaluated by lint"
	}
	m.l.warn("%s: the policy is not checked: %s", src, why)
	return pol
}

func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for _, s := range t {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type() == cty.String {
				b.WriteString(`["` + s.Key.AsString() + `"]`)
			} else if s.Key.Type() == cty.Number {
				b.WriteString("[" + s.Key.AsBigFloat().String() + "]")
			} else {
				b.WriteString("[*]")
			}
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

func (m *moduleInst) replication(r *resourceDecl, obj map[string]cty.Value, src Source) *Replication {
	rep := &Replication{Source: src, Known: true}
	cfgs := listOf(obj["replication_configuration"])
	if v := obj["replication_configuration"]; v != cty.NilVal && !v.IsWhollyKnown() {
		rep.Known = false
	}
	var destExprs []string
	if b := firstBlock(r.block.Body, "replication_configuration"); b != nil {
		for _, rb := range blocksOf(b.Body, "rule") {
			for _, db := range blocksOf(rb.Body, "destination") {
				if a, ok := db.Body.Attributes["registry_id"]; ok {
					destExprs = append(destExprs, m.l.text(a.Expr.Range()))
				} else {
					destExprs = append(destExprs, "")
				}
			}
		}
	}
	n := 0
	for _, c := range cfgs {
		for _, rv := range listOf(attr(c, "rule")) {
			var rule Rule
			if !rv.IsWhollyKnown() {
				rep.Known = false
			}
			for _, d := range listOf(attr(rv, "destination")) {
				id, idOK := str(attr(d, "registry_id"))
				region, regOK := str(attr(d, "region"))
				if !idOK || !regOK {
					rep.Known = false
				}
				dst := Destination{RegistryID: id, Region: region}
				if n < len(destExprs) {
					dst.Expr = destExprs[n]
				}
				n++
				rule.Destinations = append(rule.Destinations, dst)
			}
			for _, f := range listOf(attr(rv, "repository_filter")) {
				filter, _ := str(attr(f, "filter"))
				ft, _ := str(attr(f, "filter_type"))
				rule.Filters = append(rule.Filters, Filter{Filter: filter, FilterType: ft})
			}
			rep.Rules = append(rep.Rules, rule)
		}
	}
	if !rep.Known {
		m.l.warn("%s: part of the replication configuration is not known before apply: those rules are checked as far as they are known", src)
	}
	return rep
}

func firstBlock(b *hclsyntax.Body, typ string) *hclsyntax.Block {
	for _, x := range b.Blocks {
		if x.Type == typ {
			return x
		}
	}
	return nil
}

func blocksOf(b *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, x := range b.Blocks {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

// finish links destinations to the accounts of the configuration.
func (l *loader) finish() {
	for _, reg := range l.cfg.Registries {
		for _, rep := range reg.Replication {
			for i := range rep.Rules {
				for j := range rep.Rules[i].Destinations {
					d := &rep.Rules[i].Destinations[j]
					d.Account = l.cfg.AccountByID(d.RegistryID)
				}
			}
		}
	}
}
