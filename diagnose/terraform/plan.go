package terraform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// loadPlan reads a plan in JSON (terraform show -json).
func (l *loader) loadPlan(abs, display string) error {
	return fmt.Errorf("%s: plan JSON is not read yet", display)
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
