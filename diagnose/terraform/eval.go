package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// moduleInst is one instance of a module, evaluated. Values the
// configuration cannot know before apply are cty unknowns, except accounts
// and regions of providers, which are stand-in strings (see Account).
type moduleInst struct {
	l         *loader
	decl      *moduleDecl
	addr      string // "" for a root module, else module.x or module.x["k"]
	rootDir   string
	inputs    map[string]cty.Value
	providers map[string]*Provider
	ctx       *hcl.EvalContext

	vars     map[string]cty.Value
	locals   map[string]cty.Value
	managed  map[string]map[string]cty.Value
	data     map[string]map[string]cty.Value
	calls    map[string]cty.Value
	outputs  map[string]cty.Value
	children map[string]*moduleInst
	sources  map[string]Source
}

var metaAttrs = map[string]bool{"count": true, "for_each": true, "provider": true, "depends_on": true}

func (l *loader) newModuleInst(decl *moduleDecl, addr, rootDir string, providers map[string]*Provider) *moduleInst {
	m := &moduleInst{
		l: l, decl: decl, addr: addr, rootDir: rootDir, providers: providers,
		inputs:   map[string]cty.Value{},
		vars:     map[string]cty.Value{},
		locals:   map[string]cty.Value{},
		managed:  map[string]map[string]cty.Value{},
		data:     map[string]map[string]cty.Value{},
		calls:    map[string]cty.Value{},
		outputs:  map[string]cty.Value{},
		children: map[string]*moduleInst{},
		sources:  map[string]Source{},
	}
	rel, err := filepath.Rel(rootDir, decl.dir)
	if err != nil {
		rel = decl.dir
	}
	m.ctx = &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: l.funcs()}
	m.ctx.Variables["path"] = cty.ObjectVal(map[string]cty.Value{
		"module": cty.StringVal(filepath.ToSlash(rel)), "root": cty.StringVal("."), "cwd": cty.StringVal("."),
	})
	m.ctx.Variables["terraform"] = cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")})
	for _, a := range decl.locals {
		m.locals[a.Name] = cty.DynamicVal
	}
	for _, r := range decl.resources {
		tab := m.managed
		if r.mode == "data" {
			tab = m.data
		}
		if tab[r.typ] == nil {
			tab[r.typ] = map[string]cty.Value{}
		}
		tab[r.typ][r.name] = cty.DynamicVal
		m.sources[r.key()] = l.source(r.block.TypeRange, m.prefix()+r.key())
	}
	for _, c := range decl.calls {
		m.calls[c.name] = cty.DynamicVal
	}
	m.publish()
	return m
}

func (l *loader) funcs() map[string]function.Function {
	if l.fns == nil {
		l.fns = l.functions()
	}
	return l.fns
}

func (m *moduleInst) prefix() string {
	if m.addr == "" {
		return ""
	}
	return m.addr + "."
}

// publish refreshes the evaluation context from the current values.
func (m *moduleInst) publish() {
	v := m.ctx.Variables
	v["var"] = cty.ObjectVal(m.vars)
	v["local"] = cty.ObjectVal(m.locals)
	v["module"] = cty.ObjectVal(m.calls)
	data := map[string]cty.Value{}
	for typ, byName := range m.data {
		data[typ] = cty.ObjectVal(byName)
	}
	v["data"] = cty.ObjectVal(data)
	for typ, byName := range m.managed {
		v[typ] = cty.ObjectVal(byName)
	}
}

// rootModule prepares a root module with its variable values.
func (l *loader) rootModule(decl *moduleDecl, dir, display string, opt Options) *moduleInst {
	m := l.newModuleInst(decl, "", dir, map[string]*Provider{})
	values := map[string]cty.Value{}
	declared := map[string]*hclsyntax.Block{}
	for _, b := range decl.variables {
		declared[b.Labels[0]] = b
	}
	for _, kv := range opt.Env {
		k, v, ok := strings.Cut(kv, "=")
		if name, found := strings.CutPrefix(k, "TF_VAR_"); ok && found && declared[name] != nil {
			values[name] = l.flagValue(declared[name], v)
		}
	}
	var auto []string
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			n := e.Name()
			if !e.IsDir() && (strings.HasSuffix(n, ".auto.tfvars") || strings.HasSuffix(n, ".auto.tfvars.json")) {
				auto = append(auto, n)
			}
		}
	}
	sort.Strings(auto)
	files := []string{"terraform.tfvars", "terraform.tfvars.json"}
	for _, f := range append(files, auto...) {
		p := filepath.Join(dir, f)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		l.display[p] = filepath.Join(display, f)
		attrs, _ := l.parseVarFile(p, false)
		l.assignVars(values, declared, attrs, l.show(p))
	}
	for _, vf := range l.varFiles {
		l.assignVars(values, declared, vf.attrs, vf.path)
	}
	for _, v := range l.vars {
		if declared[v.name] == nil {
			l.warn("--var %s: no variable %q is declared in %s: ignored", v.name, v.name, display)
			continue
		}
		values[v.name] = l.flagValue(declared[v.name], v.value)
	}
	m.inputs = values
	return m
}

func (l *loader) assignVars(values map[string]cty.Value, declared map[string]*hclsyntax.Block, attrs hcl.Attributes, file string) {
	for name, a := range attrs {
		if declared[name] == nil {
			l.warn("%s: value for undeclared variable %q: ignored", file, name)
			continue
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			l.warn("%s: variable %q: %s: its value is unknown", l.where(a.Expr.Range()), name, diagMessage(diags.Errs()[0].(*hcl.Diagnostic)))
			v = cty.DynamicVal
		}
		values[name] = v
	}
}

// flagValue is a --var or TF_VAR_ value: a string for a variable of type
// string or without a type, else an HCL expression (as Terraform reads it).
func (l *loader) flagValue(decl *hclsyntax.Block, raw string) cty.Value {
	if t, ok := decl.Body.Attributes["type"]; ok && traversalText(t.Expr) != "string" {
		e, diags := hclsyntax.ParseExpression([]byte(raw), "--var", hcl.InitialPos)
		if !diags.HasErrors() {
			if v, diags := e.Value(nil); !diags.HasErrors() {
				return v
			}
		}
	}
	return cty.StringVal(raw)
}

// evaluate runs passes over every root until no value changes (values may
// refer to each other in any order), then one more that collects the model
// and the diagnostics.
func (l *loader) evaluate(roots []*moduleInst) {
	for i := 0; i < 32; i++ {
		l.changed = false
		for _, m := range roots {
			l.cwd = m.rootDir
			m.pass()
		}
		if !l.changed {
			break
		}
	}
	l.done = true
	for _, m := range roots {
		l.cwd = m.rootDir
		m.pass()
	}
}

func (m *moduleInst) set(tab map[string]cty.Value, name string, v cty.Value) {
	if old, ok := tab[name]; !ok || !old.RawEquals(v) {
		tab[name] = v
		m.l.changed = true
	}
}

func (m *moduleInst) pass() {
	// Variables: inputs, else defaults.
	for _, b := range m.decl.variables {
		name := b.Labels[0]
		v, ok := m.inputs[name]
		if !ok {
			if d, has := b.Body.Attributes["default"]; has {
				v = m.eval(d.Expr, m.ctx)
			} else {
				v = cty.DynamicVal
				if m.l.done {
					m.l.warn("%s: variable %q has no value (no default, tfvars, --var-file or --var): what depends on it is unknown", m.l.where(b.TypeRange), m.prefix()+"var."+name)
				}
			}
		}
		if t, has := b.Body.Attributes["type"]; has && v.IsKnown() && !v.IsNull() {
			if ty, diags := typeOf(t.Expr); !diags.HasErrors() {
				if cv, err := convert.Convert(v, ty); err == nil {
					v = cv
				} else if m.l.done {
					m.l.warn("%s: variable %q: %v", m.l.where(b.TypeRange), name, err)
				}
			}
		}
		m.set(m.vars, name, v)
	}
	m.publish()
	for _, a := range m.decl.locals {
		m.set(m.locals, a.Name, m.eval(a.Expr, m.ctx))
		m.ctx.Variables["local"] = cty.ObjectVal(m.locals)
	}
	m.resolveProviders()
	for _, r := range m.decl.resources {
		m.evalResource(r)
	}
	m.publish()
	for _, c := range m.decl.calls {
		m.evalCall(c)
	}
	for _, b := range m.decl.outputs {
		if a, ok := b.Body.Attributes["value"]; ok {
			m.set(m.outputs, b.Labels[0], m.eval(a.Expr, m.ctx))
		}
	}
}

// eval evaluates an expression; errors make the value unknown and are
// reported once, on the last pass.
func (m *moduleInst) eval(e hcl.Expression, ctx *hcl.EvalContext) cty.Value {
	v, diags := e.Value(ctx)
	if diags.HasErrors() {
		if m.l.done {
			for _, d := range diags.Errs() {
				m.l.warn("%s: the value is unknown to lint", m.l.diagText(d))
			}
		}
		return cty.DynamicVal
	}
	if v == cty.NilVal {
		return cty.DynamicVal
	}
	return v
}

// instance is one instance of a resource or module call.
type instance struct {
	suffix string
	vars   map[string]cty.Value // count / each
	key    string
}

// maxInstances bounds the instances of one resource lint evaluates.
const maxInstances = 1000

const (
	single = iota
	counted
	forEach
)

func (m *moduleInst) expand(body *hclsyntax.Body, ctx *hcl.EvalContext, what string) ([]instance, int) {
	if a, ok := body.Attributes["count"]; ok {
		v := m.eval(a.Expr, ctx)
		if !v.IsWhollyKnown() || v.IsNull() || v.Type() != cty.Number {
			if m.l.done {
				m.l.warn("%s: count of %s is not known before apply: one instance is checked, with count.index unknown", m.l.where(a.Expr.Range()), what)
			}
			return []instance{{suffix: "[0]", vars: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.UnknownVal(cty.Number)})}}}, counted
		}
		bf := v.AsBigFloat()
		n, _ := bf.Int64()
		if n > maxInstances {
			if m.l.done {
				m.l.warn("%s: count of %s is %d: only the first %d instances are checked", m.l.where(a.Expr.Range()), what, n, maxInstances)
			}
			n = maxInstances
		}
		out := make([]instance, 0, max(n, 0))
		for i := int64(0); i < n; i++ {
			out = append(out, instance{suffix: fmt.Sprintf("[%d]", i), vars: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(i)})}})
		}
		return out, counted
	}
	if a, ok := body.Attributes["for_each"]; ok {
		v := m.eval(a.Expr, ctx)
		if !v.IsWhollyKnown() || v.IsNull() {
			if m.l.done {
				m.l.warn("%s: for_each of %s is not known before apply: its instances are not checked", m.l.where(a.Expr.Range()), what)
			}
			return nil, forEach
		}
		ty := v.Type()
		var out []instance
		switch {
		case ty.IsMapType() || ty.IsObjectType():
			for it := v.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				out = append(out, eachInstance(k.AsString(), ev))
			}
		case ty.IsSetType() || ty.IsListType() || ty.IsTupleType():
			for it := v.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if ev.Type() != cty.String || ev.IsNull() {
					if m.l.done {
						m.l.warn("%s: for_each of %s is a list or set that is not of strings: not checked", m.l.where(a.Expr.Range()), what)
					}
					return nil, forEach
				}
				out = append(out, eachInstance(ev.AsString(), ev))
			}
		default:
			if m.l.done {
				m.l.warn("%s: for_each of %s is neither a map nor a set: not checked", m.l.where(a.Expr.Range()), what)
			}
			return nil, forEach
		}
		sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
		return out, forEach
	}
	return []instance{{}}, single
}

func eachInstance(k string, v cty.Value) instance {
	return instance{suffix: "[" + strconv.Quote(k) + "]", key: k, vars: map[string]cty.Value{
		"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(k), "value": v}),
	}}
}

func combine(insts []instance, shape int, vals []cty.Value) cty.Value {
	switch shape {
	case counted:
		if len(vals) == 0 {
			return cty.EmptyTupleVal
		}
		return cty.TupleVal(vals)
	case forEach:
		obj := map[string]cty.Value{}
		for i, in := range insts {
			obj[in.key] = vals[i]
		}
		return cty.ObjectVal(obj)
	}
	if len(vals) == 0 {
		return cty.DynamicVal
	}
	return vals[0]
}

func (m *moduleInst) child(ctx *hcl.EvalContext, in instance) *hcl.EvalContext {
	if len(in.vars) == 0 {
		return ctx
	}
	c := ctx.NewChild()
	c.Variables = in.vars
	return c
}

// bodyObject evaluates a block body into attribute values, nested blocks
// becoming tuples of objects under their type name.
func (m *moduleInst) bodyObject(body *hclsyntax.Body, ctx *hcl.EvalContext, meta bool) map[string]cty.Value {
	out := map[string]cty.Value{}
	for name, a := range body.Attributes {
		if meta && metaAttrs[name] {
			continue
		}
		out[name] = m.eval(a.Expr, ctx)
	}
	blocks := map[string][]cty.Value{}
	for _, b := range body.Blocks {
		switch {
		case meta && (b.Type == "lifecycle" || b.Type == "provisioner" || b.Type == "connection"):
		case b.Type == "dynamic" && len(b.Labels) == 1:
			m.dynamic(b, ctx, blocks)
		default:
			blocks[b.Type] = append(blocks[b.Type], cty.ObjectVal(m.bodyObject(b.Body, ctx, false)))
		}
	}
	for k, list := range blocks {
		out[k] = cty.TupleVal(list)
	}
	return out
}

func (m *moduleInst) dynamic(b *hclsyntax.Block, ctx *hcl.EvalContext, blocks map[string][]cty.Value) {
	name := b.Labels[0]
	iter := name
	if a, ok := b.Body.Attributes["iterator"]; ok {
		if t := traversalText(a.Expr); t != "" {
			iter = t
		}
	}
	var content *hclsyntax.Block
	for _, c := range b.Body.Blocks {
		if c.Type == "content" {
			content = c
		}
	}
	fe, ok := b.Body.Attributes["for_each"]
	if !ok || content == nil {
		return
	}
	v := m.eval(fe.Expr, ctx)
	if !v.IsWhollyKnown() || v.IsNull() || !v.CanIterateElements() {
		if m.l.done {
			m.l.warn("%s: for_each of dynamic %q is not known: its blocks are unknown", m.l.where(fe.Expr.Range()), name)
		}
		blocks[name] = append(blocks[name], cty.DynamicVal)
		return
	}
	if _, seen := blocks[name]; !seen {
		blocks[name] = []cty.Value{}
	}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		c := ctx.NewChild()
		c.Variables = map[string]cty.Value{iter: cty.ObjectVal(map[string]cty.Value{"key": k, "value": ev})}
		blocks[name] = append(blocks[name], cty.ObjectVal(m.bodyObject(content.Body, c, false)))
	}
}

func (m *moduleInst) evalResource(r *resourceDecl) {
	what := m.prefix() + r.key()
	insts, shape := m.expand(r.block.Body, m.ctx, what)
	var prov *Provider
	if usesProvider[r.mode+" "+r.typ] {
		prov = m.provider(r)
	}
	vals := make([]cty.Value, len(insts))
	for i, in := range insts {
		ctx := m.child(m.ctx, in)
		obj := m.bodyObject(r.block.Body, ctx, true)
		m.enrich(r, obj, prov)
		for attr := range m.l.refs[r.key()] {
			if _, ok := obj[attr]; !ok {
				obj[attr] = cty.DynamicVal
			}
		}
		vals[i] = cty.ObjectVal(obj)
		if m.l.done {
			m.l.cfg.Resources++
			if prov != nil {
				m.record(r, what+in.suffix, obj, ctx, prov)
			}
		}
	}
	v := combine(insts, shape, vals)
	// The context is refreshed once per pass (publish), not per resource:
	// rebuilding an object of every resource of a type after each one is
	// quadratic. A reference to a resource evaluated later in the same pass
	// sees its value on the next pass.
	if r.mode == "data" {
		m.set(m.data[r.typ], r.name, v)
	} else {
		m.set(m.managed[r.typ], r.name, v)
	}
}

var callArgsMeta = map[string]bool{"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true}

func (m *moduleInst) evalCall(c *callDecl) {
	if c.child == nil {
		return
	}
	what := m.prefix() + "module." + c.name
	insts, shape := m.expand(c.block.Body, m.ctx, what)
	vals := make([]cty.Value, len(insts))
	for i, in := range insts {
		addr := what + in.suffix
		ch := m.children[addr]
		if ch == nil {
			provs := map[string]*Provider{}
			if p, ok := m.providers["aws"]; ok {
				provs["aws"] = p
			}
			for k, v := range c.providers {
				if p := m.providers[v]; p != nil {
					provs[k] = p
				} else if m.l.done {
					m.l.warn("%s: module %s is passed provider %s, which is not configured", m.l.where(c.block.TypeRange), addr, v)
				}
			}
			ch = m.l.newModuleInst(c.child, addr, m.rootDir, provs)
			m.children[addr] = ch
		}
		ctx := m.child(m.ctx, in)
		for name, a := range c.block.Body.Attributes {
			if !callArgsMeta[name] {
				ch.inputs[name] = m.eval(a.Expr, ctx)
			}
		}
		ch.pass()
		vals[i] = cty.ObjectVal(ch.outputs)
	}
	m.set(m.calls, c.name, combine(insts, shape, vals))
	m.ctx.Variables["module"] = cty.ObjectVal(m.calls)
}

// provider returns the provider a resource uses.
func (m *moduleInst) provider(r *resourceDecl) *Provider {
	ref := r.provider
	if ref == "" {
		ref = "aws"
	}
	if p := m.providers[ref]; p != nil {
		return p
	}
	// No such provider block: Terraform's implicit default provider (or an
	// alias this module was not given).
	p := &Provider{Address: ref, Source: m.sources[r.key()]}
	p.Account = m.l.account("profile:", "the account of the default credentials", false, "")
	p.Region = m.l.regionStandIn()
	m.providers[ref] = p
	m.l.cfg.Providers = append(m.l.cfg.Providers, p)
	if ref != "aws" {
		m.l.warn("%s: %s uses provider %s, which is not configured here: its account and region are unknown", m.sources[r.key()], m.prefix()+r.key(), ref)
	} else {
		m.l.warn("%s: %s uses the default aws provider, which has no provider block: its region is unknown", m.sources[r.key()], m.prefix()+r.key())
	}
	return p
}

// resolveProviders evaluates the module's provider "aws" blocks.
func (m *moduleInst) resolveProviders() {
	for _, b := range m.decl.providers {
		obj := m.bodyObject(b.Body, m.ctx, false)
		alias, aliasKnown := str(obj["alias"])
		addr := "aws"
		if alias != "" {
			addr = "aws." + alias
		} else if !aliasKnown && obj["alias"] != cty.NilVal {
			continue
		}
		p := m.providers[addr]
		if p == nil {
			p = &Provider{Address: addr, Source: m.l.source(b.TypeRange, "provider."+addr)}
			m.providers[addr] = p
			m.l.cfg.Providers = append(m.l.cfg.Providers, p)
		}
		region, regionKnown := str(obj["region"])
		if regionKnown && region != "" {
			p.Region, p.RegionKnown = region, true
		} else if !p.RegionKnown && p.Region == "" {
			p.Region = m.l.regionStandIn()
			if m.l.done {
				m.l.warn("%s: the region of provider %s is not known: its registries are checked with a symbolic region", p.Source, addr)
			}
		}
		profile, profileKnown := str(obj["profile"])
		p.Profile = profile
		role, roleKnown, hasRole := "", false, false
		if ar, ok := obj["assume_role"]; ok && ar.IsKnown() && !ar.IsNull() && ar.CanIterateElements() && ar.LengthInt() > 0 {
			first := ar.Index(cty.NumberIntVal(0))
			if first.IsKnown() && first.Type().IsObjectType() && first.Type().HasAttribute("role_arn") {
				hasRole = true
				role, roleKnown = str(first.GetAttr("role_arn"))
			}
		}
		p.RoleARN = role
		var allowed []string
		if aa, ok := obj["allowed_account_ids"]; ok && aa.IsWhollyKnown() && !aa.IsNull() && aa.CanIterateElements() {
			for it := aa.ElementIterator(); it.Next(); {
				_, e := it.Element()
				if s, ok := str(e); ok {
					allowed = append(allowed, s)
				}
			}
		}
		roleAcct, _, roleOK := awsid.ParseRoleARN(role)
		switch {
		case roleKnown && roleOK:
			p.Account = m.l.account("id:"+roleAcct, "", true, roleAcct)
		case len(allowed) == 1:
			p.Account = m.l.account("id:"+allowed[0], "", true, allowed[0])
		case hasRole || (obj["profile"] != cty.NilVal && !profileKnown):
			p.Account = m.l.account("provider:"+m.rootDir+":"+addr, "account of provider "+addr, false, "")
		case profile != "":
			p.Account = m.l.account("profile:"+profile, "account of profile "+profile, false, "")
		default:
			p.Account = m.l.account("profile:", "account of the default credentials", false, "")
		}
	}
}

// str returns a known string value (known is false for unknown or non-string).
func str(v cty.Value) (string, bool) {
	if v == cty.NilVal || !v.IsKnown() || v.IsNull() {
		return "", false
	}
	if v.Type() != cty.String {
		cv, err := convert.Convert(v, cty.String)
		if err != nil || !cv.IsKnown() || cv.IsNull() {
			return "", false
		}
		v = cv
	}
	return v.AsString(), true
}

// account returns the account for key, creating a stand-in id for a
// symbolic one that no literal id of the configuration uses.
func (l *loader) account(key, name string, known bool, id string) *Account {
	if a := l.accounts[key]; a != nil {
		return a
	}
	a := &Account{ID: id, Known: known, Name: name}
	if !known {
		for {
			l.nextID++
			a.ID = fmt.Sprintf("%012d", l.nextID)
			if !l.literal[a.ID] {
				break
			}
		}
	}
	l.accounts[key] = a
	l.cfg.Accounts = append(l.cfg.Accounts, a)
	return a
}

func (l *loader) regionStandIn() string {
	l.regions++
	return fmt.Sprintf("symbolic-region-%d", l.regions)
}

// usesProvider lists the resources whose values lint takes from their
// provider's account and region.
var usesProvider = map[string]bool{
	"managed aws_ecr_repository": true, "data aws_ecr_repository": true, "managed aws_ecr_registry_policy": true,
	"managed aws_ecr_replication_configuration": true, "managed aws_ecr_repository_policy": true,
	"managed aws_ecr_account_setting": true, "data aws_caller_identity": true, "data aws_region": true, "data aws_partition": true,
}

// enrich adds what the provider computes to the resources lint models.
func (m *moduleInst) enrich(r *resourceDecl, obj map[string]cty.Value, p *Provider) {
	if p == nil {
		if r.mode == "data" && r.typ == "aws_iam_policy_document" {
			m.policyDocument(r, obj)
		}
		return
	}
	acct, region := cty.StringVal(p.Account.ID), cty.StringVal(p.Region)
	part := awsid.Partition(p.Region)
	repoAttrs := func(name cty.Value, registry cty.Value) {
		obj["registry_id"] = registry
		n, ok := str(name)
		reg, regOK := str(registry)
		if !ok || !regOK {
			obj["arn"], obj["repository_url"] = cty.UnknownVal(cty.String), cty.UnknownVal(cty.String)
			return
		}
		obj["arn"] = cty.StringVal(fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", part, p.Region, reg, n))
		obj["repository_url"] = cty.StringVal(fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", reg, p.Region, n))
	}
	switch r.mode + " " + r.typ {
	case "managed aws_ecr_repository":
		obj["id"] = orUnknown(obj["name"])
		repoAttrs(obj["name"], acct)
	case "data aws_ecr_repository":
		reg := acct
		if v, ok := obj["registry_id"]; ok {
			reg = v
		}
		obj["id"] = orUnknown(obj["name"])
		repoAttrs(obj["name"], reg)
	case "managed aws_ecr_registry_policy", "managed aws_ecr_replication_configuration":
		obj["registry_id"], obj["id"] = acct, acct
	case "managed aws_ecr_repository_policy":
		obj["registry_id"] = acct
		obj["id"] = orUnknown(obj["repository"])
	case "data aws_caller_identity":
		obj["account_id"], obj["id"] = acct, acct
	case "data aws_region":
		obj["name"], obj["region"], obj["id"] = region, region, region
	case "data aws_partition":
		obj["partition"], obj["id"] = cty.StringVal(part), cty.StringVal(part)
		obj["dns_suffix"] = cty.StringVal("amazonaws.com")
	}
}

func (m *moduleInst) policyDocument(r *resourceDecl, obj map[string]cty.Value) {
	{
		doc, err := renderPolicyDocument(obj)
		switch {
		case err != nil:
			if m.l.done {
				m.l.warn("%s: %v", m.sources[r.key()], err)
			}
			obj["json"], obj["minified_json"] = cty.UnknownVal(cty.String), cty.UnknownVal(cty.String)
		case doc == nil:
			obj["json"], obj["minified_json"] = cty.UnknownVal(cty.String), cty.UnknownVal(cty.String)
		default:
			obj["json"], obj["minified_json"] = cty.StringVal(doc.indented), cty.StringVal(doc.minified)
		}
	}
}

func orUnknown(v cty.Value) cty.Value {
	if v == cty.NilVal {
		return cty.UnknownVal(cty.String)
	}
	return v
}

func typeOf(e hcl.Expression) (cty.Type, hcl.Diagnostics) {
	return typeexpr.TypeConstraint(e)
}
