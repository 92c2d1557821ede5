package terraform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// loadPlan reads a plan in JSON (terraform show -json tfplan): the planned
// values of the ECR resources, providers from configuration.provider_config,
// and account ids from the aws_caller_identity data sources read during
// plan. A value unknown until apply (after_unknown) stays unknown, except a
// destination registry_id that refers to a resource: it is that resource's
// provider account.
func (l *loader) loadPlan(abs, display string) error {
	b, err := os.ReadFile(abs)
	if err != nil {
		return fmt.Errorf("%s: %v", display, unwrapPathError(err))
	}
	var probe struct {
		FormatVersion string          `json:"format_version"`
		PlannedValues json.RawMessage `json:"planned_values"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return fmt.Errorf("%s: not JSON: %v", display, err)
	}
	if probe.FormatVersion == "" || probe.PlannedValues == nil {
		return fmt.Errorf("%s: not a Terraform plan in JSON (no format_version and planned_values; make it with terraform show -json tfplan, or give --policy-kind for a policy file)", display)
	}
	var plan tfjson.Plan
	if err := json.Unmarshal(b, &plan); err != nil {
		return fmt.Errorf("%s: %v", display, err)
	}
	l.cfg.Files = append(l.cfg.Files, display)
	for _, id := range accountIDPattern.FindAll(b, -1) {
		l.literal[string(id)] = true
	}
	p := &planReader{l: l, plan: &plan, file: display, providers: map[string]*Provider{}, keys: map[string]string{}, unknown: map[string]any{}}
	p.read()
	return nil
}

type planReader struct {
	l    *loader
	plan *tfjson.Plan
	file string
	// providers by provider_config key ("aws", "aws.west", "module.x:aws").
	providers map[string]*Provider
	// keys maps a resource's configuration address (no index) to its
	// provider_config key.
	keys map[string]string
	// config maps a configuration address to its resource configuration.
	config map[string]*tfjson.ConfigResource
	// unknown maps a resource instance address to its after_unknown.
	unknown map[string]any
}

func (p *planReader) src(addr string) Source { return Source{File: p.file, Address: addr} }

func (p *planReader) read() {
	p.config = map[string]*tfjson.ConfigResource{}
	if p.plan.Config != nil && p.plan.Config.RootModule != nil {
		p.walkConfig(p.plan.Config.RootModule, "")
	}
	for _, rc := range p.plan.ResourceChanges {
		if rc.Change != nil {
			p.unknown[rc.Address] = rc.Change.AfterUnknown
		}
	}
	// Accounts read during plan.
	known := map[string]string{}
	for _, st := range []*tfjson.State{p.plan.PriorState} {
		if st == nil || st.Values == nil {
			continue
		}
		walkState(st.Values.RootModule, func(r *tfjson.StateResource) {
			if r.Mode == tfjson.DataResourceMode && r.Type == "aws_caller_identity" {
				if id, ok := r.AttributeValues["account_id"].(string); ok && id != "" {
					known[p.keys[configAddress(r.Address)]] = id
					if ref := "data.aws_caller_identity." + r.Name + ".account_id"; !strings.HasPrefix(r.Address, "module.") {
						known["ref:"+p.keys[configAddress(r.Address)]] = ref
					}
				}
			}
		})
	}
	if p.plan.Config != nil {
		keys := make([]string, 0, len(p.plan.Config.ProviderConfigs))
		for k := range p.plan.Config.ProviderConfigs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			pc := p.plan.Config.ProviderConfigs[k]
			if pc.Name != "aws" {
				continue
			}
			p.providers[k] = p.provider(k, pc, known)
		}
	}
	if p.plan.PlannedValues != nil {
		walkState(p.plan.PlannedValues.RootModule, p.resource)
	}
}

func (p *planReader) walkConfig(m *tfjson.ConfigModule, prefix string) {
	for _, r := range m.Resources {
		addr := prefix + r.Address
		p.keys[addr] = r.ProviderConfigKey
		p.config[addr] = r
	}
	for name, call := range m.ModuleCalls {
		if call.Module != nil {
			p.walkConfig(call.Module, prefix+"module."+name+".")
		}
	}
}

func walkState(m *tfjson.StateModule, fn func(*tfjson.StateResource)) {
	if m == nil {
		return
	}
	for _, r := range m.Resources {
		fn(r)
	}
	for _, c := range m.ChildModules {
		walkState(c, fn)
	}
}

var instanceKey = regexp.MustCompile(`\[[^\]]*\]`)

// configAddress drops instance keys: module.a["x"].aws_y.z[0] -> module.a.aws_y.z.
func configAddress(addr string) string { return instanceKey.ReplaceAllString(addr, "") }

func constString(e *tfjson.Expression, vars map[string]*tfjson.PlanVariable) (string, bool) {
	if e == nil || e.ExpressionData == nil {
		return "", false
	}
	if s, ok := e.ConstantValue.(string); ok {
		return s, true
	}
	for _, ref := range e.References {
		if name, ok := strings.CutPrefix(ref, "var."); ok && vars[name] != nil {
			if s, ok := vars[name].Value.(string); ok {
				return s, true
			}
		}
	}
	return "", false
}

func (p *planReader) provider(key string, pc *tfjson.ProviderConfig, known map[string]string) *Provider {
	l := p.l
	addr := "aws"
	if pc.Alias != "" {
		addr = "aws." + pc.Alias
	}
	prov := &Provider{Address: addr, Source: p.src("provider." + addr)}
	ex := pc.Expressions
	if r, ok := constString(ex["region"], p.plan.Variables); ok {
		prov.Region, prov.RegionKnown = r, true
	} else {
		prov.Region = l.regionStandIn()
		l.warn("%s: the region of provider %s is not in the plan: its registries are checked with a symbolic region", p.file, addr)
	}
	prov.Profile, _ = constString(ex["profile"], p.plan.Variables)
	if ar := ex["assume_role"]; ar != nil && ar.ExpressionData != nil && len(ar.NestedBlocks) > 0 {
		prov.RoleARN, _ = constString(ar.NestedBlocks[0]["role_arn"], p.plan.Variables)
	}
	var allowed []string
	if e := ex["allowed_account_ids"]; e != nil && e.ExpressionData != nil {
		if list, ok := e.ConstantValue.([]any); ok {
			for _, v := range list {
				if s, ok := v.(string); ok {
					allowed = append(allowed, s)
				}
			}
		}
	}
	roleAcct, _, roleOK := awsid.ParseRoleARN(prov.RoleARN)
	switch {
	case known[key] != "":
		prov.Account = l.account("id:"+known[key], "", true, known[key])
	case roleOK:
		prov.Account = l.account("id:"+roleAcct, "", true, roleAcct)
	case len(allowed) == 1:
		prov.Account = l.account("id:"+allowed[0], "", true, allowed[0])
	case prov.Profile != "" && prov.RoleARN == "":
		prov.Account = l.account("profile:"+prov.Profile, "account of profile "+prov.Profile, false, "")
	default:
		prov.Account = l.account("plan-provider:"+p.file+":"+key, "account of provider "+addr, false, "")
	}
	if ref := known["ref:"+key]; ref != "" && prov.Account.Ref == "" {
		prov.Account.Ref = ref
	}
	l.cfg.Providers = append(l.cfg.Providers, prov)
	return prov
}

// providerOf returns the provider of a resource instance address.
func (p *planReader) providerOf(addr string) *Provider {
	key := p.keys[configAddress(addr)]
	if prov := p.providers[key]; prov != nil {
		return prov
	}
	// A module's resource with an inherited or passed provider: its key
	// is "module.x:aws"; without a configuration of its own it is the
	// root's provider of that name.
	if i := strings.LastIndex(key, ":"); i >= 0 {
		if prov := p.providers[key[i+1:]]; prov != nil {
			return prov
		}
	}
	if prov := p.providers["aws"]; prov != nil {
		return prov
	}
	prov := &Provider{Address: "aws", Account: p.l.account("plan-default:"+p.file, "account of the default aws provider", false, ""), Region: p.l.regionStandIn(), Source: p.src("provider.aws")}
	p.providers["aws"] = prov
	p.l.cfg.Providers = append(p.l.cfg.Providers, prov)
	p.l.warn("%s: %s uses an aws provider the plan does not configure: its account and region are unknown", p.file, addr)
	return prov
}

// isUnknown reports whether after_unknown marks attr (a top-level attribute).
func (p *planReader) isUnknown(addr, attr string) bool {
	m, ok := p.unknown[addr].(map[string]any)
	if !ok {
		return false
	}
	switch v := m[attr].(type) {
	case bool:
		return v
	case nil:
		return false
	default:
		return true // partly unknown: a nested value
	}
}

func (p *planReader) resource(r *tfjson.StateResource) {
	if r.Mode != tfjson.ManagedResourceMode {
		p.l.cfg.Resources++
		return
	}
	p.l.cfg.Resources++
	switch r.Type {
	case "aws_ecr_repository", "aws_ecr_registry_policy", "aws_ecr_repository_policy", "aws_ecr_replication_configuration", "aws_ecr_account_setting":
	default:
		return
	}
	prov := p.providerOf(r.Address)
	reg := p.l.cfg.registry(prov.Account, prov.Region)
	if !containsProvider(reg.Providers, prov) {
		reg.Providers = append(reg.Providers, prov)
	}
	src := p.src(r.Address)
	v := r.AttributeValues
	switch r.Type {
	case "aws_ecr_repository":
		name, ok := v["name"].(string)
		if !ok {
			p.l.warn("%s: the repository name is not known before apply", src)
		}
		reg.Repositories = append(reg.Repositories, &Repository{Name: name, Known: ok, Source: src})
	case "aws_ecr_registry_policy", "aws_ecr_repository_policy":
		pol := &Policy{Source: src, Unknown: []string{}}
		if text, ok := v["policy"].(string); ok {
			pol.Text, pol.Known = text, true
		} else {
			if cr := p.config[configAddress(r.Address)]; cr != nil && cr.Expressions["policy"] != nil && cr.Expressions["policy"].ExpressionData != nil {
				pol.Unknown = append(pol.Unknown, cr.Expressions["policy"].References...)
			}
			why := "it is known only after apply"
			if len(pol.Unknown) > 0 {
				why = "it depends on " + strings.Join(pol.Unknown, ", ") + ", known only after apply"
			}
			p.l.warn("%s: the policy is not checked: %s (lint the .tf files instead, or plan once the resources exist)", src, why)
		}
		if r.Type == "aws_ecr_repository_policy" {
			name, ok := v["repository"].(string)
			if !ok {
				name = "<unknown repository>"
				p.l.warn("%s: the repository of this policy is not known before apply", src)
			}
			pol.Repository = name
			reg.RepositoryPolicies = append(reg.RepositoryPolicies, pol)
		} else {
			reg.RegistryPolicies = append(reg.RegistryPolicies, pol)
		}
	case "aws_ecr_account_setting":
		if v["name"] == "REGISTRY_POLICY_SCOPE" {
			reg.PolicyScope, _ = v["value"].(string)
		}
	case "aws_ecr_replication_configuration":
		reg.Replication = append(reg.Replication, p.replication(r, src))
	}
}

func (p *planReader) replication(r *tfjson.StateResource, src Source) *Replication {
	rep := &Replication{Source: src, Known: true}
	// The configuration's references stand in for registry ids unknown
	// until apply: aws_ecr_repository.x.registry_id is x's provider account.
	var refs [][]string
	if cr := p.config[configAddress(r.Address)]; cr != nil {
		for _, rc := range nested(cr.Expressions["replication_configuration"]) {
			for _, rule := range nested(rc["rule"]) {
				for _, d := range nested(rule["destination"]) {
					var rs []string
					if e := d["registry_id"]; e != nil && e.ExpressionData != nil {
						rs = e.References
					}
					refs = append(refs, rs)
				}
			}
		}
	}
	n := 0
	for _, rc := range asList(r.AttributeValues["replication_configuration"]) {
		for _, rule := range asList(asMap(rc)["rule"]) {
			var out Rule
			for _, d := range asList(asMap(rule)["destination"]) {
				dm := asMap(d)
				dst := Destination{}
				dst.Region, _ = dm["region"].(string)
				dst.RegistryID, _ = dm["registry_id"].(string)
				if n < len(refs) && len(refs[n]) > 0 {
					dst.Expr = refs[n][0]
				}
				if dst.RegistryID == "" && n < len(refs) {
					for _, ref := range refs[n] {
						if prov := p.referencedProvider(ref); prov != nil {
							dst.RegistryID = prov.Account.ID
							break
						}
					}
				}
				if dst.RegistryID == "" {
					rep.Known = false
				}
				n++
				out.Destinations = append(out.Destinations, dst)
			}
			for _, f := range asList(asMap(rule)["repository_filter"]) {
				fm := asMap(f)
				filter, _ := fm["filter"].(string)
				ft, _ := fm["filter_type"].(string)
				out.Filters = append(out.Filters, Filter{Filter: filter, FilterType: ft})
			}
			rep.Rules = append(rep.Rules, out)
		}
	}
	if !rep.Known {
		p.l.warn("%s: a destination registry_id is not known before apply: that destination is not checked", src)
	}
	return rep
}

// referencedProvider is the provider of the resource a reference such as
// aws_ecr_repository.x.registry_id or data.aws_caller_identity.y.account_id
// names, when the attribute is the provider's account.
func (p *planReader) referencedProvider(ref string) *Provider {
	parts := strings.Split(configAddress(ref), ".")
	var addr string
	switch {
	case len(parts) == 3 && parts[0] == "aws_ecr_repository" && parts[2] == "registry_id":
		addr = parts[0] + "." + parts[1]
	case len(parts) == 4 && parts[0] == "data" && parts[1] == "aws_caller_identity" && parts[3] == "account_id":
		addr = strings.Join(parts[:3], ".")
	default:
		return nil
	}
	if _, ok := p.keys[addr]; !ok {
		return nil
	}
	return p.providerOf(addr)
}

func nested(e *tfjson.Expression) []map[string]*tfjson.Expression {
	if e == nil || e.ExpressionData == nil {
		return nil
	}
	return e.NestedBlocks
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// LoadPolicies reads policy JSON files (a document, or what aws ecr
// get-registry-policy / get-repository-policy print) as the registry or
// repository policies of one symbolic registry, for the policy checks.
func LoadPolicies(paths []string, kind string) (*Config, error) {
	l := newLoader()
	acct := l.account("policy-files", "account of the policy files", false, "")
	p := &Provider{Address: "aws", Account: acct, Region: l.regionStandIn()}
	l.cfg.Providers = append(l.cfg.Providers, p)
	reg := l.cfg.registry(acct, p.Region)
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			l.cfg.Errors = append(l.cfg.Errors, fmt.Sprintf("%s: %v", path, unwrapPathError(err)))
			continue
		}
		text := string(b)
		var wrapped struct {
			PolicyText     *string `json:"policyText"`
			RepositoryName string  `json:"repositoryName"`
		}
		if err := json.Unmarshal(b, &wrapped); err != nil {
			l.cfg.Errors = append(l.cfg.Errors, fmt.Sprintf("%s: not JSON: %v", path, err))
			continue
		}
		if wrapped.PolicyText != nil {
			text = *wrapped.PolicyText
		}
		l.cfg.Files = append(l.cfg.Files, path)
		l.cfg.Resources++
		pol := &Policy{Text: text, Known: true, Unknown: []string{}, Source: Source{File: path, Line: 1, Column: 1}}
		if kind == "repository" {
			pol.Repository = wrapped.RepositoryName
			if pol.Repository == "" {
				pol.Repository = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			}
			reg.RepositoryPolicies = append(reg.RepositoryPolicies, pol)
		} else {
			reg.RegistryPolicies = append(reg.RegistryPolicies, pol)
		}
	}
	if len(l.cfg.Files) == 0 {
		return l.cfg, fmt.Errorf("%s: %w", strings.Join(l.cfg.Errors, "; "), ErrNothingRead)
	}
	if kind == "registry" && len(reg.RegistryPolicies) > 1 {
		// Separate files are separate registries' policies, not duplicates.
		for _, pol := range reg.RegistryPolicies[1:] {
			r := &Registry{Account: acct, Region: l.regionStandIn(), RegistryPolicies: []*Policy{pol}}
			l.cfg.Registries = append(l.cfg.Registries, r)
		}
		reg.RegistryPolicies = reg.RegistryPolicies[:1]
	}
	return l.cfg, nil
}
